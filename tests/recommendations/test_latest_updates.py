"""Each assignment's latest updates are read in one pass: the list, the API, the
recommendation's page and the reports take them from the same window query, and they say
what the correlated "latest approved update" subquery of the status-by-day reading says."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from recommendations import selectors
from recommendations.choices import AssignmentKind, ImplementationStatus, UpdateState
from recommendations.models import Recommendation
from tests import factories

pytestmark = pytest.mark.django_db


def _periods() -> list[Any]:
    """Three periods, made so that their primary keys run against their dates."""
    late = factories.ReportingPeriodFactory.create(
        name="2025 H1", start_date=date(2025, 1, 1), end_date=date(2025, 6, 30)
    )
    early = factories.ReportingPeriodFactory.create(
        name="2024 H1", start_date=date(2024, 1, 1), end_date=date(2024, 6, 30)
    )
    middle = factories.ReportingPeriodFactory.create(
        name="2024 H2", start_date=date(2024, 7, 1), end_date=date(2024, 12, 31)
    )
    return [early, middle, late]


def _update(rec: Recommendation, institution: Any, period: Any, state: str, status: str) -> Any:
    return factories.ProgressUpdateFactory.create(
        recommendation=rec, institution=institution, period=period, state=state, status=status
    )


@pytest.fixture
def setting() -> dict[str, Any]:
    """One recommendation, two institutions assigned and one withdrawn, updates in every state
    over three periods."""
    early, middle, late = _periods()
    rec = factories.RecommendationFactory.create()
    ministry, ngo, gone = (factories.InstitutionFactory.create() for _ in range(3))
    factories.AssignmentFactory.create(
        recommendation=rec, institution=ministry, kind=AssignmentKind.RESPONSIBLE
    )
    factories.AssignmentFactory.create(
        recommendation=rec, institution=ngo, kind=AssignmentKind.INVITED
    )
    _update(rec, ministry, late, UpdateState.SUBMITTED, ImplementationStatus.IMPLEMENTED)
    _update(rec, ministry, middle, UpdateState.APPROVED, ImplementationStatus.ADVANCED)
    _update(rec, ministry, early, UpdateState.APPROVED, ImplementationStatus.NOT_STARTED)
    _update(rec, ngo, early, UpdateState.APPROVED, ImplementationStatus.IN_PROGRESS)
    _update(rec, ngo, middle, UpdateState.DRAFT, ImplementationStatus.ADVANCED)
    # An institution no longer assigned: its update stays in the history but does not count.
    _update(rec, gone, late, UpdateState.APPROVED, ImplementationStatus.NOT_STARTED)
    return {"rec": rec, "ministry": ministry, "ngo": ngo, "periods": (early, middle, late)}


def test_the_latest_approved_update_is_the_latest_period_not_the_latest_entered(setting) -> None:
    rec, ministry, ngo = setting["rec"], setting["ministry"], setting["ngo"]
    early, middle, _late = setting["periods"]
    admin = factories.UserFactory.create(programme_team=True)
    [first, second] = selectors.recommendation_assessments(recommendations=[rec], user=admin)[
        rec.pk
    ]
    assert (first.institution, first.approved.period, first.current.state) == (
        ministry,
        middle,
        UpdateState.SUBMITTED,
    )
    assert (second.institution, second.approved.period, second.current.state) == (
        ngo,
        early,
        UpdateState.DRAFT,
    )
    [row] = selectors.recommendation_rows(queryset=Recommendation.objects.filter(pk=rec.pk))
    # The least advanced of what the assigned institutions last had approved.
    assert (row.status, row.assessed_by) == (ImplementationStatus.IN_PROGRESS, 2)
    assert row.institution_labels == f"{ministry.label}, {ngo.label}"


def test_rows_carry_the_assessments_the_page_reads_and_agree_with_the_days_reading(
    setting,
) -> None:
    rec = setting["rec"]
    for until in (None, date(2024, 3, 1), date(2024, 8, 1), date(2023, 1, 1)):
        [row] = selectors.recommendation_rows(
            queryset=Recommendation.objects.filter(pk=rec.pk), until=until
        )
        full = selectors.recommendation_assessments(recommendations=[rec], until=until)[rec.pk]
        assert [(a.institution, a.kind, a.approved) for a in row.assessments] == [
            (a.institution, a.kind, a.approved) for a in full
        ]
        assert row.status == selectors.assessments_status(full)
        if until is not None:
            by_day = selectors.recommendation_statuses_on(days=[until])[until]
            assert by_day.get(rec.pk) == row.status
    # A list reads the approved update's status and period only, never its narrative.
    [row] = selectors.recommendation_rows(queryset=Recommendation.objects.filter(pk=rec.pk))
    approved = row.assessments[0].approved
    assert approved is not None and "narrative" in approved.get_deferred_fields()


def test_an_observer_sees_the_submitted_update_in_progress_but_no_draft(setting) -> None:
    rec = setting["rec"]
    observer = factories.UserFactory.create()
    eu = factories.InstitutionFactory.create(kind="eu_body")
    factories.MembershipFactory.create(user=observer, institution=eu)
    assessments = selectors.recommendation_assessments(recommendations=[rec], user=observer)
    [ministry, ngo] = assessments[rec.pk]
    assert ministry.current is not None and ministry.current.state == UpdateState.SUBMITTED
    assert ngo.current is None  # a draft is its institution's own


def test_the_api_list_reads_the_assignments_and_their_updates_once(client: Client, setting) -> None:
    """Its statuses and each institution's standing come from one pass, not two."""
    client.force_login(factories.UserFactory.create(programme_team=True))
    url = "/api/v1/recommendations/"
    client.get(url)  # fills per-process caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum(1 for q in sql if q.startswith('SELECT "recommendations_assignment".')) == 1
    assert sum(1 for q in sql if '"recommendations_progressupdate"' in q) == 1
    data = client.get("/api/v1/recommendations/").json()["results"]
    [mine] = [r for r in data if r["id"] == setting["rec"].pk]
    assert [(a["status"], a["period"]) for a in mine["assignments"]] == [
        (ImplementationStatus.ADVANCED, setting["periods"][1].pk),
        (ImplementationStatus.IN_PROGRESS, setting["periods"][0].pk),
    ]
    assert (mine["status"], mine["assessed_by"]) == (ImplementationStatus.IN_PROGRESS, 2)
