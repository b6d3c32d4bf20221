#!/usr/bin/env python
"""Benchmark: 20 signed-in users on the main pages of gunicorn, against /health/ alike.

Runs on the PostgreSQL in DATABASE_URL (``scripts/bench load`` starts a throwaway one), on the
programme ``generate_programme`` makes at ``--scale`` (made here first when the database has
none). It starts gunicorn natively on 127.0.0.1 with the web service's own command line from
docker-compose.yml (3 workers x 2 threads, for 2 cores) and production settings: DEBUG off,
static files collected and served by WhiteNoise, a secret key, allowed hosts; only the HTTPS
redirect and secure cookies are switched off (DJANGO_SECURE_SSL_REDIRECT, DJANGO_SECURE_COOKIES),
since there is no TLS on the loopback.

The driver is asyncio with httpx, one client (cookies, one keep-alive connection) per user:
lighter on the two cores it shares with the server than a load-testing framework. Each of
``--users`` users signs in through the login form, then for ``--seconds`` opens the dashboard,
the recommendation list, a recommendation, the training list or a meeting, at random, pausing
``--think`` seconds on average between pages (3 s: 1 to 5 s, the pause of locust's own
examples; 0 drives the server flat out). Then the same users
do the same against /health/, the reference. Both phases report p50, p95, errors and requests
per second. Target: pages p95 at most 200 ms with no errors.

    scripts/bench load                          # scale 1, 20 users, 30 s
    scripts/bench load --scale 0.1 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_common import (
    ROOT,
    django_setup,
    emit,
    emit_context,
    ensure_programme,
    median,
    percentile,
    require_postgres,
)

P95_LIMIT_MS = 200.0
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Phase:
    """What one phase of the load saw."""

    name: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    per_page: dict[str, list[float]] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        return len(self.latencies) + len(self.errors)

    def p(self, share: float) -> float:
        return percentile(self.latencies, share) * 1000 if self.latencies else float("nan")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _production_environment(workdir: Path) -> None:
    """The settings gunicorn runs with in production, as environment variables."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # No TLS on the loopback: no redirect to https, cookies sent over plain http.
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_SECURE_COOKIES": "false",
            # The generated data is demo data; allowed here so that it can be made.
            "DJANGO_DEMO_DATA_ALLOWED": "true",
            "DJANGO_STATIC_ROOT": str(workdir / "static"),
            "DJANGO_MEDIA_ROOT": str(workdir / "media"),
            "DJANGO_LOG_LEVEL": "WARNING",
            "EMAIL_URL": "consolemail://",
        }
    )
    os.environ.pop("REDIS_URL", None)


def _web_command(port: int) -> list[str]:
    """docker-compose.yml's web command, bound to the loopback, with the venv's gunicorn."""
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    args = [str(a) for a in compose["services"]["web"]["command"]]
    if args[0] != "gunicorn" or "--bind" not in args:
        sys.exit("docker-compose.yml's web command is not the gunicorn command expected.")
    args[args.index("--bind") + 1] = f"127.0.0.1:{port}"
    return [str(Path(sys.executable).parent / "gunicorn"), *args[1:]]


def _world(scale: float, users: int) -> tuple[list[str], list[list[str]]]:
    """The usernames to sign in as (the programme team and a spread of roles) and the pages."""
    from django.contrib.auth.hashers import make_password

    from loaders.generator import ADMIN_USERNAME, GENERATED_PASSWORD
    from programme.models import Meeting
    from recommendations.models import Recommendation
    from stakeholders.models import Membership, User

    ensure_programme(scale)
    names = [ADMIN_USERNAME]
    seen = {ADMIN_USERNAME}
    for m in Membership.objects.filter(user__username__startswith="gen-").order_by(
        "role", "institution__kind", "institution_id", "user_id"
    ):
        if len(names) >= users:
            break
        if m.user.username not in seen:
            seen.add(m.user.username)
            names.append(m.user.username)
    chosen = User.objects.filter(username__in=names)
    # The generator may have run under the test settings' fast hasher, which production
    # settings do not accept: give these accounts the password as production hashes it.
    if not all(u.check_password(GENERATED_PASSWORD) for u in chosen):
        chosen.update(password=make_password(GENERATED_PASSWORD))
    # Page kinds, each as likely as the others; a recommendation or meeting picked among many.
    recommendations = Recommendation.objects.values_list("pk", flat=True)
    meetings = Meeting.objects.order_by("-number").values_list("pk", flat=True)[:10]
    pages = [
        ["/"],
        ["/recommendations/"],
        [f"/recommendations/{pk}/" for pk in recommendations],
        ["/trainings/"],
        [f"/meetings/{pk}/" for pk in meetings],
    ]
    return names, pages


def _kind(url: str) -> str:
    if url == "/":
        return "dashboard"
    if url.startswith("/meetings/"):
        return "meeting"
    if url.startswith("/recommendations/") and url != "/recommendations/":
        return "recommendation"
    return url


async def _sign_in(client: Any, username: str, password: str) -> None:
    form = await client.get("/accounts/login/")
    found = TOKEN.search(form.text)
    if form.status_code != 200 or not found:
        raise RuntimeError(f"the login page answered {form.status_code}")
    answer = await client.post(
        "/accounts/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": found[1]},
    )
    if answer.status_code != 302:
        raise RuntimeError(f"{username} could not sign in ({answer.status_code})")


