"""The schema cannot hold a victim's identity (Council of Europe convention, art. 11).

The platform records professionals, institutions and their work, never victims. These tests
read the models themselves, so a field added for victims' details fails the suite, and the
one model with personal data (training participants) keeps to a reviewed list of fields.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any, cast

import pytest
from django.apps import apps
from django.db import models
from django.test import Client
from django.urls import reverse

from core.basemodels import NO_VICTIM_DETAILS
from imports.choices import ImportKind
from programme.models import ActionPoint
from recommendations.models import ProgressUpdate
from stakeholders.choices import Sex
from tests.factories import (
    AttendanceFactory,
    ImportBatchFactory,
    ParticipantFactory,
    TrainingFactory,
)
from trainings.models import Attendance
from trainings.selectors import participant_data
from trainings.services import participant_erase, participants_erase_expired
from trainings.tasks import participants_retention

PROJECT_APPS = ("stakeholders", "programme", "trainings", "research", "recommendations")

# Words that name a victim or a field that identifies a person beyond their work role.
# (Work contact details of institutions' contact persons, such as a phone, are not in it.)
IDENTIFYING = re.compile(
    r"victim|survivor|trafficked|embg|personal_?(number|id|no)|national_?id|passport|"
    r"birth|\bdob\b|home_?address|street|nationality|ethnic|religio|health|"
    r"diagnos|photo|image|fingerprint|biometric",
    re.IGNORECASE,
)

# The only personal data: a professional who attended a training. Adding a field here is a
# data-protection decision, to be made deliberately (and documented in docs/architecture.md).
PARTICIPANT_FIELDS = {
    "id",
    "created_at",
    "updated_at",
    "is_demo",
    "full_name",
    "sex",
    "professional_group",
    "institution",
    "position",
    "email",
    "registered_by_institution",
    "erased_at",
}


def _project_models() -> list[type[models.Model]]:
    return [
        model
        for app in PROJECT_APPS
        for model in apps.get_app_config(app).get_models()
        if not model._meta.auto_created
    ]


def test_no_model_or_field_is_named_for_a_victim_or_identifying_details() -> None:
    offenders = []
    for model in _project_models():
        if IDENTIFYING.search(model.__name__):
            offenders.append(model._meta.label)
        for field in model._meta.get_fields():
            if field.concrete and IDENTIFYING.search(field.name):
                offenders.append(f"{model._meta.label}.{field.name}")
    assert offenders == []


def test_participants_hold_only_the_reviewed_personal_fields() -> None:
    participant = apps.get_model("trainings", "Participant")
    concrete = {f.name for f in participant._meta.get_fields() if f.concrete}
    assert concrete == PARTICIPANT_FIELDS


def test_the_check_itself_catches_a_victim_field() -> None:
    for name in ("victim_name", "date_of_birth", "embg", "passport_no", "home_address"):
        assert IDENTIFYING.search(name), name
    for name in ("full_name", "narrative", "institution", "position", "email"):
        assert not IDENTIFYING.search(name), name


# --- A participant's access request, erasure and retention ---------------------------------


@pytest.fixture
def attendee(db: None) -> Attendance:
    row = AttendanceFactory(
        participant=ParticipantFactory(
            full_name="Elena Stojanovska",
            email="elena.stojanovska@example.org",
            position="Social worker",
        ),
        training=TrainingFactory(title="Identification of victims", end_date=date(2025, 4, 2)),
        consent=True,
        consent_date=date(2025, 3, 30),
    )
    return cast(Attendance, row)


def test_a_participant_gets_everything_held_on_them(attendee: Attendance) -> None:
    data = participant_data(participant=attendee.participant)
    assert data["full_name"] == "Elena Stojanovska"
    assert data["email"] == "elena.stojanovska@example.org"
    assert data["position"] == "Social worker"
    assert data["trainings"] == [
        {
            "title": "Identification of victims",
            "organiser": str(attendee.training.organiser),
            "start_date": "2025-04-01",
            "end_date": "2025-04-02",
            "city": "",
            "pre_score": "40.00",
            "post_score": "75.00",
            "completed": True,
            "consent": True,
            "consent_date": "2025-03-30",
        }
    ]


def test_erasure_removes_the_details_and_keeps_the_figures(attendee: Attendance) -> None:
    participant = attendee.participant
    batch = ImportBatchFactory(
        kind=ImportKind.ATTENDANCE,
        training=attendee.training,
        preview=[{"row": 2, "values": {"Full name": "elena stojanovska", "Sex": "F"}}],
        errors=[{"row": 3, "value": "elena.stojanovska@example.org", "reason": "taken"}],
    )
    stored = Path(batch.file.path)
    untouched = ImportBatchFactory(preview=[{"row": 2, "values": {"Full name": "Ana Petrova"}}])

    participant_erase(participant=participant)
    participant_erase(participant=participant)  # a second time changes nothing

    participant.refresh_from_db()
    assert participant.is_erased
    assert participant.full_name == f"Erased participant {participant.pk}"
    assert (participant.email, participant.position) == ("", "")
    attendee.refresh_from_db()
    assert (attendee.consent, attendee.consent_date) == (False, None)
    assert (participant.sex, participant.institution_id) == (
        Sex.FEMALE,
        attendee.participant.institution_id,
    )
    assert Attendance.objects.filter(participant=participant).count() == 1
    batch.refresh_from_db()
    assert "stojanovska" not in json.dumps([batch.preview, batch.errors]).lower()
    assert not batch.file and not stored.exists()
    untouched.refresh_from_db()
    assert untouched.file and untouched.preview[0]["values"]["Full name"] == "Ana Petrova"


def test_the_retention_job_erases_only_those_past_the_period(
    attendee: Attendance, settings: Any
) -> None:
    settings.PARTICIPANT_RETENTION_DAYS = 365
    recent = AttendanceFactory(
        training=TrainingFactory(start_date=date(2026, 5, 1), end_date=date(2026, 5, 2))
    )
    assert participants_erase_expired(today=date(2026, 4, 1)) == 0  # 364 days after
    assert participants_erase_expired(today=date(2026, 4, 3)) == 1
    assert participants_erase_expired(today=date(2026, 4, 3)) == 0  # run twice: once
    attendee.participant.refresh_from_db()
    recent.participant.refresh_from_db()
    assert attendee.participant.is_erased and not recent.participant.is_erased


def test_the_daily_task_uses_todays_date(attendee: Attendance, settings: Any) -> None:
    settings.PARTICIPANT_RETENTION_DAYS = 365
    recent = AttendanceFactory(training=TrainingFactory(start_date=date.today(), end_date=None))
    assert participants_retention.run() == 1
    recent.participant.refresh_from_db()
    assert not recent.participant.is_erased


def test_the_retention_job_runs_every_night(db: None) -> None:
    """The migration schedules it once (beat reads the schedule from the database); running
    the migration's step again adds nothing."""
    from importlib import import_module

    from django_celery_beat.models import PeriodicTask

    from config.celery import app

    migration = import_module("trainings.migrations.0007_retention_schedule")
    job = PeriodicTask.objects.get(name=migration.NAME)
    assert (job.task, job.enabled) == ("trainings.participants.erase_expired", True)
    assert (job.crontab.hour, job.crontab.minute) == ("3", "15")
    migration.schedule_create(apps, None)
    assert PeriodicTask.objects.filter(task=job.task).count() == 1
    app.loader.import_default_modules()
    assert job.task in app.tasks


