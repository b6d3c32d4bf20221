#!/usr/bin/env python
"""Benchmark: 20 signed-in users on the main pages of gunicorn, against /health/ alike.

Runs on the PostgreSQL in DATABASE_URL (``scripts/bench load`` starts a throwaway one), on the
programme ``generate_programme`` makes at ``--scale`` (made here first when the database has
none). It starts gunicorn natively on 127.0.0.1 with the web service's own command line from
docker-compose.yml and production settings: DEBUG off, static files collected and served by
WhiteNoise, a secret key, allowed hosts, the cache in Redis (TEST_REDIS_URL, which
``scripts/bench load`` starts, as docker-compose.yml's redis service); only the HTTPS redirect
and secure cookies are switched off (DJANGO_SECURE_SSL_REDIRECT, DJANGO_SECURE_COOKIES), since
there is no TLS on the loopback.
``--sizes 3x2,5x1`` runs it again for each workers x threads instead of the compose file's, and
``--conn-max-age 60,0`` for each DATABASE_CONN_MAX_AGE and ``--health-checks on,off`` for each
DATABASE_CONN_HEALTH_CHECKS: one row per combination, to size the server from measurement.

The driver is asyncio with httpx, one client (cookies) per user: lighter on the two cores it
shares with the server than a load-testing framework. Each request comes on a new connection,
as nginx's ``proxy_pass`` sends them by default (docs/deployment.md); ``--keep-alive`` keeps one
connection per user instead, as a browser talking to gunicorn directly would. Each of
``--users`` users signs in through the login form (the programme team with its code too), then
for ``--seconds`` opens the dashboard, the recommendation list, a recommendation, the training
list or a meeting, at random (each user's first page after a pause of its own, as people arrive),
pausing ``--think`` seconds on average between pages (3 s: 1 to
5 s, the pause of locust's own examples; 0 drives the server flat out). Then the same users do
the same against /health/, the reference. Both phases report p50, p95, errors and requests
per second. Target: pages p95 at most 200 ms with no errors. A setting measured while other
processes kept the machine busy is run again (bench_common.measure) and, if still busy, marked
so instead of met / not met.

    scripts/bench load                          # scale 1, 20 users, 30 s
    scripts/bench load --scale 0.1 --seconds 10
    scripts/bench load --sizes 3x2,5x1,2x4 --conn-max-age 60,0 --health-checks on,off
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
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
    Machine,
    django_setup,
    emit,
    emit_context,
    ensure_programme,
    measure,
    median,
    own_processes,
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
    # Production's cache and broker: the Redis scripts/bench starts (TEST_REDIS_URL), so that
    # every gunicorn worker shares the kept dashboards, as behind docker-compose.yml.
    redis_url = os.environ.get("TEST_REDIS_URL", "")
    if not redis_url:
        sys.exit("Set TEST_REDIS_URL to a Redis you own (scripts/bench load starts one).")
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    own_processes(int(client.info()["process_id"]))
    os.environ["REDIS_URL"] = redis_url


@dataclass(frozen=True)
class Setting:
    """One server setting measured: gunicorn's workers and threads, the database connections'."""

    workers: int
    threads: int
    conn_max_age: int
    health_checks: bool
    from_compose: bool

    def describe(self) -> str:
        compose = " (docker-compose.yml)" if self.from_compose else ""
        checks = "" if self.health_checks else ", no health checks"
        return (
            f"gunicorn {self.workers}×{self.threads}{compose}, "
            f"CONN_MAX_AGE {self.conn_max_age}{checks}"
        )


def _compose_web() -> list[str]:
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    args = [str(a) for a in compose["services"]["web"]["command"]]
    if args[0] != "gunicorn" or not {"--bind", "--workers", "--threads"} <= set(args):
        sys.exit("docker-compose.yml's web command is not the gunicorn command expected.")
    return args


def _compose_size() -> tuple[int, int]:
    args = _compose_web()
    return int(args[args.index("--workers") + 1]), int(args[args.index("--threads") + 1])


def _web_command(port: int, setting: Setting) -> list[str]:
    """docker-compose.yml's web command, bound to the loopback, with the venv's gunicorn and
    the setting's workers and threads."""
    args = _compose_web()
    args[args.index("--bind") + 1] = f"127.0.0.1:{port}"
    args[args.index("--workers") + 1] = str(setting.workers)
    args[args.index("--threads") + 1] = str(setting.threads)
    return [str(Path(sys.executable).parent / "gunicorn"), *args[1:]]


