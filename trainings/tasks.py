"""The trainings' jobs: the participants' retention period."""

from __future__ import annotations

from celery import shared_task

from trainings.services import participants_erase_expired


@shared_task(name="trainings.participants.erase_expired")
def participants_retention() -> int:
    """Erase the participants past the retention period. Safe to run twice: an erased
    participant is left as they are."""
    return participants_erase_expired()
