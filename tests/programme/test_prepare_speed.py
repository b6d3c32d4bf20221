"""The page that prepares the next meeting runs the same queries however many action points it
carries and values are owed, and keeps which indicators are behind their target
only until a record they are judged on changes."""

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
from django.utils import timezone

from core.figures import figures_invalidate
from programme.choices import IndicatorKind, MeetingStatus, ValueState
from programme.models import Action, ActionPoint, Indicator, IndicatorValue, Meeting, Outcome
from programme.results import period_current
from programme.selectors import (
    action_points_carried_into,
    indicator_values_owed,
    meeting_next,
    reporting_periods_open,
)
from stakeholders.models import Institution

pytestmark = pytest.mark.django_db

URL = reverse("programme:meeting_prepare")


def _upcoming(action: Action) -> Meeting:
    number = meeting_next(action=action, today=timezone.localdate()).number
    return Meeting(action=action, number=number, status=MeetingStatus.PLANNED)


def _grow(action: Action, n: int) -> None:
    """Bring the next meeting to at least ``n`` open action points carried from the latest
    held meeting, and the action to at least ``n`` reported values owed, every other one a
    draft already begun."""
    today = timezone.localdate()
    latest = action.meetings.order_by("-number").first()
    assert latest is not None and latest.status == MeetingStatus.HELD
    owners = list(Institution.objects.filter(code__in=["demo-cso-a", "demo-cso-b", "moi"]))
    assert len(owners) == 3
    while (count := len(action_points_carried_into(meeting=_upcoming(action)))) < n:
        ActionPoint.objects.create(
            meeting=latest,
            owner=owners[count % 3],
            description=f"Carried task {count}",
            due_date=today - timedelta(days=1) if count % 2 else None,
        )
    periods = [
        p
        for p in reporting_periods_open(today=today)
        if p.closed_at is None and p.action_id == action.pk
    ]
    assert periods, "the demo has an open reporting period"
    outcome, _made = Outcome.objects.get_or_create(
        action=action, code="RZ", defaults={"title": "Reported for the test"}
    )
    while (count := len(indicator_values_owed(today=today, action=action))) < n:
        indicator = Indicator.objects.create(
            outcome=outcome,
            code=f"RZ.{count}",
            title=f"Reported figure {count}",
            unit="cases",
            baseline=Decimal(0),
            kind=IndicatorKind.REPORTED,
            responsible=owners[count % 3] if count % 4 else None,
        )
        if count % 2:
            IndicatorValue.objects.create(
                indicator=indicator, period=periods[0], actual=Decimal(1), state=ValueState.DRAFT
            )


def _queries(client: Client, *, kept: bool) -> tuple[int, str]:
    """The page's queries and HTML, with which indicators are behind kept from the request
    before, or judged again (``kept=False``)."""
    client.get(URL)
    if not kept:
        figures_invalidate()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
def test_prepare_page_runs_the_same_queries_for_5_and_40_rows(
    demo: dict[str, Any], language: str
) -> None:
    action = Action.objects.get()
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(demo["demo-admin"])
    _grow(action, 5)
    small_kept, _html = _queries(client, kept=True)
    small_judged, _html = _queries(client, kept=False)
    _grow(action, 40)
    large_kept, html = _queries(client, kept=True)
    large_judged, judged_html = _queries(client, kept=False)
    assert large_kept == small_kept
    assert large_judged == small_judged
    assert large_kept < large_judged  # the kept judgement saves the framework's queries
    # Both pages show the same, and every carried point and owed value is on it.
    assert html.replace(_csrf(html), "") == judged_html.replace(_csrf(judged_html), "")
    carried = action_points_carried_into(meeting=_upcoming(action))
    assert len(carried) >= 40
    for point in carried:
        assert re.search(rf"<td>{re.escape(point.description)}\b", html)  # the table's row
        assert f"{point.description} (" in html  # the agenda's line
    owed = indicator_values_owed(today=timezone.localdate(), action=action)
    assert len(owed) >= 40
    for value in owed:
        assert f"{value.indicator.code} (" in html


def _csrf(html: str) -> str:
    start = html.index('name="csrfmiddlewaretoken" value="') + len('name="csrfmiddlewaretoken"')
    return html[start : html.index(">", start)]


def test_what_is_behind_is_judged_again_after_a_change(demo: dict[str, Any]) -> None:
    action = Action.objects.get()
    client = Client()
    client.force_login(demo["demo-admin"])
    today = timezone.localdate()
    period = period_current(action=action, today=today)
    assert period is not None
    outcome = Outcome.objects.create(action=action, code="RZ", title="Reported for the test")
    indicator = Indicator.objects.create(
        outcome=outcome,
        code="RZ.1",
        title="Shelters applying the referral standard",
        unit="shelters",
        baseline=Decimal(0),
        kind=IndicatorKind.REPORTED,
    )
    assert "RZ.1" not in _behind_line(client.get(URL).content.decode())
    # An approved value far below its target: the very next request counts it behind.
    IndicatorValue.objects.create(
        indicator=indicator,
        period=period,
        target=Decimal(100),
        actual=Decimal(1),
        state=ValueState.APPROVED,
    )
    assert "RZ.1" in _behind_line(client.get(URL).content.decode())
    assert indicator in meeting_next(action=action, today=today).behind


def _behind_line(html: str) -> str:
    """The agenda's line naming the indicators behind their target."""
    found = re.search(r"Indicators behind their target: [^<]*", html)
    return found.group(0) if found else ""
