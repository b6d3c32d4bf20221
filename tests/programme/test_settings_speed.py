"""An indicator's settings page under load: the page reads the database the same
number of times however many topics, professional groups, institutions and periods it offers,
reads each list of options once, and writes its widgets without a template each."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programme.models import Indicator
from tests.factories import (
    InstitutionFactory,
    ProfessionalGroupFactory,
    ReportingPeriodFactory,
    TopicFactory,
)

pytestmark = pytest.mark.django_db


def _page(client: Client, url: str) -> tuple[list[str], str]:
    """The page's queries and HTML; the request before it leaves what a session's first
    request writes once out of the count."""
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in ctx.captured_queries], response.content.decode()


def _indicator() -> Indicator:
    indicator = Indicator.objects.select_related("outcome__action").order_by("pk").first()
    assert indicator is not None
    indicator.kind = "computed"
    indicator.calculation = "participants_trained"
    indicator.parameters = {}
    indicator.save()
    return indicator


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
def test_the_settings_page_runs_the_same_queries_for_short_and_long_lists(
    demo: dict[str, Any], language: str
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(demo["demo-admin"])
    indicator = _indicator()
    url = reverse("programme:results_indicator_settings", args=[indicator.pk])
    small, _html = _page(client, url)
    for _ in range(20):
        TopicFactory.create()
        ProfessionalGroupFactory.create()
        InstitutionFactory.create()
    action = indicator.outcome.action
    last = action.periods.order_by("-end_date").first()
    assert last is not None
    ReportingPeriodFactory.create(
        action=action,
        start_date=last.end_date + timedelta(days=1),
        end_date=last.end_date + timedelta(days=180),
        due_date=last.end_date + timedelta(days=200),
    )
    large, html = _page(client, url)
    assert len(large) == len(small)
    # Topics and professional groups, each offered by several calculations, read once each.
    for table in ('"trainings_topic"', '"stakeholders_professionalgroup"'):
        assert sum(f"FROM {table}" in sql for sql in large) == 1, table
    assert html.count('type="checkbox"') > 60
    assert html.count(f'name="target_{action.periods.order_by("-pk")[0].pk}"') == 1


def test_the_settings_page_keeps_its_query_budget(
    demo: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client = Client()
    client.force_login(demo["demo-admin"])
    indicator = _indicator()
    url = reverse("programme:results_indicator_settings", args=[indicator.pk])
    client.get(url)
    # Measured: 15, counting the session's and the user's reads and the view's savepoint;
    # reading topics and professional groups once per calculation made 19.
    with django_assert_max_num_queries(15):
        assert client.get(url).status_code == 200
