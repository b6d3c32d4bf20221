"""What computed indicators can count in recommendations: where they stand, and whether
progress updates come in on time.

Registered with the results framework's catalogue in ``RecommendationsConfig.ready``.
Recommendations belong to no single action: every recommendation on the platform counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from django.db.models import (
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from programme.calculations import (
    Ask,
    Calculation,
    Measure,
    Parameter,
    Source,
    Span,
    rows_union,
    share,
    span_q,
)
from programme.models import ReportingPeriod
from recommendations.choices import AssignmentKind, ImplementationStatus, UpdateState
from recommendations.models import Assignment, ProgressUpdate
from recommendations.permissions import recommendations_visible_to, updates_visible_to
from recommendations.selectors import STATUS_ORDER, recommendation_statuses_on

# --- Recommendations at a status -------------------------------------------------------------


def _statuses() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in ImplementationStatus.choices]


STATUS = Parameter(
    "status",
    _("Lowest status counted"),
    _statuses,
    many=False,
    help_text=_(
        "Count the recommendations whose overall status is this one or a more advanced one. "
        "None chosen counts every recommendation with an overall status."
    ),
)


def _at_or_above(ask: Ask) -> int:
    """The position in the order of statuses from which a recommendation counts."""
    status = ask.parameters.get("status")
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else 0


def recommendations_at_status_measure(
    asks: Sequence[Ask], spans: Sequence[Span]
) -> dict[tuple[int, Span], Measure]:
    """Recommendations whose overall status at the end of the span is at or above the
    chosen one: a stock, so the span's start does not matter. One query for every
    indicator and span (``recommendation_statuses_on``)."""
    if not asks or not spans:
        return {}
    statuses = recommendation_statuses_on(days=[span.end for span in spans])
    answers: dict[tuple[int, Span], Measure] = {}
    for ask in asks:
        lowest = _at_or_above(ask)
        for span in spans:
            counted = sum(
                1 for status in statuses[span.end].values() if STATUS_ORDER.index(status) >= lowest
            )
            answers[(ask.indicator, span)] = Measure.of(counted)
    return answers


def recommendations_at_status_sources(ask: Ask, span: Span, user: Any) -> list[Source]:
    lowest = _at_or_above(ask)
    statuses = recommendation_statuses_on(days=[span.end])[span.end]
    counted = {pk: s for pk, s in statuses.items() if STATUS_ORDER.index(s) >= lowest}
    visible = recommendations_visible_to(user).filter(pk__in=counted)
    return [
        Source(
            label=str(recommendation),
            url=reverse("recommendations:detail", args=[recommendation.pk]),
            detail=str(ImplementationStatus(counted[recommendation.pk]).label),
        )
        for recommendation in visible.order_by("recommendation_set", "number")
    ]


RECOMMENDATIONS_AT_STATUS = Calculation(
    key="recommendations_at_status",
    label=_("Recommendations at a status"),
    description=_(
        "Recommendations whose overall status at the end of the period is the chosen status "
        "or a more advanced one. A recommendation's overall status is that of the least "
        "advanced of the institutions assigned to it now, each as its latest approved progress "
        "update for a period begun by that day says; a recommendation without an approved "
        "update has none and does not count. The value is where things stand at the end of "
        "the period, not a number of changes in it."
    ),
    unit=_("recommendations"),
    measure=recommendations_at_status_measure,
    sources=recommendations_at_status_sources,
    parameters=(STATUS,),
)


# --- Updates approved on time ----------------------------------------------------------------


def _responsible() -> QuerySet[Assignment]:
    """The assignments that owe an update each period, as in ``updates_owed``: institutions
    responsible for a recommendation now (invited ones may report but owe nothing)."""
    return Assignment.objects.filter(kind=AssignmentKind.RESPONSIBLE)


def _count(queryset: QuerySet[Any]) -> Subquery:
    """How many rows the queryset has, as a subquery (``COUNT`` without grouping)."""
    return Subquery(
        queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n"),
        output_field=IntegerField(),
    )


def _owed_periods(action_id: int) -> QuerySet[ReportingPeriod]:
    """The action's reporting periods whose due date has passed: only then is an update
    owed for them."""
    return ReportingPeriod.objects.filter(action_id=action_id, due_date__lt=timezone.localdate())


def _owed_by_assignment() -> Exists:
    """The update is one its institution owes: it is responsible for the recommendation."""
    return Exists(
        _responsible().filter(
            recommendation_id=OuterRef("recommendation_id"),
            institution_id=OuterRef("institution_id"),
        )
    )


def _approved_on_time() -> QuerySet[ProgressUpdate]:
    """Approved updates owed by their institution, submitted (last, if returned and sent
    again) on or before the due date of their period, as a day in the platform's time zone."""
    return ProgressUpdate.objects.filter(
        _owed_by_assignment(),
        state=UpdateState.APPROVED,
        submitted_at__date__lte=F("period__due_date"),
    )


