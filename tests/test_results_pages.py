"""The results framework's pages: the tree, the IPTT and its files, an indicator's page, its
settings, closing and reopening a period, and the indicators on the dashboard.

Every figure a page shows is the one ``framework_figures`` gives; the pages read the database
the same number of times however many indicators and periods there are.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from programme.choices import Aggregation, IndicatorKind, IndicatorStatus, ValueState
from programme.models import (
    Action,
    Indicator,
    IndicatorEvidence,
    IndicatorValue,
    Output,
    ReportingPeriod,
)
from programme.results import IndicatorFigures, framework_figures
from programme.services import indicator_settings_save, reporting_period_close
from stakeholders.choices import InstitutionKind, MembershipRole, Sex
from stakeholders.models import Institution, User
from tests.factories import (
    ActionFactory,
    AttendanceFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    InstitutionFactory,
    MembershipFactory,
    OutcomeFactory,
    OutputFactory,
    ParticipantFactory,
    ReportingPeriodFactory,
    TopicFactory,
    TrainingFactory,
    UserFactory,
)
from trainings.choices import TrainingStatus

pytestmark = pytest.mark.django_db

D = Decimal


@dataclass
class Framework:
    action: Action
    periods: list[ReportingPeriod]  # 2025 H1, 2025 H2, 2026 H1
    output: Output
    trained: Indicator  # computed: participants trained, by sex
    reported: Indicator  # reported by ``org``: 4 approved in H1, a draft of 9 in H2
    org: Institution
    users: dict[str, User]  # team, observer, member (of org), outsider


def _period(action: Action, year: int, half: int) -> ReportingPeriod:
    return ReportingPeriodFactory.create(
        action=action,
        name=f"{year} H{half}",
        start_date=date(year, 1 if half == 1 else 7, 1),
        end_date=date(year, 6, 30) if half == 1 else date(year, 12, 31),
        due_date=date(year, 7, 31) if half == 1 else date(year + 1, 1, 31),
    )


def _trained(action: Action, day: date, sex: str = Sex.FEMALE) -> None:
    training = TrainingFactory.create(
        action=action, start_date=day, end_date=day, status=TrainingStatus.HELD
    )
    AttendanceFactory.create(training=training, participant=ParticipantFactory.create(sex=sex))


def _member(kind: str = InstitutionKind.CSO, institution: Institution | None = None) -> User:
    membership = MembershipFactory.create(
        institution=institution or InstitutionFactory.create(kind=kind), role=MembershipRole.EDITOR
    )
    user: User = membership.user
    return user


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Records made in English whatever language an earlier request left active."""
    with translation.override("en"):
        yield


@pytest.fixture
def fw() -> Framework:
    action = ActionFactory.create()
    periods = [_period(action, 2025, 1), _period(action, 2025, 2), _period(action, 2026, 1)]
    outcome = OutcomeFactory.create(
        action=action, code="1", title="Professionals prevent trafficking"
    )
    output = OutputFactory.create(outcome=outcome, code="1.1", title="Trainings delivered")
    trained = IndicatorFactory.create(
        outcome=outcome,
        output=output,
        code="1.1.a",
        title="Professionals trained",
        kind=IndicatorKind.COMPUTED,
        calculation="participants_trained",
        by_sex=True,
        target_end=D(10),
    )
    org = InstitutionFactory.create(kind=InstitutionKind.CSO, name="Open Gate")
    reported = IndicatorFactory.create(
        outcome=outcome,
        code="1.a",
        title="Referral protocols adopted",
        unit="protocols",
        responsible=org,
        target_end=D(8),
        aggregation=Aggregation.SUM,
    )
    for period, target in zip(periods, (2, 3, 3), strict=True):
        IndicatorValueFactory.create(
            indicator=trained, period=period, target=D(target), actual=None
        )
    IndicatorValueFactory.create(
        indicator=reported, period=periods[0], target=D(4), actual=D(4), state=ValueState.APPROVED
    )
    IndicatorValueFactory.create(
        indicator=reported, period=periods[1], target=D(4), actual=D(9), state=ValueState.DRAFT
    )
    _trained(action, date(2025, 3, 1))
    _trained(action, date(2025, 4, 1), Sex.MALE)
    _trained(action, date(2025, 9, 1))
    users = {
        "team": UserFactory.create(programme_team=True),
        "observer": _member(InstitutionKind.EU_BODY),
        "member": _member(institution=org),
        "outsider": _member(),
    }
    return Framework(action, periods, output, trained, reported, org, users)


