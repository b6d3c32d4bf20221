"""The review queue and "My institution's updates" stay fast as they grow: the same
queries for 10 and for 200 rows, the days waiting counted by the database in the platform's
calendar, and the filters' drop-downs written as Django's own ``Select`` writes them."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django import forms
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from programme.choices import IndicatorKind, ValueState
from recommendations import selectors
from recommendations.choices import UpdateState
from recommendations.review_forms import ReviewQueueFilterForm
from stakeholders.choices import MembershipRole
from stakeholders.models import Institution
from stakeholders.services import membership_set
from tests import factories

pytestmark = pytest.mark.django_db

QUEUE = reverse("recommendations:review_queue")
MINE = reverse("recommendations:my_updates")


def _local(day_offset: int, at: time) -> datetime:
    """``day_offset`` days from today in the platform's calendar, at ``at`` there."""
    day = timezone.localdate() + timedelta(days=day_offset)
    return timezone.make_aware(datetime.combine(day, at))


def _queue_more(count: int) -> None:
    """``count`` more items waiting: progress updates and reported indicator values in turn."""
    for n in range(count):
        submitted = min(_local(-n % 40, time(12)), timezone.now())
        if n % 2:
            factories.ProgressUpdateFactory.create(
                state=UpdateState.SUBMITTED, submitted_at=submitted
            )
        else:
            factories.IndicatorValueFactory.create(
                indicator__kind=IndicatorKind.REPORTED,
                indicator__responsible=factories.InstitutionFactory.create(),
                state=ValueState.SUBMITTED,
                submitted_at=submitted,
            )


def _queries(client: Client, url: str) -> tuple[int, Any]:
    client.get(url)  # the session and the persona, once
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


@pytest.fixture
def team() -> Client:
    client = Client()
    client.force_login(factories.UserFactory.create(programme_team=True, preferred_language="en"))
    return client


def test_the_queue_costs_the_same_queries_for_10_as_for_200_waiting_items(team: Client) -> None:
    _queue_more(10)
    few, response = _queries(team, QUEUE)
    assert len(response.context["rows"]) == 10
    _queue_more(190)
    many, response = _queries(team, QUEUE)
    assert len(response.context["rows"]) == 25  # a page
    assert "200 items waiting for review" in response.content.decode()
    assert many == few


def test_my_institutions_updates_cost_the_same_queries_for_10_as_for_200(db: None) -> None:
    institution = factories.InstitutionFactory.create()
    member = factories.UserFactory.create(preferred_language="en")
    membership_set(user=member, institution=institution, role=MembershipRole.FOCAL_POINT)
    client = Client()
    client.force_login(member)

    def more(count: int) -> None:
        for _n in range(count):
            factories.ProgressUpdateFactory.create(
                institution=institution, state=UpdateState.APPROVED
            )

    more(10)
    few, response = _queries(client, MINE)
    assert len(response.context["rows"]) == 10
    more(190)
    many, response = _queries(client, MINE)
    assert len(response.context["rows"]) == 25
    assert many == few


@pytest.mark.parametrize(
    ("submitted", "days"),
    [
        # Just after midnight where the platform is: still the evening before in UTC.
        (lambda: _local(-3, time(0, 30)), 3),
        # Late in the evening: the day it was, not the day after.
        (lambda: _local(-1, time(23, 30)), 1),
        (lambda: min(_local(0, time(0, 5)), timezone.now()), 0),
        (lambda: _local(-15, time(12)), 15),
    ],
)
def test_the_days_waiting_are_whole_days_in_the_platforms_calendar(
    team: Client, submitted: Any, days: int
) -> None:
    at = submitted()
    update = factories.ProgressUpdateFactory.create(state=UpdateState.SUBMITTED, submitted_at=at)
    # The rule the queue stated in Python before the database counted it.
    assert (timezone.localdate() - timezone.localtime(at).date()).days == days
    (row,) = selectors.review_queue(now=timezone.now())
    assert row["waiting"].days == days

    response = team.get(QUEUE)
    (shown,) = response.context["rows"]
    assert shown.item.pk == update.pk and shown.item.waiting_days == days
    page = response.content.decode()
    assert f"waiting {days} day{'' if days == 1 else 's'}</span>" in page
    assert ('class="small badge"' in page) == (days > 14)


@pytest.mark.parametrize("language", ["mk", "sq"])
def test_the_queues_rows_speak_the_readers_language(language: str) -> None:
    update = factories.ProgressUpdateFactory.create(
        state=UpdateState.SUBMITTED, submitted_at=_local(-2, time(12))
    )
    reader = Client()
    reader.force_login(
        factories.UserFactory.create(programme_team=True, preferred_language=language)
    )
    with translation.override(language):
        expected = [
            translation.ngettext("waiting %(days)s day", "waiting %(days)s days", 2) % {"days": 2},
            translation.gettext("Progress update on recommendation %(n)s")
            % {"n": update.recommendation.number},
            translation.gettext("Open"),
        ]
    assert not expected[0].startswith("waiting")  # translated
    page = reader.get(QUEUE).content.decode()
    for text in expected:
        assert text in page


def _both_ways(form_data: dict[str, str] | None) -> list[tuple[str, str]]:
    """Each of the filters' drop-downs, as the form writes it and as Django's ``Select``."""
    written = []
    form = ReviewQueueFilterForm(form_data)
    for name, field in form.fields.items():
        ours = str(form[name])
        field.widget = forms.Select(attrs=field.widget.attrs, choices=field.choices)
        written.append((ours, str(form[name])))
    return written


@pytest.mark.parametrize("chosen", [False, True])
def test_the_filters_drop_downs_are_what_djangos_select_writes(chosen: bool) -> None:
    institution: Institution = factories.InstitutionFactory.create(name="Ministry & <Co>")
    factories.AssignmentFactory.create(institution=institution)
    factories.IndicatorFactory.create(
        responsible=factories.InstitutionFactory.create(name="Institution of the indicator")
    )
    factories.InstitutionFactory.create()  # reports nothing: not offered
    period = factories.ReportingPeriodFactory.create()
    data = (
        {"kind": "value", "institution": str(institution.pk), "period": str(period.pk)}
        if chosen
        else None
    )
    for ours, djangos in _both_ways(data):
        assert ours == djangos
    # Offered: the institutions assigned to a recommendation or responsible for an indicator.
    offered = ReviewQueueFilterForm(None).fields["institution"].queryset
    assert [i.name for i in offered] == ["Institution of the indicator", "Ministry & <Co>"]


def test_the_filter_still_chooses_an_institution(team: Client) -> None:
    update = factories.ProgressUpdateFactory.create(
        state=UpdateState.SUBMITTED, submitted_at=_local(-2, time(12))
    )
    factories.AssignmentFactory.create(institution=update.institution)
    other = factories.ProgressUpdateFactory.create(
        state=UpdateState.SUBMITTED, submitted_at=_local(-3, time(12))
    )
    factories.AssignmentFactory.create(institution=other.institution)
    response = team.get(QUEUE, {"institution": update.institution.pk})
    assert [row.item.pk for row in response.context["rows"]] == [update.pk]
    assert f'<option value="{update.institution.pk}" selected>' in response.content.decode()
