#!/usr/bin/env python
"""Benchmark: the main portal pages on a generated programme, against a minimal view.

Runs in-process with django.test.Client on the PostgreSQL in DATABASE_URL (``scripts/bench
pages`` starts a throwaway one), on the programme ``generate_programme`` makes at ``--scale``
(made here first when the database has none). For a CSO focal point and for the programme team
(a superuser), each page is requested ``--runs`` times, the pages and the reference taking turns
so that anything else the machine does falls on all of them alike:

- the dashboard, the recommendation list and the busiest recommendation, the training list,
  the latest meeting, and the results framework (every indicator's figures in every period);
- the reference: a view defined here (its own urlconf, through a settings override) that runs
  one query and renders a tiny template, behind the same middleware and the same sign-in.

It prints each page's median and 95th percentile and its median over the reference's (target
for the dashboard: at most 5×); the CSO's training list over the superuser's (permission
filtering; target at most 1.3×); and the queries of every list page with 10 and with 200
generated rows, on a second, throwaway database (target: the same number).

The public site and the API are measured beside them: the public home and results pages for an
anonymous visitor with the pages kept in the cache (target for the home: a median under 50 ms;
the reference a view without sign-in that runs one query), their queries at 10 and 200 rows with
the cache warm and cold; and each API list that has a portal twin, with a personal token of the
CSO focal point and of the programme team, beside the twin (the API asked for the portal's page
size), and its queries at ``page_size`` 10 and 100 (target: the same number).

    scripts/bench pages                         # scale 1, 20 runs of each page
    scripts/bench pages --scale 0.1 --runs 5    # quicker
    scripts/bench pages --profile               # also cProfile the dashboard and list its queries
    scripts/bench pages --profile /results/     # … or another page
    scripts/bench pages --floor --no-queries    # also where a minimal request's time goes
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import os
import pstats
import sys
import time
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench_common import (
    Machine,
    django_setup,
    emit,
    emit_context,
    ensure_programme,
    measure,
    median,
    percentile,
    require_postgres,
)

DASHBOARD_LIMIT = 5.0
FILTER_LIMIT = 1.3
PUBLIC_HOME_LIMIT_MS = 50.0
MINIMAL_URL = "/bench/minimal/"
MINIMAL_PUBLIC_URL = "/bench/minimal-public/"
# The public site as an anonymous visitor finds it: in the reader's language, and in one named.
PUBLIC_PAGES = [("public home", "/public/"), ("public results page", "/public/results/")]
PUBLIC_COUNTED = ["/public/", "/public/en/", "/public/results/", "/public/en/results/"]
# Each API list (under /api/v1/) and the portal list that shows the same records to each persona:
# the progress updates are "my institution's updates" for the CSO, the review queue for the team.
API_TWINS: dict[str, dict[str, str]] = {
    "institutions": {"CSO": "/institutions/", "team": "/institutions/"},
    "trainings": {"CSO": "/trainings/", "team": "/trainings/"},
    "meetings": {"CSO": "/meetings/", "team": "/meetings/"},
    "recommendations": {"CSO": "/recommendations/", "team": "/recommendations/"},
    "studies": {"CSO": "/research/", "team": "/research/"},
    "updates": {"CSO": "/recommendations/mine/", "team": "/recommendations/review/"},
    "indicators": {"CSO": "/results/", "team": "/results/"},
}
API_PAGE_SIZES = (10, 100)
# The results framework is no list, but it reads every indicator and period: it belongs with
# the pages whose queries must not grow with the rows.
LIST_PAGES = [
    "/trainings/",
    "/trainings/people/",
    "/trainings/people/?q=ana",
    "/meetings/",
    "/institutions/",
    "/research/",
    "/recommendations/",
    "/results/",
]
# Lists one persona has and the other does not: the review queue is the programme team's,
# "my institution's updates" every institution member's.
PERSONA_LIST_PAGES = {
    "CSO": ["/recommendations/mine/"],
    "team": ["/recommendations/review/"],
}


@dataclass
class Series:
    """The timings of one page for one persona."""

    label: str
    url: str
    seconds: list[float] = field(default_factory=list)
    queries: int = 0

    @property
    def median_ms(self) -> float:
        return median(self.seconds) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.seconds, 0.95) * 1000

    def fresh(self) -> Series:
        """The same page with no timings yet: a repeat of a busy figure starts afresh."""
        return Series(self.label, self.url, queries=self.queries)


def _busier(*machines: Machine) -> Machine:
    """Of figures compared with each other, the busiest machine decides."""
    return max(machines, key=lambda m: m.others)


def _take_turns(client: Any, series: list[Series], runs: int) -> list[Series]:
    """Request each page in turn, ``runs`` times round, timing each request."""
    timed = [s.fresh() for s in series]
    for _run in range(runs):
        for s in timed:
            started = time.perf_counter()
            _get(client, s.url)
            s.seconds.append(time.perf_counter() - started)
    return timed


def _minimal_urlconf() -> types.ModuleType:
    """The product's URLs plus the reference view: one query, a tiny template."""
    from django.contrib.auth.decorators import login_required
    from django.http import HttpRequest, HttpResponse
    from django.template import engines
    from django.urls import include, path

    from recommendations.models import Recommendation

    template = engines["django"].from_string("<!doctype html><title>{{ n }}</title><p>{{ n }}</p>")

    @login_required
    def minimal(request: HttpRequest) -> HttpResponse:
        return HttpResponse(template.render({"n": Recommendation.objects.count()}))

    def minimal_public(request: HttpRequest) -> HttpResponse:
        # The public pages' reference: the same, without sign-in.
        return HttpResponse(template.render({"n": Recommendation.objects.count()}))

    module = types.ModuleType("bench_pages_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        path(MINIMAL_URL.strip("/") + "/", minimal),
        path(MINIMAL_PUBLIC_URL.strip("/") + "/", minimal_public),
        path("", include("config.urls")),
    ]
    return module