def _client(fw: Framework, who: str) -> Client:
    client = Client()
    client.force_login(fw.users[who])
    return client


def _get(fw: Framework, who: str, name: str, *args: Any, **query: Any) -> Any:
    response = _client(fw, who).get(reverse(name, args=args), query)
    assert response.status_code == 200, (who, name, response.status_code)
    return response


def _cells(html: str, row_start: str) -> list[str]:
    """The text of each data cell of the table row that starts with ``row_start``."""
    row = html[html.index(row_start) :].split("</tr>")[0]
    return [
        " ".join(re.sub(r"<[^>]+>", " ", cell.split(">", 1)[1]).split())
        for cell in row.split("<td")[1:]
    ]


def _figures(fw: Framework, at: ReportingPeriod) -> dict[str, IndicatorFigures]:
    return {
        f.indicator.code: f
        for block in framework_figures(action=fw.action, at=at)
        for f in block.indicators
    }


# --- What every reader sees -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["team", "observer", "member", "outsider"])
def test_everyone_signed_in_reads_the_framework_the_iptt_and_an_indicator(
    fw: Framework, who: str
) -> None:
    h1 = fw.periods[0].pk
    framework = _get(fw, who, "programme:results_framework", period=h1).content.decode()
    assert "Outcome 1: Professionals prevent trafficking" in framework
    assert "Output 1.1: Trainings delivered" in framework
    assert "1.1.a Professionals trained" in framework
    iptt = _get(fw, who, "programme:results_iptt", period=h1).content.decode()
    assert "1.a Referral protocols adopted" in iptt
    page = _get(fw, who, "programme:results_indicator", fw.trained.pk, period=h1)
    assert "Participants trained" in page.content.decode()  # the calculation, in words


def test_the_framework_shows_the_figures_framework_figures_gives(fw: Framework) -> None:
    h1, h2, _h3 = fw.periods
    response = _get(fw, "observer", "programme:results_framework", period=h2.pk)
    assert response.context["chosen"] == h2
    figures = _figures(fw, h2)
    trained, reported = figures["1.1.a"], figures["1.a"]
    # Three people trained, one of them in H2; 3 of a target to date of 5: behind.
    assert trained.to_date.total == D(3) and trained.current is not None
    assert trained.current.value.total == D(1) and trained.current.target_to_date == D(5)
    assert trained.status == IndicatorStatus.BEHIND
    assert trained.percent_of_end == D("30.0")
    # The draft of 9 does not count: 4 of 8.
    assert reported.to_date.total == D(4) and reported.status == IndicatorStatus.BEHIND
    html = response.content.decode()
    # Baseline, H2's target and value (by sex), to date, target to date, end target, %, status.
    assert (
        _cells(html, "1.1.a Professionals trained")
        == [
            "0",
            "3",
            "1 women 1 · men 0 · other 0",
            "3",
            "5",
            "10",
            "30 %",
            "Behind",
            "Settings 1.1.a",
        ][:8]
    )
    # The status is written out, never a colour alone.
    assert 'class="status status-behind">Behind</span>' in html
    # At H1 the page shows H1's figures: its value, the value to date and the status then.
    h1_html = _get(fw, "observer", "programme:results_framework", period=h1.pk).content.decode()
    at_h1 = _figures(fw, h1)["1.1.a"]
    assert at_h1.to_date.total != trained.to_date.total  # the test tells the periods apart
    h1_cells = _cells(h1_html, "1.1.a Professionals trained")
    assert _number(h1_cells[3]) == at_h1.to_date.total
    assert h1_cells[7] == at_h1.status.label


