"""Run the periodic notification jobs once, in this process: for installations without a
task queue (the embedded default), from cron or by hand. With Redis, Celery beat runs them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core.jobs import jobs_sweep
from notifications import reminders, services
from notifications.choices import Frequency


class Command(BaseCommand):
    help = (
        "Make today's reminders, send a digest if asked, and queue again every job left "
        "waiting: emails due, reports and imports."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--digest",
            choices=[Frequency.DAILY.value, Frequency.WEEKLY.value],
            help="Also send the daily or the weekly digests.",
        )

    def handle(self, *args: Any, digest: str | None, **options: Any) -> None:
        made = reminders.reminders_run()
        self.stdout.write(f"Reminders: {made} new notifications.")
        if digest:
            self.stdout.write(f"Digests: {services.digest_send(frequency=digest)} emails.")
        for job, queued in jobs_sweep().items():
            self.stdout.write(f"Jobs left waiting: {queued} {job} queued again.")