def updates_approved_on_time_measure(
    asks: Sequence[Ask], spans: Sequence[Span]
) -> dict[tuple[int, Span], Measure]:
    """The share of the updates owed for periods due in the span that were approved and had
    been submitted by the period's due date; no value when nothing was owed."""
    # One row per period (what was owed, what came on time), each counted once; the spans
    # are then added up here rather than by a subquery repeated in every span's column.
    owed = _count(_responsible())
    on_time = _count(_approved_on_time().filter(period_id=OuterRef("pk")))
    parts = [
        _owed_periods(ask.action)
        .annotate(
            indicator=Value(ask.indicator, output_field=IntegerField()),
            owed=owed,
            on_time=on_time,
        )
        .values("indicator", "due_date", "owed", "on_time")
        for ask in asks
    ]
    periods: dict[int, list[tuple[date, int, int]]] = defaultdict(list)
    for row in rows_union(parts):
        due = row["due_date"]
        if not isinstance(due, date):
            due = date.fromisoformat(str(due))
        periods[row["indicator"]].append((due, row["owed"] or 0, row["on_time"] or 0))
    answers: dict[tuple[int, Span], Measure] = {}
    for ask in asks:
        for span in spans:
            inside = [(o, t) for due, o, t in periods.get(ask.indicator, []) if span.covers(due)]
            answers[(ask.indicator, span)] = Measure.of(
                share(sum(t for _o, t in inside), sum(o for o, _t in inside))
            )
    return answers


def updates_approved_on_time_sources(ask: Ask, span: Span, user: Any) -> list[Source]:
    """The updates started for what was owed (late, returned and waiting ones too): an update
    never started is no record to show."""
    updates = (
        updates_visible_to(user)
        .filter(
            _owed_by_assignment(),
            period__in=_owed_periods(ask.action).filter(span_q("due_date", span)),
        )
        .annotate(on_time=Exists(_approved_on_time().filter(pk=OuterRef("pk"))))
        .select_related("recommendation", "institution", "period")
        .order_by("period__due_date", "recommendation__number", "institution__name", "pk")
    )
    return [
        Source(
            label=str(update),
            url=reverse("recommendations:update_detail", args=[update.pk]),
            detail=_update_detail(update),
        )
        for update in updates
    ]


def _update_detail(update: Any) -> str:
    if update.on_time:
        return gettext("Approved, submitted by the due date")
    if update.state == UpdateState.APPROVED:
        return gettext("Approved, submitted after the due date")
    return gettext("%(state)s: not approved") % {"state": UpdateState(update.state).label}


UPDATES_APPROVED_ON_TIME = Calculation(
    key="updates_approved_on_time",
    label=_("Progress updates approved on time"),
    description=_(
        "Of the progress updates owed for the reporting periods whose due date falls in the "
        "period, the percentage that were approved and had been submitted by the period's due "
        "date. Each institution responsible for a recommendation now owes one update for "
        "each such period; institutions invited to report owe none, and a period counts once "
        "its due date has passed. An update returned and sent again counts as submitted when "
        "it was last sent. No value when nothing was owed."
    ),
    unit=_("%"),
    measure=updates_approved_on_time_measure,
    sources=updates_approved_on_time_sources,
    percent=True,
)
