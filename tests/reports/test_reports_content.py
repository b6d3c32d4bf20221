"""The training report, the meeting record and the recommendation implementation report,
generated on the seed and demo data in each language and read back from the PDF."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Avg
from django.utils import formats, translation

from loaders.seeding import seed_load
from programme.models import Meeting
from recommendations.models import Evidence, ProgressUpdate, Recommendation
from reports.choices import ReportKind, ReportStatus
from research.models import Study
from stakeholders.models import Institution
from stakeholders.roles import programme_team_add
from tests.reports.conftest import in_language, pdf_text, stored_pdf
from trainings.models import Attendance, Evaluation, Topic, Training

pytestmark = pytest.mark.django_db

LABOUR = "Identifying victims of trafficking for labour exploitation"


def _number(value: Decimal, places: int, language: str) -> str:
    with translation.override(language):
        return formats.number_format(value, decimal_pos=places)


# --- Training report ---------------------------------------------------------------------------

TRAINING_WORDS = {
    "en": ("Participants", "Evaluation", "not named", "Council of Europe"),
    "mk": ("Учесници", "Евалуација", "не е именуван", "Совет на Европа"),
    "sq": ("Pjesëmarrës", "Vlerësimi", "pa emër", "Këshilli i Evropës"),
}


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
def test_training_report_names_only_participants_who_consented(demo, generate, language) -> None:
    training = Training.objects.get(title_en=LABOUR)
    attendance = list(Attendance.objects.filter(training=training).select_related("participant"))
    withheld = attendance[0].participant
    attendance[0].consent, attendance[0].consent_date = False, None
    attendance[0].save()

    report = generate(
        by=demo["demo-observer"], kind=ReportKind.TRAINING, language=language, training=training
    )
    assert report.status == ReportStatus.DONE, report.failure_reason
    text = pdf_text(stored_pdf(report))
    participants, evaluation, not_named, organiser = TRAINING_WORDS[language]
    assert in_language(training, "title", language) in text
    assert organiser in text
    assert participants in text and evaluation in text
    assert withheld.full_name not in text
    assert not_named in text
    for a in attendance[1:]:
        assert a.participant.full_name in text
        assert a.participant.email == "" or a.participant.email not in text

    figures = Attendance.objects.filter(training=training).aggregate(
        pre=Avg("pre_score"), post=Avg("post_score")
    )
    for value in (figures["pre"], figures["post"]):
        rounded = Decimal(value).quantize(Decimal("0.1"))
        assert _number(rounded, 1, language) in text
    ev = Evaluation.objects.get(training=training)
    assert ev.overall_rating is not None
    assert _number(ev.overall_rating, 1, language) in text
    assert ev.summary in text


def test_consent_at_another_institutions_training_does_not_name_anyone_here(demo, generate) -> None:
    """CSO A, a partner of CSO B's training, lists B's participant at its own training with
    their consent there; B's report still does not name them. It names only those who
    consented at B's training."""
    from datetime import date

    from programme.models import Action
    from stakeholders.choices import Sex
    from trainings.services import training_create, training_participant_add

    def cso_training(code: str, partners: list[Institution]) -> Training:
        return training_create(
            by=demo[code],
            action=Action.objects.get(),
            title=f"Peer training of {code}",
            organiser=Institution.objects.get(code=code),
            topics=[Topic.objects.order_by("pk")[0]],
            partners=partners,
        )

    def add(code: str, training: Training, name: str, email: str, consent: bool) -> None:
        training_participant_add(
            training=training,
            by=demo[code],
            full_name=name,
            sex=Sex.FEMALE,
            professional_group=None,
            institution=None,
            position="",
            email=email,
            consent=consent,
            consent_date=date(2025, 5, 6) if consent else None,
            pre_score=None,
            post_score=None,
        )

    b_training = cso_training("demo-cso-b", [Institution.objects.get(code="demo-cso-a")])
    add("demo-cso-b", b_training, "Bojana Tasevska", "bojana.t@example.org", consent=False)
    add("demo-cso-b", b_training, "Vera Nikolovska", "vera.n@example.org", consent=True)
    a_training = cso_training("demo-cso-a", [])
    add("demo-cso-a", a_training, "Bojana Tasevska", "bojana.t@example.org", consent=True)
    assert (
        a_training.attendance.get().participant
        == b_training.attendance.get(participant__full_name="Bojana Tasevska").participant
    )  # the same person, seen by A through the partnership

    report = generate(
        by=demo["demo-cso-b"], kind=ReportKind.TRAINING, language="en", training=b_training
    )
    assert report.status == ReportStatus.DONE, report.failure_reason
    text = pdf_text(stored_pdf(report))
    assert "Vera Nikolovska" in text
    assert "Bojana Tasevska" not in text
    assert "not named" in text


