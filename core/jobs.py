"""Jobs: queued once the request's transaction commits, never lost to a queue that is down.

Every job the platform queues goes through :func:`job_enqueue_after_commit` (or
:func:`job_enqueue` when already outside a transaction): the job is handed to Celery only once
what it will read is committed, and a broker that cannot be reached is logged while the
request goes on. What such a job was for stays recorded where it belongs (an email pending in
the outbox, a report or import batch waiting), and the sweep (:func:`jobs_sweep`, run by
Celery beat every minute and by ``manage.py notifications_run``) queues it again: each app
registers the sweep of its own jobs with :func:`sweep_register`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


def job_enqueue(task: Any, *args: Any, countdown: float | None = None, what: str = "") -> bool:
    """Hand a Celery task to the queue now; False (and logged) when the queue is unreachable."""
    try:
        if countdown is None:
            task.apply_async(args)
        else:
            task.apply_async(args, countdown=countdown)
    except Exception:  # any broker failure: the sweep queues it again
        logger.warning(
            "Could not queue %s (%s); the sweep will queue it again",
            what or task.name,
            task.name,
            exc_info=True,
        )
        return False
    return True


def job_enqueue_after_commit(task: Any, *args: Any, what: str = "") -> None:
    """Queue a task once the surrounding transaction commits (at once outside of one)."""
    transaction.on_commit(partial(job_enqueue, task, *args, what=what))


Sweep = Callable[[], int]
_SWEEPS: dict[str, Sweep] = {}


def sweep_register(name: str, sweep: Sweep) -> None:
    """Add the sweep of one kind of job: it queues again what was left waiting, returns how many."""
    _SWEEPS[name] = sweep


def jobs_sweep() -> dict[str, int]:
    """Run every registered sweep; one that fails is logged and the others still run."""
    queued: dict[str, int] = {}
    for name, sweep in _SWEEPS.items():
        try:
            queued[name] = sweep()
        except Exception:
            logger.exception("The %s sweep failed", name)
    return queued