def test_the_period_shown_by_default_is_the_latest_that_has_begun(fw: Framework) -> None:
    response = _get(fw, "observer", "programme:results_framework")
    assert response.context["chosen"] == fw.periods[-1]  # 2026 H1 has begun by now


def test_a_draft_is_named_only_to_those_who_may_see_it(fw: Framework) -> None:
    h2 = fw.periods[1].pk
    for who, sees in (("team", True), ("member", True), ("observer", False), ("outsider", False)):
        html = _get(fw, who, "programme:results_indicator", fw.reported.pk, period=h2)
        assert ("state-draft" in html.content.decode()) is sees, who
        framework = _get(fw, who, "programme:results_framework", period=h2)
        assert ("state-draft" in framework.content.decode()) is sees, who


def test_the_programme_team_alone_sees_settings_and_closing(fw: Framework) -> None:
    settings_url = reverse("programme:results_indicator_settings", args=[fw.trained.pk])
    close_url = reverse("programme:results_period_close", args=[fw.periods[0].pk])
    team = _get(fw, "team", "programme:results_framework").content.decode()
    assert settings_url in team and close_url in team
    for who in ("observer", "member", "outsider"):
        html = _get(fw, who, "programme:results_framework").content.decode()
        assert settings_url not in html and close_url not in html
        client = _client(fw, who)
        assert client.get(settings_url).status_code == 403
        assert client.post(close_url).status_code == 403
    assert ReportingPeriod.objects.filter(closed_at__isnull=False).count() == 0


def test_an_unknown_indicator_or_period_answers_404(fw: Framework) -> None:
    client = _client(fw, "team")
    assert client.get(reverse("programme:results_indicator", args=[999999])).status_code == 404
    missing = reverse("programme:results_period_close", args=[999999])
    assert client.get(missing).status_code == 404


# --- Query counts -----------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    cache.clear()  # the dashboard keeps some figures between requests
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("who", "name"),
    [
        ("team", "programme:results_framework"),
        ("observer", "programme:results_iptt"),
        ("team", "programme:results_iptt_xlsx"),
        ("observer", "dashboard:dashboard"),
    ],
)
def test_queries_do_not_grow_with_indicators_or_periods(fw: Framework, who: str, name: str) -> None:
    client = _client(fw, who)
    url = f"{reverse(name)}?period={fw.periods[0].pk}"
    client.get(url)  # the session and the language are settled once
    before = _queries(client, url)

    # Periods long past: the dashboard's tasks ask more once a period is being collected.
    later = [_period(fw.action, 2024, 1), _period(fw.action, 2024, 2)]
    outcome = OutcomeFactory.create(action=fw.action, code="2")
    output = OutputFactory.create(outcome=outcome, code="2.1")
    for code in ("2.a", "2.b"):
        computed = IndicatorFactory.create(
            outcome=outcome,
            output=output,
            code=code,
            kind=IndicatorKind.COMPUTED,
            calculation="participants_trained",
        )
        reported = IndicatorFactory.create(outcome=outcome, code=f"{code}.r", responsible=fw.org)
        for period in [*fw.periods, *later]:
            IndicatorValueFactory.create(indicator=computed, period=period, actual=None)
            IndicatorValueFactory.create(
                indicator=reported, period=period, state=ValueState.APPROVED
            )
    reporting_period_close(period=fw.periods[0], by=None)

    assert _queries(client, url) == before


def test_an_indicator_page_reads_a_fixed_number_of_times(fw: Framework) -> None:
    client = _client(fw, "team")
    url = reverse("programme:results_indicator", args=[fw.trained.pk])
    client.get(url)
    before = _queries(client, url)
    for period in (_period(fw.action, 2026, 2), _period(fw.action, 2027, 1)):
        IndicatorValueFactory.create(indicator=fw.trained, period=period, actual=None)
    indicator_settings_save(by=fw.users["team"], **_settings(fw.trained, target_end=D(12)))
    indicator_settings_save(by=fw.users["team"], **_settings(fw.trained, target_end=D(14)))
    assert _queries(client, url) == before


