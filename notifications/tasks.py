"""The notification jobs. Each takes ids or nothing, calls a service, and is safe to repeat:
run twice, it sends one email."""

from __future__ import annotations

from celery import shared_task

from notifications import reminders, services


@shared_task(name="notifications.reminders_run", acks_late=True)
def reminders_run() -> int:
    """Make today's reminders (each deadline and stage once)."""
    return reminders.reminders_run()


@shared_task(name="notifications.digest_send", acks_late=True)
def digest_send(frequency: str) -> int:
    """Send the daily or weekly digests: one email per person with notifications waiting."""
    return services.digest_send(frequency=frequency)
