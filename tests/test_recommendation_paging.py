"""The recommendation's page shows each institution's latest updates and the latest trainings
and workflow steps; "Show all" pages through the rest, so nothing becomes unreachable, and the
page runs the same number of queries however long the lists grow."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programme.models import Action, ReportingPeriod
from recommendations.choices import UpdateState
from recommendations.models import ProgressUpdate, Recommendation, UpdateTransition
from recommendations.permissions import updates_visible_to
from recommendations.selectors import HISTORY_SHOWN, TRAININGS_SHOWN, UPDATES_PER_INSTITUTION
from stakeholders.models import Institution
from trainings.choices import TrainingStatus
from trainings.models import Topic
from trainings.permissions import trainings_visible_to
from trainings.services import training_create

pytestmark = pytest.mark.django_db

REC = 6  # both demo CSOs are invited to report on it


def _rec() -> Recommendation:
    return Recommendation.objects.get(number=REC)


def _add(n: int, demo: dict[str, Any]) -> None:
    """n more periods, each with an approved update of both demo CSOs and two workflow steps
    per update, and n more trainings on the recommendation the ministry held."""
    rec = _rec()
    action = Action.objects.get()
    cso_a = Institution.objects.get(code="demo-cso-a")
    cso_b = Institution.objects.get(code="demo-cso-b")
    ministry = Institution.objects.get(code="mspdy")
    offset = ReportingPeriod.objects.count()
    for i in range(n):
        start = date(2030, 1, 1) + timedelta(days=offset + i)
        period = ReportingPeriod.objects.create(
            action=action,
            name=f"paging {offset + i}",
            start_date=start,
            end_date=start,
            due_date=start,
        )
        for institution in (cso_a, cso_b):
            update = ProgressUpdate.objects.create(
                recommendation=rec,
                institution=institution,
                period=period,
                status="planned",
                narrative=f"paging {offset + i}",
                state=UpdateState.APPROVED,
            )
            for before, after in (
                (UpdateState.DRAFT, UpdateState.SUBMITTED),
                (UpdateState.SUBMITTED, UpdateState.APPROVED),
            ):
                UpdateTransition.objects.create(
                    update=update, from_state=before, to_state=after, status="planned"
                )
        training_create(
            by=demo["demo-ministry"],
            action=action,
            title=f"Paging training {offset + i}",
            organiser=ministry,
            topics=[Topic.objects.order_by("pk")[0]],
            recommendations=[rec],
            status=TrainingStatus.HELD,
            # Held, so in the past (the periods above lie ahead, out of the demo's way).
            start_date=start - timedelta(days=365 * 10),
            end_date=start - timedelta(days=365 * 10),
        )


def _all_pages(client: Any, kind: str) -> list[Any]:
    """Every row of one "Show all" list, page after page."""
    url = f"/recommendations/{_rec().pk}/"
    first = client.get(url, {"all": kind})
    assert first.status_code == 200
    rows = list(first.context["rows"][kind])
    for number in range(2, first.context["page_obj"].paginator.num_pages + 1):
        page = client.get(url, {"all": kind, "page": number})
        assert page.status_code == 200
        rows += page.context["rows"][kind]
    return rows


@pytest.mark.parametrize("username", ["demo-admin", "demo-cso-a", "demo-observer"])
def test_every_update_training_and_workflow_step_stays_reachable(client, demo, username) -> None:
    _add(60, demo)
    user = demo[username]
    client.force_login(user)
    rec = _rec()
    response = client.get(f"/recommendations/{rec.pk}/")
    assert response.status_code == 200
    content = response.content.decode()

    visible = updates_visible_to(user).filter(recommendation=rec)
    summary = response.context["rows"]["updates"]
    per_institution: dict[int, list[ProgressUpdate]] = {}
    for update in summary:
        per_institution.setdefault(update.institution_id, []).append(update)
    for institution_id, shown in per_institution.items():
        assert len(shown) <= UPDATES_PER_INSTITUTION
        latest = visible.filter(institution_id=institution_id).order_by("-period__start_date")[0]
        assert latest in shown  # each institution's newest update is on the first page
    assert len(summary) < visible.count()
    assert f"All progress updates ({visible.count()})" in content
    # The assessments side by side still compare every assigned institution.
    assert "Demo CSO A" in content and "Demo CSO B" in content

    assert {u.pk for u in _all_pages(client, "updates")} == set(
        visible.values_list("pk", flat=True)
    )

    history = UpdateTransition.objects.filter(update__in=visible)
    assert len(response.context["rows"]["history"]) == HISTORY_SHOWN < history.count()
    assert {t.pk for t in _all_pages(client, "history")} == set(
        history.values_list("pk", flat=True)
    )

    trainings = trainings_visible_to(user).filter(recommendations=rec)
    shown = response.context["rows"]["trainings"]
    assert len(shown) == min(TRAININGS_SHOWN, trainings.count())
    assert {t.pk for t in _all_pages(client, "trainings")} == set(
        trainings.values_list("pk", flat=True)
    )
    if username != "demo-cso-a":  # the ministry's trainings are not shared with a CSO
        assert trainings.count() > TRAININGS_SHOWN


def test_an_unknown_list_shows_the_summary(client, demo) -> None:
    client.force_login(demo["demo-admin"])
    response = client.get(f"/recommendations/{_rec().pk}/", {"all": "everything"})
    assert response.status_code == 200
    assert response.context["page_obj"] is None


@pytest.mark.parametrize("username", ["demo-admin", "demo-cso-a"])
def test_the_page_and_its_full_lists_run_the_same_queries_at_10_and_200(
    client, demo, username
) -> None:
    client.force_login(demo[username])
    url = f"/recommendations/{_rec().pk}/"

    def counts() -> list[int]:
        found = []
        for query in ({}, {"all": "updates"}, {"all": "history"}, {"all": "trainings"}):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url, query).status_code == 200
            found.append(len(queries))
        return found

    _add(10, demo)
    counts()  # the first request fills per-process caches (content types)
    ten = counts()
    _add(190, demo)
    assert counts() == ten