# --- An indicator's page ----------------------------------------------------------------------


def test_an_indicator_page_has_a_chart_with_its_table_and_the_records_counted(
    fw: Framework,
) -> None:
    h1 = fw.periods[0].pk
    html = _get(fw, "team", "programme:results_indicator", fw.trained.pk, period=h1)
    text = html.content.decode()
    assert html.context["figures"] == _figures(fw, fw.periods[0])["1.1.a"]
    assert '<svg role="img" aria-label="Target and actual per period: 2025 H1: target 2' in text
    assert "<title>Target and actual per period: 2025 H1: target 2, actual 2;" in text
    assert "2025 H2: target 3, actual 1; 2026 H1: target 3, actual 0</title>" in text
    assert '<caption class="visually-hidden">Target and actual per period</caption>' in text
    # The two trainings of H1 the team may see, linked.
    h1_trainings = [s.label for s in html.context["sources"]]
    assert len(h1_trainings) == 2
    for label in h1_trainings:
        assert label in text
    # Someone who may not see those trainings is not told their names.
    outsider = _get(fw, "outsider", "programme:results_indicator", fw.trained.pk, period=h1)
    assert outsider.context["sources"] == []
    assert all(label not in outsider.content.decode() for label in h1_trainings)


def test_an_indicator_page_lists_the_evidence_of_approved_values_only(fw: Framework) -> None:
    approved = IndicatorValue.objects.get(indicator=fw.reported, period=fw.periods[0])
    draft = IndicatorValue.objects.get(indicator=fw.reported, period=fw.periods[1])
    IndicatorEvidence.objects.create(
        value=approved, title="Signed protocol", url="https://example.org/protocol"
    )
    IndicatorEvidence.objects.create(
        value=draft, title="Notes not yet sent", url="https://example.org/notes"
    )
    for who in ("team", "outsider"):
        text = _get(fw, who, "programme:results_indicator", fw.reported.pk).content.decode()
        assert "Signed protocol" in text and "https://example.org/protocol" in text
        assert "Notes not yet sent" not in text


def test_an_indicator_page_tells_its_history(fw: Framework) -> None:
    team = _client(fw, "team")
    response = team.post(
        reverse("programme:results_indicator_settings", args=[fw.trained.pk]),
        _settings_post(fw, fw.trained, target_end="12", targets={fw.periods[0].pk: "5"}),
    )
    assert response.status_code == 302
    text = _get(fw, "observer", "programme:results_indicator", fw.trained.pk).content.decode()
    history = text[text.index('id="history"') :]
    assert "2025 H1" in history and "Target (2 → 5)" in history
    assert "Settings" in history and "End-of-action target (10 → 12)" in history
    assert str(fw.users["team"]) in history


def test_the_history_of_a_draft_is_kept_from_those_who_may_not_see_it(fw: Framework) -> None:
    draft = IndicatorValue.objects.get(indicator=fw.reported, period=fw.periods[1])
    draft.actual = D(11)
    draft.save()
    member = _get(fw, "member", "programme:results_indicator", fw.reported.pk).content.decode()
    assert "Actual (9 → 11)" in member
    outsider = _get(fw, "outsider", "programme:results_indicator", fw.reported.pk)
    assert "Actual (9 → 11)" not in outsider.content.decode()


# --- Settings ---------------------------------------------------------------------------------


def _settings(indicator: Indicator, **changes: Any) -> dict[str, Any]:
    """The service's arguments as the indicator stands, with ``changes``."""
    return {
        "indicator": indicator,
        "kind": indicator.kind,
        "calculation": indicator.calculation,
        "parameters": indicator.parameters,
        "responsible": indicator.responsible,
        "baseline": indicator.baseline,
        "target_end": indicator.target_end,
        "direction": indicator.direction,
        "aggregation": indicator.aggregation,
        "by_sex": indicator.by_sex,
        "targets": {},
    } | changes


