"""The IPTT, an indicator's settings and the "to report" page under load: each reads
the database the same number of times with 10 and with 100 indicators, the IPTT's table is
written once and kept under the figures' version, and what changes shows on the next request."""

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

from programme.choices import ValueState
from programme.models import Action, Indicator, IndicatorValue, ReportingPeriod
from programme.results import framework_figures
from programme.services import (
    indicator_value_approve,
    indicator_value_submit,
    reporting_period_close,
)
from stakeholders.choices import InstitutionKind, MembershipRole
from stakeholders.models import Institution, User
from tests.factories import (
    ActionFactory,
    InstitutionFactory,
    MembershipFactory,
    ReportingPeriodFactory,
    UserFactory,
)
from tests.programme.test_results_speed import _indicators_add

pytestmark = pytest.mark.django_db

D = Decimal
IPTT = reverse("programme:results_iptt")
MINE = reverse("programme:value_mine")

World = tuple[Action, list[ReportingPeriod], Institution, dict[str, User]]


@pytest.fixture
def world() -> World:
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
        users = {
            "team": UserFactory.create(programme_team=True),
            "member": MembershipFactory.create(institution=org, role=MembershipRole.EDITOR).user,
        }
    return action, periods, org, users


def _client(user: User, language: str = "en") -> Client:
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
    client = Client()
    client.force_login(user)
    return client


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return str(response.content.decode())


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        _page(client, url)
    return len(queries)


def _main(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def _cells(html: str, row_start: str) -> list[str]:
    """The text of each data cell of the table row that starts with ``row_start``."""
    row = html[html.index(row_start) :].split("</tr>")[0]
    return [
        " ".join(re.sub(r"<[^>]+>", " ", cell.split(">", 1)[1]).split())
        for cell in row.split("<td")[1:]
    ]


# --- The IPTT ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["team", "member"])
def test_the_iptt_reads_as_often_with_10_as_with_100_indicators(world: World, who: str) -> None:
    action, periods, org, users = world
    client = _client(users[who])
    _page(client, IPTT)  # the session and the language are settled once
    cache.clear()
    cold_10 = _queries(client, IPTT)
    warm_10 = _queries(client, IPTT)
    with translation.override("en"):
        _indicators_add(action, periods, org, 90)
    assert Indicator.objects.filter(outcome__action=action).count() == 100
    cache.clear()
    cold_100 = _queries(client, IPTT)
    warm_100 = _queries(client, IPTT)
    assert (cold_100, warm_100) == (cold_10, warm_10)
    # Kept, the table needs neither the indicators nor their values.
    assert warm_100 < cold_100
    assert _page(client, IPTT).count('<span class="status status-') == 100


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
def test_the_kept_iptt_is_the_iptt_written_afresh(world: World, language: str) -> None:
    _action, periods, _org, users = world
    reporting_period_close(period=periods[0], by=None)
    for user in users.values():
        client = _client(user, language)
        for query in ("", f"?period={periods[0].pk}"):
            cache.clear()
            written = _main(_page(client, IPTT + query))
            kept = _main(_page(client, IPTT + query))
            assert kept == written
    # Each language has its own table: the words and the numbers are the reader's.
    cache.clear()
    english = _main(_page(_client(users["team"], "en"), IPTT))
    other = _main(_page(_client(users["team"], language), IPTT))
    assert (english == other) == (language == "en")


def test_the_iptt_rows_are_the_framework_figures(world: World) -> None:
    action, periods, _org, users = world
    response = _client(users["team"]).get(IPTT, {"period": periods[0].pk})
    html = response.content.decode()
    expected = [
        f for block in framework_figures(action=action, at=periods[0]) for f in block.indicators
    ]
    # Every indicator of the figures has its row, in the figures' order.
    starts = [html.index(f"{f.indicator.code} {f.indicator.title}") for f in expected]
    assert starts == sorted(starts)
    # Indicator 1.001 is reported: 1 of a target of 10 in each period, a draft in 2025 not
    # counted; at 2024 H1 its value to date is 1 of an end target of 100.
    cells = _cells(response.content.decode(), "1.001 Indicator 1.1")
    assert cells == ["0", "10", "—", "—", "10", "—", "—", "—", "10", "100", "—", cells[-1]]


def test_an_approved_value_shows_on_the_iptt_at_the_next_request(world: World) -> None:
    _action, periods, _org, users = world
    client = _client(users["team"])
    row = IndicatorValue.objects.get(indicator__code="1.001", period=periods[-1])
    assert row.state == ValueState.DRAFT
    before = _page(client, IPTT)
    row.actual = D(7654)
    row.save()
    submitted = indicator_value_submit(value=row, by=users["member"])
    assert "7 654" not in _page(client, IPTT) and "7654" not in _page(client, IPTT)
    indicator_value_approve(value=submitted, by=users["team"])
    after = _page(client, IPTT)
    assert after != before
    assert _cells(after, "1.001 Indicator 1.1")[4:6] == ["10", "7654"]  # 2025 H1 target, actual


# --- An indicator's settings and the "to report" page ---------------------------------------


def test_the_settings_page_reads_as_often_with_10_as_with_100_indicators(world: World) -> None:
    action, periods, org, users = world
    client = _client(users["team"])
    url = reverse("programme:results_indicator_settings", args=[Indicator.objects.first().pk])
    _page(client, url)
    before = _queries(client, url)
    with translation.override("en"):
        _indicators_add(action, periods, org, 90)
    assert _queries(client, url) == before


@pytest.mark.parametrize("who", ["team", "member"])
def test_the_values_to_report_read_as_often_with_10_as_with_100_indicators(
    world: World, who: str
) -> None:
    action, periods, org, users = world
    client = _client(users[who])
    _page(client, MINE)
    before = _queries(client, MINE)
    with translation.override("en"):
        _indicators_add(action, periods, org, 90)
    page = _page(client, MINE)
    assert page.count('<section aria-labelledby="indicator-') == 50  # the reported half
    assert _queries(client, MINE) == before


def test_the_values_to_report_link_each_period_as_before(world: World) -> None:
    _action, periods, _org, users = world
    reporting_period_close(period=periods[0], by=None)
    page = _page(_client(users["member"]), MINE)
    draft = IndicatorValue.objects.get(indicator__code="1.001", period=periods[1])
    approved = IndicatorValue.objects.get(indicator__code="1.003", period=periods[1])
    section = page[page.index(f'id="indicator-{draft.indicator_id}"') :].split("</section>")[0]
    # The open period's draft: its page, and correcting it; the closed one: only its page.
    report = reverse("programme:value_report", args=[draft.indicator_id, periods[1].pk])
    assert f'href="{reverse("programme:value_detail", args=[draft.pk])}"' in section
    assert f'href="{report}">Edit<' in section
    assert 'state state-draft">Draft<' in section
    assert section.count('<span class="badge">period closed</span>') == 1
    closed = reverse("programme:value_report", args=[draft.indicator_id, periods[0].pk])
    assert closed not in section
    # An approved value is no longer changed here: its page only.
    section = page[page.index(f'id="indicator-{approved.indicator_id}"') :].split("</section>")[0]
    assert f'href="{reverse("programme:value_detail", args=[approved.pk])}"' in section
    assert reverse("programme:value_report", args=[approved.indicator_id, periods[1].pk]) not in (
        section
    )
