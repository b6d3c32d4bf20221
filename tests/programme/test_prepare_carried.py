"""The points the next meeting carries come with their owner, meeting and decision read once
each, the indicators behind with their code kept with the judgement, and a page that only
points to a planned meeting reads nothing of the next one."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from programme.choices import IndicatorKind, MeetingStatus, ValueState
from programme.models import (
    Action,
    ActionPoint,
    Decision,
    Indicator,
    IndicatorValue,
    Meeting,
    Outcome,
    ReportingPeriod,
)
from programme.selectors import action_points_carried_into, indicator_values_owed, meeting_next
from stakeholders.models import Institution

pytestmark = pytest.mark.django_db

URL = reverse("programme:meeting_prepare")


def _next_meeting(action: Action) -> Meeting:
    latest = action.meetings.order_by("-number").first()
    assert latest is not None
    return Meeting(action=action, number=latest.number + 1, status=MeetingStatus.PLANNED)


def test_carried_points_share_their_owner_meeting_and_decision(demo: dict[str, Any]) -> None:
    action = Action.objects.get()
    latest = action.meetings.order_by("-number").first()
    assert latest is not None and latest.status == MeetingStatus.HELD
    owner = Institution.objects.get(code="demo-cso-b")
    decision = Decision.objects.create(meeting=latest, number=90, text="Carried decision")
    for n in range(3):
        ActionPoint.objects.create(
            meeting=latest,
            owner=owner,
            decision=decision if n else None,
            description=f"Shared task {n}",
            due_date=timezone.localdate() + timedelta(days=n),
        )
    upcoming = _next_meeting(action)
    with CaptureQueriesContext(connection) as ctx:
        carried = action_points_carried_into(meeting=upcoming)
        mine = [p for p in carried if p.description.startswith("Shared task")]
        # Everything the tables and the agenda print, read without another query.
        for language in ["en", "mk", "sq"]:
            with translation.override(language):
                labels = {p.owner.label for p in mine}
                assert labels == {Institution.objects.get(pk=owner.pk).label}
        shown = [(p.meeting.number, p.decision.number if p.decision else None) for p in mine]
    assert len(ctx.captured_queries) == 1 + 3  # the points, and the three labels to compare
    assert shown == [(latest.number, None), (latest.number, 90), (latest.number, 90)]
    assert mine[0].owner is mine[1].owner is mine[2].owner
    assert mine[1].decision is mine[2].decision
    # Each point is the row in the database, field by field.
    for point in mine:
        stored = ActionPoint.objects.get(pk=point.pk)
        for field in ActionPoint._meta.concrete_fields:
            assert getattr(point, field.attname) == getattr(stored, field.attname)


def test_a_planned_meeting_page_reads_nothing_of_the_next_meeting(demo: dict[str, Any]) -> None:
    action = Action.objects.get()
    planned = Meeting.objects.create(
        action=action, number=_next_meeting(action).number, status=MeetingStatus.PLANNED
    )
    client = Client()
    client.force_login(demo["demo-admin"])
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("programme:meeting_detail", args=[planned.pk]) in html
    assert "Create meeting" not in html
    assert not any("programme_actionpoint" in q["sql"] for q in ctx.captured_queries)


def test_the_agenda_names_an_indicator_behind_by_its_code_of_now(demo: dict[str, Any]) -> None:
    action = Action.objects.get()
    today = timezone.localdate()
    behind = meeting_next(action=action, today=today).behind
    assert behind, "the demo has an indicator behind its target"
    indicator = Indicator.objects.get(pk=behind[0].pk)
    assert behind[0].code == indicator.code
    client = Client()
    client.force_login(demo["demo-admin"])
    assert f" {indicator.code}" in _behind_line(client.get(URL).content.decode())
    indicator.code = "ZZ.9"
    indicator.save()
    assert "ZZ.9" in _behind_line(client.get(URL).content.decode())
    assert [i.code for i in meeting_next(action=action, today=today).behind].count("ZZ.9") == 1


def _behind_line(html: str) -> str:
    found = re.search(r"Indicators behind their target: [^<\n]*", html)
    return found.group(0) if found else ""


def test_values_owed_for_two_open_periods_are_told_apart(demo: dict[str, Any]) -> None:
    """One query brings each indicator with its values of every open period: a value of
    one period neither hides nor stands in for the other's."""
    action = Action.objects.get()
    today = timezone.localdate()
    first = ReportingPeriod.objects.create(
        action=action,
        name="Test period A",
        start_date=today - timedelta(days=60),
        end_date=today - timedelta(days=30),
        due_date=today - timedelta(days=5),
    )
    second = ReportingPeriod.objects.create(
        action=action,
        name="Test period B",
        start_date=today - timedelta(days=29),
        end_date=today - timedelta(days=1),
        due_date=today + timedelta(days=20),
    )
    outcome = Outcome.objects.create(action=action, code="RY", title="Reported for the test")
    made = {}
    for code in ["RY.1", "RY.2", "RY.3"]:
        made[code] = Indicator.objects.create(
            outcome=outcome,
            code=code,
            title=f"Reported figure {code}",
            unit="cases",
            baseline=Decimal(0),
            kind=IndicatorKind.REPORTED,
        )
    # RY.1: submitted for A, a draft for B; RY.2: returned for A, nothing for B; RY.3: nothing.
    IndicatorValue.objects.create(
        indicator=made["RY.1"], period=first, actual=Decimal(1), state=ValueState.SUBMITTED
    )
    draft = IndicatorValue.objects.create(
        indicator=made["RY.1"], period=second, actual=Decimal(2), state=ValueState.DRAFT
    )
    returned = IndicatorValue.objects.create(
        indicator=made["RY.2"], period=first, actual=Decimal(3), state=ValueState.RETURNED
    )
    with CaptureQueriesContext(connection) as ctx:
        owed = indicator_values_owed(today=today, action=action)
    assert len(ctx.captured_queries) == 2
    mine = [
        (o.indicator.code, o.period.pk, o.value.pk if o.value else None, o.overdue)
        for o in owed
        if o.indicator.code.startswith("RY.") and o.period in (first, second)
    ]
    assert mine == [
        ("RY.2", first.pk, returned.pk, False),
        ("RY.3", first.pk, None, True),
        ("RY.1", second.pk, draft.pk, False),
        ("RY.2", second.pk, None, False),
        ("RY.3", second.pk, None, False),
    ]