def _personas() -> dict[str, Any]:
    from django.db.models import Count

    from loaders.generator import ADMIN_USERNAME
    from stakeholders.choices import InstitutionKind, MembershipRole
    from stakeholders.models import Membership, User

    # The focal point of the CSO that organised the most trainings: its lists are the longest.
    focal = (
        Membership.objects.filter(
            institution__code__startswith="gen-",
            institution__kind=InstitutionKind.CSO,
            role=MembershipRole.FOCAL_POINT,
        )
        .annotate(organised=Count("institution__organised_trainings"))
        .select_related("user")
        .order_by("-organised", "institution_id")
        .first()
    )
    assert focal is not None  # noqa: S101 - every generated programme has a CSO focal point
    return {"CSO": focal.user, "team": User.objects.get(username=ADMIN_USERNAME)}


def _clients(personas: dict[str, Any]) -> dict[str, Any]:
    """A signed-in client per persona; the programme team's session past the second factor,
    as the code page leaves it (a confirmed authenticator app, the session verified by it)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from stakeholders.roles import needs_second_factor

    clients = {}
    for name, user in personas.items():
        client = Client()
        client.force_login(user)
        if needs_second_factor(user):
            device, _made = TOTPDevice.objects.get_or_create(
                user=user, confirmed=True, defaults={"name": "Benchmark authenticator"}
            )
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        clients[name] = client
    return clients


def _get(client: Any, url: str, headers: dict[str, str] | None = None) -> Any:
    response = client.get(url, headers=headers)
    if response.status_code != 200:
        sys.exit(f"{url} answered {response.status_code}, not 200.")
    return response


def _pages(persona: str) -> list[tuple[str, str]]:
    from django.db.models import Count
    from django.urls import reverse

    from programme.models import Indicator, Meeting
    from recommendations.models import Recommendation

    busiest = Recommendation.objects.annotate(n=Count("updates")).order_by("-n", "pk").first()
    latest = Meeting.objects.order_by("-number").first()
    indicators = Indicator.objects.count()
    assert busiest is not None and latest is not None  # noqa: S101 - generated data has both
    own = {
        "CSO": [("my institution's updates", reverse("recommendations:my_updates"))],
        "team": [("review queue", reverse("recommendations:review_queue"))],
    }
    return [
        ("dashboard", "/"),
        ("recommendation list", "/recommendations/"),
        (
            f"recommendation {busiest.number} ({busiest.n} updates)",
            f"/recommendations/{busiest.pk}/",
        ),
        ("training list", "/trainings/"),
        ("participant register", reverse("trainings:people")),
        ("participant register, searched", reverse("trainings:people") + "?q=ana"),
        (f"meeting {latest.number}", f"/meetings/{latest.pk}/"),
        (f"results framework ({indicators} indicators)", reverse("programme:results_framework")),
        *own[persona],
    ]


def _time_pages(clients: dict[str, Any], runs: int) -> dict[str, tuple[list[Series], Machine]]:
    """Every page and the reference, for each persona, taking turns run after run; again when
    the machine was busy (bench_common.measure)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    results: dict[str, tuple[list[Series], Machine]] = {}
    for persona, client in clients.items():
        series = [Series("minimal view (reference)", MINIMAL_URL)]
        series += [Series(label, url) for label, url in _pages(persona)]
        for s in series:  # warm the caches, and count the queries once
            _get(client, s.url)
            with CaptureQueriesContext(connection) as queries:
                _get(client, s.url)
            s.queries = len(queries)
        results[persona] = measure(
            functools.partial(_take_turns, client, series, runs),
            what=f"pages, {persona}",
        )
    return results


