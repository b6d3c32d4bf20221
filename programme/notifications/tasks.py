"""The notification jobs. Each takes ids or nothing, calls a service, and is safe to repeat:
run twice, it sends one email."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from programme.notifications import reminders, services
from programme.notifications.models import OutboxEmail


@shared_task(name="programme.notifications.outbox_send", acks_late=True)
def outbox_send(email_id: int) -> str:
    """Send one email of the outbox; after a failed try, queue the next one.

    A retry is queued only while its wait is well inside the broker's visibility timeout, so
    Redis never hands the same message out twice; longer waits are left to the sweep.
    """
    outcome = services.outbox_email_send(email_id=email_id)
    if outcome == services.RETRY and not settings.CELERY_TASK_ALWAYS_EAGER:
        email = OutboxEmail.objects.filter(pk=email_id).only("next_attempt_at").first()
        if email is not None:
            wait = max((email.next_attempt_at - timezone.now()).total_seconds(), 0)
            if wait < settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] / 2:
                services.outbox_enqueue(email_id, countdown=wait)
    return outcome


@shared_task(name="programme.notifications.outbox_sweep", acks_late=True)
def outbox_sweep() -> int:
    """Queue every email that is due: retries, and any whose queue message was lost."""
    return services.outbox_sweep()


@shared_task(name="programme.notifications.reminders_run", acks_late=True)
def reminders_run() -> int:
    """Make today's reminders (each deadline and stage once)."""
    return reminders.reminders_run()


@shared_task(name="programme.notifications.digest_send", acks_late=True)
def digest_send(frequency: str) -> int:
    """Send the daily or weekly digests: one email per person with notifications waiting."""
    return services.digest_send(frequency=frequency)
