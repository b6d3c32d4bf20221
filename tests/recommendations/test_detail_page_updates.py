"""The recommendation's page reads its updates' table and its assessments' cards in one query,
written once as SQL: what it shows is what the reports' reading of the assessments
(``recommendation_assessments``) and the full list of updates (``recommendation_updates``) say,
for every persona and in every language's order, whatever the updates' states; the permission
gate's condition for that SQL lets through exactly the updates the gate does."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from programme.models import Action, ReportingPeriod
from recommendations import services
from recommendations.choices import AssignmentKind, UpdateState
from recommendations.models import Assignment, Evidence, ProgressUpdate, Recommendation
from recommendations.permissions import updates_visible_sql, updates_visible_to
from recommendations.selectors import (
    UPDATES_PER_INSTITUTION,
    recommendation_assessments_one,
    recommendation_summary,
    recommendation_updates,
)
from tests import factories

pytestmark = pytest.mark.django_db

REC = 6  # both demo CSOs are invited to report on it
PERSONAS = ["demo-admin", "demo-cso-a", "demo-cso-b", "demo-observer"]
# The page's queries, the frame's included: three fewer than when the assessments were read
# by a window query of their own and their institutions by another, and the history's keys
# by a query before its rows.
MOST_QUERIES = 18


def _mixed_updates(rec: Recommendation) -> None:
    """Updates in every state on the recommendation: for each assigned institution one in
    each of three periods newer than any, their states taking turns, evidence on some; an
    unassigned institution's updates, and an institution assigned without one."""
    action = Action.objects.get()
    periods = [
        ReportingPeriod.objects.create(
            action=action,
            name=f"detail {i}",
            start_date=date(2032, 1, 1) + timedelta(days=i),
            end_date=date(2032, 1, 1) + timedelta(days=i),
            due_date=date(2032, 1, 1) + timedelta(days=i),
        )
        for i in range(3)
    ]
    states = [UpdateState.APPROVED, UpdateState.SUBMITTED, UpdateState.DRAFT]
    for n, assignment in enumerate(Assignment.objects.filter(recommendation=rec)):
        for i, period in enumerate(periods):
            state = states[(n + i) % len(states)]
            update = factories.ProgressUpdateFactory.create(
                recommendation=rec, institution=assignment.institution, period=period, state=state
            )
            services.progress_update_share(update=update)  # its institution's members read it
            if i % 2:
                Evidence.objects.create(update=update, title="Minutes", url="https://example.org")
    unassigned = factories.InstitutionFactory.create()
    factories.ProgressUpdateFactory.create(
        recommendation=rec, institution=unassigned, period=periods[-1], state=UpdateState.APPROVED
    )
    factories.ProgressUpdateFactory.create(
        recommendation=rec, institution=factories.InstitutionFactory.create(), period=periods[0]
    )
    Assignment.objects.create(
        recommendation=rec,
        institution=factories.InstitutionFactory.create(),
        kind=AssignmentKind.INVITED,
    )


def _pk(update: ProgressUpdate | None) -> int | None:
    return None if update is None else update.pk


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
@pytest.mark.parametrize("username", PERSONAS)
def test_the_page_shows_what_the_assessments_and_the_full_list_say(
    demo: dict[str, Any], username: str, language: str
) -> None:
    rec = Recommendation.objects.get(number=REC)
    _mixed_updates(rec)
    user = demo[username]
    # Each language has its own order of the institutions' names (``core.collation``).
    with translation.override(language):
        summary = recommendation_summary(recommendation=rec, user=user)
        expected = recommendation_assessments_one(recommendation=rec, user=user)
        every = list(recommendation_updates(recommendation=rec, user=user))
    assert [
        (a.institution.pk, a.kind, _pk(a.approved), _pk(a.current)) for a in summary.assessments
    ] == [(a.institution.pk, a.kind, _pk(a.approved), _pk(a.current)) for a in expected]
    # The cards print each assessment's narrative and period.
    for shown, full in zip(summary.assessments, expected, strict=True):
        for mine, theirs in ((shown.approved, full.approved), (shown.current, full.current)):
            if theirs is not None:
                assert mine is not None
                assert (mine.narrative, str(mine.period)) == (theirs.narrative, str(theirs.period))
    # Every persona sees some update still in the workflow (the CSOs their own).
    assert any(a.current is not None for a in summary.assessments)

    assert summary.update_count == len(every)
    newest: dict[int, list[ProgressUpdate]] = {}
    for u in sorted(every, key=lambda u: (u.period.start_date, u.pk), reverse=True):
        newest.setdefault(u.institution_id, []).append(u)
    kept = {u.pk for rows in newest.values() for u in rows[:UPDATES_PER_INSTITUTION]}
    assert [(u.pk, u.evidence_count) for u in summary.updates] == [
        (u.pk, u.evidence_count) for u in every if u.pk in kept
    ]


@pytest.mark.parametrize("username", PERSONAS)
def test_the_page_runs_no_more_queries(client: Client, demo: dict[str, Any], username: str) -> None:
    rec = Recommendation.objects.get(number=REC)
    _mixed_updates(rec)
    client.force_login(demo[username])
    url = f"/recommendations/{rec.pk}/"
    assert client.get(url).status_code == 200  # fills per-process caches (content types)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert len(queries) <= MOST_QUERIES


@pytest.mark.parametrize("username", [*PERSONAS, "anonymous"])
def test_the_gates_sql_lets_through_the_updates_the_gate_does(
    demo: dict[str, Any], username: str
) -> None:
    _mixed_updates(Recommendation.objects.get(number=REC))
    # A signed-out visitor is no ``User``, but the gate answers for one (nothing).
    user: Any = AnonymousUser() if username == "anonymous" else demo[username]
    condition, params = updates_visible_sql(user)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM recommendations_progressupdate WHERE {condition}",  # noqa: S608
            params,
        )
        shown = {pk for (pk,) in cursor.fetchall()}
    assert shown == set(updates_visible_to(user).values_list("pk", flat=True))
    # Not every update: the personas other than the programme team see some of them.
    assert (shown == set(ProgressUpdate.objects.values_list("pk", flat=True))) == (
        username == "demo-admin"
    )