def _report_pages(results: dict[str, tuple[list[Series], Machine]]) -> None:
    for persona, (series, machine) in results.items():
        reference = series[0]
        ref = f"minimal view {reference.median_ms:.1f} ms"
        for s in series[1:]:
            ratio = s.median_ms / reference.median_ms
            is_dashboard = s.url == "/"
            emit(
                f"page: {s.label}, {persona}",
                figure=f"{s.median_ms:.1f} ms (p95 {s.p95_ms:.1f}), {s.queries} q",
                reference=ref,
                ratio=ratio,
                target=f"≤ {DASHBOARD_LIMIT:g}×" if is_dashboard else "",
                met=ratio <= DASHBOARD_LIMIT if is_dashboard else None,
                machine=machine,
            )
    cso = next(s for s in results["CSO"][0] if s.url == "/trainings/")
    team = next(s for s in results["team"][0] if s.url == "/trainings/")
    ratio = cso.median_ms / team.median_ms
    emit(
        "training list, permission-filtered (CSO) vs superuser",
        figure=f"CSO {cso.median_ms:.1f} ms",
        reference=f"superuser {team.median_ms:.1f} ms",
        ratio=ratio,
        target=f"≤ {FILTER_LIMIT:g}×",
        met=ratio <= FILTER_LIMIT,
        machine=_busier(results["CSO"][1], results["team"][1]),
    )


# --- The public site and the API --------------------------------------------------------------


def _count(client: Any, url: str, headers: dict[str, str] | None = None) -> int:
    """The queries of one request (the one before it warmed what is kept)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _get(client, url, headers)
    with CaptureQueriesContext(connection) as queries:
        _get(client, url, headers)
    return len(queries)


def _time_public(runs: int) -> tuple[list[Series], Machine]:
    """The public pages for an anonymous visitor, kept in the cache, and their reference."""
    from django.test import Client

    client = Client()
    series = [Series("minimal view, no sign-in (reference)", MINIMAL_PUBLIC_URL)]
    series += [Series(label, url) for label, url in PUBLIC_PAGES]
    for s in series:
        s.queries = _count(client, s.url)
    return measure(lambda: _take_turns(client, series, runs), what="public pages")


def _report_public(timed: tuple[list[Series], Machine]) -> None:
    series, machine = timed
    reference = series[0]
    ref = f"minimal view {reference.median_ms:.1f} ms"
    for s in series[1:]:
        is_home = s.url == "/public/"
        emit(
            f"page: {s.label}, anonymous, warm cache",
            figure=f"{s.median_ms:.1f} ms (p95 {s.p95_ms:.1f}), {s.queries} q",
            reference=ref,
            ratio=s.median_ms / reference.median_ms,
            target=f"< {PUBLIC_HOME_LIMIT_MS:g} ms" if is_home else "",
            met=s.median_ms < PUBLIC_HOME_LIMIT_MS if is_home else None,
            machine=machine,
        )


def _api_headers(personas: dict[str, Any]) -> dict[str, dict[str, str]]:
    """A personal token per persona, as the tokens page makes it: the programme team's after
    the second factor (its powers need it), the CSO's without."""
    from api.services import api_token_create
    from stakeholders.roles import needs_second_factor

    headers = {}
    for name, user in personas.items():
        _token, clear = api_token_create(
            user=user, name="Benchmark", second_factor=needs_second_factor(user)
        )
        headers[name] = {"Authorization": f"Bearer {clear}"}
    return headers


