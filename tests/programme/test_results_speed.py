"""The results framework page under load: its tables are written once and kept
under the figures' version, the page reads the database the same number of times with 10 and
with 100 indicators, and whatever changes what a reader sees shows on their next request."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from core.choices import TextOrigin
from core.translations import text_provenance_set
from programme.choices import IndicatorKind, ValueState
from programme.models import Action, Indicator, IndicatorValue, ReportingPeriod
from programme.services import indicator_value_approve, indicator_value_submit
from stakeholders.choices import InstitutionKind, MembershipRole
from stakeholders.models import Institution, User
from tests.factories import (
    ActionFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    InstitutionFactory,
    MembershipFactory,
    OutcomeFactory,
    OutputFactory,
    ReportingPeriodFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal
URL = reverse("programme:results_framework")


def _indicators_add(
    action: Action, periods: list[ReportingPeriod], org: Institution, n: int
) -> None:
    """``n`` more indicators, half computed and half reported by ``org``, each with a row in
    every period, in a new outcome with two outputs."""
    number = action.outcomes.count() + 1
    outcome = OutcomeFactory.create(action=action, code=str(number), title=f"Outcome {number}")
    outputs = [
        OutputFactory.create(outcome=outcome, code=f"{number}.{i}", title=f"Output {number}.{i}")
        for i in (1, 2)
    ]
    for i in range(n):
        computed = i % 2 == 0
        indicator = IndicatorFactory.create(
            outcome=outcome,
            output=outputs[i % 2] if i % 3 else None,
            code=f"{number}.{i:03d}",
            title=f"Indicator {number}.{i}",
            kind=IndicatorKind.COMPUTED if computed else IndicatorKind.REPORTED,
            calculation="participants_trained" if computed else "",
            responsible=None if computed else org,
            by_sex=computed,
            target_end=D(100),
        )
        for period in periods:
            IndicatorValueFactory.create(
                indicator=indicator,
                period=period,
                target=D(10),
                actual=None if computed else D(i),
                state=ValueState.DRAFT if i % 5 == 1 else ValueState.APPROVED,
            )


@pytest.fixture
def world() -> tuple[Action, list[ReportingPeriod], Institution, dict[str, User]]:
    with translation.override("en"):
        action = ActionFactory.create()
        periods = [
            ReportingPeriodFactory.create(
                action=action,
                name=f"{year} H1",
                start_date=date(year, 1, 1),
                end_date=date(year, 6, 30),
                due_date=date(year, 7, 31),
            )
            for year in (2024, 2025)
        ]
        org = InstitutionFactory.create(kind=InstitutionKind.CSO, name="Open Gate")
        _indicators_add(action, periods, org, 10)
        member = MembershipFactory.create(institution=org, role=MembershipRole.EDITOR).user
        outsider = MembershipFactory.create(
            institution=InstitutionFactory.create(kind=InstitutionKind.CSO),
            role=MembershipRole.EDITOR,
        ).user
        users = {
            "team": UserFactory.create(programme_team=True),
            "member": member,
            "outsider": outsider,
        }
    return action, periods, org, users


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(client: Client, query: str = "") -> str:
    response = client.get(URL + query)
    assert response.status_code == 200
    return str(response.content.decode())


def _queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        _page(client)
    return len(queries)


def _cells(html: str, row_start: str) -> list[str]:
    """The text of each data cell of the table row that starts with ``row_start``."""
    row = html[html.index(row_start) :].split("</tr>")[0]
    return [
        " ".join(re.sub(r"<[^>]+>", " ", cell.split(">", 1)[1]).split())
        for cell in row.split("<td")[1:]
    ]


def _main(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


@pytest.mark.parametrize("who", ["team", "member"])
def test_the_page_reads_as_often_with_10_as_with_100_indicators(
    world: tuple[Action, list[ReportingPeriod], Institution, dict[str, User]], who: str
) -> None:
    action, periods, org, users = world
    client = _client(users[who])
    _page(client)  # the session and the language are settled once
    cache.clear()
    cold_10 = _queries(client)
    warm_10 = _queries(client)
    with translation.override("en"):
        _indicators_add(action, periods, org, 90)
    assert Indicator.objects.filter(outcome__action=action).count() == 100
    cache.clear()
    cold_100 = _queries(client)
    warm_100 = _queries(client)
    assert (cold_100, warm_100) == (cold_10, warm_10)
    # Kept, the tables need neither the indicators nor their values.
    assert warm_100 < cold_100
    html = _page(client)
    assert html.count('<span class="status status-') == 100


def test_kept_tables_are_the_tables_written_afresh(
    world: tuple[Action, list[ReportingPeriod], Institution, dict[str, User]],
) -> None:
    _action, periods, _org, users = world
    for user in users.values():
        client = _client(user)
        for query in ("", f"?period={periods[0].pk}"):
            cache.clear()
            written = _main(_page(client, query))
            kept = _main(_page(client, query))
            assert kept == written


def test_an_approved_value_shows_on_the_next_request(
    world: tuple[Action, list[ReportingPeriod], Institution, dict[str, User]],
) -> None:
    _action, periods, _org, users = world
    client = _client(users["team"])
    row = IndicatorValue.objects.get(indicator__code="1.001", period=periods[-1])
    assert row.state == ValueState.DRAFT and row.actual == D(1)
    before = _page(client)
    assert "state-draft" in before
    row.actual = D(7654)
    row.save()
    submitted = indicator_value_submit(value=row, by=users["member"])
    between = _page(client)
    assert "state-submitted" in between and "7654" not in between
    indicator_value_approve(value=submitted, by=users["team"])
    after = _page(client)
    assert _cells(after, "1.001 Indicator 1.1")[1:3] == ["10", "7654"]  # target, value


def test_a_draft_named_to_its_institution_is_kept_from_another_reader(
    world: tuple[Action, list[ReportingPeriod], Institution, dict[str, User]],
) -> None:
    _action, _periods, _org, users = world
    assert "state-draft" in _page(_client(users["member"]))  # written and kept for the member
    assert "state-draft" not in _page(_client(users["outsider"]))
    assert "state-draft" in _page(_client(users["team"]))


def test_a_title_marked_as_a_machine_translation_shows_at_once(
    world: tuple[Action, list[ReportingPeriod], Institution, dict[str, User]],
) -> None:
    _action, _periods, _org, users = world
    reader = users["member"]
    reader.preferred_language = "mk"
    reader.save(update_fields=["preferred_language"])
    indicator = Indicator.objects.get(code="1.002")
    indicator.title_mk = "Показател 1.2"
    indicator.save()
    client = _client(reader)
    before = _page(client)
    assert "Показател 1.2" in before and "text-origin" not in before
    # Recording where a text comes from moves no figures' version: the key holds it.
    text_provenance_set(obj=indicator, field="title", language="mk", origin=TextOrigin.MACHINE)
    after = _page(client)
    assert "text-origin" in after
    text_provenance_set(obj=indicator, field="title", language="mk", origin=TextOrigin.OFFICIAL)
    assert "text-origin" not in _page(client)
