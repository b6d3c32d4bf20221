"""The jobs through real Celery workers on a real Redis, emailing a real SMTP server.

Each test commits its data (transactional_db) so the worker, another process with its own
database connection, sees it. Nothing here is mocked: faults are made by stopping the SMTP
server, pointing at a Redis port where nothing listens, and killing a worker with SIGKILL.
"""

from __future__ import annotations

import logging
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core import outbox
from core import tasks as core_tasks
from core.choices import EmailStatus
from core.models import OutboxEmail
from notifications import services, tasks
from notifications.choices import Frequency, NotificationKind
from notifications.models import Notification
from recommendations.choices import UpdateState
from recommendations.services import progress_update_create
from tests import factories
from tests.jobs.conftest import free_port, wait_for
from tests.jobs.scenario import owing_update

pytestmark = pytest.mark.django_db(transaction=True)


def _parts(message: EmailMessage) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_content()
        for part in message.walk()
        if part.get_content_maintype() == "text"
    }


def _no_more_mail(sink, count: int, seconds: float = 3) -> None:
    """Wait a while and check nothing else arrived (a repeat would come within it)."""
    time.sleep(seconds)
    assert len(sink.received) == count


def test_a_reminder_run_by_the_worker_arrives_in_the_users_language(
    broker, start_worker, smtp_sink, settings
) -> None:
    o = owing_update(due_in_days=0, language="mk")
    o.editor.delete()  # only the Macedonian-speaking focal point is told
    start_worker()
    tasks.reminders_run.delay()
    wait_for(lambda: smtp_sink.received, what="the reminder email")
    _no_more_mail(smtp_sink, 1)
    message = smtp_sink.messages[0]
    assert message["To"] == o.focal_point.email
    assert message["Content-Language"] == "mk"
    assert "Извештаите за напредок" in message["Subject"]
    parts = _parts(message)
    assert set(parts) == {"text/plain", "text/html"}
    dashboard = f"{settings.PLATFORM_URL}{reverse('dashboard:dashboard')}"
    preferences = f"{settings.PLATFORM_URL}{reverse('notifications:notification_preferences')}"
    for body in parts.values():
        assert "Извештаите за напредок" in body
        assert "MLSP" in body
        assert dashboard in body and preferences in body
    assert f'href="{dashboard}"' in parts["text/html"]
    email = OutboxEmail.objects.get()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 1)


def test_a_digest_is_one_email_for_several_notifications(broker, start_worker, smtp_sink) -> None:
    user = factories.UserFactory.create(preferred_language="en")
    services.preference_set(user=user, frequency=Frequency.DAILY)
    for n in range(3):
        services.notification_notify(
            recipients=[user],
            kind=NotificationKind.TRAINING_RECORD,
            key=f"training_record:{n}",
            url=f"/trainings/{n}/",
            params={"title": f"Referral workshop {n}"},
        )
    start_worker()
    tasks.digest_send.delay(Frequency.DAILY)
    tasks.digest_send.delay(Frequency.DAILY)
    wait_for(lambda: smtp_sink.received, what="the digest")
    _no_more_mail(smtp_sink, 1)
    message = smtp_sink.messages[0]
    assert message["Subject"] == "3 notifications from the anti-trafficking platform"
    text = _parts(message)["text/plain"]
    for n in range(3):
        assert f"Referral workshop {n}" in text and f"/trainings/{n}/" in text


def test_a_report_job_runs_on_the_worker_and_tells_the_requester(
    broker, start_worker, smtp_sink, settings, tmp_path
) -> None:
    from reports.choices import ReportKind, ReportStatus
    from reports.models import Report
    from reports.services import report_request

    settings.MEDIA_ROOT = tmp_path / "media"
    user = factories.UserFactory.create(is_staff=True, programme_team=True)
    services.preference_set(user=user, frequency=Frequency.IMMEDIATELY)
    meeting = factories.MeetingFactory.create()
    start_worker()
    with transaction.atomic():
        report = report_request(by=user, kind=ReportKind.MEETING, language="en", meeting=meeting)
    wait_for(lambda: smtp_sink.received, timeout=120, what="the report's email")
    report = Report.objects.get(pk=report.pk)
    assert report.status in (ReportStatus.DONE, ReportStatus.FAILED)
    if report.status == ReportStatus.FAILED:
        pytest.fail(f"The report job failed on the worker: {report.failure_reason}")
    link = f"{settings.PLATFORM_URL}{report.get_absolute_url()}"
    assert link in _parts(smtp_sink.messages[0])["text/plain"]
    assert Notification.objects.get(recipient=user).url == report.get_absolute_url()
    _no_more_mail(smtp_sink, 1)


