"""The platform's jobs: the email outbox's sender, and the sweep of every job left waiting."""

from __future__ import annotations

from celery import shared_task

from core import jobs
from core.outbox import outbox_send

__all__ = ["jobs_sweep", "outbox_send"]


@shared_task(name="core.jobs_sweep", acks_late=True)
def jobs_sweep() -> dict[str, int]:
    """Queue again every job left waiting: emails due, reports and imports whose job was lost."""
    return jobs.jobs_sweep()