@dataclass
class ApiPair:
    """An API list and its portal twin for one persona: timings and queries of each."""

    endpoint: str
    api: Series
    portal: Series
    queries_by_size: dict[int, int] = field(default_factory=dict)
    machine: Machine | None = None


def _api_turns(
    api_client: Any, portal_client: Any, headers: dict[str, str], pairs: list[ApiPair], runs: int
) -> list[ApiPair]:
    """Each API list and its portal twin in turn, ``runs`` times round."""
    timed = [ApiPair(p.endpoint, p.api.fresh(), p.portal.fresh()) for p in pairs]
    for _run in range(runs):
        for pair in timed:
            started = time.perf_counter()
            _get(api_client, pair.api.url, headers)
            pair.api.seconds.append(time.perf_counter() - started)
            started = time.perf_counter()
            _get(portal_client, pair.portal.url)
            pair.portal.seconds.append(time.perf_counter() - started)
    return timed


def _time_api(
    clients: dict[str, Any], headers: dict[str, dict[str, str]], runs: int
) -> dict[str, list[ApiPair]]:
    """Each API list at the portal's page size beside its portal twin, taking turns; then
    the API list's queries at each of API_PAGE_SIZES."""
    from django.test import Client

    from core.portal import PAGE_SIZE

    results: dict[str, list[ApiPair]] = {}
    api_client = Client()  # no session: the token alone says who asks
    for persona, portal_client in clients.items():
        pairs = [
            ApiPair(
                endpoint,
                Series(f"API {endpoint}", f"/api/v1/{endpoint}/?page_size={PAGE_SIZE}"),
                Series(twins[persona], twins[persona]),
            )
            for endpoint, twins in API_TWINS.items()
        ]
        for pair in pairs:
            pair.api.queries = _count(api_client, pair.api.url, headers[persona])
            pair.portal.queries = _count(portal_client, pair.portal.url)
        pairs, machine = measure(
            functools.partial(_api_turns, api_client, portal_client, headers[persona], pairs, runs),
            what=f"API lists, {persona}",
        )
        for pair in pairs:
            pair.machine = machine
            for size in API_PAGE_SIZES:
                url = f"/api/v1/{pair.endpoint}/?page_size={size}"
                pair.queries_by_size[size] = _count(api_client, url, headers[persona])
        results[persona] = pairs
    return results


def _report_api(results: dict[str, list[ApiPair]]) -> None:
    for persona, pairs in results.items():
        for pair in pairs:
            api, portal = pair.api, pair.portal
            emit(
                f"API: /api/v1/{pair.endpoint}/, {persona}",
                figure=f"{api.median_ms:.1f} ms (p95 {api.p95_ms:.1f}), {api.queries} q",
                reference=f"portal {portal.url} {portal.median_ms:.1f} ms, {portal.queries} q",
                ratio=api.median_ms / portal.median_ms,
                machine=pair.machine,
            )
    small, large = API_PAGE_SIZES
    for persona, pairs in results.items():
        for pair in pairs:
            a, b = pair.queries_by_size[small], pair.queries_by_size[large]
            emit(
                f"queries: /api/v1/{pair.endpoint}/ page_size {small} and {large}, {persona}",
                figure=f"{b} queries at {large}",
                reference=f"{a} queries at {small}",
                ratio=b / a if a else None,
                target="equal",
                met=a == b,
            )


