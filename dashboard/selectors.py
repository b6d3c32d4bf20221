"""Reads for the dashboard: the headline figures, the programme at a glance and each user's tasks.

They count across every domain app, so they live above them all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date as date_type
from functools import cached_property, partial
from typing import TypeVar

from django.conf import settings
from django.db.models import Count, F, Model, QuerySet, Window
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.figures import figures_cached
from core.translations import name_or_not_stated
from dashboard.glance import FORMAT, Figures, glance_figures, indicators_figures
from programme.choices import IndicatorStatus
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
from stakeholders.choices import Sex
from stakeholders.models import Institution, User
from stakeholders.selectors import persona_for
from trainings.models import Training
from trainings.permissions import trainings_editable_by
from trainings.selectors import trainings_to_complete

_M = TypeVar("_M", bound=Model)


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
    """Headline figures about an action: kept with the glance's figures (dashboard/glance.py),
    counted in one query when they are not.

    With ``until``, trainings, participants and meetings count up to that day; studies,
    recommendations and open action points are as they stand now.
    """
    return ActionOverview(action=action, **glance_figures(action=action, until=until)["overview"])


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


@dataclass(frozen=True)
class TaskList:
    """A user's tasks, the most urgent first: those shown and how many there are in all."""

    tasks: list[Task]
    total: int


# A task not yet written out: its due date, and how to write it (only for those shown).
_Pending = tuple[date_type | None, Callable[[], Task]]


def _soonest_due(
    queryset: QuerySet[_M], *, due: str, ties: Sequence[str], limit: int | None
) -> tuple[list[_M], int]:
    """The rows soonest due first, at most ``limit`` of them, and how many there are in all.

    One query either way: with a limit the database counts every row beside the first ones
    (a window), so a long review queue costs what a short one does.
    """
    ordered = queryset.order_by(F(due).asc(nulls_last=True), *ties, "pk")
    if limit is None:
        rows = list(ordered)
        return rows, len(rows)
    rows = list(ordered.annotate(total_rows=Window(Count("pk")))[:limit])
    # Each row carries the count of them all (total_rows, the window).
    return rows, getattr(rows[0], "total_rows", 0) if rows else 0


def dashboard_tasks(*, user: User) -> list[Task]:
    """The user's to-do list across the programme, in a fixed number of queries."""
    return dashboard_tasks_urgent(user=user, limit=None).tasks


def dashboard_tasks_kept(*, user: User, limit: int | None) -> TaskList:
    """The user's most urgent tasks (``dashboard_tasks_urgent``), kept between their requests.

    Kept under the figures' version, which moves on every change to a record the tasks are
    made of (``dashboard.glance.COUNTED``: updates, assignments, action points, indicator
    values, trainings and their attendance, periods, institutions, memberships, and the object
    permissions and institution groups that say who may change what), and keyed by
    what else they depend on: the user and what they are (the institutions they edit for, the
    programme team's role in this session), the day and the language.
    """
    persona = persona_for(user)
    key = ":".join(
        [
            f"dashboard:tasks:{FORMAT}:{user.pk}",
            "team" if persona.is_programme_team else "member",
            ",".join(str(pk) for pk in sorted(persona.edits_for)),
            timezone.localdate().isoformat(),
            get_language() or settings.LANGUAGE_CODE,
            "all" if limit is None else str(limit),
        ]
    )
    return figures_cached(key, lambda: dashboard_tasks_urgent(user=user, limit=limit))


