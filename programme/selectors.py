"""Reads about the action as a whole."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from programme.choices import OPEN_ACTION_POINT_STATUSES
from programme.models import Action, ActionPoint, Meeting


@dataclass(frozen=True)
class ActionOverview:
    action: Action
    recommendations: int
    trainings_held: int
    trainings_planned: int
    participants: int
    studies: int
    meetings: int
    open_action_points: int


def action_primary() -> Action | None:
    """The action this installation runs; the first one recorded."""
    return Action.objects.select_related("programme").order_by("pk").first()


def action_overview(*, action: Action) -> ActionOverview:
    """Headline figures about an action, in a fixed number of queries."""
    from recommendations.models import Recommendation
    from trainings.choices import TrainingStatus
    from trainings.models import Attendance

    trainings = action.trainings.aggregate(
        held=Count("pk", filter=Q(status=TrainingStatus.HELD)),
        planned=Count("pk", filter=Q(status=TrainingStatus.PLANNED)),
    )
    return ActionOverview(
        action=action,
        recommendations=Recommendation.objects.count(),
        trainings_held=trainings["held"],
        trainings_planned=trainings["planned"],
        participants=Attendance.objects.filter(training__action=action)
        .values("participant")
        .distinct()
        .count(),
        studies=action.studies.count(),
        meetings=action.meetings.count(),
        open_action_points=ActionPoint.objects.filter(
            meeting__action=action, status__in=OPEN_ACTION_POINT_STATUSES
        ).count(),
    )


def action_points_carried_into(*, meeting: Meeting) -> list[ActionPoint]:
    """Action points raised at earlier meetings that were still open when this one met.

    An action point stays on the agenda from meeting to meeting until it is closed, so
    nothing is copied: an earlier point shows here while it had no closing date before
    this meeting.
    """
    earlier = ActionPoint.objects.filter(
        meeting__action_id=meeting.action_id, meeting__number__lt=meeting.number
    ).select_related("owner", "meeting")
    if meeting.date:
        earlier = earlier.filter(Q(closed_on__isnull=True) | Q(closed_on__gte=meeting.date))
    else:
        earlier = earlier.filter(status__in=OPEN_ACTION_POINT_STATUSES)
    return list(earlier.order_by("meeting__number", "due_date", "pk"))
