"""The report job: Celery runs it with the report's id once the request is committed."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from programme.reports.services import job_time_limit, report_run, report_sweep


@shared_task(
    name="programme.reports.generate",
    acks_late=True,
    # The render is stopped by its own limit first; this only guards the job around it.
    soft_time_limit=settings.REPORT_RENDER_TIMEOUT + 60,
    time_limit=int(job_time_limit().total_seconds()),
)
def report_generate(report_id: int) -> None:
    """Generate one report. Safe to run twice: a finished report is left as it is."""
    report_run(report_id=report_id)


@shared_task(name="programme.reports.sweep", acks_late=True)
def report_sweep_run() -> int:
    """Queue again the reports whose job was lost (Redis down when they were asked for)."""
    return report_sweep()
