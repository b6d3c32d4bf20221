"""The report job: queued after commit, run once, frozen and versioned, failed with a reason,
stopped past its time or memory limit while the worker carries on."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from programme.models import Meeting, ReportingPeriod
from reports.choices import ReportKind, ReportStatus
from reports.models import Report
from reports.render import RenderFailed, _failure, render_pdf
from reports.services import (
    REQUEUE_AFTER,
    job_time_limit,
    report_request,
    report_run,
    report_sweep,
)
from tests.reports.conftest import pdf_text, render_children, stored_pdf
from trainings.models import Training

pytestmark = pytest.mark.django_db


def _queued(user) -> Report:
    """A report asked for and not yet run: the record of the seed's third meeting."""
    meeting = Meeting.objects.get(number=3)
    return report_request(by=user, kind=ReportKind.MEETING, language="en", meeting=meeting)


def _big_table(rows: int) -> str:
    cells = "".join(
        f"<tr><td>{i}</td><td>Participant number {i}</td><td>Skopje</td></tr>" for i in range(rows)
    )
    return f"<html><body><table>{cells}</table></body></html>"


def test_a_request_is_queued_and_the_job_runs_once_it_is_committed(
    demo, django_capture_on_commit_callbacks
) -> None:
    meeting = Meeting.objects.get(number=3)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = report_request(
            by=demo["demo-cso-a"], kind=ReportKind.MEETING, language="en", meeting=meeting
        )
    assert report.status == ReportStatus.QUEUED
    assert not report.file
    assert len(callbacks) == 1
    callbacks[0]()  # what transaction.on_commit does: the worker takes the job
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE
    pdf = stored_pdf(report)
    assert pdf.startswith(b"%PDF-")
    assert report.sha256 == hashlib.sha256(pdf).hexdigest()
    assert report.size == len(pdf)
    assert report.version == 1
    assert report.started_at is not None and report.finished_at is not None
    assert report.requested_by == demo["demo-cso-a"]
    assert report.parameters["meeting"]["number"] == 3


def test_each_generation_is_a_new_version_and_the_earlier_file_stays_as_it_was(
    demo, generate
) -> None:
    period = ReportingPeriod.objects.get(name="2025 H1")
    first = generate(by=demo["demo-admin"], kind=ReportKind.COMMITTEE, language="en", period=period)
    first_pdf = stored_pdf(first)
    second = generate(
        by=demo["demo-observer"], kind=ReportKind.COMMITTEE, language="en", period=period
    )
    other_language = generate(
        by=demo["demo-admin"], kind=ReportKind.COMMITTEE, language="sq", period=period
    )
    assert (first.version, second.version, other_language.version) == (1, 2, 1)
    assert first.file.name != second.file.name
    assert stored_pdf(first) == first_pdf
    assert hashlib.sha256(first_pdf).hexdigest() == first.sha256
    assert "Version: 2" in pdf_text(stored_pdf(second))


def test_running_the_job_twice_stores_one_pdf(demo, generate, media) -> None:
    report = generate(
        by=demo["demo-admin"],
        kind=ReportKind.MEETING,
        language="mk",
        meeting=Meeting.objects.get(number=4),
    )
    before = (report.file.name, report.sha256, report.finished_at)
    again = report_run(report_id=report.pk)
    assert (again.file.name, again.sha256, again.finished_at) == before
    assert len(list(Path(media).rglob("*.pdf"))) == 1


def test_a_job_left_running_by_a_lost_worker_is_run_again(demo) -> None:
    report = _queued(demo["demo-admin"])
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING)
    assert report_run(report_id=report.pk).status == ReportStatus.DONE


def test_a_report_being_generated_by_a_live_job_is_left_to_it(demo) -> None:
    """A second message for the same report (the sweep, a redelivery) does not render it twice,
    unless the first job has outlived its time limit."""
    report = _queued(demo["demo-admin"])
    started = timezone.now() - timedelta(seconds=5)
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.RUNNING, started_at=started)
    left = report_run(report_id=report.pk)
    assert (left.status, left.started_at, bool(left.file)) == (ReportStatus.RUNNING, started, False)

    long_ago = timezone.now() - job_time_limit() - timedelta(seconds=1)
    Report.objects.filter(pk=report.pk).update(started_at=long_ago)
    assert report_run(report_id=report.pk).status == ReportStatus.DONE


def test_the_sweep_queues_only_the_reports_left_waiting(demo) -> None:
    """Here jobs run in-process, so a report the sweep queues is generated at once."""
    now = timezone.now()
    made = {}
    for name in ("queued now", "queued long ago", "running now", "running long ago", "done"):
        made[name] = _queued(demo["demo-admin"])
    Report.objects.filter(pk=made["queued long ago"].pk).update(
        updated_at=now - REQUEUE_AFTER - timedelta(seconds=1)
    )
    Report.objects.filter(pk=made["running now"].pk).update(
        status=ReportStatus.RUNNING, started_at=now - timedelta(seconds=30)
    )
    Report.objects.filter(pk=made["running long ago"].pk).update(
        status=ReportStatus.RUNNING, started_at=now - job_time_limit() - REQUEUE_AFTER
    )
    report_run(report_id=made["done"].pk)

    assert report_sweep() == 2
    status = {name: Report.objects.get(pk=r.pk).status for name, r in made.items()}
    assert status == {
        "queued now": ReportStatus.QUEUED,
        "queued long ago": ReportStatus.DONE,
        "running now": ReportStatus.RUNNING,
        "running long ago": ReportStatus.DONE,
        "done": ReportStatus.DONE,
    }
    assert report_sweep() == 0


