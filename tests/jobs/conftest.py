"""Real infrastructure for the job tests: Celery workers in their own processes on a real
Redis, a real SMTP server (aiosmtpd) that keeps what it receives, and the test database.

scripts/test starts Redis and exports TEST_REDIS_URL. The suite's own settings run jobs
in-process; the ``broker`` fixture points this process's Celery at the real Redis instead.
"""

from __future__ import annotations

import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from aiosmtpd.controller import Controller
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).parent / "celery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], Any], *, timeout: float = 30, what: str = "") -> Any:
    """Poll until the condition holds; fail the test naming what never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"Timed out after {timeout}s waiting for {what or condition}")


# --- Redis -----------------------------------------------------------------------------------


# Redis databases each test process may use: the suite runs in several processes (pytest-xdist)
# on one Redis, and a test empties its databases.
REDIS_DATABASES_PER_PROCESS = 4


def redis_url_for(database: int) -> str:
    """The test Redis's URL for one of this test process's own databases (0 to 3)."""
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        pytest.fail(
            "TEST_REDIS_URL is not set: run the tests with scripts/test, which starts Redis."
        )
    process = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    return f"{url.rsplit('/', 1)[0]}/{process * REDIS_DATABASES_PER_PROCESS + database}"


@pytest.fixture(scope="session")
def redis_url() -> str:
    return redis_url_for(0)


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """The test Redis, emptied before and after each test so no message leaks between them."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def _reset_celery_connections(app: Any) -> None:
    app._pool = None
    app.amqp._producer_pool = None
    if hasattr(app._local, "backend"):
        del app._local.backend


@pytest.fixture
def broker(
    redis_url: str, redis_client: redis.Redis, settings: Any
) -> Iterator[Callable[[str], None]]:
    """This process sends jobs to Redis instead of running them in-process.

    Calling the fixture's value with another URL points it elsewhere (a dead port: Redis down).
    """
    from config.celery import app

    saved = (app.conf.task_always_eager, app.conf.broker_url, app.conf.result_backend)
    settings.CELERY_TASK_ALWAYS_EAGER = False

    def point_at(url: str) -> None:
        app.conf.task_always_eager = False
        app.conf.update(broker_url=url, result_backend=url)
        _reset_celery_connections(app)

    point_at(redis_url)
    yield point_at
    app.conf.update(task_always_eager=saved[0], broker_url=saved[1], result_backend=saved[2])
    _reset_celery_connections(app)


# --- SMTP --------------------------------------------------------------------------------------


class SmtpSink:
    """A local SMTP server that keeps every message it accepts; it can be stopped and started
    again on the same port, to play a mail server that is down for a while."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[bytes] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.received.append(envelope.content)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            raw = list(self.received)
        return [email.message_from_bytes(r, policy=email.policy.default) for r in raw]


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


# --- Workers -----------------------------------------------------------------------------------


class Worker:
    def __init__(self, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.proc = proc
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: the worker dies mid-task, with no chance to give its message back."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def database_url() -> str:
    """The test database pytest-django made, in the form of the DATABASE_URL the suite got."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{connection.settings_dict['NAME']}"))


@pytest.fixture
def start_worker(
    redis_url: str, smtp_sink: SmtpSink, settings: Any, tmp_path: Path
) -> Iterator[Callable[..., Worker]]:
    """Start ``celery -A config worker`` in its own process with production settings, the test
    database, the real Redis and the SMTP sink. Every worker is stopped after the test."""
    started: list[Worker] = []

    def start(**extra_env: str) -> Worker:
        log = tmp_path / f"worker-{len(started)}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": settings.SECRET_KEY,
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp_sink.port}",
            "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "DJANGO_PLATFORM_URL": settings.PLATFORM_URL,
            "OUTBOX_RETRY_SECONDS": "1",
            **extra_env,
        }
        command = [
            str(CELERY), "-A", "config", "worker", "--pool=solo", "--concurrency=1",
            "-l", "info", "-n", f"jobs-{uuid.uuid4().hex[:8]}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "-I", "tests.jobs.worker_tasks",
        ]  # fmt: skip
        with log.open("wb") as out:
            proc = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        worker = Worker(proc, log)
        started.append(worker)

        def ready() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"The worker exited ({proc.returncode}):\n{worker.output()}")
            return " ready." in worker.output()

        wait_for(ready, timeout=60, what="the Celery worker to be ready")
        return worker

    yield start
    for n, worker in enumerate(started):
        worker.stop()
        print(f"--- worker {n} log ---\n{worker.output()}")  # shown when the test fails