def _profile(clients: dict[str, Any], url: str) -> None:
    """cProfile one page per persona, and list its queries by time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for persona, client in clients.items():
        profiler = cProfile.Profile()
        with CaptureQueriesContext(connection) as queries:
            profiler.enable()
            _get(client, url)
            profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(f"\n--- cProfile of {url} for the {persona} persona ---\n{out.getvalue()}")
        print(f"--- its {len(queries)} queries, slowest first ---")
        for q in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:10]:
            print(f"  {float(q['time']) * 1000:7.1f} ms  {q['sql'][:300]}")


# --- The per-request floor: where a minimal signed-in request's time goes ---------------------

# What each query of a minimal request is for, told by the table it reads (the permissions'
# queries join the user's tables, so they are told first).
_FLOOR_KINDS = [
    ('"auth_permission"', "permissions"),
    ('"django_session"', "session"),
    ('"stakeholders_user"', "user (sign-in)"),
    ('"otp_', "second-factor device"),
]


def _floor_kind(sql: str) -> str:
    head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
    if head in ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"):
        return "transaction (ATOMIC_REQUESTS)"
    for table, kind in _FLOOR_KINDS:
        if table in sql:
            return kind
    return "the view's own query"


@dataclass
class Floor:
    """A minimal request's time, over many requests: wall and CPU, and the queries by kind."""

    label: str
    url: str
    requests: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    query_time: dict[str, float] = field(default_factory=dict)
    query_count: dict[str, int] = field(default_factory=dict)


class _QueryTimer:
    """A database execute wrapper adding each query's time to its kind in the floor."""

    def __init__(self, floor: Floor) -> None:
        self.floor = floor

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self._add(_floor_kind(sql), time.perf_counter() - started)

    def commit(self, commit: Callable[[], None]) -> Callable[[], None]:
        def timed() -> None:
            started = time.perf_counter()
            try:
                commit()
            finally:
                self._add(_floor_kind("COMMIT"), time.perf_counter() - started)

        return timed

    def _add(self, kind: str, spent: float) -> None:
        self.floor.query_time[kind] = self.floor.query_time.get(kind, 0.0) + spent
        self.floor.query_count[kind] = self.floor.query_count.get(kind, 0) + 1


def _floor_requests(clients: dict[str, Any], runs: int) -> list[Floor]:
    from django.db import connection, connections
    from django.test import Client

    floors = [Floor(f"minimal view, {persona}", MINIMAL_URL) for persona in clients]
    floors.append(Floor("minimal view, no sign-in", MINIMAL_PUBLIC_URL))
    floors.append(Floor("/health/, no sign-in", "/health/"))
    chosen = [*clients.values(), Client(), Client()]
    database = connections["default"]
    for floor, client in zip(floors, chosen, strict=True):
        _get(client, floor.url)
        timer = _QueryTimer(floor)
        # psycopg sends BEGIN with the first query; the COMMIT goes through commit() alone.
        database.commit = timer.commit(database.commit)  # type: ignore[method-assign]
        try:
            with connection.execute_wrapper(timer):
                for _run in range(runs):
                    started, cpu = time.perf_counter(), time.thread_time()
                    _get(client, floor.url)
                    floor.cpu += time.thread_time() - cpu
                    floor.wall += time.perf_counter() - started
                    floor.requests += 1
        finally:
            del database.commit
    return floors


def _floor(clients: dict[str, Any], runs: int) -> None:
    """Where a minimal request's time goes: its queries by what they are for, and the rest
    (middleware, sign-in and language look-ups, the view and its template) in Python."""
    floors, machine = measure(lambda: _floor_requests(clients, runs), what="the floor")
    busy = f" ({machine.label()})" if machine.busy else ""
    print(f"\nThe per-request floor, mean of {runs} requests each{busy}:")
    for floor in floors:
        n = floor.requests
        queries = sum(floor.query_time.values())
        print(
            f"  {floor.label:32} {floor.wall / n * 1000:6.2f} ms wall, "
            f"{floor.cpu / n * 1000:6.2f} ms CPU in this process, "
            f"{sum(floor.query_count.values()) / n:.0f} queries {queries / n * 1000:.2f} ms"
        )
        for kind, spent in sorted(floor.query_time.items(), key=lambda kv: -kv[1]):
            print(
                f"      {kind:32} {floor.query_count[kind] / n:.0f} q  {spent / n * 1000:6.2f} ms"
            )
        rest = (floor.wall - queries) / n * 1000
        print(f"      {'Python (middleware, view, template)':32}      {rest:6.2f} ms")


