"""The period narrative: the programme team writes it in three languages with each
translation's origin, undoes its own changes, and the committee report opens with it: a draft
marks what is not written yet, the final copy leaves it out."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from core.choices import TextOrigin
from core.translations import text_origin, text_provenance_set
from programme.models import (
    Action,
    Outcome,
    OutcomeNarrative,
    PeriodNarrative,
    PeriodRisk,
    ReportingPeriod,
)
from programme.selectors import period_narrative_overview
from reports.choices import DRAFT, ReportKind, ReportStatus
from reports.documents import report_html
from reports.models import Report
from reports.permissions import reports_visible_to
from reports.services import report_request
from stakeholders.models import User
from stakeholders.roles import programme_team_add
from tests.reports.conftest import pdf_text, stored_pdf

pytestmark = pytest.mark.django_db

SUMMARY = {
    "en": "Referral units in Bitola and Tetovo began applying the new standard.",
    "mk": "Единиците за упатување во Битола и Тетово почнаа да го применуваат новиот стандард.",
    "sq": "Njësitë e referimit në Manastir dhe Tetovë filluan të zbatojnë standardin e ri.",
}


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _period() -> ReportingPeriod:
    # Not the demo's latest period, which has a narrative of its own.
    return ReportingPeriod.objects.get(name="2026 H1")


def _summary_data(texts: dict[str, str], mk: str = "working", sq: str = "machine") -> dict:
    return {
        **{f"executive_summary_{lang}": text for lang, text in texts.items()},
        "executive_summary_origin_mk": mk,
        "executive_summary_origin_sq": sq,
    }


def _summary_url(period: ReportingPeriod) -> str:
    return reverse(
        "programme:narrative_part_edit", kwargs={"pk": period.pk, "part": "executive-summary"}
    )


def _committee(period: ReportingPeriod, language: str, *, draft: bool, by: User) -> str:
    report = Report(
        kind=ReportKind.COMMITTEE,
        language=language,
        period=period,
        requested_by=by,
        parameters={"copy": DRAFT} if draft else {},
    )
    return report_html(report=report)


# --- Writing ---------------------------------------------------------------------------------


def test_the_team_writes_a_text_in_three_languages_with_each_origin(demo) -> None:
    period = _period()
    response = _client(demo["demo-admin"]).post(_summary_url(period), _summary_data(SUMMARY))
    assert response.status_code == 302
    narrative = PeriodNarrative.objects.get(period=period)
    assert narrative.executive_summary_en == SUMMARY["en"]
    assert narrative.executive_summary_mk == SUMMARY["mk"]
    assert narrative.executive_summary_sq == SUMMARY["sq"]
    assert text_origin(narrative, "executive_summary", "mk") == TextOrigin.WORKING
    assert text_origin(narrative, "executive_summary", "sq") == TextOrigin.MACHINE
    assert text_origin(narrative, "executive_summary", "en") == TextOrigin.OFFICIAL

    # The form opens again with the texts and origins as they are.
    page = _client(demo["demo-admin"]).get(_summary_url(period)).content.decode()
    assert SUMMARY["mk"] in page and SUMMARY["sq"] in page
    assert '<option value="machine" selected>' in page


def test_a_language_left_empty_keeps_no_origin(demo) -> None:
    period = _period()
    client = _client(demo["demo-admin"])
    client.post(_summary_url(period), _summary_data(SUMMARY))
    client.post(_summary_url(period), _summary_data({**SUMMARY, "sq": ""}))
    narrative = PeriodNarrative.objects.get(period=period)
    assert narrative.executive_summary_sq == ""
    assert text_origin(narrative, "executive_summary", "sq") == TextOrigin.OFFICIAL
    assert text_origin(narrative, "executive_summary", "mk") == TextOrigin.WORKING


def test_the_overview_says_per_language_what_is_written_in_constant_queries(
    demo, django_assert_max_num_queries
) -> None:
    period = _period()
    outcome = Outcome.objects.order_by("code")[0]
    OutcomeNarrative.objects.create(period=period, outcome=outcome, text_en="Went well.")
    for order in (1, 2, 3):
        PeriodRisk.objects.create(period=period, description_en=f"Risk {order}", order=order)
    with django_assert_max_num_queries(6):
        overview = period_narrative_overview(period=period)
    states = {lang.code: lang.written for lang in overview.outcomes[0].text.languages}
    assert states == {"en": True, "mk": False, "sq": False}
    assert not any(lang.written for lang in overview.executive_summary.languages)
    assert [r.risk.order for r in overview.risks] == [1, 2, 3]

    page = _client(demo["demo-admin"]).get(
        reverse("programme:narrative_period", kwargs={"pk": period.pk})
    )
    assert page.status_code == 200
    assert "Missing" in page.content.decode() and "Written" in page.content.decode()


def test_a_risk_needs_its_english_description(demo) -> None:
    period = _period()
    url = reverse("programme:narrative_risk_add", kwargs={"pk": period.pk})
    response = _client(demo["demo-admin"]).post(
        url, {"description_mk": "Само македонски", "order": "1"}
    )
    assert response.status_code == 200
    assert "description_en" in response.context["form"].errors
    assert not PeriodRisk.objects.filter(period=period).exists()


# --- Who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["demo-cso-a", "demo-ministry", "demo-observer"])
def test_only_the_programme_team_opens_the_narrative(demo, persona) -> None:
    period = _period()
    client = _client(demo[persona])
    assert client.get(reverse("programme:narrative_period", args=[period.pk])).status_code == 403
    assert client.post(_summary_url(period), _summary_data(SUMMARY)).status_code == 403
    assert not PeriodNarrative.objects.filter(period=period).exists()
    # A period that does not exist is not there for anyone.
    missing = reverse("programme:narrative_period", args=[period.pk + 10_000])
    assert client.get(missing).status_code == 404


def test_an_outcome_of_another_action_answers_404(demo) -> None:
    action = Action.objects.get()
    other = Action.objects.create(programme=action.programme, title="Another action", country="XK")
    stranger = Outcome.objects.create(action=other, code="9", title="Elsewhere")
    url = reverse(
        "programme:narrative_outcome_edit", kwargs={"pk": _period().pk, "outcome": stranger.pk}
    )
    assert _client(demo["demo-admin"]).get(url).status_code == 404


# --- Undo --------------------------------------------------------------------------------------


def _undo_url(period: ReportingPeriod, kind: str, record: int) -> str:
    return reverse(
        "programme:narrative_undo", kwargs={"pk": period.pk, "kind": kind, "record": record}
    )


def test_the_author_undoes_an_edit_texts_and_origins_included(demo) -> None:
    period = _period()
    client = _client(demo["demo-admin"])
    client.post(_summary_url(period), _summary_data(SUMMARY))
    changed = {**SUMMARY, "mk": "Преработен текст."}
    client.post(_summary_url(period), _summary_data(changed, mk="official", sq="working"))
    narrative = PeriodNarrative.objects.get(period=period)
    assert text_origin(narrative, "executive_summary", "mk") == TextOrigin.OFFICIAL

    page = client.get(reverse("programme:narrative_period", args=[period.pk])).content.decode()
    assert _undo_url(period, "summary", narrative.pk) in page

    response = client.post(_undo_url(period, "summary", narrative.pk))
    assert response.status_code == 302
    narrative.refresh_from_db()
    assert narrative.executive_summary_mk == SUMMARY["mk"]
    assert text_origin(narrative, "executive_summary", "mk") == TextOrigin.WORKING
    assert text_origin(narrative, "executive_summary", "sq") == TextOrigin.MACHINE
    last = narrative.history.order_by("-history_id")[0]
    assert last.history_user == demo["demo-admin"]

    # Undoing the first writing takes the part away again.
    client.post(_undo_url(period, "summary", narrative.pk))  # undoes the undo
    client.post(_undo_url(period, "summary", narrative.pk))  # back to the first text
    narrative.refresh_from_db()
    assert narrative.executive_summary_mk == SUMMARY["mk"]


def test_someone_else_cannot_undo_anothers_change(demo) -> None:
    period = _period()
    _client(demo["demo-admin"]).post(_summary_url(period), _summary_data(SUMMARY))
    narrative = PeriodNarrative.objects.get(period=period)
    colleague = User.objects.create_user("team-colleague", email="colleague@example.org")
    programme_team_add(user=colleague)
    client = _client(colleague)
    page = client.get(reverse("programme:narrative_period", args=[period.pk])).content.decode()
    assert "Undo it" not in page
    response = client.post(_undo_url(period, "summary", narrative.pk), follow=True)
    assert "Only the person who made the last change" in response.content.decode()
    narrative.refresh_from_db()
    assert narrative.executive_summary_en == SUMMARY["en"]


def test_a_removed_risk_comes_back_with_its_translations(demo) -> None:
    period = _period()
    client = _client(demo["demo-admin"])
    client.post(
        reverse("programme:narrative_risk_add", kwargs={"pk": period.pk}),
        {
            "description_en": "Elections delay the committee's meetings",
            "description_mk": "Изборите ги одложуваат состаноците на одборот",
            "description_origin_mk": "working",
            "description_origin_sq": "working",
            "mitigation_origin_mk": "working",
            "mitigation_origin_sq": "working",
            "likelihood": "medium",
            "impact": "high",
            "order": "1",
        },
    )
    risk = PeriodRisk.objects.get(period=period)
    assert text_origin(risk, "description", "mk") == TextOrigin.WORKING
    client.post(reverse("programme:narrative_risk_remove", args=[period.pk, risk.pk]))
    assert not PeriodRisk.objects.filter(pk=risk.pk).exists()

    client.post(_undo_url(period, "risk", risk.pk))
    back = PeriodRisk.objects.get(pk=risk.pk)
    assert back.description_mk == "Изборите ги одложуваат состаноците на одборот"
    assert (back.likelihood, back.impact) == ("medium", "high")
    assert text_origin(back, "description", "mk") == TextOrigin.WORKING

    # And the undo of the first adding takes it off again.
    client.post(_undo_url(period, "risk", risk.pk))  # undoes the return
    assert not PeriodRisk.objects.filter(pk=risk.pk).exists()


# --- The committee report --------------------------------------------------------------------


def _write_some(period: ReportingPeriod, by: User) -> tuple[Outcome, Outcome]:
    """The summary in three languages, outcome 1's narrative, outcome 2's none, one risk."""
    client = _client(by)
    client.post(_summary_url(period), _summary_data(SUMMARY))
    first, second = Outcome.objects.order_by("code")[:2]
    client.post(
        reverse("programme:narrative_outcome_edit", args=[period.pk, first.pk]),
        {
            "text_en": "Inspectors joined every training.",
            "text_mk": "Инспекторите учествуваа на секоја обука.",
            "text_sq": "Inspektorët morën pjesë në çdo trajnim.",
            "text_origin_mk": "working",
            "text_origin_sq": "official",
        },
    )
    PeriodRisk.objects.create(
        period=period,
        description_en="Staff leave the referral units",
        description_mk="Вработените ги напуштаат единиците",
        description_sq="Stafi largohet nga njësitë",
        order=1,
    )
    return first, second


@pytest.mark.parametrize("language", ["mk", "sq"])
def test_the_report_opens_with_the_narrative_in_its_language(demo, language) -> None:
    period = _period()
    _write_some(period, demo["demo-admin"])
    html = _committee(period, language, draft=False, by=demo["demo-admin"])
    assert SUMMARY[language] in html
    assert html.index(SUMMARY[language]) < html.index('id="glance"')
    # The Macedonian summary is a working translation: the report says so, with the source.
    if language == "mk":
        assert "text-origin" in html[html.index(SUMMARY["mk"]) :][:600]
    words = {"mk": "Вработените ги напуштаат единиците", "sq": "Stafi largohet nga njësitë"}
    assert words[language] in html
    assert "<caption>" in html[html.index('id="risks"') :]


def test_a_draft_marks_what_is_missing_and_the_final_copy_leaves_it_out(demo) -> None:
    period = _period()
    _first, second = _write_some(period, demo["demo-admin"])
    draft = _committee(period, "en", draft=True, by=demo["demo-admin"])
    final = _committee(period, "en", draft=False, by=demo["demo-admin"])

    assert "DRAFT" in draft and "DRAFT" not in final
    section = draft[draft.index('id="outcomes"') : draft.index('id="risks"')]
    assert f"{second.code}: " in section
    assert "Not yet written" in section
    # Next steps were not written: the draft marks them, the final copy has no heading.
    assert 'id="next-steps"' in draft and 'id="next-steps"' not in final
    assert "Not yet written" not in final
    final_outcomes = final[final.index('id="outcomes"') : final.index('id="risks"')]
    assert "Inspectors joined every training." in final_outcomes
    assert f"{second.code}: " not in final_outcomes


def test_with_nothing_written_the_final_copy_has_no_narrative_section(demo) -> None:
    period = _period()
    final = _committee(period, "en", draft=False, by=demo["demo-admin"])
    assert 'id="narrative"' not in final
    assert 'class="section first" id="glance"' in final
    draft = _committee(period, "en", draft=True, by=demo["demo-admin"])
    assert 'id="narrative"' in draft and draft.count("Not yet written") >= 3


def test_only_the_programme_team_asks_for_a_draft_and_opens_it(demo) -> None:
    period = _period()
    observer = demo["demo-observer"]
    form = _client(observer).get(reverse("reports:report_request") + "?kind=committee")
    assert 'name="copy"' not in form.content.decode()
    team_form = _client(demo["demo-admin"]).get(
        reverse("reports:report_request") + "?kind=committee"
    )
    assert 'name="copy"' in team_form.content.decode()

    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        report_request(
            by=observer, kind=ReportKind.COMMITTEE, language="en", period=period, draft=True
        )
    draft = report_request(
        by=demo["demo-admin"], kind=ReportKind.COMMITTEE, language="en", period=period, draft=True
    )
    final = report_request(
        by=demo["demo-admin"], kind=ReportKind.COMMITTEE, language="en", period=period
    )
    assert draft.series != final.series
    visible = set(reports_visible_to(observer).values_list("pk", flat=True))
    assert final.pk in visible and draft.pk not in visible
    assert draft.pk in set(reports_visible_to(demo["demo-admin"]).values_list("pk", flat=True))


def test_the_pdf_opens_with_the_executive_summary(
    demo, django_capture_on_commit_callbacks, settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    period = _period()
    _write_some(period, demo["demo-admin"])
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(
            by=demo["demo-admin"],
            kind=ReportKind.COMMITTEE,
            language="en",
            period=period,
            draft=True,
        )
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE, report.failure_reason
    pdf = stored_pdf(report)
    text = pdf_text(pdf)
    summary = text.index("Executive summary")
    assert text.index(SUMMARY["en"]) > summary
    assert text.index("1. The action at a glance", summary) > text.index(SUMMARY["en"])
    assert "Not yet written" in text  # outcome 2 and the next steps
    assert "DRAFT" in text
    # A page as a reader sees it, to look at (pdftoppm, as tests/reports/test_parts.py does).
    folder = tmp_path
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "2", "-l", "3", "-", str(folder / "narrative")],
        input=pdf,
        check=True,
    )
    assert any(folder.glob("narrative*.png"))


def test_the_reports_narrative_costs_the_same_queries_however_many_risks(demo) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    period = _period()
    _write_some(period, demo["demo-admin"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            _committee(period, "mk", draft=True, by=demo["demo-admin"])
        return len(captured)

    queries()  # the first fills the kept figures (core.figures), which later ones read
    before = queries()
    for order in (2, 3, 4):
        risk = PeriodRisk.objects.create(
            period=period,
            description_en=f"Risk {order}",
            description_mk=f"Ризик {order}",
            mitigation_en="Plan B",
            mitigation_mk="План Б",
            order=order,
        )
        text_provenance_set(obj=risk, field="description", language="mk", origin="working")
    assert queries() == before
