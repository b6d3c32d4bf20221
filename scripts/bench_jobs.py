#!/usr/bin/env python
"""Benchmark: the email outbox and the job queue against what they are built on.

Runs on the PostgreSQL in DATABASE_URL and the Redis in TEST_REDIS_URL (``scripts/bench jobs``
starts both), with a local SMTP sink (aiosmtpd) in this process:

1. 1,000 reminder emails sent by the outbox sender (lock the row, send, record), one SMTP
   connection each, against plain smtplib sending the same message over as many connections;
2. a Celery job's round trip (enqueue -> a real worker runs it -> the result is read back),
   median of N, against a raw Redis PING and a SET+GET round trip.

Each runs again when other processes kept the machine busy (bench_common.measure).

    scripts/bench jobs                      # 1,000 emails, 200 round trips
    scripts/bench jobs --emails 200 --trips 50
"""

from __future__ import annotations

import argparse
import os
import signal
import smtplib
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sink:
    """Counts the messages it accepts."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            self.count += 1
        return "250 OK"


def _setup(smtp_port: int) -> str:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (scripts/bench jobs does).")
    redis_url = os.environ.get("TEST_REDIS_URL", "")
    if not redis_url:
        sys.exit("Set TEST_REDIS_URL to a Redis you own (scripts/bench jobs starts one).")
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=os.environ.get(
            "DJANGO_SECRET_KEY", "bench-only-secret-key-0123456789-abcdef"
        ),
        REDIS_URL=redis_url,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        DJANGO_LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    import redis
    from bench_common import own_postgres, own_processes

    # The servers it measures against are the benchmark's own, not other work on the machine.
    own_postgres()
    own_processes(int(redis.Redis.from_url(redis_url).info()["process_id"]))
    return redis_url


def _emails(n: int) -> list[int]:
    """N reminder emails in the outbox, rendered as the reminders render them."""
    from django.db import transaction

    from core.models import OutboxEmail
    from notifications import services
    from notifications.choices import NotificationKind
    from notifications.models import Notification
    from stakeholders.models import User

    OutboxEmail.objects.all().delete()
    user, _created = User.objects.get_or_create(
        username="bench-focal-point",
        defaults={"email": "focal@example.org", "preferred_language": "mk"},
    )
    with transaction.atomic():
        note = Notification.objects.create(
            recipient=user,
            kind=NotificationKind.TRAINING_RECORD,
            key="bench",
            url="/trainings/1/",
            params={"title": "Identifying victims of labour exploitation"},
        )
        model = services._email_for(user=user, key="bench-model", items=[note])
        fields = {
            f: getattr(model, f) for f in ("to", "language", "subject", "body_text", "body_html")
        }
        transaction.set_rollback(True)  # nothing is queued: the commit never comes
    rows = OutboxEmail.objects.bulk_create(
        [OutboxEmail(recipient=user, key=f"bench:{i}", **fields) for i in range(n)]
    )
    return [r.pk for r in rows]


def bench_outbox(n: int, port: int, sink: Sink) -> tuple[float, float]:
    from django.conf import settings

    from core.models import OutboxEmail
    from core.outbox import _message, outbox_email_send

    ids = _emails(n)
    start_count = sink.count
    started = time.perf_counter()
    for pk in ids:
        if outbox_email_send(email_id=pk) != "sent":
            sys.exit(f"Email {pk} was not sent: is the sink running?")
    outbox = time.perf_counter() - started
    if sink.count - start_count != n:
        sys.exit("The sink did not get every email from the outbox.")

    raw = _message(OutboxEmail.objects.get(pk=ids[0])).message().as_bytes().replace(b"\n", b"\r\n")
    started = time.perf_counter()
    for _ in range(n):
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.sendmail(settings.DEFAULT_FROM_EMAIL, ["focal@example.org"], raw)
    plain = time.perf_counter() - started
    if sink.count - start_count != 2 * n:
        sys.exit("The sink did not get every email from smtplib.")
    return outbox, plain


def bench_queue(trips: int, redis_url: str) -> tuple[float, float, float]:
    import redis

    from config.celery import app

    client = redis.Redis.from_url(redis_url)
    env = {**os.environ}
    log = open(ROOT / "var" / "bench-worker.log", "wb")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(  # noqa: S603
        [str(Path(sys.executable).parent / "celery"), "-A", "config", "worker", "--pool=solo",
         "-l", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        app.send_task("core.jobs_sweep").get(timeout=60)  # warm up
        celery_times = []
        for _ in range(trips):
            t = time.perf_counter()
            app.send_task("core.jobs_sweep").get(timeout=30)
            celery_times.append(time.perf_counter() - t)
        ping_times, setget_times = [], []
        for i in range(trips):
            t = time.perf_counter()
            client.ping()
            ping_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            client.set(f"bench:{i}", "x")
            client.get(f"bench:{i}")
            setget_times.append(time.perf_counter() - t)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        log.close()
    return (
        statistics.median(celery_times),
        statistics.median(ping_times),
        statistics.median(setget_times),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--emails", type=int, default=1000)
    parser.add_argument("--trips", type=int, default=200)
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    port = _free_port()
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    redis_url = _setup(port)
    (ROOT / "var").mkdir(exist_ok=True)
    from bench_common import emit, measure

    try:
        (outbox, plain), outbox_machine = measure(
            lambda: bench_outbox(args.emails, port, sink), what="outbox"
        )
        (celery, ping, setget), queue_machine = measure(
            lambda: bench_queue(args.trips, redis_url), what="job round trip"
        )
    finally:
        controller.stop()
    n = args.emails
    print(f"Emails to a local SMTP sink, {n} of them, one connection each:")
    print(f"  outbox sender : {outbox:7.2f} s  {n / outbox:8.0f} emails/s")
    print(f"  plain smtplib : {plain:7.2f} s  {n / plain:8.0f} emails/s")
    print(f"  outbox / smtplib time: {outbox / plain:.2f}x")
    print(f"Job round trip, median of {args.trips}:")
    print(f"  Celery enqueue -> worker -> result : {celery * 1000:7.2f} ms")
    print(f"  Redis PING                         : {ping * 1000:7.3f} ms")
    print(f"  Redis SET + GET                    : {setget * 1000:7.3f} ms")
    print(f"  Celery / PING: {celery / ping:.0f}x   Celery / SET+GET: {celery / setget:.0f}x")
    emit(
        f"jobs: {n:,} emails through the outbox to a local sink",
        figure=f"{outbox:.2f} s ({n / outbox:.0f}/s)",
        reference=f"plain smtplib {plain:.2f} s",
        ratio=outbox / plain,
        machine=outbox_machine,
    )
    emit(
        f"jobs: Celery enqueue → result, median of {args.trips}",
        figure=f"{celery * 1000:.1f} ms",
        reference=f"Redis SET + GET {setget * 1000:.3f} ms",
        ratio=celery / setget,
        machine=queue_machine,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
