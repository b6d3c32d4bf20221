"""The public results page, the portal's results framework, the committee report and the IATI
file show the same figures for the same period.

Each side is read as its reader gets it: the two pages parsed from their HTML, the committee
report from the context its builder (``reports.documents``) hands the template, the IATI file
from its XML. On the seed and demo set, and on a small generated programme whose indicators are
all published.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

import lxml.etree as etree
import lxml.html
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from programme.choices import ValueState
from programme.models import Action, Indicator, ReportingPeriod
from programme.results import period_current
from publicsite.iati import iati_file
from publicsite.suppression import THRESHOLD
from reports.choices import ReportKind
from reports.documents import BUILDERS
from reports.models import Report
from stakeholders.models import User
from tests.factories import (
    ActionFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    OutcomeFactory,
    ReportingPeriodFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal
# The IATI file's sex dimensions and the framework page's words for the same parts.
SEX_PARTS = {"female": "women", "male": "men", "other or not stated": "other"}


@dataclass(frozen=True)
class Row:
    """One indicator's figures as one page or report shows them."""

    baseline: Decimal | None
    target_end: Decimal | None
    to_date: Decimal | str | None  # a suppressed count of people is its words
    status: str
    target: Decimal | None = None  # the period's
    value: Decimal | None = None  # the period's total
    parts: dict[str, Decimal] | None = None  # the period's value by sex, where shown


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture(params=["demo", "generated"])
def action(request: pytest.FixtureRequest) -> Action:
    """The demo programme (its own published indicators), or a generated one with every
    indicator published."""
    if request.param == "demo":
        request.getfixturevalue("demo")
    else:
        call_command("generate_programme", scale=0.004, stdout=io.StringIO())
        Indicator.objects.update(is_public=True)
    found = Action.objects.order_by("pk").first()
    assert found is not None
    assert Indicator.objects.filter(outcome__action=found, is_public=True).count() >= 3
    return found


def _number(text: str) -> Decimal | None:
    """The first number of a cell ("1.5 (2024)" is 1.5); None for a dash."""
    first = text.split()[0] if text.split() else "—"
    return None if first == "—" else D(first.replace(",", ""))


def _code(header: lxml.html.HtmlElement) -> str:
    return str(header.text_content().split()[0])


def _public_rows(client: Client) -> dict[str, Row]:
    response = client.get(reverse("public:results_in", kwargs={"language": "en"}))
    assert response.status_code == 200
    page = lxml.html.fromstring(response.content)
    rows = {}
    for tr in page.xpath("//table[contains(@class, 'results')]/tbody/tr"):
        baseline, target_end, to_date, status = (td.text_content() for td in tr.findall("td"))
        shown = to_date.strip()
        rows[_code(tr.find("th"))] = Row(
            baseline=_number(baseline),
            target_end=_number(target_end),
            to_date=_number(shown) if shown[:1].isdigit() or shown == "—" else shown,
            status=status.strip(),
        )
    return rows


def _parts(cell: lxml.html.HtmlElement) -> dict[str, Decimal] | None:
    """The value's parts by sex as the framework page gives them ("women 4 · men 7 · …")."""
    spans = cell.xpath(".//span[contains(@class, 'sexes')]")
    if not spans:
        return None
    words = spans[0].text_content().replace("·", " ").split()
    return {words[i]: D(words[i + 1]) for i in range(0, len(words), 2)}


def _framework_rows(client: Client, period: ReportingPeriod) -> dict[str, Row]:
    response = client.get(reverse("programme:results_framework"), {"period": period.pk})
    assert response.status_code == 200
    page = lxml.html.fromstring(response.content)
    rows = {}
    for tr in page.xpath("//table[contains(@class, 'results')]/tbody/tr"):
        cells = tr.findall("td")
        baseline, target, value, to_date, _to_date_target, target_end, _share, status = (
            c.text_content() for c in cells[:8]
        )
        rows[_code(tr.find("th//a"))] = Row(
            baseline=_number(baseline),
            target_end=_number(target_end),
            to_date=_number(to_date),
            status=status.strip(),
            target=_number(target),
            value=_number(value),
            parts=_parts(cells[2]),
        )
    return rows


def _committee_rows(period: ReportingPeriod, by: User) -> dict[str, Row]:
    """The indicators as the committee report for the period holds them."""
    report = Report(kind=ReportKind.COMMITTEE, period=period, language="en", requested_by=by)
    context = BUILDERS[ReportKind.COMMITTEE](report)
    rows = {}
    for outcome in context["data"].framework:
        for line in outcome.lines:
            f, now = line.figures, line.now
            rows[f.indicator.code] = Row(
                baseline=f.indicator.baseline,
                target_end=f.indicator.target_end,
                to_date=f.to_date.total,
                status=str(f.status.label),
                target=now.target if now is not None else None,
                value=now.value.total if now is not None else None,
            )
    return rows


def _same(a: Decimal | str | None, b: Decimal | str | None) -> bool:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a == b  # 1.50 is 1.5
    return a == b


def _periods_begun(action: Action) -> list[ReportingPeriod]:
    today = timezone.localdate()
    return list(action.periods.filter(start_date__lte=today).order_by("start_date"))


def _team() -> tuple[Client, User]:
    user = UserFactory.create(programme_team=True)
    client = Client()
    client.force_login(user)
    return client, user


