"""The import jobs: Celery runs them with the batch's id once the request is committed."""

from __future__ import annotations

from celery import shared_task

from programme import imports


@shared_task(name="programme.imports.check", acks_late=True)
def import_check(batch_id: int) -> None:
    """Check an uploaded spreadsheet. Safe to run twice: only a queued batch is checked."""
    imports.import_batch_check(batch_id=batch_id)


@shared_task(name="programme.imports.apply", acks_late=True)
def import_apply(batch_id: int) -> None:
    """Import a confirmed batch. Safe to run twice: an imported batch is left as it is."""
    imports.import_batch_apply(batch_id=batch_id)