def _settings(args: argparse.Namespace) -> list[Setting]:
    """Every combination asked for; the compose file's size and the settings' default
    connection age when none is."""
    from django.conf import settings

    compose = _compose_size()
    sizes = [compose]
    if args.sizes:
        try:
            sizes = [
                (int(w), int(t))
                for w, t in (size.lower().split("x") for size in args.sizes.split(","))
            ]
        except ValueError:
            sys.exit(f"--sizes {args.sizes!r}: give workers x threads, e.g. 3x2,5x1")
    ages = [int(settings.DATABASES["default"]["CONN_MAX_AGE"] or 0)]
    if args.conn_max_age:
        try:
            ages = [int(age) for age in args.conn_max_age.split(",")]
        except ValueError:
            sys.exit(f"--conn-max-age {args.conn_max_age!r}: give seconds, e.g. 60,0")
    checks = {"on": True, "off": False}
    try:
        health_checks = [checks[c.strip()] for c in args.health_checks.split(",")]
    except KeyError:
        sys.exit(f"--health-checks {args.health_checks!r}: give on, off or on,off")
    return [
        Setting(w, t, age, check, (w, t) == compose)
        for w, t in sizes
        for age in ages
        for check in health_checks
        # A connection that is never kept is never checked: age 0 is measured once.
        if age or check or True not in health_checks
    ]


def _world(scale: float, users: int) -> tuple[list[str], list[list[str]], dict[str, str]]:
    """The usernames to sign in as (the programme team and a spread of roles), the pages, and
    the authenticator keys of those who give a second factor (a confirmed device each)."""
    from django.contrib.auth.hashers import make_password
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from loaders.generator import ADMIN_USERNAME, GENERATED_PASSWORD
    from programme.models import Meeting
    from recommendations.models import Recommendation
    from stakeholders.models import Membership, User
    from stakeholders.roles import needs_second_factor

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
    keys = {}
    for user in chosen:
        if needs_second_factor(user):
            device, _made = TOTPDevice.objects.get_or_create(
                user=user, confirmed=True, defaults={"name": "Benchmark authenticator"}
            )
            keys[user.username] = device.key
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
    return names, pages, keys


def _codes_reusable(keys: dict[str, str]) -> None:
    """A device accepts each code once: a run signing in again within the same 30 s may."""
    from django.db import connections
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(key__in=keys.values()).update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )
    connections.close_all()


def _kind(url: str) -> str:
    if url == "/":
        return "dashboard"
    if url.startswith("/meetings/"):
        return "meeting"
    if url.startswith("/recommendations/") and url != "/recommendations/":
        return "recommendation"
    return url


async def _post_form(client: Any, url: str, data: dict[str, str]) -> Any:
    """GET the form for its CSRF token, POST it; the answer must be a redirect."""
    form = await client.get(url)
    found = TOKEN.search(form.text)
    if form.status_code != 200 or not found:
        raise RuntimeError(f"{url} answered {form.status_code}")
    answer = await client.post(url, data={**data, "csrfmiddlewaretoken": found[1]})
    if answer.status_code != 302:
        raise RuntimeError(f"{url} refused the form ({answer.status_code})")
    return answer


async def _sign_in(client: Any, username: str, password: str, totp_key: str | None) -> None:
    """The login form, then the code page for those who give a second factor."""
    from django_otp.oath import TOTP

    await _post_form(client, "/accounts/login/", {"username": username, "password": password})
    if totp_key:
        code = f"{TOTP(bytes.fromhex(totp_key)).token():06d}"
        await _post_form(client, "/accounts/two-factor/", {"code": code})


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
    # Users arrive at random within one pause, as people do, rather than all in the same
    # millisecond: a start in step sends 20 requests at once, which is a tenth of a 30 s phase's
    # samples and queued behind each other (measured: 14 in one worker within 5 ms), so the p95
    # measured the start, not the steady load.
    if think:
        await asyncio.sleep(rng.uniform(0, think * 5 / 3))
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
    """Unmeasured: a first request that times out (every user asks for the cold dashboard at
    once) has warmed what it could."""
    import httpx

    for urls in pages:
        try:
            await _get(client, urls[0])
        except httpx.TimeoutException:
            continue