def dashboard_tasks_urgent(*, user: User, limit: int | None) -> TaskList:
    """The user's most urgent tasks (all of them without ``limit``) and how many there are,
    in a fixed number of queries.

    Only the tasks shown are written out (titles, links); the long lists (the programme
    team's review queue, trainings to complete) are read only as far as they are shown and
    counted by the database.
    """

    persona = persona_for(user)
    today = timezone.localdate()
    pending: list[_Pending] = []
    total = 0

    def add(due: date_type | None, make: Callable[[], Task]) -> None:
        pending.append((due, make))

    if persona.edits_for:
        # What the user's institutions owe: the same rule as the reminders (updates_owed).
        owed_list = updates_owed(today=today, institution_ids=persona.edits_for)
        listed = [o.update.pk for o in owed_list if o.update is not None]
        for owed in owed_list:
            add(
                owed.period.due_date,
                partial(_update_task, owed.recommendation, owed.institution, owed.period, owed),
            )
        total += len(owed_list)
        # Work started that nothing owes (an invited institution's draft, an update of a period
        # no longer collected) is still the user's to finish.
        started, count = _soonest_due(
            ProgressUpdate.objects.filter(
                institution_id__in=persona.edits_for,
                state__in=[UpdateState.RETURNED, UpdateState.DRAFT],
            )
            .exclude(pk__in=listed)
            .select_related("recommendation", "period", "institution"),
            due="period__due_date",
            ties=_UPDATE_ORDER,
            limit=limit,
        )
        for update in started:
            add(
                update.period.due_date,
                partial(
                    _update_task, update.recommendation, update.institution, update.period, update
                ),
            )
        total += count
        points, count = _soonest_due(
            action_points_open_owned(institution_ids=persona.edits_for),
            due="due_date",
            ties=(),
            limit=limit,
        )
        for point in points:
            add(point.due_date, partial(_action_point_task, point))
        total += count
    if persona.edits_for or persona.is_programme_team:
        # Indicator values the user's institutions report, and for the programme team those
        # of the indicators it enters itself: the same rule as the reminders.
        owed_values = indicator_values_owed(
            today=today,
            institution_ids=persona.edits_for,
            programme_team=persona.is_programme_team,
        )
        for owed_value in owed_values:
            add(owed_value.period.due_date, partial(_value_task, owed_value))
        total += len(owed_values)
    if persona.can_edit_anything:
        trainings, count = _soonest_due(
            trainings_to_complete(today=today, among=trainings_editable_by(user)),
            due="end_date",
            ties=("-start_date", "title"),
            limit=limit,
        )
        for training in trainings:
            add(training.end_date, partial(_training_task, training))
        total += count
    if persona.is_programme_team:
        reviews, count = _soonest_due(
            ProgressUpdate.objects.filter(state=UpdateState.SUBMITTED).select_related(
                "recommendation", "institution", "period"
            ),
            due="period__due_date",
            ties=_UPDATE_ORDER,
            limit=limit,
        )
        for update in reviews:
            add(update.period.due_date, partial(_review_task, update))
        total += count
        values, count = _soonest_due(
            indicator_values_to_review(),
            due="period__due_date",
            ties=("submitted_at",),
            limit=limit,
        )
        for value in values:
            add(value.period.due_date, partial(_value_review_task, value))
        total += count
    # The soonest due first (those without a date last); a stable sort keeps each list's
    # own order between tasks due the same day.
    pending.sort(key=lambda p: (p[0] is None, p[0] or today))
    shown = pending if limit is None else pending[:limit]
    return TaskList(tasks=[make() for _due, make in shown], total=total)


# Ties between updates due the same day: the recommendation, the newest period, the institution.
_UPDATE_ORDER = ("recommendation__number", "-period__start_date", "institution__name")


def _action_point_task(point: ActionPoint) -> Task:
    return Task(
        kind="action_point",
        title=_("Action point: %(text)s") % {"text": point.description},
        url=reverse("programme:meeting_detail", args=[point.meeting_id]),
        due=point.due_date,
    )


def _training_task(training: Training) -> Task:
    return Task(
        kind="training",
        title=_("Complete the training record: %(title)s") % {"title": training.title},
        url=reverse("trainings:detail", args=[training.pk]),
        due=training.end_date,
    )


