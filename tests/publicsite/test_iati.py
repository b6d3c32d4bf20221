"""The IATI 2.03 export: valid against the official schema, the results framework's figures for
public indicators only, in the three languages, and served to anyone with a cache tag."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import lxml.etree as etree
import lxml.html
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from programme.choices import IndicatorKind, ValueState
from programme.models import Action, Indicator, ReportingPeriod
from programme.results import framework_figures
from publicsite.iati import iati_file, iati_number
from stakeholders.choices import InstitutionKind, Sex
from stakeholders.models import Institution
from tests.factories import (
    ActionFactory,
    AttendanceFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    InstitutionFactory,
    MeetingAttendanceFactory,
    MeetingFactory,
    OutcomeFactory,
    OutputFactory,
    ParticipantFactory,
    ProgrammeFactory,
    ReportingPeriodFactory,
    TrainingFactory,
    UserFactory,
)
from trainings.choices import TrainingStatus

pytestmark = pytest.mark.django_db

D = Decimal
SCHEMA_PATH = Path(settings.BASE_DIR) / "publicsite/iati_schema/2.03/iati-activities-schema.xsd"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@dataclass
class Setup:
    action: Action
    periods: list[ReportingPeriod]
    trained: Indicator  # public, computed, by sex, at output level
    adopted: Indicator  # public, reported: approved in H1, a draft in H2
    secret: Indicator  # not public, with an approved value
    ministry: Institution
    cso: Institution


def _period(action: Action, year: int, half: int) -> ReportingPeriod:
    return ReportingPeriodFactory.create(
        action=action,
        name=f"{year} H{half}",
        start_date=date(year, 1 if half == 1 else 7, 1),
        end_date=date(year, 6, 30) if half == 1 else date(year, 12, 31),
        due_date=date(year, 7, 31) if half == 1 else date(year + 1, 1, 31),
    )


def _trained(action: Action, day: date, sex: str, people: int) -> None:
    """``people`` different people of one sex trained that day."""
    training = TrainingFactory.create(
        action=action, start_date=day, end_date=day, status=TrainingStatus.HELD
    )
    for _n in range(people):
        AttendanceFactory.create(training=training, participant=ParticipantFactory.create(sex=sex))


@pytest.fixture
def setup() -> Setup:
    eu = InstitutionFactory.create(
        kind=InstitutionKind.EU_BODY,
        name_en="European Union",
        name_mk="Европска Унија",
        name_sq="Bashkimi Evropian",
    )
    coe = InstitutionFactory.create(
        kind=InstitutionKind.INTERNATIONAL,
        name_en="Council of Europe",
        name_mk="Совет на Европа",
        name_sq="Këshilli i Evropës",
    )
    programme = ProgrammeFactory.create(name="Horizontal Facility")
    programme.partners.set([eu, coe])
    action = ActionFactory.create(
        programme=programme,
        title_en="Strengthening anti-trafficking action",
        title_mk="Зајакнување на активностите против трговијата со луѓе",
        title_sq="Forcimi i veprimit kundër trafikimit",
        summary_en="The action builds capacities.",
        summary_mk="Акцијата гради капацитети.",
        summary_sq="Veprimi ndërton kapacitete.",
        implemented_by=coe,
        start_date=date(2025, 1, 1),
        end_date=date(2027, 6, 30),
    )
    periods = [_period(action, 2025, 1), _period(action, 2025, 2), _period(action, 2026, 1)]
    outcome = OutcomeFactory.create(
        action=action,
        code="1",
        title_en="Professionals prevent trafficking",
        title_mk="Професионалците ја спречуваат трговијата",
        title_sq="Profesionistët parandalojnë trafikimin",
        description_en="Better identification.",
    )
    output = OutputFactory.create(
        outcome=outcome,
        code="1.1",
        title_en="Trainings delivered",
        title_mk="Одржани обуки",
        title_sq="Trajnime të zhvilluara",
    )
    trained = IndicatorFactory.create(
        outcome=outcome,
        output=output,
        code="1.1.a",
        title_en="Professionals trained",
        title_mk="Обучени професионалци",
        title_sq="Profesionistë të trajnuar",
        kind=IndicatorKind.COMPUTED,
        calculation="participants_trained",
        by_sex=True,
        baseline=D(0),
        baseline_year=2024,
        is_public=True,
    )
    cso = InstitutionFactory.create(kind=InstitutionKind.CSO, name="Open Gate")
    adopted = IndicatorFactory.create(
        outcome=outcome,
        code="1.a",
        title_en="Referral protocols adopted",
        title_mk="Усвоени протоколи за упатување",
        title_sq="Protokolle referimi të miratuara",
        unit="protocols",
        baseline=D("1.50"),
        baseline_year=2024,
        responsible=cso,
        is_public=True,
    )
    secret = IndicatorFactory.create(
        outcome=OutcomeFactory.create(action=action, code="2", title="Shelter capacity"),
        code="2.a",
        title="Beds in the confidential shelter",
        unit="beds",
        is_public=False,
    )
    for period, target in zip(periods, (2, 3, 3), strict=True):
        IndicatorValueFactory.create(
            indicator=trained, period=period, target=D(target), actual=None
        )
    IndicatorValueFactory.create(
        indicator=adopted, period=periods[0], target=D(4), actual=D(137), state=ValueState.APPROVED
    )
    IndicatorValueFactory.create(
        indicator=adopted, period=periods[1], target=D("4.5"), actual=D(911), state=ValueState.DRAFT
    )
    IndicatorValueFactory.create(
        indicator=secret, period=periods[0], target=D(47), actual=D(29), state=ValueState.APPROVED
    )
    # 2025 H1: 12 women and 11 men; 2025 H2: 14 women; 2026 H1 (begun on NOW): 11 women.
    _trained(action, date(2025, 3, 1), Sex.FEMALE, 12)
    _trained(action, date(2025, 4, 1), Sex.MALE, 11)
    _trained(action, date(2025, 9, 1), Sex.FEMALE, 14)
    _trained(action, date(2026, 2, 1), Sex.FEMALE, 11)
    ministry = InstitutionFactory.create(
        kind=InstitutionKind.MINISTRY,
        name_en="Ministry of Interior",
        name_mk="Министерство за внатрешни работи",
        name_sq="Ministria e Punëve të Brendshme",
    )
    meeting = MeetingFactory.create(action=action)
    MeetingAttendanceFactory.create(meeting=meeting, institution=ministry)
    MeetingAttendanceFactory.create(meeting=meeting, institution=eu)
    return Setup(action, periods, trained, adopted, secret, ministry, cso)


def _tree(action: Action) -> etree._Element:
    return etree.fromstring(iati_file(action=action, now=NOW).content)


def _valid(schema: etree.XMLSchema, tree: etree._Element) -> None:
    assert schema.validate(tree), "\n".join(str(e) for e in schema.error_log)


def _text(element: etree._Element, path: str) -> str:
    """The text at an XPath (which, unlike find, knows the xml: prefix)."""
    return str(element.xpath(f"string({path})"))


def _indicator(tree: etree._Element, title: str) -> etree._Element:
    (element,) = tree.xpath(
        "//result/indicator[title/narrative[@xml:lang='en']=$t]",
        t=title,
    )
    return element


def _periods(indicator: etree._Element) -> dict[str, etree._Element]:
    return {p.find("period-start").get("iso-date"): p for p in indicator.findall("period")}


# --- Validity ---------------------------------------------------------------------------------


def test_the_schema_vendored_is_iati_203(schema: etree.XMLSchema) -> None:
    assert etree.parse(str(SCHEMA_PATH)).getroot().get("version") == "2.03"
    assert not schema.validate(etree.fromstring(b'<iati-activities version="2.03"/>'))


def test_the_export_validates_against_the_iati_203_schema(
    setup: Setup, schema: etree.XMLSchema
) -> None:
    tree = _tree(setup.action)
    _valid(schema, tree)
    assert tree.get("version") == "2.03"
    assert tree.get("generated-datetime") == "2026-03-01T09:30:00+00:00"
    assert len(tree.findall("iati-activity")) == 1
    assert tree.findtext("iati-activity/iati-identifier") == f"XI-IATI-COE-ACTION-{setup.action.pk}"
    assert tree.find("iati-activity/recipient-country").get("code") == "MK"
    assert tree.find("iati-activity/sector").attrib == {
        "vocabulary": "1",
        "code": "15160",
        "percentage": "100",
    }
    assert tree.find("iati-activity/activity-status").get("code") == "2"  # under way in 2026
    dates = {d.get("type"): d.get("iso-date") for d in tree.iter("activity-date")}
    assert dates == {"1": "2025-01-01", "2": "2025-01-01", "3": "2027-06-30"}


def test_with_no_public_indicator_and_little_data_the_export_still_validates(
    schema: etree.XMLSchema,
) -> None:
    action = ActionFactory.create(title_en="A bare action", summary_en="")
    IndicatorFactory.create(outcome=OutcomeFactory.create(action=action), is_public=False)
    tree = _tree(action)
    _valid(schema, tree)
    assert tree.findall(".//result") == []
    assert tree.find(".//activity-status").get("code") == "1"  # no start date: pipeline
    # The required description falls back to the title; the funder is still named by ref.
    assert tree.findtext(".//description/narrative") == "A bare action"
    assert [o.get("role") for o in tree.iter("participating-org")] == ["1", "3", "4"]


def test_the_demo_programme_exports_a_valid_file(
    demo: dict[str, object], schema: etree.XMLSchema
) -> None:
    action = Action.objects.order_by("pk").first()
    assert action is not None
    Indicator.objects.filter(outcome__action=action).update(is_public=True)
    tree = _tree(action)
    _valid(schema, tree)
    assert tree.findall(".//result/indicator/period/actual")
    # Its reporting periods have begun, though the action records no start date.
    assert tree.find(".//activity-status").get("code") == "2"


# --- The figures ------------------------------------------------------------------------------


def test_result_values_are_the_framework_figures_of_public_indicators(setup: Setup) -> None:
    """Every target and value published is the framework's for that period; a value about
    fewer than 11 people is not published, nor one of a period not yet begun."""
    tree = _tree(setup.action)
    published = 0
    for block in framework_figures(action=setup.action):
        for figures in block.indicators:
            if not figures.indicator.is_public:
                continue
            periods = _periods(_indicator(tree, figures.indicator.title_en))
            for p in figures.periods:
                period = periods.get(p.period.start_date.isoformat())
                begun = p.period.start_date <= NOW.date()
                if p.target is None and (p.value.total is None or not begun):
                    assert period is None
                    continue
                assert period is not None
                assert period.find("period-end").get("iso-date") == p.period.end_date.isoformat()
                targets = [t.get("value") for t in period.findall("target")]
                assert targets == ([iati_number(p.target)] if p.target is not None else [])
                actuals = {
                    a.xpath("string(dimension/@value)") or "total": D(a.get("value"))
                    for a in period.findall("actual")
                }
                assert begun or actuals == {}
                for dimension, value in actuals.items():
                    part = {"female": "women", "male": "men", "other or not stated": "other"}
                    assert value == getattr(p.value, part.get(dimension, "total"))
                    assert value >= 11 or not figures.indicator.by_sex
                    published += 1
                if not figures.indicator.by_sex and begun and p.value.total is not None:
                    assert actuals == {"total": p.value.total}
    assert published >= 6


def test_the_values_are_the_numbers_the_portal_shows(setup: Setup) -> None:
    tree = _tree(setup.action)
    adopted = _indicator(tree, "Referral protocols adopted")
    h1, h2 = setup.periods[0], setup.periods[1]
    assert _periods(adopted)[h1.start_date.isoformat()].find("actual").get("value") == "137"
    # A value still in review counts nowhere: only its period's target is published.
    h2_period = _periods(adopted)[h2.start_date.isoformat()]
    assert h2_period.find("actual") is None
    assert h2_period.find("target").get("value") == "4.5"
    assert adopted.find("baseline").attrib == {"year": "2024", "value": "1.5"}

    client = Client()
    client.force_login(UserFactory.create(programme_team=True))
    response = client.get(reverse("programme:results_framework"), {"period": h1.pk})
    assert response.status_code == 200
    page = lxml.html.fromstring(response.content)
    (row,) = page.xpath("//tr[th//a[contains(., 'Referral protocols adopted')]]")
    cells = row.findall("td")
    assert cells[1].text_content().strip() == "4"  # target H1
    assert cells[2].text_content().split()[0] == "137"  # value H1


def test_an_indicator_counted_by_sex_has_a_sex_dimension_and_no_small_figure(
    setup: Setup,
) -> None:
    tree = _tree(setup.action)
    trained = _periods(_indicator(tree, "Professionals trained"))

    def actuals(start: date) -> dict[str, str | None]:
        return {
            a.xpath("string(dimension/@value)") or "total": a.get("value")
            for a in trained[start.isoformat()].findall("actual")
        }

    # 12 women and 11 men: no one else, and 0 is a small figure; the men are withheld too,
    # or the 0 would follow from the total.
    assert actuals(date(2025, 1, 1)) == {"total": "23", "female": "12"}
    assert actuals(date(2025, 7, 1)) == {"total": "14", "female": "14"}
    assert actuals(date(2026, 1, 1)) == {"total": "11", "female": "11"}
    assert {d.get("name") for d in _indicator(tree, "Professionals trained").iter("dimension")} == {
        "sex"
    }
    # An indicator not counted by sex has no dimension.
    assert _indicator(tree, "Referral protocols adopted").findall(".//dimension") == []


def test_a_small_part_is_not_published(setup: Setup) -> None:
    # 2 men in 2026 H1 beside its 11 women: the period's 13 and the women are published, the
    # men and the others (fewer than 11, and not to be worked back one from the other) not.
    _trained(setup.action, date(2026, 2, 2), Sex.MALE, 2)
    cache.clear()
    tree = _tree(setup.action)
    period = _periods(_indicator(tree, "Professionals trained"))["2026-01-01"]
    published = [
        (a.xpath("string(dimension/@value)"), a.get("value")) for a in period.iter("actual")
    ]
    assert published == [("", "13"), ("female", "11")]


def test_a_period_not_yet_begun_has_its_target_and_no_value(setup: Setup) -> None:
    later = _period(setup.action, 2026, 2)
    IndicatorValueFactory.create(indicator=setup.trained, period=later, target=D(5), actual=None)
    period = _periods(_indicator(_tree(setup.action), "Professionals trained"))["2026-07-01"]
    assert period.find("target").get("value") == "5"
    assert period.findall("actual") == []


def test_outcome_and_output_indicators_are_separate_results(setup: Setup) -> None:
    tree = _tree(setup.action)
    results = [
        (r.get("type"), _text(r, "title/narrative[@xml:lang='en']")) for r in tree.iter("result")
    ]
    assert results == [
        ("2", "Professionals prevent trafficking"),
        ("1", "Trainings delivered"),
    ]


# --- Languages and what stays private ---------------------------------------------------------


def test_narratives_are_in_the_three_languages_that_have_text(setup: Setup) -> None:
    tree = _tree(setup.action)
    activity = tree.find("iati-activity")

    def langs(element: etree._Element) -> list[str | None]:
        return [n.get(XML_LANG) for n in element.findall("narrative")]

    assert langs(activity.find("title")) == ["en", "mk", "sq"]
    assert _text(activity, "title/narrative[@xml:lang='mk']") == (
        "Зајакнување на активностите против трговијата со луѓе"
    )
    assert langs(activity.find("description")) == ["en", "mk", "sq"]
    assert langs(activity.find("reporting-org")) == ["en", "mk", "sq"]
    outcome = tree.find("iati-activity/result")
    assert langs(outcome.find("title")) == ["en", "mk", "sq"]
    # The outcome's description exists only in English: no empty narratives for the others.
    assert langs(outcome.find("description")) == ["en"]
    indicator = _indicator(tree, "Professionals trained")
    assert _text(indicator, "title/narrative[@xml:lang='sq']") == "Profesionistë të trajnuar"


def test_nothing_that_is_not_public_leaks(setup: Setup) -> None:
    content = iati_file(action=setup.action, now=NOW).content.decode()
    assert "Beds in the confidential shelter" not in content
    assert "Shelter capacity" not in content  # its outcome has no public indicator
    assert 'value="29"' not in content and 'value="47"' not in content
    assert 'value="911"' not in content  # a public indicator's value still in review


def test_participating_organisations_and_their_roles(setup: Setup) -> None:
    tree = _tree(setup.action)
    orgs = [
        (o.get("ref"), o.get("type"), o.get("role"), _text(o, "narrative[@xml:lang='en']"))
        for o in tree.iter("participating-org")
    ]
    assert orgs == [
        ("XI-IATI-EC_NEAR", "40", "1", "European Union"),
        ("XI-IATI-COE", "40", "3", "Council of Europe"),
        ("XI-IATI-COE", "40", "4", "Council of Europe"),
        (None, "10", "2", "Ministry of Interior"),  # at the steering committee
        (None, "24", "4", "Open Gate"),  # answers for an indicator
    ]
    reporting = tree.find("iati-activity/reporting-org")
    assert reporting.attrib == {"ref": "XI-IATI-COE", "type": "40"}


def test_the_organisation_identifiers_come_from_the_settings(
    setup: Setup, settings: Any, schema: etree.XMLSchema
) -> None:
    settings.IATI_REPORTING_ORG_REF = "XM-DAC-47999"
    settings.IATI_FUNDING_ORG_REF = "XI-IATI-EC_INTPA"
    settings.IATI_ACTIVITY_CODE = "HF-MK-THB"
    document = iati_file(action=setup.action, now=NOW)
    tree = etree.fromstring(document.content)
    _valid(schema, tree)
    assert tree.findtext(".//iati-identifier") == "XM-DAC-47999-HF-MK-THB"
    assert tree.find(".//reporting-org").get("ref") == "XM-DAC-47999"
    assert tree.find(".//participating-org").get("ref") == "XI-IATI-EC_INTPA"
    assert document.filename == "iati-activities-hf-mk-thb.xml"


# --- The page ---------------------------------------------------------------------------------


def test_anyone_downloads_the_file_and_a_cache_may_keep_it(setup: Setup) -> None:
    client = Client()
    url = reverse("public:iati_activities")
    assert url == "/iati/activities.xml"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'inline; filename="iati-activities-action-{setup.action.pk}.xml"'
    )
    assert "public" in response["Cache-Control"] and "max-age=3600" in response["Cache-Control"]
    etag = response["ETag"]
    assert etag.startswith('"') and len(etag) > 10
    assert etree.fromstring(response.content).findtext(".//iati-identifier")
    # Asked again with its tag, an unchanged file is not sent again.
    again = client.get(url, headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    # A change to a public figure changes the tag.
    setup.adopted.values.filter(period=setup.periods[1]).update(state=ValueState.APPROVED)
    changed = client.get(url, headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert client.post(url).status_code == 405


def test_without_an_action_there_is_no_file() -> None:
    assert Client().get(reverse("public:iati_activities")).status_code == 404


def test_the_file_reads_the_database_a_fixed_number_of_times(setup: Setup) -> None:
    client = Client()
    url = reverse("public:iati_activities")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    # More of everything: periods, outcomes, outputs, public indicators with values, and
    # institutions at the committee.
    action = setup.action
    more = [_period(action, 2026, 2), _period(action, 2027, 1)]
    for n in range(4):
        outcome = OutcomeFactory.create(action=action, code=f"9{n}", title_mk="М", title_sq="S")
        output = OutputFactory.create(outcome=outcome, code=f"9{n}.1")
        for level in (None, output):
            indicator = IndicatorFactory.create(
                outcome=outcome,
                output=level,
                is_public=True,
                baseline_year=2024,
                kind=IndicatorKind.COMPUTED if n % 2 else IndicatorKind.REPORTED,
                calculation="participants_trained" if n % 2 else "",
                by_sex=bool(n % 2),
            )
            for period in more:
                IndicatorValueFactory.create(
                    indicator=indicator, period=period, state=ValueState.APPROVED
                )
        MeetingAttendanceFactory.create(
            meeting=MeetingFactory.create(action=action),
            institution=InstitutionFactory.create(kind=InstitutionKind.PUBLIC_AGENCY),
        )
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert len(etree.fromstring(response.content).findall(".//result")) == 10
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
