"""Reads for the dashboard: the headline figures, the programme at a glance and each user's tasks.

They count across every domain app, so they live above them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date as date_type

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.alphabet import alphabet_key
from dashboard.glance import glance_figures
from programme.choices import OPEN_ACTION_POINT_STATUSES
from programme.models import Action, ActionPoint, IndicatorValue, ReportingPeriod
from programme.results import IndicatorFigures, framework_figures, period_current
from programme.selectors import (
    OwedValue,
    action_points_open_owned,
    indicator_values_owed,
    indicator_values_to_review,
)
from recommendations.choices import ImplementationStatus, OwedState, UpdateState
from recommendations.models import ProgressUpdate, Recommendation
from recommendations.selectors import OwedUpdate, updates_owed
from research.choices import StudyStatus
from stakeholders.choices import PROFESSION_NOT_STATED, Sex
from stakeholders.models import Institution, User
from stakeholders.selectors import persona_for
from trainings.choices import TrainingStatus
from trainings.permissions import trainings_editable_by
from trainings.selectors import trainings_to_complete


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


def action_overview(*, action: Action, until: date_type | None = None) -> ActionOverview:
    """Headline figures about an action, in a fixed number of queries.

    With ``until``, trainings, participants and meetings count up to that day; studies,
    recommendations and open action points are as they stand now. The participants, the one
    count that reads every attendance row, come with the glance's kept figures.
    """

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


def _update_task(
    recommendation: Recommendation,
    institution: Institution,
    period: ReportingPeriod,
    owed: OwedUpdate | ProgressUpdate,
) -> Task:
    """A progress update to write, finish or revise, as the dashboard lists it."""
    update = owed.update if isinstance(owed, OwedUpdate) else owed
    returned = update is not None and update.state == UpdateState.RETURNED
    names = {
        "n": recommendation.number,
        "period": period,
        "inst": institution.label,
        "state": OwedState.RETURNED.label,
    }
    if returned:
        kind = "update_returned"
        title = _("Recommendation %(n)s, %(period)s (%(inst)s): %(state)s") % names
    elif update is not None:
        kind = "update_draft"
        title = _("Finish and submit your draft on recommendation %(n)s (%(period)s)") % names
    else:
        kind = "update_due"
        title = _("Progress update on recommendation %(n)s for %(period)s (%(inst)s)") % names
    url = (
        reverse("recommendations:update_detail", args=[update.pk])
        if update is not None
        else reverse("recommendations:update_create", args=[recommendation.pk])
    )
    return Task(kind=kind, title=title, url=url, due=period.due_date)


def _value_task(owed: OwedValue) -> Task:
    """A reported indicator value to enter, finish or revise, as the dashboard lists it."""
    value, indicator, period = owed.value, owed.indicator, owed.period
    names = {
        "code": indicator.code,
        "period": period,
        "inst": indicator.responsible.label if indicator.responsible else _("programme team"),
        "state": OwedState.RETURNED.label,
    }
    if owed.returned:
        kind = "value_returned"
        title = _("Indicator %(code)s, %(period)s (%(inst)s): %(state)s") % names
    elif value is not None and value.actual is not None:
        kind = "value_draft"
        title = _("Finish and submit your draft value of indicator %(code)s (%(period)s)") % names
    else:
        kind = "value_due"
        title = _("Value of indicator %(code)s for %(period)s (%(inst)s)") % names
    # A row holding only the period's target has a page too, with the link to enter the value.
    url = (
        reverse("programme:value_detail", args=[value.pk])
        if value is not None
        else reverse("programme:value_mine")
    )
    return Task(kind=kind, title=title, url=url, due=period.due_date)


def _value_review_task(value: IndicatorValue) -> Task:
    names = {"code": value.indicator.code, "period": value.period}
    responsible = value.indicator.responsible
    if responsible is not None:
        title = _("Review %(inst)s's value of indicator %(code)s (%(period)s)") % (
            names | {"inst": responsible.label}
        )
    else:
        title = _("Review the value of indicator %(code)s (%(period)s)") % names
    return Task(
        kind="value_review",
        title=title,
        url=reverse("programme:value_detail", args=[value.pk]),
        due=value.period.due_date,
    )


def dashboard_tasks(*, user: User) -> list[Task]:
    """The user's to-do list across the programme, in a fixed number of queries."""

    persona = persona_for(user)
    today = timezone.localdate()
    tasks: list[Task] = []

    if persona.edits_for:
        # What the user's institutions owe: the same rule as the reminders (updates_owed).
        owed_list = updates_owed(today=today, institution_ids=persona.edits_for)
        listed = {o.update.pk for o in owed_list if o.update is not None}
        for owed in owed_list:
            tasks.append(_update_task(owed.recommendation, owed.institution, owed.period, owed))
        # Work started that nothing owes (an invited institution's draft, an update of a period
        # no longer collected) is still the user's to finish.
        for update in ProgressUpdate.objects.filter(
            institution_id__in=persona.edits_for,
            state__in=[UpdateState.RETURNED, UpdateState.DRAFT],
        ).select_related("recommendation", "period", "institution"):
            if update.pk not in listed:
                tasks.append(
                    _update_task(update.recommendation, update.institution, update.period, update)
                )
        for point in action_points_open_owned(institution_ids=persona.edits_for).select_related(
            "meeting"
        ):
            tasks.append(
                Task(
                    kind="action_point",
                    title=_("Action point: %(text)s") % {"text": point.description},
                    url=reverse("programme:meeting_detail", args=[point.meeting_id]),
                    due=point.due_date,
                )
            )
    if persona.edits_for or persona.is_programme_team:
        # Indicator values the user's institutions report, and for the programme team those
        # of the indicators it enters itself: the same rule as the reminders.
        for owed_value in indicator_values_owed(
            today=today,
            institution_ids=persona.edits_for,
            programme_team=persona.is_programme_team,
        ):
            tasks.append(_value_task(owed_value))
    if persona.can_edit_anything:
        for training in trainings_to_complete(today=today, among=trainings_editable_by(user)):
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
        for value in indicator_values_to_review():
            tasks.append(_value_review_task(value))
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
    The numbers are kept in the cache (dashboard/glance.py); the labels are put on here, in
    the reader's language, so every language shares the kept numbers.
    """

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
        participants_by_group=sorted(groups, key=lambda g: (-g[3], alphabet_key(g[0], language))),
        participants_by_sex=_bars(
            [(str(label), sexes.get(value, 0)) for value, label in Sex.choices]
        ),
        research_pipeline=_bars(
            [(str(label), studies.get(value, 0)) for value, label in StudyStatus.choices]
        ),
        trainings_held=figures["trainings_held"],
        participants=figures["participants"],
    )


@dataclass(frozen=True)
class IndicatorGlance:
    """The results framework's indicators at a glance, judged at the current period."""

    period: ReportingPeriod | None
    indicators: list[IndicatorFigures]


# The latest committee report the reader may open, found by the reports app (a layer above
# this one), which registers its finder when it is ready.
_LATEST_REPORT: list[Callable[[User], tuple[str, str] | None]] = []


def latest_report_register(finder: Callable[[User], tuple[str, str] | None]) -> None:
    """``finder(user)`` answers the (URL, name) of the latest report for the dashboard."""
    _LATEST_REPORT[:] = [finder]


def latest_report_for(user: User) -> tuple[str, str] | None:
    return _LATEST_REPORT[0](user) if _LATEST_REPORT else None


def indicators_glance(*, action: Action, today: date_type) -> IndicatorGlance:
    """Every indicator's value to date, end target and status, in the framework's order and
    with its figures (``framework_figures``): a fixed number of queries however many."""
    period = period_current(action=action, today=today)
    blocks = framework_figures(action=action, at=period)
    return IndicatorGlance(
        period=period, indicators=[figures for block in blocks for figures in block.indicators]
    )