def test_training_report_of_a_seed_training_without_participants(generate, django_user_model):
    seed_load()
    team = django_user_model.objects.create_user("team", is_staff=True)
    programme_team_add(user=team)
    training = Training.objects.get(title_en="Information technologies and human trafficking")
    report = generate(by=team, kind=ReportKind.TRAINING, language="sq", training=training)
    text = pdf_text(stored_pdf(report))
    assert in_language(training, "title", "sq") in text
    assert "Ende asnjë pjesëmarrës i regjistruar." in text
    assert "Planifikuar" in text  # its status, in Albanian


# --- Meeting record ----------------------------------------------------------------------------

MEETING_WORDS = {
    "en": ("Attendance", "Decisions", "Open", "In progress"),
    "mk": ("Присуство", "Одлуки", "Отворено", "Во тек"),
    "sq": ("Pjesëmarrja", "Vendimet", "E hapur", "Në zbatim"),
}


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
def test_meeting_record_holds_attendance_decisions_and_action_points(
    demo, generate, language
) -> None:
    meeting = Meeting.objects.get(number=4)
    report = generate(
        by=demo["demo-cso-b"], kind=ReportKind.MEETING, language=language, meeting=meeting
    )
    text = pdf_text(stored_pdf(report))
    attendance, decisions, open_word, in_progress = MEETING_WORDS[language]
    assert attendance in text and decisions in text
    for row in meeting.attendance.select_related("institution"):
        assert getattr(row.institution, f"name_{language}") in text
    assert meeting.date is not None
    with translation.override(language):
        assert formats.date_format(meeting.date, "DATE_FORMAT") in text
    assert in_language(meeting.decisions.get(number=1), "text", language) in text
    assert "Circulate the 2025 training calendar to all focal points" in text
    # Carried over from meeting 3, still open when meeting 4 met.
    assert "Nominate police officers for the training on information technologies" in text
    assert "Propose CSO speakers for the civic forums on recommendation 6" in text
    assert open_word in text and in_progress in text
    # Closed before meeting 4: not carried over.
    assert "Share the list of social workers and foster families" not in text


def test_meeting_record_of_the_seed_meeting_holds_its_minutes(generate, django_user_model):
    seed_load()
    reader = django_user_model.objects.create_user("reader")
    report = generate(
        by=reader,
        kind=ReportKind.MEETING,
        language="mk",
        meeting=Meeting.objects.get(number=3),
    )
    text = pdf_text(stored_pdf(report))
    assert "Министерство за надворешни работи" in text  # the MFA attended
    meeting = Meeting.objects.get(number=3)
    team = meeting.attendance.get(representatives_en="The action's programme team")
    assert in_language(team, "representatives", "mk") in text
    assert in_language(meeting, "minutes", "mk") in text
    assert "не е евидентирано" in text  # the seed gives no date


# --- Recommendation implementation report ------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
def test_recommendation_report_lists_every_piece_of_evidence(demo, generate, language) -> None:
    recommendation = Recommendation.objects.get(number=8)
    report = generate(
        by=demo["demo-ministry"],
        kind=ReportKind.RECOMMENDATION,
        language=language,
        recommendation=recommendation,
    )
    text = pdf_text(stored_pdf(report))
    updates = ProgressUpdate.objects.filter(recommendation=recommendation)
    assert updates.count() == 2
    for update in updates:
        assert update.narrative in text
        for item in Evidence.objects.filter(update=update):
            assert item.title in text
            assert item.url in text
    mspdy = Institution.objects.get(code="mspdy")
    assert getattr(mspdy, f"short_name_{language}") in text
    # The decision of meeting 3 that names it, and the studies that bear on it.
    assert "3.1:" in text
    study = Study.objects.get(title_en__startswith="Care for child trafficking victims")
    assert in_language(study, "title", language) in text


def test_recommendation_report_holds_only_what_its_requester_may_see(demo, generate) -> None:
    rec = Recommendation.objects.get(number=10)
    returned = "Schools were contacted."
    seen = {}
    for username in ("demo-cso-b", "demo-cso-a", "demo-observer"):
        report = generate(
            by=demo[username], kind=ReportKind.RECOMMENDATION, language="en", recommendation=rec
        )
        seen[username] = returned in pdf_text(stored_pdf(report))
    # CSO B's returned update: its own, and an observer's to read; not CSO A's.
    assert seen == {"demo-cso-b": True, "demo-cso-a": False, "demo-observer": True}


def test_recommendation_report_of_all_fifteen(generate, django_user_model) -> None:
    seed_load()
    reader = django_user_model.objects.create_user("reader")
    report = generate(by=reader, kind=ReportKind.RECOMMENDATION, language="en")
    text = pdf_text(stored_pdf(report))
    for rec in Recommendation.objects.all():
        assert f"Recommendation {rec.number} " in text
        assert rec.text_en[:60] in text
    # The overview chart's bar for "Not yet assessed" is labelled with all fifteen.
    assert "Not yet assessed 15" in pdf_text(stored_pdf(report), layout=True)
    assert report.parameters["recommendation"] is None
    assert report.download_name == f"recommendation-all-en-v{report.version}.pdf"
