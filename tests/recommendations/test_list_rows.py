"""The recommendations list reads its statuses and labels as values: the rows
``recommendation_rows`` gives, whatever the filter and the language, in a fixed number of
queries however many assignments and updates there are."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from programme.models import Action, ReportingPeriod
from recommendations.choices import AssignmentKind, ImplementationStatus, UpdateState
from recommendations.models import Assignment, ProgressUpdate, Recommendation, Theme
from recommendations.selectors import recommendations_filtered, recommendations_listed
from stakeholders.models import Institution, User
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "mk", "sq"]


def _period(start: date) -> ReportingPeriod:
    return ReportingPeriod.objects.create(
        action=Action.objects.get(),
        name=f"Period from {start}",
        start_date=start,
        end_date=start.replace(month=6, day=30),
        due_date=start.replace(month=7, day=31),
    )


def _update(
    recommendation: Recommendation, institution: Institution, period: ReportingPeriod, **fields: Any
) -> ProgressUpdate:
    return ProgressUpdate.objects.create(
        recommendation=recommendation,
        institution=institution,
        period=period,
        narrative="n",
        **{"state": UpdateState.APPROVED, **fields},
    )


def _harder_cases() -> None:
    """What the rule has to get right, beside the demo's updates: an assignment's newer
    approved update wins over its older one, an update still in review and a withdrawn
    institution's approved update count for nothing, an invited institution reports too
    (and is listed after the responsible ones), and a recommendation nobody has assessed."""
    older, newer = _period(date(2031, 1, 1)), _period(date(2032, 1, 1))
    first, second, third = Recommendation.objects.order_by("number")[:3]
    responsible = Assignment.objects.filter(recommendation=first).first()
    assert responsible is not None
    _update(first, responsible.institution, older, status=ImplementationStatus.NOT_STARTED)
    _update(first, responsible.institution, newer, status=ImplementationStatus.IMPLEMENTED)
    _update(
        first,
        responsible.institution,
        _period(date(2033, 1, 1)),
        status=ImplementationStatus.NOT_STARTED,
        state=UpdateState.SUBMITTED,
    )
    withdrawn = InstitutionFactory.create(name="Aaa withdrawn", short_name="AW")
    _update(first, withdrawn, newer, status=ImplementationStatus.NOT_STARTED)
    invited = InstitutionFactory.create(name="Aaa invited", short_name="")
    Assignment.objects.create(
        recommendation=second, institution=invited, kind=AssignmentKind.INVITED
    )
    _update(second, invited, newer, status=ImplementationStatus.PLANNED)
    ProgressUpdate.objects.filter(recommendation=third).delete()


def _seen(rows: list[Any]) -> list[tuple[Any, ...]]:
    return [
        (
            r.recommendation.pk,
            r.status,
            r.status_label,
            r.institution_labels,
            r.recommendation.reportable,
        )
        for r in rows
    ]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("username", ["demo-admin", "demo-cso-a"])
def test_the_list_shows_what_recommendation_rows_give(
    demo: dict[str, User], username: str, language: str
) -> None:
    _harder_cases()
    user = demo[username]
    theme = Theme.objects.filter(recommendations__isnull=False).order_by("pk").first()
    assert theme is not None
    institution = Assignment.objects.order_by("pk").values_list("institution_id", flat=True)[0]
    filters: list[dict[str, Any]] = [
        {},
        {"status": "none"},
        *({"status": s} for s in ImplementationStatus.values),
        {"theme": theme.slug},
        {"institution": institution},
        {"q": "the"},
        {"q": "no such text"},
    ]
    with translation.override(language):
        unfiltered = _seen(recommendations_listed(reportable_by=user))
        for wanted in filters:
            listed = recommendations_listed(reportable_by=user, **wanted)
            assert _seen(listed) == _seen(recommendations_filtered(reportable_by=user, **wanted))
    # The cases above are on the list: different statuses, none, several institutions each.
    statuses = {status for _pk, status, *_rest in unfiltered}
    assert None in statuses and len(statuses) >= 3
    assert any(", " in labels for *_first, labels, _reportable in unfiltered)
    first = Recommendation.objects.order_by("number").first()
    assert first is not None
    assert "AW" not in dict((pk, labels) for pk, *_s, labels, _r in unfiltered)[first.pk]


def test_the_list_runs_the_same_queries_however_many_assignments_and_updates(
    demo: dict[str, User],
) -> None:
    """At most the 14 queries it ran before, with 10 or 200 more of each."""
    client = Client()
    client.force_login(demo["demo-admin"])
    recommendations = list(Recommendation.objects.order_by("number"))

    def add(n: int) -> None:
        period = _period(date(2030 + ProgressUpdate.objects.count() % 50, 1, 1))
        for i in range(n):
            institution = InstitutionFactory.create()
            recommendation = recommendations[i % len(recommendations)]
            Assignment.objects.create(recommendation=recommendation, institution=institution)
            _update(recommendation, institution, period, status=ImplementationStatus.ADVANCED)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/recommendations/").status_code == 200
        return len(queries)

    add(10)
    count()  # the first request fills per-process caches (content types)
    few = count()
    add(200)
    assert count() == few
    assert few <= 14
