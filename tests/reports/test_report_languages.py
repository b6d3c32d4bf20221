"""The PDF reports give the programme's content in the report's language: the translation
where there is one, its status where it is a working translation, and English (marked EN, with
one note near the start) where there is none yet."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext

from core.choices import TextOrigin
from programme.models import Decision, Meeting, ReportingPeriod
from recommendations.models import Recommendation
from reports.choices import ReportKind, ReportStatus
from reports.documents import report_html
from reports.models import Report
from tests.reports.conftest import in_language, pdf_text, stored_pdf
from trainings.models import Training

pytestmark = pytest.mark.django_db

ICT = "Information technologies and human trafficking"
MSGID = "Some texts are not yet translated into %(language)s and are shown in English, marked EN."


def _note(language: str) -> str:
    """The fallback note as a report in ``language`` words it."""
    with translation.override(language):
        name = str(translation.get_language_info(language)["name_translated"]).lower()
        return gettext(MSGID) % {"language": name}


@pytest.mark.parametrize(("language", "name"), [("mk", "македонски"), ("sq", "shqip")])
def test_the_note_names_the_report_s_language(language, name) -> None:
    assert f" {name} " in _note(language)


def _words(text: str, count: int = 6) -> str:
    return " ".join(text.split()[:count])


def _report(
    generate: Callable[..., Report], demo: dict[str, Any], kind: str, language: str
) -> Report:
    subjects: dict[str, Callable[[], dict[str, Any]]] = {
        ReportKind.COMMITTEE: lambda: {"period": ReportingPeriod.objects.get(name="2024 H2")},
        ReportKind.RECOMMENDATION: lambda: {"recommendation": Recommendation.objects.get(number=1)},
        ReportKind.MEETING: lambda: {"meeting": Meeting.objects.get(number=3)},
        ReportKind.TRAINING: lambda: {"training": Training.objects.get(title_en=ICT)},
    }
    subject = subjects[kind]()
    report = generate(by=demo["demo-admin"], kind=kind, language=language, **subject)
    assert report.status == ReportStatus.DONE, report.failure_reason
    return report


def _seeded(kind: str) -> tuple[Any, str]:
    """The seeded record and field, translated as a working translation, each kind shows."""
    if kind == ReportKind.MEETING:
        return Meeting.objects.get(number=3), "purpose"
    if kind == ReportKind.TRAINING:
        return Training.objects.get(title_en=ICT), "title"
    return Recommendation.objects.get(number=1), "text"  # the committee's, and its own report


@pytest.mark.parametrize("language", ["mk", "sq"])
@pytest.mark.parametrize(
    "kind",
    [ReportKind.COMMITTEE, ReportKind.RECOMMENDATION, ReportKind.MEETING, ReportKind.TRAINING],
)
def test_a_report_gives_the_seeded_translation_and_its_status(
    demo, generate, kind, language
) -> None:
    record, field = _seeded(kind)
    own = getattr(record, f"{field}_{language}")
    english = getattr(record, f"{field}_en")
    assert own and english and own != english
    text = pdf_text(stored_pdf(_report(generate, demo, kind, language)))
    assert in_language(record, field, language) in text
    assert _words(english) not in text
    with translation.override(language):
        working = str(TextOrigin.WORKING.label)
    assert working in text


@pytest.mark.parametrize("language", ["mk", "sq"])
def test_a_blanked_translation_falls_back_to_english_with_one_note(
    demo, generate, language
) -> None:
    recommendation = Recommendation.objects.get(number=1)
    english = _words(recommendation.text_en)
    setattr(recommendation, f"text_{language}", "")
    recommendation.save()
    for kind in (ReportKind.COMMITTEE, ReportKind.RECOMMENDATION):
        text = pdf_text(stored_pdf(_report(generate, demo, kind, language)))
        assert english in text, kind
        assert text.count(_note(language)) == 1, kind


def test_the_note_and_the_marks_follow_what_is_shown(demo, generate) -> None:
    """A report with every text translated has no note and no mark; one English text brings
    the note near the start and the mark after that text."""
    meeting = Meeting.objects.get(number=3)
    Decision.objects.filter(meeting=meeting, text_mk="").update(text_mk="Одлука")
    report = _report(generate, demo, ReportKind.MEETING, "mk")
    html = report_html(report=report)
    assert 'class="fallback-mark' not in html
    assert _note("mk") not in html
    assert _note("mk") not in pdf_text(stored_pdf(report))

    meeting.agenda_mk = ""
    meeting.save()
    html = report_html(report=Report.objects.get(pk=report.pk))
    assert html.count(_note("mk")) == 1
    assert html.index(_note("mk")) < html.index('id="meeting"')  # near the start: the cover
    assert html.count('class="fallback-mark') == 1
    agenda = meeting.agenda_en.splitlines()[0]
    assert f"{agenda}" in html.split('class="fallback-mark')[0].rsplit("<h2>", 1)[1]


def test_a_report_s_status_marks_take_one_query_per_list(
    demo, generate, django_assert_max_num_queries
) -> None:
    """The origins of a list's texts are looked up at once: the committee report's queries do
    not grow with its recommendations, studies or trainings."""
    report = _report(generate, demo, ReportKind.COMMITTEE, "mk")
    with django_assert_max_num_queries(120) as captured:
        report_html(report=report)
    provenance = [q for q in captured.captured_queries if "core_textprovenance" in q["sql"]]
    assert 1 <= len(provenance) <= 6


def test_a_meeting_record_gives_the_representatives_in_the_report_s_language(
    demo, generate
) -> None:
    """Positions are translated like the meeting's other texts; one written only in English
    shows in English with the mark and the note."""
    meeting = Meeting.objects.get(number=3)
    team = meeting.attendance.get(representatives_en="The action's programme team")
    report = _report(generate, demo, ReportKind.MEETING, "sq")
    html = report_html(report=report)
    assert in_language(team, "representatives", "sq") in html
    assert _note("sq") not in html

    team.representatives_sq = ""
    team.save()
    html = report_html(report=Report.objects.get(pk=report.pk))
    assert html.count(_note("sq")) == 1
    assert html.count('class="fallback-mark') == 1
    marked = html.split('class="fallback-mark')[0].rsplit("<td>", 1)[1]
    assert "The action&#x27;s programme team" in marked