def _settings_post(
    fw: Framework, indicator: Indicator, targets: dict[int, str] | None = None, **changes: Any
) -> dict[str, Any]:
    """The settings form as the indicator stands, with ``changes``."""
    values = {v.period_id: v.target for v in indicator.values.all()}
    data: dict[str, Any] = {
        "kind": indicator.kind,
        "calculation": indicator.calculation,
        "responsible": indicator.responsible_id or "",
        "baseline": str(indicator.baseline),
        "target_end": "" if indicator.target_end is None else str(indicator.target_end),
        "direction": indicator.direction,
        "aggregation": indicator.aggregation,
        "by_sex": "on" if indicator.by_sex else "",
    }
    for period in fw.periods:
        target = (targets or {}).get(period.pk, values.get(period.pk))
        data[f"target_{period.pk}"] = "" if target is None else str(target)
    data.update(changes)
    return {k: v for k, v in data.items() if v != "" or k.startswith("target_")}


def test_the_team_sets_a_calculation_its_settings_and_the_targets(fw: Framework) -> None:
    topic = TopicFactory.create(name="Child trafficking")
    url = reverse("programme:results_indicator_settings", args=[fw.reported.pk])
    team = _client(fw, "team")
    page = team.get(url)
    assert page.status_code == 200
    assert "Child trafficking" in page.content.decode()  # an option of the topics setting
    h1, h2, h3 = fw.periods
    response = team.post(
        url,
        _settings_post(
            fw,
            fw.reported,
            targets={h1.pk: "5", h2.pk: "", h3.pk: "7.5"},
            kind=IndicatorKind.COMPUTED,
            calculation="participants_trained",
            by_sex="on",
            baseline="1",
            target_end="20",
            **{"parameter__participants_trained__topics": [str(topic.pk)]},
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("programme:results_indicator", args=[fw.reported.pk])
    fw.reported.refresh_from_db()
    assert fw.reported.kind == IndicatorKind.COMPUTED
    assert fw.reported.calculation == "participants_trained"
    assert fw.reported.parameters == {"topics": [str(topic.pk)]}
    assert (fw.reported.baseline, fw.reported.target_end, fw.reported.by_sex) == (1, 20, True)
    targets = dict(fw.reported.values.values_list("period__name", "target"))
    assert targets == {"2025 H1": D(5), "2025 H2": None, "2026 H1": D("7.5")}
    # The settings read back in words on its page.
    text = _get(fw, "observer", "programme:results_indicator", fw.reported.pk).content.decode()
    assert "Child trafficking" in text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"kind": IndicatorKind.COMPUTED, "calculation": ""},
            "calculation",
            "Choose how a computed indicator",
        ),
        (
            {"kind": IndicatorKind.COMPUTED, "calculation": "trainings_held", "by_sex": "on"},
            "by_sex",
            "does not count by sex",
        ),
        ({"baseline": "-1"}, "baseline", "greater than or equal to 0"),
        ({"parameter__participants_trained__topics": ["999999"]}, None, "valid choice"),
    ],
)
def test_settings_that_do_not_hold_are_refused_with_a_reason(
    fw: Framework, changes: dict[str, Any], field: str | None, message: str
) -> None:
    before = Indicator.objects.filter(pk=fw.reported.pk).values().get()
    response = _client(fw, "team").post(
        reverse("programme:results_indicator_settings", args=[fw.reported.pk]),
        _settings_post(fw, fw.reported, **changes),
    )
    assert response.status_code == 200
    form = response.context["form"]
    errors = form.errors.get(field) if field else [e for es in form.errors.values() for e in es]
    assert errors and any(message in e for e in errors), form.errors
    assert 'class="error-summary"' in response.content.decode()
    assert Indicator.objects.filter(pk=fw.reported.pk).values().get() == before