def test_the_command_erases_the_same_as_the_job(attendee: Attendance, settings: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    settings.PARTICIPANT_RETENTION_DAYS = 365
    out = StringIO()
    call_command("participants_erase_expired", stdout=out)
    assert out.getvalue() == "Erased 1 participants not trained in the last 365 days.\n"
    attendee.participant.refresh_from_db()
    assert attendee.participant.is_erased


def test_the_admin_downloads_a_participants_data_and_erases_them(
    admin_client: Client, attendee: Attendance
) -> None:
    url = reverse("admin:trainings_participant_changelist")
    selected = {"_selected_action": [attendee.participant.pk]}
    response = admin_client.post(url, {"action": "download_data", **selected})
    assert response["Content-Disposition"] == (
        f'attachment; filename="participant-{attendee.participant.pk}.json"'
    )
    assert json.loads(response.content)["email"] == "elena.stojanovska@example.org"

    response = admin_client.post(url, {"action": "erase", **selected}, follow=True)
    assert "1 participant" in response.content.decode()
    attendee.participant.refresh_from_db()
    assert attendee.participant.is_erased
    # The admin's log named the person (the download above): it now names the erased record.
    from django.contrib.admin.models import LogEntry

    reprs = list(LogEntry.objects.values_list("object_repr", flat=True))
    assert reprs and not [r for r in reprs if "Stojanovska" in r], reprs


# --- Free text warns against identifying victims ------------------------------------------

# Text the platform writes itself, or the official text of a recommendation as issued.
NOT_TYPED_BY_USERS = {
    "stakeholders.Institution.aliases",
    "programme.ImportBatch.file_error",
    "programme.ImportBatch.failure_reason",
    "programme.OutboxEmail.body_text",
    "programme.OutboxEmail.body_html",
    "programme.OutboxEmail.last_error",
    "programme.Report.failure_reason",
    "recommendations.Recommendation.text",
}


def test_every_free_text_field_warns_against_identifying_victims() -> None:
    silent = [
        f"{model._meta.label}.{field.name}"
        for model in _project_models()
        if not model.__name__.startswith("Historical")
        for field in model._meta.concrete_fields
        if isinstance(field, models.TextField)
        and not field.name.endswith(("_en", "_mk", "_sq"))
        and f"{model._meta.label}.{field.name}" not in NOT_TYPED_BY_USERS
        and str(NO_VICTIM_DETAILS) not in str(field.help_text)
    ]
    assert silent == []


def test_the_portal_forms_show_the_warning(client: Client, demo: dict[str, Any]) -> None:
    update = ProgressUpdate.objects.filter(institution__code="demo-cso-b").first()
    assert update is not None
    client.force_login(demo["demo-admin"])
    pages = [
        reverse("recommendations:update_detail", args=[update.pk]),  # comment and review
        reverse("recommendations:update_edit", args=[update.pk]),
        reverse("trainings:create"),
        reverse("programme:action_point_edit", args=[ActionPoint.objects.order_by("pk")[0].pk]),
    ]
    for url in pages:
        page = client.get(url).content.decode()
        assert "could identify a victim" in page, url


# --- Consent is given at a training --------------------------------------------------------


def test_the_migration_moves_each_participants_consent_onto_their_attendance(db: None) -> None:
    """Run backwards to where consent was the participant's, record consent there, run
    forwards: every attendance of a participant who consented carries the consent and its
    date, the others none."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    consented = AttendanceFactory(training=TrainingFactory())
    again = AttendanceFactory(participant=consented.participant, training=TrainingFactory())
    declined = AttendanceFactory(training=consented.training)
    people = {consented.participant_id: date(2024, 11, 5)}
    before = [("trainings", "0007_retention_schedule")]
    with connection.cursor() as cursor:
        # The rows above are not committed: their deferred checks must not hold up the DDL.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("trainings", "Participant")
    for pk, day in people.items():
        old.objects.filter(pk=pk).update(consent=True, consent_date=day)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    rows = {
        a.pk: (a.consent, a.consent_date)
        for a in Attendance.objects.filter(pk__in=[consented.pk, again.pk, declined.pk])
    }
    assert rows == {
        consented.pk: (True, date(2024, 11, 5)),
        again.pk: (True, date(2024, 11, 5)),
        declined.pk: (False, None),
    }
    # The records kept count as registered by the organiser of their first training.
    consented.participant.refresh_from_db()
    assert consented.participant.registered_by_institution == consented.training.organiser


def test_going_back_a_participant_consented_if_any_attendance_had(db: None) -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    early = AttendanceFactory(consent=True, consent_date=date(2024, 3, 1))
    AttendanceFactory(participant=early.participant, consent=True, consent_date=date(2024, 9, 1))
    none = AttendanceFactory()
    before = [("trainings", "0007_retention_schedule")]
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("trainings", "Participant")
    assert old.objects.get(pk=early.participant_id).consent_date == date(2024, 3, 1)
    assert old.objects.get(pk=early.participant_id).consent is True
    assert old.objects.get(pk=none.participant_id).consent is False
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