async def _get(client: Any, url: str) -> Any:
    """GET, retried once when the server had just closed the kept-alive connection (as a
    browser does); any other failure is the caller's to count."""
    import httpx

    try:
        return await client.get(url)
    except (httpx.RemoteProtocolError, httpx.ReadError):
        return await client.get(url)


async def _user(
    client: Any,
    pages: list[list[str]],
    phase: Phase,
    until: float,
    think: float,
    rng: random.Random,
) -> None:
    while time.perf_counter() < until:
        url = rng.choice(rng.choice(pages))
        started = time.perf_counter()
        try:
            response = await _get(client, url)
            ok = response.status_code == 200
            problem = f"{url}: {response.status_code}"
        except Exception as exc:  # a timeout or a dropped connection is an error to count
            ok, problem = False, f"{url}: {type(exc).__name__}"
        elapsed = time.perf_counter() - started
        if ok:
            phase.latencies.append(elapsed)
            phase.per_page.setdefault(_kind(url), []).append(elapsed)
        else:
            phase.errors.append(problem)
        if think:
            await asyncio.sleep(rng.uniform(think / 3, think * 5 / 3))


async def _warm(client: Any, pages: list[list[str]]) -> None:
    for urls in pages:
        await _get(client, urls[0])


async def _drive(
    base: str, names: list[str], pages: list[list[str]], seconds: float, think: float
) -> list[Phase]:
    import httpx

    from loaders.generator import GENERATED_PASSWORD

    clients = [
        httpx.AsyncClient(
            base_url=base,
            timeout=30,
            limits=httpx.Limits(max_connections=1),
            follow_redirects=False,
        )
        for _ in names
    ]
    try:
        started = time.perf_counter()
        await asyncio.gather(
            *(_sign_in(c, n, GENERATED_PASSWORD) for c, n in zip(clients, names, strict=True))
        )
        print(f"  {len(names)} users signed in ({time.perf_counter() - started:.1f} s)", flush=True)
        # Warm every worker's caches on every page kind, unmeasured.
        await asyncio.gather(*(_warm(c, pages) for c in clients))
        phases = []
        for name, urls in (("pages", pages), ("health", [["/health/"]])):
            phase = Phase(name)
            began = time.perf_counter()
            until = began + seconds
            await asyncio.gather(
                *(
                    _user(c, urls, phase, until, think, random.Random(n))  # noqa: S311 - not crypto
                    for n, c in enumerate(clients)
                )
            )
            phase.seconds = time.perf_counter() - began
            phases.append(phase)
            print(f"  {name}: {phase.requests} requests in {phase.seconds:.0f} s", flush=True)
        return phases
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


def _wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    import httpx

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/health/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    sys.exit(f"gunicorn did not answer /health/ within 90 s:\n{log.read_text()[-3000:]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="data scale (1: full size)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    parser.add_argument(
        "--think", type=float, default=3.0, help="mean pause between pages, s (1/3 to 5/3 of it)"
    )
    args = parser.parse_args()
    require_postgres("scripts/bench load")
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        workdir = Path(folder)
        _production_environment(workdir)
        django_setup()
        from django.core.management import call_command
        from django.db import connection, connections

        names, pages = _world(args.scale, args.users)
        connection.ensure_connection()
        version = getattr(connection, "pg_version", 0) // 10000
        call_command("collectstatic", interactive=False, verbosity=0)
        connections.close_all()

        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        command = _web_command(port)
        log = workdir / "gunicorn.log"
        print(
            f"Load at scale {args.scale:g}, PostgreSQL {version}: {len(names)} users, "
            f"{args.seconds:g} s per phase, {args.think:g} s mean pause; "
            f"{' '.join(command[1:])}",
            flush=True,
        )
        emit_context(scale=args.scale, postgresql=version)
        with log.open("wb") as out:
            server = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            _wait_until_up(base, server, log)
            pages_phase, health_phase = asyncio.run(
                _drive(base, names, pages, args.seconds, args.think)
            )
        except Exception:
            print(f"gunicorn's log ends:\n{log.read_text()[-4000:]}", file=sys.stderr)
            raise
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    for phase in (pages_phase, health_phase):
        print(
            f"  {phase.name:7} p50 {phase.p(0.5):6.1f} ms  p95 {phase.p(0.95):6.1f} ms  "
            f"{phase.requests / phase.seconds:5.1f} req/s  {len(phase.errors)} errors "
            f"{sorted(set(phase.errors))[:5]}"
        )
    for kind, seconds in sorted(pages_phase.per_page.items()):
        print(
            f"    {kind:20} n={len(seconds):4}  p50 {median(seconds) * 1000:6.1f} ms  "
            f"p95 {percentile(seconds, 0.95) * 1000:6.1f} ms"
        )
    p95 = pages_phase.p(0.95)
    ok = p95 <= P95_LIMIT_MS and not pages_phase.errors
    emit(
        f"load: {len(names)} users × {args.seconds:g} s on gunicorn, main pages",
        figure=f"p95 {p95:.0f} ms (p50 {pages_phase.p(0.5):.0f}), {len(pages_phase.errors)} err",
        reference=f"/health/ p95 {health_phase.p(0.95):.1f} ms, {len(health_phase.errors)} err",
        ratio=p95 / health_phase.p(0.95),
        target=f"≤ {P95_LIMIT_MS:g} ms, 0 err",
        met=ok,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
