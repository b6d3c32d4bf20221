"""Reads about the action as a whole."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as date_type
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

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
from stakeholders.choices import PROFESSION_NOT_STATED
from stakeholders.models import User
from stakeholders.selectors import persona_for


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


def action_overview(*, action: Action, until: date_type | None = None) -> ActionOverview:
    """Headline figures about an action, in a fixed number of queries.

    With ``until``, trainings, participants and meetings count up to that day; studies,
    recommendations and open action points are as they stand now. The participants, the one
    count that reads every attendance row, come with the glance's kept figures.
    """
    from programme.glance import glance_figures
    from recommendations.models import Recommendation
    from trainings.choices import TrainingStatus

    trainings = action.trainings.all()
    meetings = action.meetings.all()
    if until is not None:
        trainings = trainings.filter(Q(start_date__lte=until) | Q(status=TrainingStatus.PLANNED))
        meetings = meetings.filter(Q(date__lte=until) | Q(date__isnull=True))
    counts = trainings.aggregate(
        held=Count("pk", filter=Q(status=TrainingStatus.HELD)),
        planned=Count("pk", filter=Q(status=TrainingStatus.PLANNED)),
    )
    return ActionOverview(
        action=action,
        recommendations=Recommendation.objects.count(),
        trainings_held=counts["held"],
        trainings_planned=counts["planned"],
        participants=glance_figures(action=action, until=until)["action_participants"],
        studies=action.studies.count(),
        meetings=meetings.count(),
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
    ).select_related("owner", "meeting", "decision")  # the page names each point's decision
    if meeting.date:
        earlier = earlier.filter(Q(closed_on__isnull=True) | Q(closed_on__gte=meeting.date))
    else:
        earlier = earlier.filter(status__in=OPEN_ACTION_POINT_STATUSES)
    return list(earlier.order_by("meeting__number", "due_date", "pk"))


@dataclass(frozen=True)
class Task:
    """Something a user should act on, shown on their dashboard."""

    kind: str
    title: str
    url: str
    due: date_type | None = None

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due < timezone.localdate()


def reporting_periods_open(*, today: date_type) -> list[ReportingPeriod]:
    """Periods whose updates are being collected: ended or ending, due within 90 days."""
    return list(
        ReportingPeriod.objects.filter(
            start_date__lte=today, due_date__gte=today - timedelta(days=90)
        ).order_by("due_date")
    )


def dashboard_tasks(*, user: User) -> list[Task]:
    """The user's to-do list across the programme, in a fixed number of queries."""
    from recommendations.choices import UpdateState
    from recommendations.models import Assignment, ProgressUpdate
    from trainings.choices import TrainingStatus
    from trainings.models import Attendance
    from trainings.permissions import trainings_editable_by

    persona = persona_for(user)
    today = timezone.localdate()
    tasks: list[Task] = []

    if persona.edits_for:
        periods = reporting_periods_open(today=today)
        assignments = list(
            Assignment.objects.filter(institution_id__in=persona.edits_for).select_related(
                "recommendation", "institution"
            )
        )
        reported = set(
            ProgressUpdate.objects.filter(
                institution_id__in=persona.edits_for, period__in=periods
            ).values_list("recommendation_id", "institution_id", "period_id", "state")
        )
        done = {(r, i, p) for r, i, p, s in reported if s != UpdateState.DRAFT}
        for period in periods:
            for a in assignments:
                if (a.recommendation_id, a.institution_id, period.pk) in done:
                    continue
                tasks.append(
                    Task(
                        kind="update_due",
                        title=_("Progress update on recommendation %(n)s for %(period)s (%(inst)s)")
                        % {
                            "n": a.recommendation.number,
                            "period": period,
                            "inst": a.institution.label,
                        },
                        url=reverse("recommendations:update_create", args=[a.recommendation_id]),
                        due=period.due_date,
                    )
                )
        for update in ProgressUpdate.objects.filter(
            institution_id__in=persona.edits_for,
            state__in=[UpdateState.RETURNED, UpdateState.DRAFT],
        ).select_related("recommendation", "period", "institution"):
            tasks.append(
                Task(
                    kind=f"update_{update.state}",
                    title=(
                        _("Revise the returned update on recommendation %(n)s (%(period)s)")
                        if update.state == UpdateState.RETURNED
                        else _("Finish and submit your draft on recommendation %(n)s (%(period)s)")
                    )
                    % {"n": update.recommendation.number, "period": update.period},
                    url=reverse("recommendations:update_detail", args=[update.pk]),
                    due=update.period.due_date,
                )
            )
        for point in ActionPoint.objects.filter(
            owner_id__in=persona.edits_for, status__in=OPEN_ACTION_POINT_STATUSES
        ).select_related("meeting"):
            tasks.append(
                Task(
                    kind="action_point",
                    title=_("Action point: %(text)s") % {"text": point.description},
                    url=reverse("programme:meeting_detail", args=[point.meeting_id]),
                    due=point.due_date,
                )
            )
    if persona.can_edit_anything:
        editable = trainings_editable_by(user)
        # NOT EXISTS rather than a join on attendance made distinct: the join reads every
        # attendance row of every held training.
        has_attendance = Exists(Attendance.objects.filter(training=OuterRef("pk")))
        for training in editable.filter(
            Q(status=TrainingStatus.HELD) & ~has_attendance
            | Q(status=TrainingStatus.PLANNED, end_date__lt=today)
        ):
            tasks.append(
                Task(
                    kind="training",
                    title=_("Complete the training record: %(title)s") % {"title": training.title},
                    url=reverse("trainings:detail", args=[training.pk]),
                    due=training.end_date,
                )
            )
    if persona.is_programme_team:
        for update in ProgressUpdate.objects.filter(state=UpdateState.SUBMITTED).select_related(
            "recommendation", "institution", "period"
        ):
            tasks.append(
                Task(
                    kind="review",
                    title=_("Review %(inst)s's update on recommendation %(n)s (%(period)s)")
                    % {
                        "inst": update.institution.label,
                        "n": update.recommendation.number,
                        "period": update.period,
                    },
                    url=reverse("recommendations:update_detail", args=[update.pk]),
                    due=update.period.due_date,
                )
            )
    return sorted(tasks, key=lambda t: (t.due is None, t.due or today))


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    share: float  # of the largest bar, 0..1


