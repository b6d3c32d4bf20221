"""Reads about the action as a whole."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as date_type
from datetime import timedelta
from typing import Any, cast

from django.db.models import Count, F, Model, Prefetch, Q, QuerySet

from programme.choices import OPEN_ACTION_POINT_STATUSES
from programme.models import (
    Action,
    ActionPoint,
    Decision,
    Indicator,
    IndicatorValue,
    Meeting,
    MeetingAttendance,
    Outcome,
    ReportingPeriod,
)
from stakeholders.models import Institution


def action_primary() -> Action | None:
    """The action this installation runs; the first one recorded."""
    return Action.objects.select_related("programme").order_by("pk").first()


def action_points_carried_into(*, meeting: Meeting) -> list[ActionPoint]:
    """Action points raised at earlier meetings that were still open when this one met.

    An action point stays on the agenda from meeting to meeting until it is closed, so
    nothing is copied: an earlier point shows here while it had no closing date before
    this meeting.
    """
    earlier = ActionPoint.objects.filter(
        meeting__action_id=meeting.action_id, meeting__number__lt=meeting.number
    ).select_related("owner", "meeting", "decision")  # the page names each point's decision
    if meeting.date:
        earlier = earlier.filter(Q(closed_on__isnull=True) | Q(closed_on__gte=meeting.date))
    else:
        earlier = earlier.filter(status__in=OPEN_ACTION_POINT_STATUSES)
    return list(earlier.order_by("meeting__number", "due_date", "pk"))


def reporting_periods_open(*, today: date_type) -> list[ReportingPeriod]:
    """Periods whose updates are being collected: ended or ending, due within 90 days."""
    return list(
        ReportingPeriod.objects.filter(
            start_date__lte=today, due_date__gte=today - timedelta(days=90)
        ).order_by("due_date")
    )


def meetings_with_counts(*, queryset: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """Meetings, newest first, with their number of decisions and of open action points."""
    return queryset.annotate(
        decision_count=Count("decisions", distinct=True),
        open_action_point_count=Count(
            "action_points",
            filter=Q(action_points__status__in=OPEN_ACTION_POINT_STATUSES),
            distinct=True,
        ),
    ).order_by("-number")


@dataclass(frozen=True)
class MeetingRecord:
    """What a steering-committee meeting decided and what it left to do."""

    meeting: Meeting
    attendance: list[MeetingAttendance]
    decisions: list[Decision]
    action_points: list[ActionPoint]
    carried_in: list[ActionPoint]


def meeting_record(*, meeting: Meeting) -> MeetingRecord:
    """One meeting with everything its page shows, in a fixed number of queries."""
    # The decisions name recommendations, a model of a higher app, by its relation only.
    recommendations = cast("type[Model]", Decision._meta.get_field("recommendations").related_model)
    by_number = recommendations._default_manager.order_by("number")
    return MeetingRecord(
        meeting=meeting,
        attendance=list(meeting.attendance.select_related("institution")),
        decisions=list(
            meeting.decisions.order_by("number").prefetch_related(
                Prefetch("recommendations", queryset=by_number)
            )
        ),
        action_points=list(
            meeting.action_points.select_related("owner", "decision").order_by("due_date", "pk")
        ),
        carried_in=action_points_carried_into(meeting=meeting),
    )


def meeting_latest(*, action: Action, on: date_type) -> Meeting | None:
    """The last steering-committee meeting held by that day.

    A meeting whose date is not recorded counts as held: the seed documents leave some
    dates out, and such a meeting is always one that took place.
    """
    return (
        action.meetings.filter(Q(date__lte=on) | Q(date__isnull=True)).order_by("-number").first()
    )


@dataclass(frozen=True)
class IndicatorRow:
    """An indicator with its value for one reporting period, if any was recorded."""

    indicator: Indicator
    value: IndicatorValue | None


@dataclass(frozen=True)
class OutcomeBlock:
    """An outcome of the results framework with its indicators, outcome-level first."""

    outcome: Outcome
    indicators: list[IndicatorRow]


def results_framework(*, action: Action, period: ReportingPeriod) -> list[OutcomeBlock]:
    """The results framework with each indicator's value for the period: three queries."""
    outcomes = list(
        action.outcomes.order_by("code").prefetch_related(
            Prefetch(
                "indicators",
                queryset=Indicator.objects.select_related("output").order_by(
                    F("output__code").asc(nulls_first=True), "code"
                ),
            )
        )
    )
    values = {
        v.indicator_id: v
        for v in IndicatorValue.objects.filter(indicator__outcome__action=action, period=period)
    }
    return [
        OutcomeBlock(
            outcome=outcome,
            indicators=[
                IndicatorRow(indicator=i, value=values.get(i.pk)) for i in outcome.indicators.all()
            ],
        )
        for outcome in outcomes
    ]


def action_points_open_owned_by(institution: Institution, user: Any = None) -> list[ActionPoint]:
    """The institution's open action points, soonest due first (its page's section)."""
    return list(
        ActionPoint.objects.filter(owner=institution, status__in=OPEN_ACTION_POINT_STATUSES)
        .select_related("meeting")
        .order_by("due_date", "pk")
    )