# --- Queries of the list pages at 10 and 200 rows, on a throwaway database -------------------


def _rows_counts(n: int) -> Any:
    from loaders.generator import Counts

    return Counts(
        years=5,
        institutions=n,
        users=2 * n,
        trainings=n,
        participants=5 * n,
        updates=n,
        meetings=n,
        action_points_per_meeting=2,
        studies=n,
        outcomes=max(2, n // 10),
        outputs_per_outcome=2,
        indicators_per_output=2,
    )


def _list_queries(rows: int) -> dict[tuple[str, str], int]:
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from loaders.generator import programme_generate
    from loaders.seeding import seed_load
    from programme.selectors import action_primary

    # CASCADE: tables of models this process may not know (a migration added meanwhile).
    call_command("flush", interactive=False, verbosity=0, allow_cascade=True)
    seed_load()
    action = action_primary()
    assert action is not None  # noqa: S101 - the seed records the action
    programme_generate(action=action, counts=_rows_counts(rows))
    counts = {}
    for persona, client in _clients(_personas()).items():
        for url in LIST_PAGES + PERSONA_LIST_PAGES[persona]:
            _get(client, url)
            with CaptureQueriesContext(connection) as queries:
                _get(client, url)
            counts[(persona, url)] = len(queries)
    # The public pages: the first request renders them, every later one reads what it kept.
    visitor = Client()
    for url in PUBLIC_COUNTED:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            _get(visitor, url)
        counts[("anonymous, first request", url)] = len(queries)
        counts[("anonymous, warm cache", url)] = _count(visitor, url)
    return counts


def _query_counts() -> None:
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        small, large = _list_queries(10), _list_queries(200)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    for persona, url in small:
        a, b = small[(persona, url)], large[(persona, url)]
        emit(
            f"queries: {url} at 10 and 200 rows, {persona}",
            figure=f"{b} queries at 200 rows",
            reference=f"{a} queries at 10 rows",
            ratio=b / a if a else None,
            target="equal",
            met=a == b,
        )


def _timed(what: str, step: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = step()
    print(f"  ({what}: {time.perf_counter() - started:.0f} s)", flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="data scale (1: full size)")
    parser.add_argument("--runs", type=int, default=20, help="requests of each page timed")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="/",
        metavar="URL",
        help="cProfile a page (the dashboard when no URL is given) and list its queries",
    )
    parser.add_argument("--no-queries", action="store_true", help="skip the 10/200-row counts")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="where a minimal request's time goes (queries by kind, the rest), 10× --runs each",
    )
    args = parser.parse_args()
    require_postgres("scripts/bench pages")
    # The API's rate limit counts as in production; it is only raised past what the runs ask.
    os.environ.setdefault("API_RATE", "100000/minute")
    django_setup()
    from django.db import connection
    from django.test.utils import override_settings

    from loaders.generator import Counts

    ensure_programme(args.scale)
    counts = Counts.at_scale(args.scale)
    connection.ensure_connection()
    version = getattr(connection, "pg_version", 0) // 10000
    print(
        f"Pages at scale {args.scale:g} ({counts.trainings:,} trainings, "
        f"{counts.participants:,} participants, {counts.updates:,} updates, "
        f"{counts.meetings} meetings), PostgreSQL {version}, {args.runs} runs each:"
    )
    emit_context(scale=args.scale, postgresql=version)
    with override_settings(ROOT_URLCONF=_minimal_urlconf()):
        clients = _clients(_personas())
        results = _timed("pages", lambda: _time_pages(clients, args.runs))
        _report_pages(results)
        public = _timed("public pages", lambda: _time_public(args.runs))
        _report_public(public)
        headers = _api_headers(_personas())
        api = _timed("API lists", lambda: _time_api(clients, headers, args.runs))
        _report_api(api)
        if args.profile:
            _profile(clients, args.profile)
        if args.floor:
            _floor(clients, args.runs * 10)
    if not args.no_queries:
        print("Queries of the list pages at 10 and 200 generated rows (a throwaway database):")
        _timed("query counts", _query_counts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