def test_the_service_checks_the_settings_against_the_calculation(fw: Framework) -> None:
    with pytest.raises(ValidationError) as refused:
        indicator_settings_save(
            by=None, **_settings(fw.trained, parameters={"topics": ["999999"], "colour": "red"})
        )
    assert "parameters" in refused.value.message_dict
    assert "“colour” is not a setting" in str(refused.value)
    with pytest.raises(ValidationError, match="Choose how"):
        indicator_settings_save(by=None, **_settings(fw.trained, calculation="no_such_thing"))
    fw.trained.refresh_from_db()
    assert fw.trained.parameters == {}


def test_a_closed_period_keeps_its_target(fw: Framework) -> None:
    h1 = fw.periods[0]
    reporting_period_close(period=h1, by=None)
    url = reverse("programme:results_indicator_settings", args=[fw.trained.pk])
    team = _client(fw, "team")
    form = team.get(url).context["form"]
    assert form.fields[f"target_{h1.pk}"].disabled
    response = team.post(url, _settings_post(fw, fw.trained, targets={h1.pk: "99"}))
    assert response.status_code == 302
    assert IndicatorValue.objects.get(indicator=fw.trained, period=h1).target == D(2)
    with pytest.raises(ValidationError, match="2025 H1 is closed"):
        indicator_settings_save(by=None, **_settings(fw.trained, targets={h1.pk: D(99)}))


# --- Closing a period -------------------------------------------------------------------------


def test_closing_freezes_a_later_change_shows_beside_it_and_reopening_follows_the_records(
    fw: Framework,
) -> None:
    h1 = fw.periods[0]
    team = _client(fw, "team")
    close_url = reverse("programme:results_period_close", args=[h1.pk])
    confirm = team.get(close_url)
    assert confirm.status_code == 200
    assert "freezes every indicator's value" in confirm.content.decode()
    assert not ReportingPeriod.objects.get(pk=h1.pk).is_closed  # asking changes nothing

    response = team.post(close_url, follow=True)
    assert response.redirect_chain[-1][0].endswith(f"?period={h1.pk}")
    text = response.content.decode()
    assert "2025 H1 is closed: its indicator values are frozen." in text
    assert 'class="frozen small">frozen</span>' in text
    assert "recomputed value differs" not in text

    # A training of the closed period is recorded late: the records now give 3, not 2.
    _trained(fw.action, date(2025, 5, 1))
    closed = _figures(fw, h1)["1.1.a"].period(h1)
    assert closed is not None and closed.value.total == D(2) and closed.differs
    for name in ("programme:results_framework", "programme:results_iptt"):
        page = _get(fw, "observer", name, period=h1.pk).content.decode()
        assert "recomputed value differs: 3" in page, name
    page = _get(fw, "observer", "programme:results_indicator", fw.trained.pk, period=h1.pk)
    assert "recomputed value differs: 3" in page.content.decode()

    reopen_url = reverse("programme:results_period_reopen", args=[h1.pk])
    assert "follow the records again" in team.get(reopen_url).content.decode()
    text = team.post(reopen_url, follow=True).content.decode()
    assert "2025 H1 is open again" in text
    assert "recomputed value differs" not in text and 'class="frozen small"' not in text
    reopened = _figures(fw, h1)["1.1.a"].period(h1)
    assert reopened is not None and reopened.value.total == D(3)


def test_a_period_that_cannot_close_says_why_and_stays_open(fw: Framework) -> None:
    h2 = fw.periods[1]
    draft = IndicatorValue.objects.get(indicator=fw.reported, period=h2)
    draft.state = ValueState.SUBMITTED
    draft.save()
    response = _client(fw, "team").post(reverse("programme:results_period_close", args=[h2.pk]))
    assert response.status_code == 200
    assert "waiting for review" in response.content.decode()
    h2.refresh_from_db()
    assert not h2.is_closed


# --- The IPTT's files -------------------------------------------------------------------------


