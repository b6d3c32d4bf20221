"""Erase the participants past the retention period, in this process: for installations
without a task queue (the embedded default), from cron or by hand. With Redis, Celery beat
runs it every night."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from trainings.services import participants_erase_expired


class Command(BaseCommand):
    help = (
        "Erase the details of participants whose last training ended before the retention period."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        erased = participants_erase_expired()
        days = settings.PARTICIPANT_RETENTION_DAYS
        self.stdout.write(f"Erased {erased} participants not trained in the last {days} days.")
