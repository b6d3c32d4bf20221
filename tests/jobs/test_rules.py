"""The reminder rules and the email preferences, run in-process (the suite's eager mode)."""

from __future__ import annotations

import smtplib
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core import outbox
from core.choices import EmailStatus
from core.models import OutboxEmail
from notifications import reminders, services
from notifications.choices import (
    Frequency,
    NotificationEmailState,
    NotificationKind,
    ReminderStage,
)
from notifications.models import Notification
from recommendations.choices import UpdateState
from reports.choices import ReportStatus
from tests import factories
from tests.jobs.conftest import free_port
from tests.jobs.scenario import owing_update

pytestmark = pytest.mark.django_db

DUE = date(2026, 7, 31)


@pytest.mark.parametrize(
    ("today", "stage"),
    [
        (DUE - timedelta(days=15), None),  # too early for a notice
        (DUE - timedelta(days=14), ReminderStage.BEFORE),
        (DUE - timedelta(days=1), ReminderStage.BEFORE),
        (DUE, ReminderStage.DUE),
        (DUE + timedelta(days=1), ReminderStage.OVERDUE),
        (DUE + timedelta(days=13), ReminderStage.OVERDUE),
        (DUE + timedelta(days=14), ReminderStage.ESCALATED),
        (DUE + timedelta(days=60), ReminderStage.ESCALATED),
    ],
)
def test_reminder_stage_before_on_overdue_and_escalated(today: date, stage: str | None) -> None:
    assert reminders.reminder_stage(due=DUE, today=today, notice_days=14) == stage


def _told(kind: str = NotificationKind.UPDATE_DUE) -> set[tuple[str, str]]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", "stage"))


def test_notice_goes_to_the_institutions_editors_and_focal_point() -> None:
    owing_update(due_in_days=10)
    assert reminders.reminders_run() == 2
    assert _told() == {("focal", ReminderStage.BEFORE), ("editor", ReminderStage.BEFORE)}


def test_overdue_goes_to_the_focal_point_then_escalates_to_the_programme_team() -> None:
    o = owing_update(due_in_days=0)
    today = timezone.localdate()
    reminders.reminders_run(today=today + timedelta(days=3))
    assert _told() == {("focal", ReminderStage.OVERDUE)}
    reminders.reminders_run(today=today + timedelta(days=20))
    assert _told() == {("focal", ReminderStage.OVERDUE), ("team", ReminderStage.ESCALATED)}
    escalated = Notification.objects.get(recipient=o.team)
    assert "MLSP" in escalated.text and "7" in escalated.text


def test_a_submitted_update_stops_the_reminders() -> None:
    o = owing_update(due_in_days=0)
    factories.ProgressUpdateFactory.create(
        recommendation=o.recommendation,
        institution=o.institution,
        period=o.period,
        state=UpdateState.SUBMITTED,
    )
    assert reminders.reminders_run() == 0


def test_running_the_reminders_again_tells_nobody_twice() -> None:
    owing_update(due_in_days=0)
    assert reminders.reminders_run() == 2
    assert reminders.reminders_run() == 0
    assert Notification.objects.count() == 2


def test_action_points_trainings_and_studies_are_reminded() -> None:
    today = timezone.localdate()
    o = owing_update(due_in_days=30)  # the update itself is not due yet
    factories.ActionPointFactory.create(owner=o.institution, due_date=today + timedelta(days=3))
    factories.TrainingFactory.create(
        organiser=o.institution,
        status="planned",
        start_date=today + timedelta(days=2),
        end_date=today + timedelta(days=2),
    )
    factories.TrainingFactory.create(
        organiser=o.institution,
        status="held",
        start_date=today - timedelta(days=5),
        end_date=today - timedelta(days=4),
    )
    factories.StudyFactory.create(status="draft", due_date=today)
    reminders.reminders_run()
    assert _told(NotificationKind.ACTION_POINT_DUE) == {
        ("focal", ReminderStage.BEFORE),
        ("editor", ReminderStage.BEFORE),
    }
    assert {u for u, _s in _told(NotificationKind.TRAINING_STARTS)} == {"focal", "editor"}
    assert {u for u, _s in _told(NotificationKind.TRAINING_RECORD)} == {"focal", "editor"}
    assert _told(NotificationKind.STUDY_DUE) == {("team", ReminderStage.DUE)}
    assert not _told(NotificationKind.UPDATE_DUE)