def test_without_a_queue_the_periodic_command_generates_the_reports_left_waiting(demo) -> None:
    from io import StringIO

    from django.core.management import call_command

    report = _queued(demo["demo-admin"])
    Report.objects.filter(pk=report.pk).update(updated_at=timezone.now() - REQUEUE_AFTER)
    out = StringIO()
    call_command("notifications_run", stdout=out)
    assert "Jobs left waiting: 1 reports queued again." in out.getvalue()
    assert Report.objects.get(pk=report.pk).status == ReportStatus.DONE


def test_the_reports_left_waiting_are_in_the_jobs_sweep() -> None:
    """The jobs' sweep, which beat runs every minute, includes the reports' sweep."""
    from core.jobs import _SWEEPS

    assert _SWEEPS["reports"] is report_sweep


def test_a_report_whose_subject_is_gone_fails_with_a_reason_in_its_language(demo) -> None:
    training = Training.objects.filter(is_demo=True, status="held").first()
    assert training is not None
    report = report_request(
        by=demo["demo-admin"], kind=ReportKind.TRAINING, language="mk", training=training
    )
    training.delete()
    report = report_run(report_id=report.pk)
    assert report.status == ReportStatus.FAILED
    assert report.failure_reason == "Обуката на овој извештај веќе не постои."
    assert report.version is None
    assert not report.file


def test_a_render_past_its_time_limit_is_stopped_and_leaves_nothing_running() -> None:
    started = time.monotonic()
    with pytest.raises(RenderFailed) as stopped:
        render_pdf(html=_big_table(6000), timeout=2)
    assert stopped.value.reason == "timeout"
    assert time.monotonic() - started < 10  # stopped, not left to finish (it takes longer)
    assert render_children() == []


def test_a_render_past_its_memory_limit_is_stopped() -> None:
    with pytest.raises(RenderFailed) as stopped:
        render_pdf(html=_big_table(8000), timeout=120, memory_mb=200)
    assert stopped.value.reason == "memory", stopped.value.detail
    assert render_children() == []


def test_a_job_past_its_limits_is_marked_failed_and_the_worker_goes_on(
    demo, generate, settings
) -> None:
    period = ReportingPeriod.objects.get(name="2025 H1")
    settings.REPORT_RENDER_TIMEOUT = 0.3  # shorter than the renderer takes to start
    slow = generate(by=demo["demo-admin"], kind=ReportKind.COMMITTEE, language="en", period=period)
    assert slow.status == ReportStatus.FAILED
    assert slow.failure_reason.startswith("The report took longer than 0.3 seconds to render")
    assert slow.version is None and not slow.file

    settings.REPORT_RENDER_TIMEOUT = 120
    settings.REPORT_RENDER_MEMORY_MB = 120  # less than the renderer needs to start
    hungry = generate(
        by=demo["demo-admin"], kind=ReportKind.COMMITTEE, language="sq", period=period
    )
    assert hungry.status == ReportStatus.FAILED
    assert "120 MB" in hungry.failure_reason
    assert render_children() == []

    # The same worker process takes the next job as if nothing had happened.
    settings.REPORT_RENDER_MEMORY_MB = 1024
    fine = generate(by=demo["demo-admin"], kind=ReportKind.COMMITTEE, language="en", period=period)
    assert fine.status == ReportStatus.DONE
    assert fine.version == 1


def test_the_job_says_how_it_went_at_its_notification_call_site(demo, generate, caplog) -> None:
    report = generate(
        by=demo["demo-ministry"],
        kind=ReportKind.MEETING,
        language="en",
        meeting=Meeting.objects.get(number=3),
    )
    assert f"Report {report.pk} for {demo['demo-ministry'].pk} is done" in caplog.text


def test_the_worker_finds_the_report_job() -> None:
    """Celery's autodiscovery, as a worker starting up runs it, registers the job."""
    from config.celery import app

    app.loader.import_default_modules()
    assert "reports.generate" in app.tasks


def test_running_out_of_memory_is_recognised_however_the_renderer_says_it() -> None:
    """Python's MemoryError at the start of a long chained traceback, or a native library's."""
    chained = "Traceback (most recent call last):\nMemoryError\n\nDuring handling of the above "
    chained += "exception, another exception occurred:\n" + '  File "x.py", line 1\n' * 200
    chained += "RuntimeError: a box could not be laid out"
    assert _failure(1, chained, memory_mb=200).reason == "memory"
    assert _failure(1, "OSError: [Errno 12] Cannot allocate memory", memory_mb=200).reason == (
        "memory"
    )
    other = _failure(1, "Traceback...\nValueError: not a colour", memory_mb=200)
    assert (other.reason, other.detail) == ("error", "ValueError: not a colour")
