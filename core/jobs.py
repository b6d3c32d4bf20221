"""Jobs: queued once the request's transaction commits, never lost to a queue that is down.

Every job the platform queues goes through :func:`job_enqueue_after_commit` (or
:func:`job_enqueue` when already outside a transaction): the job is handed to Celery only once
what it will read is committed, and a broker that cannot be reached is logged while the
request goes on. What such a job was for stays recorded where it belongs (an email pending in
the outbox, a report or import batch waiting), and the sweep (:func:`jobs_sweep`, run by
Celery beat every minute and by ``manage.py notifications_run``) queues it again: each app
registers the sweep of its own jobs with :func:`sweep_register`.

In the embedded mode (no Redis: Celery runs each job inside the process that queued it) a job
that needs much memory runs in a child process instead (:func:`job_run_in_child`), so that the
web process is as small after the job as before it.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
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


# --- Jobs in a child process ------------------------------------------------------------------


@dataclass(frozen=True)
class ChildRun:
    """How a job run in a child process ended, and the memory it took (MB; 0 when unknown)."""

    exitcode: int
    idle_mb: float = 0.0  # the child's resident memory once Django was set up
    peak_mb: float = 0.0  # its highest resident memory during the job, above ``idle_mb``

    @property
    def ok(self) -> bool:
        return self.exitcode == 0


def job_run_in_child(service: str, /, **kwargs: Any) -> ChildRun:
    """Run a service (its dotted path; keyword arguments only, JSON-serialisable) in a fresh
    Python process and wait for it.

    CPython keeps the memory a job freed for its own reuse, so a web process that read a large
    spreadsheet stays as large as the file made it; a child's memory goes back to the system
    when it ends. The child is a new interpreter (nothing of this process's state, connections
    or threads is copied, and this process's main module is not run again, as multiprocessing's
    "spawn" would) and reads the same database and files: what its environment cannot tell it
    (the settings module, the database's name, MEDIA_ROOT) is passed on. What the service
    writes is its result; an exception in it, or the child being killed, is a non-zero exit code.
    """
    from django.conf import settings
    from django.db import connections

    job = {
        "service": service,
        "kwargs": kwargs,
        "databases": {alias: connections[alias].settings_dict["NAME"] for alias in connections},
        "media_root": str(settings.MEDIA_ROOT),
    }
    # Settings overridden in place (a test's) name no module: the environment's is the same.
    module = settings.SETTINGS_MODULE or os.environ.get("DJANGO_SETTINGS_MODULE", "")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": module}
    read, write = os.pipe()  # the child's figures come back on it
    try:
        process = subprocess.Popen(  # noqa: S603  this interpreter, running this module
            [sys.executable, "-c", "from core.jobs import _child_main; _child_main()", str(write)],
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.PIPE,
            pass_fds=(write,),
        )
    except BaseException:
        os.close(read)
        raise
    finally:
        os.close(write)
    with os.fdopen(read, "rb") as answer:
        try:
            # As long as a worker lets a job run (CELERY_TASK_TIME_LIMIT).
            process.communicate(json.dumps(job).encode(), timeout=settings.CELERY_TASK_TIME_LIMIT)
        except subprocess.TimeoutExpired:
            logger.error("Job %s ran past the time limit in its child process; stopped", service)
            process.kill()
            process.wait()
        said = answer.read()
    try:
        figures = json.loads(said) if said else {}
    except ValueError:
        figures = {}
    return ChildRun(
        process.returncode,
        float(figures.get("idle_mb", 0.0)),
        float(figures.get("peak_mb", 0.0)),
    )


def _child_main() -> None:
    """The child's side of :func:`job_run_in_child`: the job on stdin, figures to the fd in
    argv[1]."""
    import django

    job = json.loads(sys.stdin.read())
    answer = int(sys.argv[1])
    django.setup()
    from django.conf import settings
    from django.db import connections

    for alias, name in job["databases"].items():
        connections[alias].settings_dict["NAME"] = name
    settings.MEDIA_ROOT = job["media_root"]
    module, _dot, name = job["service"].rpartition(".")
    run = getattr(importlib.import_module(module), name)
    memory_peak_reset()
    idle = memory_mb()["rss"]
    try:
        run(**job["kwargs"])
    finally:
        connections.close_all()
        with os.fdopen(answer, "w", encoding="utf-8") as out:
            figures = {"idle_mb": idle, "peak_mb": max(0.0, memory_mb()["peak"] - idle)}
            json.dump(figures, out)


def memory_mb() -> dict[str, float]:
    """This process's resident memory now ("rss") and at its highest ("peak"), in MB (Linux's
    /proc; the peak alone from getrusage elsewhere)."""
    try:
        with open("/proc/self/status", encoding="utf-8", errors="replace") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
        return {
            "rss": int(fields["VmRSS"].split()[0]) / 1024,
            "peak": int(fields["VmHWM"].split()[0]) / 1024,
        }
    except (OSError, KeyError, ValueError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {"rss": peak, "peak": peak}


def memory_peak_reset() -> bool:
    """Start measuring this process's peak memory from now on (Linux); False where it cannot."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
            refs.write("5")
    except OSError:
        return False
    return True
