"""What computed indicators can count in the programme's own records: action points closed
on time.

Registered with the results framework's catalogue in ``ProgrammeConfig.ready``. It sits
beside ``programme.calculations`` rather than in it because it reads ``programme.models``,
which imports that module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.collation import alphabetical
from programme.calculations import (
    Ask,
    Calculation,
    Measure,
    Parameter,
    Source,
    Span,
    parameter_ints,
    rows_union,
    share,
    span_q,
)
from programme.choices import ActionPointStatus
from programme.models import ActionPoint
from programme.permissions import meetings_visible_to
from stakeholders.models import Institution


def _institutions() -> list[tuple[str, str]]:
    return [(str(i.pk), str(i)) for i in Institution.objects.order_by(alphabetical("name"))]


OWNERS = Parameter(
    "owners",
    _("Owners"),
    _institutions,
    help_text=_("Count only action points given to these institutions; none chosen counts all."),
)

# Closed on or before the due date, as done (a cancelled point was not carried out).
_ON_TIME = Q(status=ActionPointStatus.DONE, closed_on__lte=F("due_date"))


def action_points_due(*, action_id: int, parameters: Any) -> QuerySet[ActionPoint]:
    """The action points an "on time" share counts: the action's points with a due date,
    not cancelled, whose due date has passed or that are already done (one still open
    before its due date may yet be closed on time)."""
    queryset = (
        ActionPoint.objects.filter(meeting__action_id=action_id, due_date__isnull=False)
        .exclude(status=ActionPointStatus.CANCELLED)
        .filter(Q(due_date__lt=timezone.localdate()) | Q(status=ActionPointStatus.DONE))
    )
    owners = parameter_ints(parameters, "owners")
    if owners:
        queryset = queryset.filter(owner_id__in=owners)
    return queryset


def action_points_closed_on_time_measure(
    asks: Sequence[Ask], spans: Sequence[Span]
) -> dict[tuple[int, Span], Measure]:
    """The share of the action points due in the span that were closed on time."""
    parts = []
    for ask in asks:
        columns: dict[str, Any] = {}
        for i, span in enumerate(spans):
            due = span_q("due_date", span)
            columns[f"s{i}_due"] = Count("pk", filter=due)
            columns[f"s{i}_on_time"] = Count("pk", filter=due & _ON_TIME)
        parts.append(
            action_points_due(action_id=ask.action, parameters=ask.parameters)
            .annotate(indicator=Value(ask.indicator, output_field=IntegerField()))
            .values("indicator")
            .annotate(**columns)
        )
    return {
        (row["indicator"], span): Measure.of(share(row[f"s{i}_on_time"], row[f"s{i}_due"]))
        for row in rows_union(parts)
        for i, span in enumerate(spans)
    }


def action_points_closed_on_time_sources(ask: Ask, span: Span, user: Any) -> list[Source]:
    points = (
        action_points_due(action_id=ask.action, parameters=ask.parameters)
        .filter(span_q("due_date", span), meeting__in=meetings_visible_to(user))
        .annotate(on_time=ExpressionWrapper(_ON_TIME, output_field=BooleanField()))
        .select_related("owner")
        .order_by("due_date", "pk")
    )
    return [
        Source(
            label=f"{point.owner.label}: {point}",
            url=reverse("programme:meeting_detail", args=[point.meeting_id]),
            detail=_point_detail(point),
        )
        for point in points
    ]


def _point_detail(point: Any) -> str:
    due = point.due_date.isoformat()
    if point.on_time:
        return gettext("due %(due)s, closed on time on %(closed)s") % {
            "due": due,
            "closed": point.closed_on.isoformat(),
        }
    if point.closed_on:
        return gettext("due %(due)s, closed late on %(closed)s") % {
            "due": due,
            "closed": point.closed_on.isoformat(),
        }
    return gettext("due %(due)s, still open") % {"due": due}


ACTION_POINTS_CLOSED_ON_TIME = Calculation(
    key="action_points_closed_on_time",
    label=_("Action points closed on time"),
    description=_(
        "Of the steering committee's action points due in the period, the percentage that "
        "were done and closed on or before their due date. Cancelled action points and those "
        "without a due date do not count; one still open counts once its due date has "
        "passed. No value when none was due. Can be limited to the institutions that own "
        "the action points."
    ),
    unit=_("%"),
    measure=action_points_closed_on_time_measure,
    sources=action_points_closed_on_time_sources,
    parameters=(OWNERS,),
    percent=True,
)