# --- Preferences -----------------------------------------------------------------------------


def _notify(user, key: str) -> list[Notification]:
    return services.notification_notify(
        recipients=[user],
        kind=NotificationKind.TRAINING_RECORD,
        key=key,
        url="/trainings/",
        params={"title": f"Training {key}"},
    )


def test_immediately_sends_one_email_per_notification(django_capture_on_commit_callbacks):
    user = factories.UserFactory.create()
    services.preference_set(user=user, frequency=Frequency.IMMEDIATELY)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(user, "a")
        _notify(user, "b")
    assert len(mail.outbox) == 2
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {EmailStatus.SENT}
    assert services.digest_send(frequency=Frequency.DAILY) == 0


@pytest.mark.parametrize("frequency", [Frequency.DAILY, Frequency.WEEKLY])
def test_digests_send_one_email_for_everything_waiting(
    frequency: str, django_capture_on_commit_callbacks
) -> None:
    user = factories.UserFactory.create()
    services.preference_set(user=user, frequency=frequency)
    other = Frequency.WEEKLY if frequency == Frequency.DAILY else Frequency.DAILY
    with django_capture_on_commit_callbacks(execute=True):
        for key in ("a", "b", "c"):
            _notify(user, key)
        assert mail.outbox == []
        assert services.digest_send(frequency=other) == 0
        assert services.digest_send(frequency=frequency) == 1
        assert services.digest_send(frequency=frequency) == 0
    assert len(mail.outbox) == 1
    for key in ("a", "b", "c"):
        assert f"Training {key}" in mail.outbox[0].body


def test_off_keeps_notifications_on_the_page_only(django_capture_on_commit_callbacks) -> None:
    user = factories.UserFactory.create()
    services.preference_set(user=user, frequency=Frequency.OFF)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(user, "a")
        services.digest_send(frequency=Frequency.DAILY)
        services.digest_send(frequency=Frequency.WEEKLY)
    assert mail.outbox == []
    assert Notification.objects.get().email_state == NotificationEmailState.SKIPPED


def test_preferences_page_saves_the_choice(client) -> None:
    user = factories.UserFactory.create()
    client.force_login(user)
    url = reverse("notifications:notification_preferences")
    assert client.get(url).status_code == 200
    response = client.post(url, {"frequency": "weekly"})
    assert response.status_code == 302
    assert user.notification_preference.frequency == Frequency.WEEKLY
    assert client.post(url, {"frequency": "hourly"}).status_code == 200  # not a choice
    user.notification_preference.refresh_from_db()
    assert user.notification_preference.frequency == Frequency.WEEKLY


def test_notifications_page_header_count_and_opening_one(client) -> None:
    user, other = factories.UserFactory.create(), factories.UserFactory.create()
    services.preference_set(user=user, frequency=Frequency.OFF)
    mine = _notify(user, "a")[0]
    theirs = _notify(other, "b")[0]
    client.force_login(user)
    page = client.get(reverse("notifications:notification_list")).content.decode()
    assert "Training a" in page and "Training b" not in page
    assert "(1<span" in page  # the unread count in the header
    assert "Jobs run in-process on this server" in page
    opened = client.get(reverse("notifications:notification_open", args=[mine.pk]))
    assert opened.status_code == 302 and opened["Location"] == "/trainings/"
    mine.refresh_from_db()
    assert mine.is_read
    assert (
        client.get(reverse("notifications:notification_open", args=[theirs.pk])).status_code == 404
    )


# --- The outbox ------------------------------------------------------------------------------