def test_the_public_results_agree_with_the_framework_page_and_the_committee_report(
    action: Action,
) -> None:
    """At the period the public page judges at, every published indicator's baseline, end
    target, value to date and status are the framework page's and the committee report's."""
    current = period_current(action=action, today=timezone.localdate())
    assert current is not None
    team, user = _team()
    public = _public_rows(Client())
    framework = _framework_rows(team, current)
    committee = _committee_rows(current, user)
    published = set(
        Indicator.objects.filter(outcome__action=action, is_public=True).values_list(
            "code", flat=True
        )
    )
    assert set(public) == published
    assert published <= set(framework) and published <= set(committee)
    by_sex = set(
        Indicator.objects.filter(outcome__action=action, by_sex=True).values_list("code", flat=True)
    )
    compared = 0
    for code, shown in public.items():
        for other in (framework[code], committee[code]):
            assert _same(shown.baseline, other.baseline), code
            assert _same(shown.target_end, other.target_end), code
            assert shown.status == other.status, code
            if isinstance(shown.to_date, str):
                # A count of fewer than 11 people is not published; the others show it.
                assert code in by_sex, code
                assert isinstance(other.to_date, Decimal) and other.to_date < THRESHOLD, code
            else:
                assert _same(shown.to_date, other.to_date), code
        compared += 1
    assert compared == len(published)
    # The figures are not all empty: something is measured and judged.
    assert any(isinstance(r.to_date, Decimal) and r.to_date > 0 for r in public.values())
    assert len({r.status for r in public.values()}) >= 2


def test_the_framework_page_agrees_with_the_committee_report_in_every_period(
    action: Action,
) -> None:
    """For each period begun, the framework page opened at it and the committee report for
    it give every indicator the same target, value, value to date and status."""
    team, user = _team()
    periods = _periods_begun(action)
    assert len(periods) >= 2
    for period in periods:
        framework = _framework_rows(team, period)
        committee = _committee_rows(period, user)
        assert set(framework) == set(committee), period.name
        for code, page in framework.items():
            report = committee[code]
            where = f"{code} in {period.name}"
            assert _same(page.baseline, report.baseline), where
            assert _same(page.target, report.target), where
            assert _same(page.value, report.value), where
            assert _same(page.to_date, report.to_date), where
            assert _same(page.target_end, report.target_end), where
            assert page.status == report.status, where


def _iati_periods(action: Action) -> dict[str, dict[str, etree._Element]]:
    """Each published indicator's periods in the IATI file, by code and period start."""
    now = datetime.combine(timezone.localdate(), time(12), tzinfo=UTC)
    tree = etree.fromstring(iati_file(action=action, now=now).content)
    titles = dict(
        Indicator.objects.filter(outcome__action=action, is_public=True).values_list(
            "title_en", "code"
        )
    )
    found: dict[str, dict[str, etree._Element]] = {}
    for indicator in tree.iterfind(".//result/indicator"):
        title = indicator.xpath("string(title/narrative[@xml:lang='en'])") or indicator.xpath(
            "string(title/narrative)"
        )
        code = titles.get(title, title)
        found[code] = {
            p.find("period-start").get("iso-date"): p for p in indicator.findall("period")
        }
    return found


def test_the_iati_results_are_the_framework_pages_figures_in_every_period(
    action: Action,
) -> None:
    """Every target and value the IATI file publishes for a period is the one the framework
    page shows when opened at that period; a value it leaves out is one the page has no value
    for, or a count of people the suppression hides."""
    team, _user = _team()
    iati = _iati_periods(action)
    published = set(
        Indicator.objects.filter(outcome__action=action, is_public=True).values_list(
            "code", flat=True
        )
    )
    assert set(iati) == published
    values = 0
    for period in _periods_begun(action):
        framework = _framework_rows(team, period)
        start = period.start_date.isoformat()
        for code in published:
            page = framework[code]
            element = iati[code].get(start)
            where = f"{code} in {period.name}"
            if element is None:
                assert page.target is None and page.value is None, where
                continue
            targets = [D(t.get("value")) for t in element.findall("target")]
            assert targets == ([page.target] if page.target is not None else []), where
            actuals = {
                SEX_PARTS.get(a.xpath("string(dimension/@value)"), "total"): D(a.get("value"))
                for a in element.findall("actual")
            }
            if "total" in actuals:
                assert actuals["total"] == page.value, where
                values += 1
            else:
                # Left out: no value, or a count of people suppressed (fewer than 11, or
                # withheld so that a smaller part cannot be worked back from it).
                assert page.value is None or page.parts is not None, where
            for part, amount in actuals.items():
                if part != "total":
                    assert page.parts is not None and page.parts[part] == amount, where
    assert values >= 3


def test_a_past_period_without_a_target_has_one_status_on_the_page_and_in_the_report() -> None:
    action = ActionFactory.create()
    first, second = (
        ReportingPeriodFactory.create(
            action=action, name=name, start_date=start, end_date=end, due_date=end
        )
        for name, start, end in (
            ("2025 H1", date(2025, 1, 1), date(2025, 6, 30)),
            ("2025 H2", date(2025, 7, 1), date(2025, 12, 31)),
        )
    )
    indicator = IndicatorFactory.create(
        outcome=OutcomeFactory.create(action=action, code="1"),
        code="1.a",
        target_end=D(20),
        is_public=True,
    )
    # A value in the first period, whose target is set only from the second.
    IndicatorValueFactory.create(
        indicator=indicator, period=first, target=None, actual=D(40), state=ValueState.APPROVED
    )
    IndicatorValueFactory.create(indicator=indicator, period=second, target=D(10), actual=None)
    team, user = _team()
    page = _framework_rows(team, first)["1.a"]
    report = _committee_rows(first, user)["1.a"]
    assert page.to_date == report.to_date == D(40)
    assert page.status == report.status
