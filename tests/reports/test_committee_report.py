"""The steering committee's progress report, generated on the seed and demo data in each language.

The expected figures are counted here straight from the records, not through the selectors
the report uses, and looked for in the text poppler extracts from the PDF.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Count, Q
from django.utils import formats, translation

from loaders.seeding import seed_load
from programme.models import Action, Decision, IndicatorValue, ReportingPeriod
from programme.results import framework_figures
from recommendations.models import Recommendation
from reports.choices import ReportKind, ReportStatus
from research.models import Study
from stakeholders.choices import Sex
from stakeholders.models import Institution
from stakeholders.roles import programme_team_add
from tests.reports.conftest import in_language, page_count, pdf_text, pdf_tool, stored_pdf
from trainings.models import Attendance, Participant, Training

pytestmark = pytest.mark.django_db

HEADINGS = {
    "en": [
        "Contents",
        "The action at a glance",
        "Results framework",
        "Trainings held",
        "Research pipeline",
        "The recommendations and their assessments",
        "Decisions and action points since the last meeting",
    ],
    "mk": [
        "Содржина",
        "Акцијата накратко",
        "Рамка на резултати",
        "Одржани обуки",
        "Тек на истражувањата",
        "Препораките и нивните оценки",
        "Одлуки и задачи од последниот состанок",
    ],
    "sq": [
        "Përmbajtja",
        "Veprimi me një shikim",
        "Korniza e rezultateve",
        "Trajnimet e mbajtura",
        "Rrjedha e kërkimeve",
        "Rekomandimet dhe vlerësimet e tyre",
        "Vendimet dhe pikat e veprimit që nga mbledhja e fundit",
    ],
}
PAGE_OF = {"en": ("Page", "of"), "mk": ("Страница", "од"), "sq": ("Faqja", "nga")}
IN_PROGRESS = {"en": "In progress", "mk": "Во тек", "sq": "Në zbatim"}
PLANNED = {"en": "Planned", "mk": "Планирано", "sq": "Planifikuar"}
WOMEN = {"en": "women", "mk": "жени", "sq": "gra"}


def _number(value: Decimal | int, places: int, language: str) -> str:
    with translation.override(language):
        return formats.number_format(value, decimal_pos=places)


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
def test_committee_report_on_the_demo_data_holds_the_period_figures(
    demo, generate, language
) -> None:
    period = ReportingPeriod.objects.get(name="2024 H2")
    report = generate(
        by=demo["demo-observer"], kind=ReportKind.COMMITTEE, language=language, period=period
    )
    assert report.status == ReportStatus.DONE, report.failure_reason
    pdf = stored_pdf(report)
    text = pdf_text(pdf)

    action = Action.objects.get()
    assert getattr(action, f"title_{language}") in text
    for heading in HEADINGS[language]:
        assert heading in text, heading
    # A4 pages, numbered "Page n of N" in the report's language, N the real count.
    pages = page_count(pdf)
    assert pages == report.pages
    word, of = PAGE_OF[language]
    assert f"{word} 2 {of} {pages}" in text
    assert "A4" in pdf_tool("pdfinfo", pdf)

    # The trainings held in the period and the people they reached, by sex.
    held = Training.objects.filter(
        status="held", start_date__range=(period.start_date, period.end_date)
    )
    assert held.count() == 1
    for training in held:
        assert in_language(training, "title", language) in text
    people = Attendance.objects.filter(training__in=held).aggregate(
        total=Count("participant", distinct=True),
        women=Count("participant", distinct=True, filter=Q(participant__sex=Sex.FEMALE)),
    )
    assert f"{people['women']} {WOMEN[language]}" in text
    assert people["total"] > 0

    # Each indicator, with the share of its period target met, as the framework gives it.
    for block in framework_figures(action=action, at=period, until=period.end_date):
        for figures in block.indicators:
            assert figures.indicator.code in text
            now = figures.period(period)
            assert now is not None
            if now.percent_met is not None:
                assert f"{_number(now.percent_met, 1, language)} %" in text
    # 2.1.a met its target of one study exactly.
    assert f"{_number(Decimal(100), 1, language)} %" in text

    # The latest approved assessments, by institution, in the report's language.
    moi = Institution.objects.get(code="moi")
    mspdy = Institution.objects.get(code="mspdy")
    assert getattr(moi, f"short_name_{language}") in text
    assert getattr(mspdy, f"short_name_{language}") in text
    assert IN_PROGRESS[language] in text and PLANNED[language] in text
    assert "Financial investigations were opened alongside two trafficking cases." in text
    # Updates still in review (2025 H1) are not in a report on 2024.
    assert "The long-term support programme was adopted" not in text

    # The last meeting by the end of 2024 is the third, with its decisions and action points.
    decision = Decision.objects.get(
        meeting__number=3, text_en__contains="reinforce its collaboration"
    )
    assert in_language(decision, "text", language) in text
    assert "Nominate police officers for the training on information technologies" in text

    # All fifteen recommendations, and no participant named anywhere.
    assert Recommendation.objects.count() == 15
    for name in Participant.objects.values_list("full_name", flat=True):
        assert name not in text


def test_committee_report_headline_people_agree_with_the_indicator(demo, generate) -> None:
    """People are counted once however many trainings they came to, as the indicator is."""
    period = ReportingPeriod.objects.get(name="2024 H1")
    report = generate(
        by=demo["demo-admin"], kind=ReportKind.COMMITTEE, language="en", period=period
    )
    text = pdf_text(stored_pdf(report))
    held = Training.objects.filter(start_date__range=(period.start_date, period.end_date))
    attendance = Attendance.objects.filter(training__in=held)
    people = attendance.aggregate(
        total=Count("participant", distinct=True),
        women=Count("participant", distinct=True, filter=Q(participant__sex=Sex.FEMALE)),
        men=Count("participant", distinct=True, filter=Q(participant__sex=Sex.MALE)),
    )
    # The headline figure: distinct people, then the split by sex under it.
    assert f"{people['total']} {people['women']} women, {people['men']} men" in text
    value = IndicatorValue.objects.get(period=period, indicator__code="1.1.a")
    assert value.actual == people["total"]


def test_committee_report_on_the_seed_alone(generate, django_user_model) -> None:
    """The real programme before any demo record: fifteen recommendations, none assessed."""
    seed_load()
    action = Action.objects.get()
    period = ReportingPeriod.objects.create(
        action=action,
        name="2024",
        start_date=date(2024, 1, 1),
        end_date=date(2024, 12, 31),
        due_date=date(2025, 1, 31),
    )
    team = django_user_model.objects.create_user("team", is_staff=True)
    programme_team_add(user=team)
    report = generate(by=team, kind=ReportKind.COMMITTEE, language="mk", period=period)
    assert report.status == ReportStatus.DONE, report.failure_reason
    text = pdf_text(stored_pdf(report))
    assert "Зајакнување на активностите против трговијата со луѓе во Северна Македонија" in text
    assert "Сè уште не е оценета 15" in text  # the status table: all fifteen not yet assessed
    for number in range(1, 16):
        assert f"Препорака {number} " in text
    assert "Во овој период не е одржана ниту една обука." in text
    # The four studies of the seed, in the research pipeline, and the third meeting's decisions.
    for title in ("ICT and human trafficking", "Legislative assessment of access to free legal"):
        assert in_language(Study.objects.get(title_en__startswith=title), "title", "mk") in text
    # The place in the report's language.
    assert "Последниот состанок до крајот на периодот: состанок 3, Скопје" in text
    decision = Decision.objects.get(meeting__number=3, text_en__startswith="The research")
    assert in_language(decision, "text", "mk") in text
    # A recommendation's text in Macedonian (the seed translates all fifteen).
    assert in_language(Recommendation.objects.get(number=5), "text", "mk") in text


def test_committee_report_uses_only_the_shipped_fonts(demo, generate) -> None:
    """Every glyph, Cyrillic and Albanian included, comes from the Noto Sans files in
    static/fonts: a missing glyph would pull in a system font, listed here by its own name."""
    period = ReportingPeriod.objects.get(name="2025 H1")
    for language in ("mk", "sq"):
        report = generate(
            by=demo["demo-admin"], kind=ReportKind.COMMITTEE, language=language, period=period
        )
        fonts = pdf_tool("pdffonts", stored_pdf(report)).splitlines()[2:]
        assert fonts
        for line in fonts:
            name, *rest = line.split()
            assert name.split("+")[-1].startswith("Report-Sans"), line
            assert "yes yes yes" in " ".join(rest), f"not embedded as a subset: {line}"
    text = pdf_text(stored_pdf(report))
    assert "Përmbajtja" in text  # ë and ç print and extract as themselves
    assert "Çdo rekomandim" in text
