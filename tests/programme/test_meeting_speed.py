"""The meeting page runs the same queries however long its lists are: its
attending institutions, its decisions with their outcomes and recommendations, the action
points raised at it and those carried in from earlier meetings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.models import Max
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.choices import TextOrigin
from core.translations import text_provenance_set
from programme.models import ActionPoint, Decision, Meeting, MeetingAttendance, Outcome
from programme.services import action_point_share
from recommendations.models import Recommendation
from stakeholders.models import Institution
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db


def _grow(meeting: Meeting, earlier: Meeting, n: int) -> None:
    """Bring the meeting to ``n`` attending institutions, ``n`` decisions (each naming two
    outcomes and two recommendations) and ``n`` action points raised at it, half of them under
    a decision and overdue, and add open action points carried in from the earlier meeting
    until it lists at least ``n``."""
    outcomes = list(Outcome.objects.filter(action_id=meeting.action_id)[:2])
    recommendations = list(Recommendation.objects.order_by("number")[:2])
    owners = list(Institution.objects.filter(code__in=["demo-cso-a", "moi", "mspdy"]))
    assert outcomes and recommendations and len(owners) == 3
    while meeting.attendance.count() < n:
        institution: Any = InstitutionFactory(short_name="Inst")
        row = MeetingAttendance.objects.create(
            meeting=meeting,
            institution=institution,
            representatives_en="A director\nAn adviser",
            representatives_mk="Директор\nСоветник",
        )
        text_provenance_set(
            obj=row, field="representatives", language="mk", origin=TextOrigin.WORKING
        )
    while meeting.decisions.count() < n:
        number = (meeting.decisions.aggregate(top=Max("number"))["top"] or 0) + 1
        decision = Decision.objects.create(
            meeting=meeting,
            number=number,
            text_en=f"Agreed item {number}.",
            text_mk=f"Договорена точка {number}.",
        )
        text_provenance_set(obj=decision, field="text", language="mk", origin=TextOrigin.MACHINE)
        decision.outcomes.set(outcomes)
        decision.recommendations.set(recommendations)
    decisions = list(meeting.decisions.order_by("number"))
    yesterday = timezone.localdate() - timedelta(days=1)
    while (count := meeting.action_points.count()) < n:
        point = ActionPoint.objects.create(
            meeting=meeting,
            decision=decisions[count % len(decisions)] if count % 2 else None,
            owner=owners[count % len(owners)],
            description=f"Follow-up task {count}",
            due_date=yesterday if count % 2 else None,
        )
        action_point_share(action_point=point)
    while _carried(meeting) < n:
        point = ActionPoint.objects.create(
            meeting=earlier,
            owner=owners[_carried(meeting) % len(owners)],
            description=f"Earlier task {_carried(meeting)}",
            due_date=yesterday,
        )
        action_point_share(action_point=point)


def _carried(meeting: Meeting) -> int:
    from programme.selectors import action_points_carried_into

    return len(action_points_carried_into(meeting=meeting))


def _page(client: Client, url: str) -> tuple[int, str]:
    """The page's queries and HTML; the request before it leaves what a session's first
    request writes once (its sign-in time) out of the count."""
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


@pytest.mark.parametrize(
    ("username", "language"),
    [("demo-cso-a", "en"), ("demo-admin", "en"), ("demo-admin", "mk"), ("demo-observer", "sq")],
)
def test_meeting_page_runs_the_same_queries_for_5_and_40_rows(
    demo: dict[str, Any], username: str, language: str
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(demo[username])
    meeting = Meeting.objects.get(number=4)
    earlier = Meeting.objects.get(number=3)
    url = reverse("programme:meeting_detail", args=[meeting.pk])
    _grow(meeting, earlier, 5)
    small, _content = _page(client, url)
    _grow(meeting, earlier, 40)
    large, content = _page(client, url)
    assert large == small
    # The page shows every row of the longer lists, with the links of each.
    assert content.count('<li value="') == 40
    for decision in meeting.decisions.all():
        assert f"/recommendations/{decision.recommendations.first().pk}/" in content
    for row in meeting.attendance.all():
        assert reverse("stakeholders:institution_detail", args=[row.institution_id]) in content
    points = list(meeting.action_points.all())
    assert len(points) == 40
    for point in points:
        assert point.description in content
    revise = [reverse("programme:action_point_revise", args=[p.pk]) in content for p in points]
    assert all(revise) if username == "demo-admin" else not any(revise)
    assert content.count(reverse("programme:meeting_detail", args=[earlier.pk])) >= 40


def test_meeting_page_marks_the_texts_of_each_row_in_macedonian(demo: dict[str, Any]) -> None:
    """The rows' translations keep their origin and their English source on the faster page."""
    client = Client(HTTP_ACCEPT_LANGUAGE="mk")
    client.force_login(demo["demo-cso-a"])
    meeting = Meeting.objects.get(number=4)
    _grow(meeting, Meeting.objects.get(number=3), 5)
    _queries, content = _page(client, reverse("programme:meeting_detail", args=[meeting.pk]))
    for number in meeting.decisions.filter(text_mk__startswith="Договорена").values_list(
        "number", flat=True
    ):
        assert f"Договорена точка {number}." in content
        assert f'<p lang="en">Agreed item {number}.</p>' in content
    assert content.count('<div lang="en"><p>A director<br>An adviser</p></div>') == (
        meeting.attendance.filter(representatives_mk="Директор\nСоветник").count()
    )