async def _drive(
    base: str,
    names: list[str],
    keys: dict[str, str],
    pages: list[list[str]],
    seconds: float,
    think: float,
    keep_alive: bool,
) -> list[Phase]:
    import httpx

    from loaders.generator import GENERATED_PASSWORD

    clients = [
        httpx.AsyncClient(
            base_url=base,
            timeout=30,
            limits=httpx.Limits(
                max_connections=1, max_keepalive_connections=1 if keep_alive else 0
            ),
            # Without keep-alive each request is a connection of its own, as nginx sends them.
            headers={} if keep_alive else {"Connection": "close"},
            follow_redirects=False,
        )
        for _ in names
    ]
    try:
        started = time.perf_counter()
        await asyncio.gather(
            *(
                _sign_in(c, n, GENERATED_PASSWORD, keys.get(n))
                for c, n in zip(clients, names, strict=True)
            )
        )
        print(f"  {len(names)} users signed in ({time.perf_counter() - started:.1f} s)", flush=True)
        # Warm every worker's caches on every page kind, unmeasured.
        await asyncio.gather(*(_warm(c, pages) for c in clients))
        # This process holds Django and the generated world (about 270 MB of objects): a full
        # collection of them stalls the event loop for a few hundred milliseconds, which every
        # request in flight would count as the server's time. Set them aside from collection.
        gc.collect()
        gc.freeze()
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


def _serve_and_drive(
    setting: Setting,
    workdir: Path,
    names: list[str],
    keys: dict[str, str],
    pages: list[list[str]],
    args: Any,
) -> list[Phase]:
    """Start gunicorn with the setting, drive both phases, stop it."""
    _codes_reusable(keys)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = workdir / "gunicorn.log"
    env = {
        **os.environ,
        "DATABASE_CONN_MAX_AGE": str(setting.conn_max_age),
        "DATABASE_CONN_HEALTH_CHECKS": "true" if setting.health_checks else "false",
    }
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603
            _web_command(port, setting), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_up(base, server, log)
        return asyncio.run(
            _drive(base, names, keys, pages, args.seconds, args.think, args.keep_alive)
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


def _report(setting: Setting, phases: list[Phase], machine: Machine, users: int, args: Any) -> None:
    pages_phase, health_phase = phases
    print(f"  {setting.describe()}; the machine: {machine.describe()}")
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
        f"load: {users} users × {args.seconds:g} s, {setting.describe()}, main pages",
        figure=f"p95 {p95:.0f} ms (p50 {pages_phase.p(0.5):.0f}), {len(pages_phase.errors)} err",
        reference=f"/health/ p95 {health_phase.p(0.95):.1f} ms, {len(health_phase.errors)} err",
        ratio=p95 / health_phase.p(0.95),
        target=f"≤ {P95_LIMIT_MS:g} ms, 0 err",
        met=ok,
        machine=machine,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="data scale (1: full size)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    parser.add_argument(
        "--think", type=float, default=3.0, help="mean pause between pages, s (1/3 to 5/3 of it)"
    )
    parser.add_argument(
        "--sizes", help="workers x threads to measure, e.g. 3x2,5x1 (default: docker-compose.yml)"
    )
    parser.add_argument(
        "--conn-max-age", help="DATABASE_CONN_MAX_AGE values to measure, e.g. 60,0 (seconds)"
    )
    parser.add_argument(
        "--health-checks", default="on", help="DATABASE_CONN_HEALTH_CHECKS to measure: on,off"
    )
    parser.add_argument(
        "--keep-alive", action="store_true", help="one kept-alive connection per user"
    )
    args = parser.parse_args()
    require_postgres("scripts/bench load")
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        workdir = Path(folder)
        _production_environment(workdir)
        django_setup()
        from django.core.management import call_command
        from django.db import connection, connections

        names, pages, keys = _world(args.scale, args.users)
        connection.ensure_connection()
        version = getattr(connection, "pg_version", 0) // 10000
        call_command("collectstatic", interactive=False, verbosity=0)
        settings_measured = _settings(args)
        connections.close_all()
        connections_used = (
            "one kept-alive connection per user" if args.keep_alive else "a connection per request"
        )
        print(
            f"Load at scale {args.scale:g}, PostgreSQL {version}: {len(names)} users, "
            f"{args.seconds:g} s per phase, {args.think:g} s mean pause, {connections_used}; "
            f"{' '.join(_web_command(0, settings_measured[0])[1:])}",
            flush=True,
        )
        emit_context(scale=args.scale, postgresql=version)
        for setting in settings_measured:
            print(f"Setting: {setting.describe()}", flush=True)
            phases, machine = measure(
                functools.partial(_serve_and_drive, setting, workdir, names, keys, pages, args),
                what=setting.describe(),
            )
            _report(setting, phases, machine, len(names), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