def test_smtp_down_the_email_is_retried_and_sent_once_it_is_back(
    broker, start_worker, smtp_sink
) -> None:
    smtp_sink.stop()
    user = factories.UserFactory.create()
    services.preference_set(user=user, frequency=Frequency.IMMEDIATELY)
    start_worker()
    with transaction.atomic():
        services.notification_notify(
            recipients=[user],
            kind=NotificationKind.TRAINING_RECORD,
            key="training_record:1",
            url="/trainings/1/",
            params={"title": "Labour inspectors"},
        )
    email = OutboxEmail.objects.get()
    wait_for(lambda: OutboxEmail.objects.get(pk=email.pk).attempts >= 2, what="two failed tries")
    email.refresh_from_db()
    assert email.status == EmailStatus.PENDING
    assert "Connection refused" in email.last_error or "ConnectionRefused" in email.last_error
    smtp_sink.start()
    wait_for(
        lambda: OutboxEmail.objects.get(pk=email.pk).status == EmailStatus.SENT,
        what="the email to be sent once SMTP is back",
    )
    core_tasks.jobs_sweep.delay()  # a sweep after it was sent sends nothing more
    _no_more_mail(smtp_sink, 1)
    assert "Labour inspectors" in smtp_sink.messages[0]["Subject"]