def _rows(fw: Framework, fmt: str, period: ReportingPeriod) -> list[list[Any]]:
    client = _client(fw, "observer")
    response = client.get(reverse(f"programme:results_iptt_{fmt}"), {"period": period.pk})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    if fmt == "csv":
        text = response.content.decode("utf-8-sig")
        return [list(r) for r in csv.reader(io.StringIO(text))]
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]


def _number(cell: Any) -> Decimal | None:
    if cell in (None, ""):
        return None
    return D(str(cell))


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_iptt_files_hold_the_pages_figures(fw: Framework, fmt: str) -> None:
    h1, h2, _h3 = fw.periods
    reporting_period_close(period=h1, by=None)
    _trained(fw.action, date(2025, 5, 1))  # recorded after closing: differs
    rows = _rows(fw, fmt, h2)
    header, body = rows[0], rows[1:]
    column = {name: index for index, name in enumerate(header)}
    page = _get(fw, "observer", "programme:results_iptt", period=h2.pk).content.decode()
    for code, figures in _figures(fw, h2).items():
        # The page's row: the baseline, three cells a period, then the value to date.
        cells = _cells(page, f"{code} {figures.indicator.title}")
        assert _number(cells[1 + 3 * len(figures.periods)]) == figures.to_date.total, code
        (total,) = [
            r for r in body if r[column["Code"]] == code and r[column["Disaggregation"]] == "Total"
        ]
        for pf in figures.periods:
            name = pf.period.name
            assert _number(total[column[f"{name}: target"]]) == pf.target, (code, name)
            assert _number(total[column[f"{name}: actual"]]) == pf.value.total, (code, name)
            assert _number(total[column[f"{name}: % met"]]) == pf.percent_met, (code, name)
        assert _number(total[column["Value to date"]]) == figures.to_date.total
        assert _number(total[column["End-of-action target"]]) == figures.indicator.target_end
        assert _number(total[column["% of end target"]]) == figures.percent_of_end
        assert total[column["Status"]] == figures.status.label
        if figures.indicator.by_sex:
            (women,) = [
                r
                for r in body
                if r[column["Code"]] == code and r[column["Disaggregation"]] == "of which women"
            ]
            assert _number(women[column["Value to date"]]) == figures.to_date.women
            assert _number(women[column["2025 H1: actual"]]) == figures.periods[0].value.women
    (trained,) = [
        r for r in body if r[column["Code"]] == "1.1.a" and r[column["Disaggregation"]] == "Total"
    ]
    assert trained[column["Notes"]] == "2025 H1: recomputed value differs: 3"


def test_the_iptt_file_follows_the_readers_language(fw: Framework) -> None:
    client = _client(fw, "observer")
    client.cookies["django_language"] = "mk"
    response = client.get(reverse("programme:results_iptt_csv"))
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].count(";") > 10  # Macedonian Excel separates with semicolons


# --- The dashboard ----------------------------------------------------------------------------


def test_the_observer_and_the_team_see_the_indicators_at_a_glance(fw: Framework) -> None:
    for who in ("observer", "team"):
        response = _get(fw, who, "dashboard:dashboard")
        text = response.content.decode()
        assert "Indicators at a glance" in text, who
        glance = response.context["indicators"]
        expected = framework_figures(action=fw.action, at=fw.periods[-1])
        assert glance.indicators == [f for b in expected for f in b.indicators]
        assert reverse("programme:results_framework") in text
        assert reverse("reports:report_list") in text
        assert _cells(text, "1.1.a Professionals trained") == ["3", "10", "30 %", "Behind"]
    for who in ("member", "outsider"):
        response = _get(fw, who, "dashboard:dashboard")
        assert "Indicators at a glance" not in response.content.decode()
        assert response.context["indicators"] is None


def test_results_is_in_the_main_navigation(fw: Framework) -> None:
    text = _get(fw, "outsider", "dashboard:dashboard").content.decode()
    assert f'<a href="{reverse("programme:results_framework")}" >Results</a>' in text
    page = _get(fw, "outsider", "programme:results_iptt").content.decode()
    assert f'<a href="{reverse("programme:results_framework")}" aria-current="page">' in page
