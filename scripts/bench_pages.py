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

Every other portal page (``--all-pages``, on by default) is timed beside the same reference,
``--all-runs`` times (5): each URL name of the persona matrix's RULES that a persona may open,
on its busiest record, or named as not timed and why (see ALL_PAGES and SKIPPED below;
target: at most 10×).

    scripts/bench pages                         # scale 1, 20 runs of each page
    scripts/bench pages --only-all-pages        # every other page alone, 5 runs each
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
    ROOT,
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

sys.path.insert(0, str(ROOT))  # the repository, for tests.downloads
from tests.downloads import DOWNLOADS

DASHBOARD_LIMIT = 5.0
PAGE_LIMIT = 10.0  # every other portal page
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
            limit = DASHBOARD_LIMIT if s.url == "/" else PAGE_LIMIT
            emit(
                f"page: {s.label}, {persona}",
                figure=f"{s.median_ms:.1f} ms (p95 {s.p95_ms:.1f}), {s.queries} q",
                reference=ref,
                ratio=ratio,
                target=f"≤ {limit:g}×",
                met=ratio <= limit,
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


# --- Every portal page (--all-pages) ---------------------------------------------------------
# The inventory is the persona matrix's RULES (tests/test_persona_matrix.py): every URL pattern
# has a rule there, so a page added to the portal shows here as unaccounted for until it is
# timed or named as skipped (tests/test_page_speed_inventory.py holds the three in step).

# Timed by _pages above, every run: not timed again.
ALREADY_TIMED = {
    "dashboard:dashboard",
    "recommendations:list",
    "recommendations:detail",
    "trainings:list",
    "trainings:people",
    "programme:meeting_detail",
    "programme:results_framework",
    "recommendations:my_updates",
    "recommendations:review_queue",
}
_DOWNLOAD = "a download, not a page"
_JSON = "the API (JSON): its lists are timed in the API rows"
_PUBLIC = "the public site: its pages are timed in the anonymous rows"
_SIGN_IN = "a sign-in page, before the portal"
# URL names not timed, and why. POST-only URLs (the rule's GET answers 405 to every persona)
# are skipped without being listed.
SKIPPED: dict[str, str] = {
    "health": "a health check, not a page",
    "login": _SIGN_IN,
    "password_reset": _SIGN_IN,
    "password_reset_done": _SIGN_IN,
    "password_reset_confirm": _SIGN_IN,
    "password_reset_complete": _SIGN_IN,
    "invitation_accept": _SIGN_IN,
    "two_factor_verify": _SIGN_IN,
    "two_factor_enrol": _SIGN_IN,
    "set_language": "a redirect after choosing the language",
    "notifications:notification_open": "a redirect to what the notification is about",
    "recommendations:review_next": "a redirect to the next update to review",
    "recommendations:review_approve": "a redirect to the review queue (its form is there)",
    "api:schema": _JSON,
    **dict.fromkeys(sorted(DOWNLOADS), _DOWNLOAD),
}


class ValueStates:
    """Indicator values' states (programme.choices.ValueState) each page needs."""

    ALL = ("draft", "submitted", "returned", "approved")
    OPEN = ("draft", "returned")
    SUBMITTED = ("submitted",)


class _Busiest:
    """The busiest record of each kind one persona may open, found once."""

    def __init__(self, user: Any) -> None:
        from stakeholders.models import Institution

        self.user = user
        # The CSO focal point's own institution; the programme team's busiest is the one that
        # organised the most trainings.
        own = user.memberships.values_list("institution_id", flat=True).first()
        self.institution = Institution.objects.get(pk=own) if own else self._most_organised()

    @staticmethod
    def _most_organised() -> Any:
        from django.db.models import Count

        from stakeholders.models import Institution

        return (
            Institution.objects.annotate(n=Count("organised_trainings"))
            .order_by("-n", "pk")
            .first()
        )

    @functools.cached_property
    def training(self) -> Any:
        from django.db.models import Count

        from trainings.permissions import trainings_visible_to

        return (
            trainings_visible_to(self.user)
            .annotate(n=Count("attendance"))
            .order_by("-n", "pk")
            .first()
        )

    @functools.cached_property
    def attendance(self) -> Any:
        return self.training.attendance.order_by("pk").first()

    @functools.cached_property
    def person(self) -> Any:
        from django.db.models import Count

        from trainings.permissions import participants_in_register_for

        return (
            participants_in_register_for(self.user)
            .annotate(n=Count("attendance"))
            .order_by("-n", "pk")
            .first()
        )

    @functools.cached_property
    def own_person(self) -> Any:
        """The busiest person whose record the user may change (``may_change_participant``)."""
        from django.db.models import Count

        from stakeholders.selectors import persona_for
        from trainings.permissions import participants_in_register_for

        people = participants_in_register_for(self.user)
        persona = persona_for(self.user)
        if not persona.is_programme_team:
            people = people.filter(registered_by_institution__in=persona.edits_for)
        return people.annotate(n=Count("attendance")).order_by("-n", "pk").first()

    @functools.cached_property
    def study(self) -> Any:
        from django.db.models import Count

        from research.models import Study

        return (
            Study.objects.annotate(n=Count("recommendations", distinct=True))
            .order_by("-n", "pk")
            .first()
        )

    @functools.cached_property
    def update(self) -> Any:
        from django.db.models import Count

        from recommendations.permissions import updates_editable_by

        return (
            updates_editable_by(self.user)
            .annotate(n=Count("transitions"))
            .order_by("-n", "pk")
            .first()
        )

    @functools.cached_property
    def update_open(self) -> Any:
        """The busiest update its institution may still change: a draft or one returned."""
        from django.db.models import Count

        from recommendations.permissions import updates_editable_by

        return (
            updates_editable_by(self.user)
            .filter(state__in=["draft", "returned"])
            .annotate(n=Count("transitions"))
            .order_by("-n", "pk")
            .first()
        )

    @functools.cached_property
    def update_submitted(self) -> Any:
        """The busiest update waiting for review: its institution may withdraw it."""
        from django.db.models import Count

        from recommendations.permissions import updates_editable_by

        return (
            updates_editable_by(self.user)
            .filter(state="submitted")
            .annotate(n=Count("transitions"))
            .order_by("-n", "pk")
            .first()
        )

    @functools.cached_property
    def reportable(self) -> Any:
        from django.db.models import Count

        from recommendations.permissions import recommendations_reportable_by

        return (
            recommendations_reportable_by(self.user)
            .annotate(n=Count("updates"))
            .order_by("-n", "pk")
            .first()
        )

    @functools.cached_property
    def meeting(self) -> Any:
        from programme.models import Meeting

        return Meeting.objects.order_by("-number").first()

    @functools.cached_property
    def decision(self) -> Any:
        from django.db.models import Count

        return (
            self.meeting.decisions.annotate(n=Count("action_points")).order_by("-n", "pk").first()
        )

    @functools.cached_property
    def action_point(self) -> Any:
        from programme.permissions import action_points_editable_by

        return action_points_editable_by(self.user).order_by("-meeting__number", "pk").first()

    def _value(self, *states: str) -> Any:
        from django.db.models import Count

        from programme.permissions import indicator_values_visible_to

        values = indicator_values_visible_to(self.user).filter(state__in=states)
        if self.user.memberships.exists():
            values = values.filter(indicator__responsible__memberships__user=self.user)
        return (
            values.annotate(n=Count("transitions"))
            .order_by("-n", "-period__start_date", "pk")
            .first()
        )

    @functools.cached_property
    def value(self) -> Any:
        return self._value(*ValueStates.ALL)

    @functools.cached_property
    def value_open(self) -> Any:
        return self._value(*ValueStates.OPEN)

    @functools.cached_property
    def value_submitted(self) -> Any:
        return self._value(*ValueStates.SUBMITTED)

    @functools.cached_property
    def indicator(self) -> Any:
        from django.db.models import Count

        from programme.models import Indicator

        return Indicator.objects.annotate(n=Count("values")).order_by("-n", "pk").first()

    @functools.cached_property
    def period(self) -> Any:
        from programme.models import ReportingPeriod

        # The latest with a narrative written, if any: its pages show the most.
        periods = ReportingPeriod.objects.order_by("-start_date", "-pk")
        return periods.filter(narrative__isnull=False).first() or periods.first()

    @functools.cached_property
    def report(self) -> Any:
        from reports.models import Report

        return Report.objects.filter(requested_by=self.user).order_by("-pk").first()

    @functools.cached_property
    def token(self) -> Any:
        return self.user.api_tokens.order_by("pk").first()


def _narrative_part() -> str:
    from programme.narrative_views import PARTS

    return next(iter(PARTS))


# How to reach each timed page on the generated programme: its URL arguments from the persona's
# busiest records, and a query string. None: the generated programme has no such record.
PageArgs = Callable[[_Busiest], "dict[str, Any] | None"]
ALL_PAGES: dict[str, tuple[PageArgs, str]] = {
    "dashboard:search": (lambda b: {}, "?q=ana"),
    "api:docs": (lambda b: {}, ""),
    "api:tokens": (lambda b: {}, ""),
    "api:token_revoke": (lambda b: b.token and {"pk": b.token.pk}, ""),
    "calendars:settings": (lambda b: {}, ""),
    "calendars:address_create": (lambda b: {}, ""),
    "calendars:address_revoke": (lambda b: {}, ""),
    "core:translations": (lambda b: {}, ""),
    "imports:import_list": (lambda b: {}, ""),
    "imports:import_start": (lambda b: {"kind": "trainings"}, ""),
    "imports:import_detail": (lambda b: None, ""),
    "notifications:notification_list": (lambda b: {}, ""),
    "notifications:notification_preferences": (lambda b: {}, ""),
    "programme:meeting_list": (lambda b: {}, ""),
    "programme:meeting_create": (lambda b: {}, ""),
    "programme:meeting_prepare": (lambda b: {}, ""),
    "programme:meeting_edit": (lambda b: {"pk": b.meeting.pk}, ""),
    "programme:meeting_attendance": (lambda b: {"pk": b.meeting.pk}, ""),
    "programme:meeting_decision_add": (lambda b: {"pk": b.meeting.pk}, ""),
    "programme:meeting_decision_edit": (lambda b: b.decision and {"pk": b.decision.pk}, ""),
    "programme:meeting_decision_remove": (lambda b: b.decision and {"pk": b.decision.pk}, ""),
    "programme:action_point_add": (lambda b: {"pk": b.meeting.pk}, ""),
    "programme:action_point_edit": (lambda b: b.action_point and {"pk": b.action_point.pk}, ""),
    "programme:action_point_revise": (lambda b: b.action_point and {"pk": b.action_point.pk}, ""),
    "programme:action_point_remove": (lambda b: b.action_point and {"pk": b.action_point.pk}, ""),
    "programme:value_mine": (lambda b: {}, ""),
    "programme:value_report": (
        lambda b: (
            b.value_open and {"pk": b.value_open.indicator_id, "period_pk": b.value_open.period_id}
        ),
        "",
    ),
    "programme:value_detail": (lambda b: b.value and {"pk": b.value.pk}, ""),
    "programme:value_withdraw": (lambda b: b.value_submitted and {"pk": b.value_submitted.pk}, ""),
    "programme:value_review": (lambda b: b.value_submitted and {"pk": b.value_submitted.pk}, ""),
    "programme:value_evidence_add": (lambda b: b.value_open and {"pk": b.value_open.pk}, ""),
    "programme:value_evidence_remove": (lambda b: None, ""),
    "programme:results_iptt": (lambda b: {}, ""),
    "programme:results_indicator": (lambda b: {"pk": b.indicator.pk}, ""),
    "programme:results_indicator_settings": (lambda b: {"pk": b.indicator.pk}, ""),
    "programme:results_period_close": (lambda b: {"pk": b.period.pk}, ""),
    "programme:results_period_reopen": (lambda b: {"pk": b.period.pk}, ""),
    "programme:narrative_period": (lambda b: {"pk": b.period.pk}, ""),
    "programme:narrative_part_edit": (
        lambda b: {"pk": b.period.pk, "part": _narrative_part()},
        "",
    ),
    "programme:narrative_outcome_edit": (
        lambda b: {"pk": b.period.pk, "outcome": b.period.action.outcomes.order_by("pk")[0].pk},
        "",
    ),
    "programme:narrative_risk_add": (lambda b: {"pk": b.period.pk}, ""),
    "programme:narrative_risk_edit": (
        lambda b: (
            (risk := b.period.risks.order_by("pk").first()) and {"pk": b.period.pk, "risk": risk.pk}
        ),
        "",
    ),
    "programme:narrative_risk_remove": (
        lambda b: (
            (risk := b.period.risks.order_by("pk").first()) and {"pk": b.period.pk, "risk": risk.pk}
        ),
        "",
    ),
    "recommendations:update_detail": (lambda b: b.update and {"pk": b.update.pk}, ""),
    "recommendations:update_edit": (lambda b: b.update_open and {"pk": b.update_open.pk}, ""),
    "recommendations:update_withdraw": (
        lambda b: (u := b.update_submitted) and {"pk": u.pk},
        "",
    ),
    "recommendations:evidence_add": (lambda b: b.update and {"pk": b.update.pk}, ""),
    "recommendations:evidence_remove": (
        lambda b: (e := b.update and b.update.evidence.order_by("pk").first()) and {"pk": e.pk},
        "",
    ),
    "recommendations:evidence_redact": (
        lambda b: (e := b.update and b.update.evidence.order_by("pk").first()) and {"pk": e.pk},
        "",
    ),
    "recommendations:update_create": (lambda b: b.reportable and {"pk": b.reportable.pk}, ""),
    "reports:report_list": (lambda b: {}, ""),
    "reports:report_request": (lambda b: {}, "?kind=meeting"),
    "reports:report_detail": (lambda b: b.report and {"pk": b.report.pk}, ""),
    "research:pipeline": (lambda b: {}, ""),
    "research:detail": (lambda b: {"slug": b.study.slug}, ""),
    "stakeholders:institution_list": (lambda b: {}, ""),
    "stakeholders:institution_detail": (lambda b: {"pk": b.institution.pk}, ""),
    "stakeholders:member_invite": (lambda b: {"pk": b.institution.pk}, ""),
    "stakeholders:membership_request_list": (lambda b: {}, ""),
    "trainings:detail": (lambda b: {"pk": b.training.pk}, ""),
    "trainings:edit": (lambda b: {"pk": b.training.pk}, ""),
    "trainings:participant_add": (lambda b: {"pk": b.training.pk}, ""),
    "trainings:participants_paste": (lambda b: {"pk": b.training.pk}, ""),
    "trainings:attendance_edit": (lambda b: {"pk": b.training.pk}, ""),
    "trainings:evaluation_edit": (lambda b: {"pk": b.training.pk}, ""),
    "trainings:cancel": (lambda b: {"pk": b.training.pk}, ""),
    "trainings:delete": (lambda b: {"pk": b.training.pk}, ""),
    "trainings:attendance_remove": (lambda b: b.attendance and {"pk": b.attendance.pk}, ""),
    "trainings:person": (lambda b: b.person and {"pk": b.person.pk}, ""),
    "trainings:person_edit": (lambda b: b.own_person and {"pk": b.own_person.pk}, ""),
    "trainings:person_merge": (lambda b: b.own_person and {"pk": b.own_person.pk}, ""),
    "trainings:person_erase": (lambda b: b.own_person and {"pk": b.own_person.pk}, ""),
    "trainings:create": (lambda b: {}, ""),
}
# Which of the matrix's personas each benchmark persona is: the CSO focal point owns its
# institution's records, as CSO B does in the matrix.
MATRIX_PERSONA = {"CSO": "demo-cso-b", "team": "demo-admin"}


def _matrix_rules() -> dict[str, Any]:
    from tests.test_persona_matrix import RULES

    return RULES


def _is_post_only(rule: Any) -> bool:
    """A GET answers 405 to everyone signed in (the anonymous visitor is sent to sign in)."""
    return all(expected == 405 for persona, expected in rule.get.items() if persona != "anonymous")


def page_inventory(rules: dict[str, Any]) -> dict[str, str]:
    """Each URL name of the matrix and what this benchmark does with it: "timed", "timed
    above", "POST only", a reason for skipping it, or "unaccounted for"."""
    inventory = {}
    for name, rule in rules.items():
        if name in ALL_PAGES:
            inventory[name] = "timed"
        elif name in ALREADY_TIMED:
            inventory[name] = "timed above"
        elif name in SKIPPED:
            inventory[name] = SKIPPED[name]
        elif name.startswith("public:"):
            inventory[name] = _PUBLIC
        elif name.startswith("api:") and name.endswith(("-list", "-detail")):
            inventory[name] = _JSON
        elif _is_post_only(rule):
            inventory[name] = "POST only"
        else:
            inventory[name] = "unaccounted for"
    return inventory


def _add_reports(personas: dict[str, Any]) -> None:
    """A page of reports for each persona (the generated programme has none): meeting records,
    which everyone may open, failed so that no file is needed."""
    from programme.models import Meeting
    from reports.choices import ReportKind, ReportStatus
    from reports.models import Report

    meetings = list(Meeting.objects.order_by("-number")[:25])
    for user in personas.values():
        if Report.objects.filter(requested_by=user).exists():
            continue
        Report.objects.bulk_create(
            Report(
                kind=ReportKind.MEETING,
                language="en",
                meeting=meeting,
                requested_by=user,
                status=ReportStatus.FAILED,
                failure_reason="Benchmark",
            )
            for meeting in meetings
        )


@dataclass
class AllPages:
    """The timed pages of one persona, and what was not timed."""

    series: list[Series]
    machine: Machine
    not_timed: dict[str, str]


def _all_pages_urls(persona: str, user: Any) -> tuple[list[Series], dict[str, str]]:
    from django.urls import reverse

    rules = _matrix_rules()
    busiest = _Busiest(user)
    series, not_timed = [], {}
    for name, (args, query) in sorted(ALL_PAGES.items()):
        if rules[name].get[MATRIX_PERSONA[persona]] != MATRIX_OK:
            continue
        kwargs = args(busiest)
        if kwargs is None:
            not_timed[name] = "no such record in the generated programme"
            continue
        series.append(Series(name, reverse(name, kwargs=kwargs) + query))
    return series, not_timed


OK_STATUS = 200
MATRIX_OK = "ok"  # tests/test_persona_matrix.OK: the page answers 200


def _time_all_pages(
    clients: dict[str, Any], personas: dict[str, Any], runs: int
) -> dict[str, AllPages]:
    """Every page of ALL_PAGES each persona may open, with the reference, taking turns."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _add_reports(personas)
    results = {}
    for persona, client in clients.items():
        pages, not_timed = _all_pages_urls(persona, personas[persona])
        series = [Series("minimal view (reference)", MINIMAL_URL)]
        for s in pages:
            response = client.get(s.url)
            if response.status_code != OK_STATUS:
                not_timed[s.label] = f"answered {response.status_code}"
                continue
            with CaptureQueriesContext(connection) as queries:
                client.get(s.url)
            s.queries = len(queries)
            series.append(s)
        timed, machine = measure(
            functools.partial(_take_turns, client, series, runs),
            what=f"every page, {persona}",
        )
        results[persona] = AllPages(timed, machine, not_timed)
    return results


def _report_all_pages(results: dict[str, AllPages]) -> None:
    for persona, found in results.items():
        reference = found.series[0]
        ref = f"minimal view {reference.median_ms:.1f} ms"
        for s in found.series[1:]:
            ratio = s.median_ms / reference.median_ms
            emit(
                f"page: {s.label} {s.url}, {persona}",
                figure=f"{s.median_ms:.1f} ms (p95 {s.p95_ms:.1f}), {s.queries} q",
                reference=ref,
                ratio=ratio,
                target=f"≤ {PAGE_LIMIT:g}×",
                met=ratio <= PAGE_LIMIT,
                machine=found.machine,
            )
        for name, why in sorted(found.not_timed.items()):
            print(f"  not timed for the {persona}: {name}: {why}")
    inventory = page_inventory(_matrix_rules())
    skipped = sorted(n for n, what in inventory.items() if what not in ("timed", "timed above"))
    print(f"  not timed for anyone: {', '.join(f'{n} ({inventory[n]})' for n in skipped)}")
    lost = [n for n, what in inventory.items() if what == "unaccounted for"]
    if lost:
        emit(
            "every page: URL names neither timed nor skipped",
            figure=", ".join(sorted(lost)),
            target="none",
            met=False,
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
        "--all-pages",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time every other portal page, --all-runs times each (on by default)",
    )
    parser.add_argument(
        "--all-runs", type=int, default=5, help="requests of each page timed by --all-pages"
    )
    parser.add_argument(
        "--only-all-pages",
        action="store_true",
        help="time every other portal page alone (no main pages, public site or API)",
    )
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
        personas = _personas()
        clients = _clients(personas)
        if not args.only_all_pages:
            results = _timed("pages", lambda: _time_pages(clients, args.runs))
            _report_pages(results)
            public = _timed("public pages", lambda: _time_public(args.runs))
            _report_public(public)
        headers = _api_headers(personas)
        if not args.only_all_pages:
            api = _timed("API lists", lambda: _time_api(clients, headers, args.runs))
            _report_api(api)
        if args.all_pages or args.only_all_pages:
            print(f"Every other portal page, {args.all_runs} runs each:")
            every = _timed("every page", lambda: _time_all_pages(clients, personas, args.all_runs))
            _report_all_pages(every)
        if args.profile:
            _profile(clients, args.profile)
        if args.floor:
            _floor(clients, args.runs * 10)
    if not (args.no_queries or args.only_all_pages):
        print("Queries of the list pages at 10 and 200 generated rows (a throwaway database):")
        _timed("query counts", _query_counts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
