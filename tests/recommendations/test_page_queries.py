"""The recommendation's page and the recommendations list run the same number of queries
however many updates and institutions a recommendation has, and no more than they
do now: a per-row query or a second permission look-up shows here first."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from programme.models import Action, ReportingPeriod
from recommendations.choices import AssignmentKind, ImplementationStatus, UpdateState
from recommendations.models import (
    Assignment,
    Evidence,
    ProgressUpdate,
    Recommendation,
    UpdateTransition,
)
from recommendations.permissions import updates_visible_to
from stakeholders.models import Institution
from tests import factories

pytestmark = pytest.mark.django_db

REC = 6  # both demo CSOs are invited to report on it

# The most queries each persona's requests may run, the frame (session, user, header) included:
# the recommendation's page, the page with every update (?all=updates), and the list. The
# page counts its updates and trainings in the queries that read them and asks the permission
# gate which updates the reader may see once for all its lists.
MOST = {
    "demo-admin": {"page": 18, "all": 20, "list": 14},
    "demo-cso-a": {"page": 18, "all": 20, "list": 14},
    "demo-observer": {"page": 17, "all": 19, "list": 14},
}


def _rec() -> Recommendation:
    return Recommendation.objects.get(number=REC)


def _grow(*, institutions: int, periods: int) -> None:
    """``institutions`` more institutions assigned to the recommendation, each with an update
    in each of ``periods`` more periods: approved, but for the newest, submitted; a workflow
    step and an item of evidence on each."""
    rec = _rec()
    action = Action.objects.get()
    offset = ReportingPeriod.objects.count()
    new_periods = [
        ReportingPeriod.objects.create(
            action=action,
            name=f"queries {offset + i}",
            start_date=date(2031, 1, 1) + timedelta(days=offset + i),
            end_date=date(2031, 1, 1) + timedelta(days=offset + i),
            due_date=date(2031, 1, 1) + timedelta(days=offset + i),
        )
        for i in range(periods)
    ]
    new_institutions = factories.InstitutionFactory.create_batch(institutions)
    Assignment.objects.bulk_create(
        Assignment(
            recommendation=rec,
            institution=institution,
            kind=AssignmentKind.RESPONSIBLE if i % 2 else AssignmentKind.INVITED,
        )
        for i, institution in enumerate(new_institutions)
    )
    updates = ProgressUpdate.objects.bulk_create(
        ProgressUpdate(
            recommendation=rec,
            institution=institution,
            period=period,
            status=ImplementationStatus.IN_PROGRESS,
            narrative=f"Queries {institution.pk}/{period.pk}",
            state=UpdateState.SUBMITTED if period is new_periods[-1] else UpdateState.APPROVED,
        )
        for institution in new_institutions
        for period in new_periods
    )
    UpdateTransition.objects.bulk_create(
        UpdateTransition(
            update=update,
            from_state=UpdateState.DRAFT,
            to_state=UpdateState.SUBMITTED,
            status=update.status,
        )
        for update in updates
    )
    Evidence.objects.bulk_create(
        Evidence(update=update, title="Agenda", url="https://example.org/agenda.pdf")
        for update in updates
    )


def _counts(client: Client) -> dict[str, int]:
    found = {}
    url = f"/recommendations/{_rec().pk}/"
    for key, path, query in (
        ("page", url, {}),
        ("all", url, {"all": "updates"}),
        ("list", "/recommendations/", {}),
    ):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path, query).status_code == 200
        found[key] = len(queries)
    return found


@pytest.mark.parametrize("username", sorted(MOST))
def test_the_page_and_list_run_the_same_queries_at_10_and_200_updates(
    client: Client, demo: dict[str, Any], username: str
) -> None:
    client.force_login(demo[username])
    rec = _rec()
    before = ProgressUpdate.objects.filter(recommendation=rec).count()
    _grow(institutions=2, periods=5)
    assert ProgressUpdate.objects.filter(recommendation=rec).count() == before + 10
    _counts(client)  # the first request fills per-process caches (content types)
    few = _counts(client)

    _grow(institutions=20, periods=10)
    assert ProgressUpdate.objects.filter(recommendation=rec).count() == before + 210
    many = _counts(client)
    assert many == few
    for key, most in MOST[username].items():
        assert many[key] <= most, many

    # The page still shows every assigned institution and counts every update it may see.
    content = client.get(f"/recommendations/{rec.pk}/").content.decode()
    for institution in Institution.objects.filter(assignments__recommendation=rec):
        assert f'id="assess-{institution.pk}"' in content
    visible = updates_visible_to(demo[username]).filter(recommendation=rec).count()
    assert f"All progress updates ({visible})" in content
