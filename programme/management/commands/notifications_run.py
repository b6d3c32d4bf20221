"""Run the periodic notification jobs once, in this process: for installations without a
task queue (the embedded default), from cron or by hand. With Redis, Celery beat runs them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from programme.notifications import reminders, services
from programme.notifications.choices import Frequency
from programme.reports.services import report_sweep


class Command(BaseCommand):
    help = (
        "Make today's reminders, send a digest if asked, send the outbox, and generate the "
        "reports left waiting."
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
        self.stdout.write(f"Outbox: {services.outbox_sweep()} emails due were queued.")
        self.stdout.write(f"Reports: {report_sweep()} left waiting were queued again.")