def test_redis_down_when_an_update_is_submitted_the_sweeper_delivers_it_later(
    broker, start_worker, smtp_sink, client, caplog, redis_url
) -> None:
    o = owing_update(due_in_days=5, language="en")
    update = progress_update_create(
        recommendation=o.recommendation,
        institution=o.institution,
        period=o.period,
        status="in_progress",
        narrative="Guidelines for labour inspectors drafted.",
        by=o.editor,
    )
    broker(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there: Redis is down
    client.force_login(o.editor)
    with caplog.at_level(logging.WARNING, logger="core.jobs"):
        response = client.post(reverse("recommendations:update_submit", args=[update.pk]))
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.state == UpdateState.SUBMITTED  # the user's work is saved
    email = OutboxEmail.objects.get(recipient=o.team)
    assert (email.status, email.attempts) == (EmailStatus.PENDING, 0)
    assert "Could not queue email" in caplog.text and "the sweep will queue it again" in caplog.text

    broker(redis_url)  # Redis is back
    start_worker()
    time.sleep(1)
    assert smtp_sink.received == []  # nothing was queued while Redis was down
    core_tasks.jobs_sweep.delay()
    wait_for(lambda: smtp_sink.received, what="the swept email")
    _no_more_mail(smtp_sink, 1)
    assert "recommendation 7" in smtp_sink.messages[0]["Subject"]


def test_redis_down_when_a_report_is_asked_for_the_sweep_queues_it_later(
    broker, start_worker, smtp_sink, client, caplog, redis_url, settings, tmp_path
) -> None:
    from reports.choices import ReportStatus
    from reports.models import Report
    from reports.services import REQUEUE_AFTER

    settings.MEDIA_ROOT = tmp_path / "media"
    user = factories.UserFactory.create(is_staff=True, programme_team=True)
    meeting = factories.MeetingFactory.create()
    broker(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there: Redis is down
    client.force_login(user)
    with caplog.at_level(logging.WARNING, logger="core.jobs"):
        response = client.post(
            reverse("reports:report_request"),
            {"kind": "meeting", "meeting": meeting.pk, "language": "en"},
        )
    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"] == report.get_absolute_url()
    assert report.status == ReportStatus.QUEUED  # the request is kept
    assert (
        "Could not queue report" in caplog.text and "the sweep will queue it again" in caplog.text
    )

    broker(redis_url)  # Redis is back
    start_worker()
    core_tasks.jobs_sweep.delay()  # too early: the report may still be on its way
    time.sleep(2)
    assert Report.objects.get(pk=report.pk).status == ReportStatus.QUEUED
    page = client.get(report.get_absolute_url()).content.decode()
    assert "taking longer than usual" not in page

    Report.objects.filter(pk=report.pk).update(updated_at=timezone.now() - REQUEUE_AFTER)
    page = client.get(report.get_absolute_url()).content.decode()
    assert "taking longer than usual" in page
    core_tasks.jobs_sweep.delay()
    wait_for(
        lambda: Report.objects.get(pk=report.pk).status == ReportStatus.DONE,
        timeout=120,
        what="the swept report",
    )
    report = Report.objects.get(pk=report.pk)
    assert (report.version, report.failure_reason) == (1, "")


def test_the_same_reminder_job_run_twice_sends_one_email(broker, start_worker, smtp_sink) -> None:
    o = owing_update(due_in_days=0, language="en")
    o.editor.delete()
    start_worker()
    tasks.reminders_run.delay()
    tasks.reminders_run.delay()
    wait_for(lambda: smtp_sink.received, what="the reminder")
    email = OutboxEmail.objects.get()
    outbox.outbox_send.delay(email.pk)  # and its sending job once more
    _no_more_mail(smtp_sink, 1, seconds=4)
    assert Notification.objects.count() == 1


def test_a_job_queued_in_a_transaction_that_rolls_back_never_runs(
    broker, start_worker, smtp_sink, redis_client
) -> None:
    user = factories.UserFactory.create()
    services.preference_set(user=user, frequency=Frequency.IMMEDIATELY)

    class Abandon(Exception):
        pass

    with pytest.raises(Abandon), transaction.atomic():
        services.notification_notify(
            recipients=[user],
            kind=NotificationKind.TRAINING_RECORD,
            key="training_record:1",
            url="/trainings/1/",
            params={"title": "Never"},
        )
        assert OutboxEmail.objects.count() == 1
        raise Abandon
    assert redis_client.llen("celery") == 0  # nothing was sent to the queue
    assert OutboxEmail.objects.count() == 0
    start_worker()
    core_tasks.jobs_sweep.delay()
    _no_more_mail(smtp_sink, 0)


def test_a_worker_killed_mid_task_leaves_it_to_the_next_worker_which_sends_once(
    broker, start_worker, smtp_sink, tmp_path: Path
) -> None:
    """The first worker sends the email, then dies before the job ends; Redis hands the
    unacknowledged job to a new worker, which runs it again and finds the email sent."""
    # A short visibility timeout (twice the time limit): Redis hands the unacknowledged
    # message to another worker 8 seconds after the first one took it.
    limits = {"CELERY_TASK_TIME_LIMIT": "4", "CELERY_TASK_SOFT_TIME_LIMIT": "3"}
    email = factories.OutboxEmailFactory.create(to="focal@example.org", subject="Kill test")
    run_log = tmp_path / "runs"
    first = start_worker(**limits)
    taken = time.monotonic()
    from config.celery import app

    app.send_task("tests.jobs.slow_send", args=[email.pk, str(run_log)])
    wait_for(run_log.exists, what="the first worker to run the job")
    first.kill()
    assert len(smtp_sink.received) == 1
    time.sleep(max(0, 8.5 - (time.monotonic() - taken)))
    start_worker(**limits)
    wait_for(lambda: len(run_log.read_text().split()) == 2, timeout=30, what="the job to run again")
    assert run_log.read_text().split() == [outbox.SENT, outbox.DONE_BEFORE]
    _no_more_mail(smtp_sink, 1)
    email.refresh_from_db()
    assert (email.status, email.attempts) == (EmailStatus.SENT, 1)


def test_redis_down_when_an_import_is_asked_for_the_sweep_checks_and_imports_it_later(
    broker, start_worker, client, caplog, redis_url, settings, tmp_path
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from imports.choices import ImportStatus
    from imports.models import ImportBatch
    from imports.services import IMPORT_REQUEUE_AFTER, IMPORT_REQUEUE_APPLYING
    from stakeholders.models import Institution
    from tests.imports import files

    settings.MEDIA_ROOT = tmp_path / "media"
    user = factories.UserFactory.create(is_staff=True, is_superuser=True)
    down = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there: Redis is down
    broker(down)
    client.force_login(user)
    data = files.xlsx(
        ["Code", "Name (English)", "Kind"],
        [["nra", "National Referral Mechanism office", "Public agency"]],
    )
    with caplog.at_level(logging.WARNING, logger="core.jobs"):
        response = client.post(
            reverse("imports:import_start", args=["institutions"]),
            {"file": SimpleUploadedFile("institutions.xlsx", data)},
        )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and batch.status == ImportStatus.QUEUED  # kept
    assert "Could not queue import batch" in caplog.text

    def status() -> str:
        return ImportBatch.objects.get(pk=batch.pk).status

    broker(redis_url)  # Redis is back
    start_worker()
    core_tasks.jobs_sweep.delay()  # too early: the job may still be on its way
    time.sleep(2)
    assert status() == ImportStatus.QUEUED
    ImportBatch.objects.filter(pk=batch.pk).update(updated_at=timezone.now() - IMPORT_REQUEUE_AFTER)
    core_tasks.jobs_sweep.delay()
    checking = (ImportStatus.QUEUED, ImportStatus.CHECKING)
    wait_for(lambda: status() not in checking, timeout=120, what="the swept check")
    batch.refresh_from_db()
    assert batch.status == ImportStatus.CHECKED, (batch.file_error, batch.errors)

    broker(down)  # down again when the importer confirms
    response = client.post(reverse("imports:import_confirm", args=[batch.pk]))
    assert response.status_code == 302 and status() == ImportStatus.APPLYING
    assert not Institution.objects.filter(code="nra").exists()
    broker(redis_url)
    ImportBatch.objects.filter(pk=batch.pk).update(
        updated_at=timezone.now() - IMPORT_REQUEUE_APPLYING
    )
    core_tasks.jobs_sweep.delay()
    wait_for(lambda: status() != ImportStatus.APPLYING, timeout=120, what="the swept import")
    batch.refresh_from_db()
    assert batch.status == ImportStatus.APPLIED, (batch.failure_reason, batch.errors)
    assert Institution.objects.get(code="nra").name_en == "National Referral Mechanism office"