def _bars(pairs: list[tuple[str, int]]) -> list[Bar]:
    top = max((v for _l, v in pairs), default=0) or 1
    return [Bar(label=label, value=value, share=value / top) for label, value in pairs]


@dataclass(frozen=True)
class Glance:
    recommendations_by_status: list[Bar]
    participants_by_group: list[tuple[str, int, int, int]]  # group, women, men, total
    participants_by_sex: list[Bar]
    research_pipeline: list[Bar]
    trainings_held: int
    participants: int


def programme_glance(*, action: Action, until: date_type | None = None) -> Glance:
    """Aggregated figures for everyone's dashboard: no personal data, fixed query count.

    With ``until``, as they stood at the end of that day: trainings held by then and the
    approved assessments of periods begun by then. The research pipeline is as it is now.
    The numbers are kept in the cache (programme/glance.py); the labels are put on here, in
    the reader's language, so every language shares the kept numbers.
    """
    from programme.glance import glance_figures
    from recommendations.choices import ImplementationStatus
    from research.choices import StudyStatus
    from stakeholders.choices import Sex

    figures = glance_figures(action=action, until=until)
    by_status = figures["recommendations_by_status"]
    status_bars = [(str(_("Not yet assessed")), by_status.get("none", 0))] + [
        (str(label), by_status.get(value, 0)) for value, label in ImplementationStatus.choices
    ]
    sexes = figures["participants_by_sex"]
    studies = figures["studies_by_status"]
    language = get_language() or settings.LANGUAGE_CODE
    not_stated = str(PROFESSION_NOT_STATED)
    groups = [
        (
            row["names"].get(language) or row["names"].get(settings.LANGUAGE_CODE) or not_stated,
            row["women"],
            row["men"],
            row["total"],
        )
        for row in figures["participants_by_group"]
    ]
    return Glance(
        recommendations_by_status=_bars(status_bars),
        # Largest first, then by name in the reader's language.
        participants_by_group=sorted(groups, key=lambda g: (-g[3], g[0])),
        participants_by_sex=_bars(
            [(str(label), sexes.get(value, 0)) for value, label in Sex.choices]
        ),
        research_pipeline=_bars(
            [(str(label), studies.get(value, 0)) for value, label in StudyStatus.choices]
        ),
        trainings_held=figures["trainings_held"],
        participants=figures["participants"],
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
    from recommendations.models import Recommendation

    return MeetingRecord(
        meeting=meeting,
        attendance=list(meeting.attendance.select_related("institution")),
        decisions=list(
            meeting.decisions.order_by("number").prefetch_related(
                Prefetch("recommendations", queryset=Recommendation.objects.order_by("number"))
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