def test_an_email_is_retried_with_backoff_then_marked_failed(settings) -> None:
    """A real SMTP connection to a port where nothing listens: every try fails."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.OUTBOX_RETRY_SECONDS = 60
    email = factories.OutboxEmailFactory.create()
    assert outbox.outbox_email_send(email_id=email.pk) == outbox.RETRY
    email.refresh_from_db()
    assert email.status == EmailStatus.PENDING and email.attempts == 1
    assert "ConnectionRefusedError" in email.last_error
    assert email.next_attempt_at > timezone.now() + timedelta(seconds=50)
    assert outbox.outbox_email_send(email_id=email.pk) == outbox.NOT_DUE  # waits its turn
    for attempts, outcome in ((2, outbox.RETRY), (3, outbox.FAILED)):
        OutboxEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
        assert outbox.outbox_email_send(email_id=email.pk) == outcome
        email.refresh_from_db()
        assert email.attempts == attempts
    assert email.status == EmailStatus.FAILED
    assert outbox.outbox_retry_delay(attempts=2) == timedelta(seconds=120)
    assert not issubclass(smtplib.SMTPException, ConnectionRefusedError)


def test_failed_emails_are_visible_in_the_admin(admin_client) -> None:
    failed = factories.OutboxEmailFactory.create(status=EmailStatus.FAILED, last_error="Refused")
    sent = factories.OutboxEmailFactory.create(status=EmailStatus.SENT)
    url = reverse("admin:core_outboxemail_changelist")
    listed = admin_client.get(url, {"status__exact": "failed"}).context["cl"].result_list
    assert list(listed) == [failed]
    assert sent not in listed


def test_a_finished_report_tells_its_requester_once() -> None:
    report = factories.ReportFactory.create(status=ReportStatus.FAILED, failure_reason="Too long.")
    assert len(services.notify_report_finished(report=report)) == 1
    assert services.notify_report_finished(report=report) == []
    notification = Notification.objects.get(recipient=report.requested_by)
    assert notification.url == reverse("reports:report_detail", args=[report.pk])
    assert "could not be made" in notification.text and "Too long." in notification.text


def test_the_periodic_jobs_are_scheduled_once_under_tasks_that_exist() -> None:
    """Beat reads the schedule from the database: one sweep for every job left waiting, the
    reminders and the digests, each naming a task the worker has."""
    from config.celery import app

    tasks = dict(PeriodicTask.objects.values_list("name", "task"))
    assert {name: task for name, task in tasks.items() if not task.startswith("trainings.")} == {
        "Jobs: queue again what was left waiting": "core.jobs_sweep",
        "Notifications: make the reminders": "notifications.reminders_run",
        "Notifications: daily digest": "notifications.digest_send",
        "Notifications: weekly digest": "notifications.digest_send",
    }
    app.loader.import_default_modules()
    assert set(tasks.values()) <= set(app.tasks)


def test_an_installation_upgraded_keeps_its_schedules_under_the_new_task_names() -> None:
    """The schedules an earlier version made (and an admin may have retimed) are renamed in
    place; the two sweeps it had become the one."""
    from importlib import import_module

    migration = import_module("core.migrations.0002_jobs_sweep")
    PeriodicTask.objects.all().delete()
    import_module("programme.migrations.0006_notifications").schedules_create(apps, None)
    import_module("programme.migrations.0010_report_sweep").schedule_create(apps, None)
    reminders_job = PeriodicTask.objects.get(name="Notifications: make the reminders")
    migration.forward(apps, None)
    migration.forward(apps, None)  # twice: still one of each
    assert sorted(PeriodicTask.objects.values_list("task", flat=True)) == [
        "core.jobs_sweep",
        "notifications.digest_send",
        "notifications.digest_send",
        "notifications.reminders_run",
    ]
    assert PeriodicTask.objects.get(pk=reminders_job.pk).task == "notifications.reminders_run"
    migration.backward(apps, None)
    assert "programme.reports.sweep" in set(PeriodicTask.objects.values_list("task", flat=True))