def _review_task(update: ProgressUpdate) -> Task:
    return Task(
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
    # Largest first, then by name in the reader's alphabet: the places kept with the figures.
    rows = sorted(
        figures["participants_by_group"],
        key=lambda row: (-row["total"], row.get("places", {}).get(language, 0)),
    )
    groups = [
        (name_or_not_stated(row["names"], language), row["women"], row["men"], row["total"])
        for row in rows
    ]
    return Glance(
        recommendations_by_status=_bars(status_bars),
        participants_by_group=groups,
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
class IndicatorLine:
    """An indicator as the dashboard shows it, written out for the reader's language."""

    code: str
    title: str
    url: str
    to_date: str
    target_end: str
    percent_of_end: str
    status: IndicatorStatus


@dataclass(frozen=True)
class IndicatorGlance:
    """The results framework's indicators at a glance, judged at the current period, for a
    reader of ``language``."""

    action: Action
    today: date_type
    language: str
    period_name: str | None
    kept: Figures  # indicators_figures: every line written out in every language

    @cached_property
    def lines(self) -> list[IndicatorLine]:
        """Each indicator's line in the reader's language."""
        return _indicator_lines(self.kept, self.language)

    @property
    def rows(self) -> SafeString:
        """The table's rows, rendered once per language and kept with the figures (the
        same version retires both): the page prints them without a loop over the lines."""
        action, today, language = self.action, self.today, self.language

        def render() -> str:
            # From the figures as kept now: the version may have moved since self.kept was read.
            figures = indicators_figures(action=action, today=today)
            lines = _indicator_lines(figures, language)
            return render_to_string("dashboard/indicator_rows.html", {"lines": lines})

        key = f"dashboard:indicator-rows:{FORMAT}:{action.pk}:{today.isoformat()}:{language}"
        return mark_safe(figures_cached(key, render))  # noqa: S308 - our template, escaped

    @property
    def indicators(self) -> list[IndicatorFigures]:
        """Every indicator's full figures, as the lines were taken from them: worked out
        again when asked (the page shows only the lines)."""
        period = period_current(action=self.action, today=self.today)
        return [
            f
            for block in framework_figures(action=self.action, at=period)
            for f in block.indicators
        ]


# The latest committee report the reader may open, found by the reports app (a layer above
# this one), which registers its finder when it is ready.
_LATEST_REPORT: list[Callable[[User], tuple[str, str] | None]] = []


def latest_report_register(finder: Callable[[User], tuple[str, str] | None]) -> None:
    """``finder(user)`` answers the (URL, name) of the latest report for the dashboard."""
    _LATEST_REPORT[:] = [finder]


def latest_report_for(user: User) -> tuple[str, str] | None:
    return _LATEST_REPORT[0](user) if _LATEST_REPORT else None


def _indicator_lines(figures: Figures, language: str) -> list[IndicatorLine]:
    lines = []
    for line in figures["lines"]:
        texts = line["texts"].get(language) or line["texts"][settings.LANGUAGE_CODE]
        lines.append(
            IndicatorLine(
                code=line["code"],
                url=line["url"],
                status=IndicatorStatus(line["status"]),
                **texts,
            )
        )
    return lines


def indicators_glance(*, action: Action, today: date_type) -> IndicatorGlance:
    """Every indicator's value to date, end target and status, in the framework's order
    (``framework_figures``), as kept between requests (dashboard/glance.py), for the reader's
    language."""
    figures = indicators_figures(action=action, today=today)
    return IndicatorGlance(
        action=action,
        today=today,
        language=get_language() or settings.LANGUAGE_CODE,
        period_name=figures["period"],
        kept=figures,
    )


def glance_section(*, action: Action) -> SafeString:
    """The "Programme at a glance" section (the headline figures, the charts, the
    participants by group): the same for every reader of a language, so it is rendered once
    per language and kept with the figures it shows, which the same version retires."""
    language = get_language() or settings.LANGUAGE_CODE

    def render() -> str:
        # The figures as kept now, so what is kept under a version shows that version's data.
        context = {
            "overview": action_overview(action=action),
            "glance": programme_glance(action=action),
        }
        return render_to_string("dashboard/glance_section.html", context)

    key = f"dashboard:glance-section:{FORMAT}:{action.pk}:{language}"
    return mark_safe(figures_cached(key, render))  # noqa: S308 - our template, escaped
