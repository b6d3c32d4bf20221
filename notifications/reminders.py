"""The reminders: which deadlines to remind of today, whom to tell, and in which stage.

The rule for a deadline (``reminder_stage``): a notice in the days before it, one on the day,
one once it has passed (to the institution's focal point), and, overdue for
``ESCALATE_AFTER_DAYS``, one to the programme team. Each stage is sent once: a reminder's key
names the deadline and the stage, and nobody is told the same key twice, so running the
reminders again on the same day, or every hour, sends nothing new.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from notifications.choices import (
    ESCALATE_AFTER_DAYS,
    NOTICE_DAYS_ACTION_POINTS,
    NOTICE_DAYS_STUDIES,
    NOTICE_DAYS_TRAININGS,
    NOTICE_DAYS_UPDATES,
    NOTICE_DAYS_VALUES,
    REMIND_FOR_DAYS,
    NotificationKind,
    ReminderStage,
)
from notifications.selectors import (
    focal_points_or_editors,
    institution_members,
    programme_team,
)
from notifications.services import institution_params, notification_notify
from programme.selectors import OwedValue, action_points_open_owned, indicator_values_owed
from recommendations.choices import OwedState
from recommendations.selectors import OwedUpdate, updates_owed
from research.choices import StudyStatus
from research.models import Study
from stakeholders.models import User
from trainings.choices import TrainingStatus
from trainings.models import Training
from trainings.selectors import trainings_to_complete


def reminder_stage(
    *, due: date, today: date, notice_days: int, escalate_after_days: int = ESCALATE_AFTER_DAYS
) -> str | None:
    """Where a deadline stands today; None when it is too far ahead to remind of."""
    days_left = (due - today).days
    if days_left > notice_days:
        return None
    if days_left > 0:
        return ReminderStage.BEFORE
    if days_left == 0:
        return ReminderStage.DUE
    if -days_left < escalate_after_days:
        return ReminderStage.OVERDUE
    return ReminderStage.ESCALATED


def recipients_for_stage(*, stage: str, institution_id: int) -> list[User]:
    """Before and on the day: the institution's editors and focal points; overdue: its focal
    point; escalated: the programme team."""
    if stage == ReminderStage.ESCALATED:
        return programme_team()
    if stage == ReminderStage.OVERDUE:
        return focal_points_or_editors(institution_id=institution_id)
    return institution_members(institution_ids=[institution_id])


def _progress_updates(today: date) -> int:
    """One reminder per institution and period for what it owes (``updates_owed``, the rule
    the dashboard shows): responsible institutions only, returned updates until resubmitted."""
    made = 0
    owing: dict[tuple[int, int], list[OwedUpdate]] = defaultdict(list)
    for owed in updates_owed(today=today):
        owing[(owed.period.pk, owed.institution.pk)].append(owed)
    for (period_id, institution_id), owed_list in owing.items():
        period = owed_list[0].period
        stage = reminder_stage(due=period.due_date, today=today, notice_days=NOTICE_DAYS_UPDATES)
        if stage is None:
            continue
        numbers = sorted({o.recommendation.number for o in owed_list})
        returned = sorted(
            {o.recommendation.number for o in owed_list if o.state == OwedState.RETURNED}
        )
        made += len(
            notification_notify(
                recipients=recipients_for_stage(stage=stage, institution_id=institution_id),
                kind=NotificationKind.UPDATE_DUE,
                stage=stage,
                key=f"update_due:{period_id}:{institution_id}:{stage}",
                url=reverse("dashboard:dashboard"),
                params={
                    "period": period.name,
                    "due_date": period.due_date.isoformat(),
                    **institution_params(owed_list[0].institution),
                    "numbers": ", ".join(str(n) for n in numbers),
                    # Named "returned, revise" when shown, in the reader's language.
                    "returned": ", ".join(str(n) for n in returned),
                },
            )
        )
    return made


def _indicator_values(today: date) -> int:
    """One reminder per institution and period for the indicator values it has not reported
    (``indicator_values_owed``, the rule the dashboard shows). A returned value was just told
    of by its review, and values the programme team enters are on its dashboard."""
    made = 0
    owing: dict[tuple[int, int], list[OwedValue]] = defaultdict(list)
    for owed in indicator_values_owed(today=today):
        if owed.indicator.responsible is not None and not owed.returned:
            owing[(owed.period.pk, owed.indicator.responsible.pk)].append(owed)
    for (period_id, institution_id), owed_list in owing.items():
        period = owed_list[0].period
        stage = reminder_stage(due=period.due_date, today=today, notice_days=NOTICE_DAYS_VALUES)
        if stage is None:
            continue
        responsible = owed_list[0].indicator.responsible
        assert responsible is not None  # noqa: S101 - grouped above
        made += len(
            notification_notify(
                recipients=recipients_for_stage(stage=stage, institution_id=institution_id),
                kind=NotificationKind.VALUE_DUE,
                stage=stage,
                key=f"value_due:{period_id}:{institution_id}:{stage}",
                url=reverse("programme:value_mine"),
                params={
                    "period": period.name,
                    "due_date": period.due_date.isoformat(),
                    **institution_params(responsible),
                    "codes": ", ".join(o.indicator.code for o in owed_list),
                },
            )
        )
    return made


def _action_points(today: date) -> int:
    made = 0
    points = (
        action_points_open_owned()
        .filter(
            due_date__isnull=False,
            due_date__gte=today - timedelta(days=REMIND_FOR_DAYS),
            due_date__lte=today + timedelta(days=NOTICE_DAYS_ACTION_POINTS),
        )
        .select_related("owner")
    )
    for point in points:
        assert point.due_date is not None  # noqa: S101 - filtered above
        stage = reminder_stage(
            due=point.due_date, today=today, notice_days=NOTICE_DAYS_ACTION_POINTS
        )
        if stage is None:
            continue
        made += len(
            notification_notify(
                recipients=recipients_for_stage(stage=stage, institution_id=point.owner_id),
                kind=NotificationKind.ACTION_POINT_DUE,
                stage=stage,
                key=f"action_point:{point.pk}:{stage}",
                url=reverse("programme:meeting_detail", args=[point.meeting_id]),
                params={
                    "due_date": point.due_date.isoformat(),
                    **institution_params(point.owner),
                    "description": Truncator(point.description).chars(160),
                },
            )
        )
    return made


def _trainings(today: date) -> int:

    made = 0
    starting = Training.objects.filter(
        status=TrainingStatus.PLANNED,
        organiser__isnull=False,
        start_date__gte=today,
        start_date__lte=today + timedelta(days=NOTICE_DAYS_TRAININGS),
    )
    for training in starting:
        assert training.start_date is not None  # noqa: S101 - filtered above
        made += len(
            notification_notify(
                recipients=institution_members(
                    institution_ids=[training.organiser_id],
                    roles=["focal_point", "editor", "viewer"],
                ),
                kind=NotificationKind.TRAINING_STARTS,
                key=f"training_starts:{training.pk}:{training.start_date.isoformat()}",
                url=reverse("trainings:detail", args=[training.pk]),
                params={"title": training.title, "start_date": training.start_date.isoformat()},
            )
        )
    # The trainings the dashboard asks to complete (one rule), not reminded of for ever.
    to_complete = trainings_to_complete(today=today).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today - timedelta(days=REMIND_FOR_DAYS)),
        organiser__isnull=False,
    )
    for training in to_complete:
        made += len(
            notification_notify(
                recipients=institution_members(institution_ids=[training.organiser_id]),
                kind=NotificationKind.TRAINING_RECORD,
                key=f"training_record:{training.pk}",
                url=reverse("trainings:detail", args=[training.pk]),
                params={"title": training.title},
            )
        )
    return made


def _studies(today: date) -> int:

    made = 0
    studies = Study.objects.exclude(status=StudyStatus.PUBLISHED).filter(
        due_date__isnull=False,
        due_date__gte=today - timedelta(days=REMIND_FOR_DAYS),
        due_date__lte=today + timedelta(days=NOTICE_DAYS_STUDIES),
    )
    for study in studies:
        assert study.due_date is not None  # noqa: S101 - filtered above
        stage = reminder_stage(due=study.due_date, today=today, notice_days=NOTICE_DAYS_STUDIES)
        if stage is None:
            continue
        # The programme team commissions and follows the research, at every stage.
        made += len(
            notification_notify(
                recipients=programme_team(),
                kind=NotificationKind.STUDY_DUE,
                stage=stage,
                key=f"study:{study.pk}:{study.due_date.isoformat()}:{stage}",
                url=reverse("research:detail", args=[study.slug]),
                params={"title": study.title, "due_date": study.due_date.isoformat()},
            )
        )
    return made


def reminders_run(*, today: date | None = None) -> int:
    """Make today's reminders; returns how many notifications are new."""
    today = today or timezone.localdate()
    return (
        _progress_updates(today)
        + _indicator_values(today)
        + _action_points(today)
        + _trainings(today)
        + _studies(today)
    )
