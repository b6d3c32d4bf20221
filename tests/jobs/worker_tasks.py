"""A task only the job tests load into their workers (celery worker -I tests.jobs.worker_tasks).

It sends an outbox email through the real service and writes what the service did to a run
log; the first time it runs it then sleeps, long enough for the test to kill the worker with
SIGKILL before the job finishes (so before a late acknowledgement).
"""

from __future__ import annotations

import time
from pathlib import Path

from celery import shared_task

from core.outbox import outbox_email_send


@shared_task(name="tests.jobs.slow_send", acks_late=True)
def slow_send(email_id: int, run_log: str) -> str:
    log = Path(run_log)
    first_run = not log.exists()
    outcome = outbox_email_send(email_id=email_id)
    with log.open("a") as handle:
        handle.write(f"{outcome}\n")
    if first_run:
        time.sleep(120)
    return outcome
