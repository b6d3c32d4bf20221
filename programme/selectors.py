"""Reads about the action as a whole, and about reported indicator values."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date as date_type
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, cast

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, FilteredRelation, Model, Prefetch, Q, QuerySet
from django.utils import dateformat, timezone
from django.utils.formats import date_format, get_format, number_format
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _

from core.choices import TextOrigin
from core.figures import figures_cached
from core.history import history_model
from core.models import TextProvenance
from core.translations import shown_text
from programme.calculations import Calculation, Measure, calculation_get
from programme.choices import (
    OPEN_ACTION_POINT_STATUSES,
    IndicatorKind,
    IndicatorStatus,
    MeetingStatus,
    ValueState,
)
from programme.models import (
    Action,
    ActionPoint,
    Decision,
    Indicator,
    IndicatorEvidence,
    IndicatorValue,
    IndicatorValueTransition,
    Meeting,
    MeetingAttendance,
    Outcome,
    OutcomeNarrative,
    PeriodNarrative,
    PeriodRisk,
    ReportingPeriod,
)
from programme.results import framework_figures, period_current
from stakeholders.models import Institution


def action_primary() -> Action | None:
    """The action this installation runs; the first one recorded."""
    return Action.objects.select_related("programme").order_by("pk").first()


def _in_every_language(*fields: str) -> list[str]:
    """Translated fields with their column in each language (``name_mk``), for ``only()``."""
    return [f"{field}{suffix}" for field in fields for suffix in ["", *_LANGUAGE_SUFFIXES]]


_LANGUAGE_SUFFIXES = [f"_{code}" for code, _name in settings.LANGUAGES]

# What the lists of carried action points read of the meeting, owner and decision of each: a
# meeting page carries up to a hundred, and loading the rest of those rows took a third of the
# query's time. Whatever is left out costs a query per row when read: add it here first.
_CARRIED_RELATED: dict[str, tuple[type[Model], list[str]]] = {
    "owner": (Institution, _in_every_language("name", "short_name")),
    "meeting": (Meeting, ["action", "number", "status", "date", "place"]),
    "decision": (Decision, ["meeting", "number"]),
}


def _carried_columns(model: type[Model], names: Collection[str]) -> list[str]:
    """The attribute names of ``names`` and the primary key, in the model's column order
    (the order ``Model.from_db`` takes them in)."""
    return [f.attname for f in model._meta.concrete_fields if f.primary_key or f.name in names]


def action_points_carried_into(*, meeting: Meeting) -> list[ActionPoint]:
    """Action points raised at earlier meetings that were still open when this one met.

    An action point stays on the agenda from meeting to meeting until it is closed, so
    nothing is copied: an earlier point shows here while it had no closing date before
    this meeting.
    """
    earlier = ActionPoint.objects.filter(
        meeting__action_id=meeting.action_id, meeting__number__lt=meeting.number
    )
    if meeting.date:
        earlier = earlier.filter(Q(closed_on__isnull=True) | Q(closed_on__gte=meeting.date))
    else:
        earlier = earlier.filter(status__in=OPEN_ACTION_POINT_STATUSES)
    # One query, as a join would, but each owner, meeting and decision is built once however
    # many of its points are carried (a join builds one per point; building them was half
    # of this function's time).
    point_columns = [f.attname for f in ActionPoint._meta.concrete_fields]
    related = [
        (ActionPoint._meta.get_field(name), model, _carried_columns(model, names))
        for name, (model, names) in _CARRIED_RELATED.items()
    ]
    paths = [
        *point_columns,
        *(f"{field.name}__{column}" for field, _model, columns in related for column in columns),
    ]
    db = earlier.db
    built: dict[tuple[str, Any], Model] = {}
    points = []
    for row in earlier.order_by("meeting__number", "due_date", "pk").values_list(*paths):
        point = ActionPoint.from_db(db, point_columns, row[: len(point_columns)])
        at = len(point_columns)
        for field, model, columns in related:
            values = row[at : at + len(columns)]
            at += len(columns)
            if values[0] is None:  # no decision
                field.set_cached_value(point, None)  # type: ignore[union-attr]
                continue
            key = (field.name, values[0])
            if key not in built:
                built[key] = model.from_db(db, columns, values)
            field.set_cached_value(point, built[key])  # type: ignore[union-attr]
        points.append(point)
    return points


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
                Prefetch("recommendations", queryset=by_number), "outcomes"
            )
        ),
        action_points=list(
            meeting.action_points.select_related("owner", "decision").order_by("due_date", "pk")
        ),
        carried_in=action_points_carried_into(meeting=meeting),
    )


def meeting_latest(*, action: Action, on: date_type) -> Meeting | None:
    """The last steering-committee meeting held by that day.

    A planned meeting does not count. A held meeting whose date is not recorded does: the
    seed documents leave some dates out, and such a meeting is always one that took place.
    """
    return (
        action.meetings.filter(status=MeetingStatus.HELD)
        .filter(Q(date__lte=on) | Q(date__isnull=True))
        .order_by("-number")
        .first()
    )


def action_points_open_owned(
    *, institution_ids: Iterable[int] | None = None
) -> QuerySet[ActionPoint]:
    """The open action points these institutions own (every owner's when None): what they
    still owe the committee (an institution's page, the dashboard's tasks, the calendar feed,
    the due-date reminders)."""
    points = ActionPoint.objects.filter(status__in=OPEN_ACTION_POINT_STATUSES)
    if institution_ids is None:
        return points
    return points.filter(owner_id__in=list(institution_ids))


def action_points_open_owned_by(institution: Institution, user: Any = None) -> list[ActionPoint]:
    """The institution's open action points, soonest due first (its page's section)."""
    return list(
        action_points_open_owned(institution_ids=[institution.pk])
        .select_related("meeting")
        .order_by("due_date", "pk")
    )


# --- Reported indicator values ----------------------------------------------------------------


@dataclass(frozen=True)
class ValueSlot:
    """A reported indicator in one reporting period, with its value if one was entered."""

    period: ReportingPeriod
    value: IndicatorValue | None

    @property
    def reported(self) -> bool:
        """Whether a value was entered (a row may hold only the period's target)."""
        return self.value is not None and (
            self.value.actual is not None or self.value.state != ValueState.DRAFT
        )

    @property
    def is_open(self) -> bool:
        return self.period.closed_at is None and (
            self.value is None or self.value.frozen_at is None
        )


@dataclass(frozen=True)
class IndicatorSlots:
    indicator: Indicator
    slots: list[ValueSlot]  # newest period first


def indicator_values_by_period(
    *, indicators: QuerySet[Indicator], today: date_type
) -> list[IndicatorSlots]:
    """Each indicator with its value for every period of its action that has begun, newest
    first (the "to report" page): three queries however many indicators and periods."""
    rows = list(
        indicators.select_related("outcome", "output", "responsible").order_by(
            "outcome__action_id",
            "outcome__code",
            F("output__code").asc(nulls_first=True),
            "code",
        )
    )
    actions = {i.outcome.action_id for i in rows}
    periods: dict[int, list[ReportingPeriod]] = {a: [] for a in actions}
    for period in ReportingPeriod.objects.filter(
        action_id__in=actions, start_date__lte=today
    ).order_by("-start_date"):
        periods[period.action_id].append(period)
    values = {
        (v.indicator_id, v.period_id): v
        for v in IndicatorValue.objects.filter(indicator__in=[i.pk for i in rows])
    }
    return [
        IndicatorSlots(
            indicator=indicator,
            slots=[
                ValueSlot(period=period, value=values.get((indicator.pk, period.pk)))
                for period in periods[indicator.outcome.action_id]
            ],
        )
        for indicator in rows
    ]


class ValueEventKind(StrEnum):
    FIGURES = "figures"
    STEP = "step"
    EVIDENCE_ADDED = "evidence_added"
    EVIDENCE_REMOVED = "evidence_removed"


@dataclass(frozen=True)
class ValueEvent:
    """One thing that happened to a reported value, for its history."""

    at: datetime
    by: Any
    kind: ValueEventKind
    figures: Measure | None = None  # the figures entered or corrected
    step: IndicatorValueTransition | None = None
    title: str = ""  # the evidence added or removed


def _figures_of(version: Any) -> Measure:
    return Measure(
        total=version.actual,
        women=version.actual_women,
        men=version.actual_men,
        other=version.actual_other,
    )


def indicator_value_history(*, value: IndicatorValue) -> list[ValueEvent]:
    """What happened to a reported value, oldest first: the figures entered and corrected,
    each step through review, and the evidence added and removed; from the steps and the
    audit trail, three queries whatever the length."""
    events: list[ValueEvent] = []
    previous: Measure | None = None
    versions: list[Any] = list(
        history_model(IndicatorValue)
        ._default_manager.filter(id=value.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    for version in versions:
        figures = _figures_of(version)
        if figures.total is not None and figures != previous:
            events.append(
                ValueEvent(
                    at=version.history_date,
                    by=version.history_user,
                    kind=ValueEventKind.FIGURES,
                    figures=figures,
                )
            )
        previous = figures
    for step in value.transitions.select_related("by"):
        events.append(ValueEvent(at=step.at, by=step.by, kind=ValueEventKind.STEP, step=step))
    evidence: list[Any] = list(
        history_model(IndicatorEvidence)
        ._default_manager.filter(value_id=value.pk, history_type__in=("+", "-"))
        .select_related("history_user")
    )
    for version in evidence:
        added = version.history_type == "+"
        events.append(
            ValueEvent(
                at=version.history_date,
                by=version.history_user,
                kind=ValueEventKind.EVIDENCE_ADDED if added else ValueEventKind.EVIDENCE_REMOVED,
                title=version.title,
            )
        )
    return sorted(events, key=lambda e: e.at)


@dataclass(frozen=True)
class OwedValue:
    """A reported indicator's value owed for an open period."""

    indicator: Indicator
    period: ReportingPeriod
    value: IndicatorValue | None  # a draft, a returned value, or none yet
    overdue: bool

    @property
    def returned(self) -> bool:
        return self.value is not None and self.value.state == ValueState.RETURNED


def indicator_values_owed(
    *,
    today: date_type,
    institution_ids: Collection[int] | None = None,
    programme_team: bool = False,
    action: Action | None = None,
) -> list[OwedValue]:
    """Every reported indicator value owed for the open reporting periods
    (``reporting_periods_open``, those not closed yet): until it is submitted, with none yet
    or a draft (overdue once the period's due date has passed), and a returned value until
    it is resubmitted.

    With ``institution_ids``, only what those institutions owe, and with ``programme_team``
    also the values of indicators that have no responsible institution (the team enters
    those); without, everyone's. With ``action``, only what is owed for that action's
    periods. Ordered by due date and indicator; two queries.
    """
    periods = [
        p
        for p in reporting_periods_open(today=today)
        if p.closed_at is None and (action is None or p.action_id == action.pk)
    ]
    if not periods:
        return []
    # The outcome is read only for its action: its id comes with the row rather than an
    # outcome object built per indicator (the meeting prepare page's owed values).
    indicators = (
        Indicator.objects.filter(
            kind=IndicatorKind.REPORTED, outcome__action__in={p.action_id for p in periods}
        )
        .select_related("responsible")
        .annotate(owed_action_id=F("outcome__action_id"))
    )
    if institution_ids is not None:
        mine = Q(responsible_id__in=institution_ids)
        if programme_team:
            mine |= Q(responsible__isnull=True)
        indicators = indicators.filter(mine)
    # Each indicator with its values for those periods in one query: a row per value (one
    # with none where it has none yet), the rows of an indicator next to each other.
    with_values = indicators.annotate(
        open_value=FilteredRelation("values", condition=Q(values__period__in=periods))
    ).select_related("open_value")  # type: ignore[misc]  # the stubs know no FilteredRelation
    indicator_list: list[Indicator] = []
    values: dict[tuple[int, int], IndicatorValue] = {}
    for row in with_values.order_by("code", "pk"):
        if not indicator_list or indicator_list[-1].pk != row.pk:
            indicator_list.append(row)
        # Django sets the filtered relation only on a row that has a value.
        value = getattr(row, "open_value", None)
        if value is not None:
            values[(row.pk, value.period_id)] = value
    owed = []
    for period in sorted(periods, key=lambda p: (p.due_date, p.pk)):
        for indicator in indicator_list:
            if indicator.owed_action_id != period.action_id:  # type: ignore[attr-defined]
                continue
            value = values.get((indicator.pk, period.pk))
            if value is not None and (
                value.frozen_at is not None
                or value.state in (ValueState.SUBMITTED, ValueState.APPROVED)
            ):
                continue
            owed.append(
                OwedValue(
                    indicator=indicator,
                    period=period,
                    value=value,
                    overdue=period.due_date < today
                    and (value is None or value.state == ValueState.DRAFT),
                )
            )
    return owed


def indicator_values_to_review() -> QuerySet[IndicatorValue]:
    """Reported values waiting for the programme team's review, the longest waiting first."""
    return (
        IndicatorValue.objects.filter(
            indicator__kind=IndicatorKind.REPORTED, state=ValueState.SUBMITTED
        )
        .select_related("indicator__responsible", "period")
        .order_by("submitted_at", "pk")
    )


# --- The results framework's pages -------------------------------------------------------------


def figure_text(value: Decimal | None) -> str:
    """A number as the results pages write it: whole numbers without decimals."""
    if value is None:
        return "—"
    places = 0 if value == value.to_integral_value() else 2
    return number_format(value, decimal_pos=places)


@dataclass(frozen=True)
class ParameterShown:
    label: str
    chosen: list[str]  # the options' names; empty when none is chosen (everything counts)


def parameters_in_words(indicator: Indicator, calculation: Calculation) -> list[ParameterShown]:
    shown = []
    for parameter in calculation.parameters:
        raw = (indicator.parameters or {}).get(parameter.name)
        if isinstance(raw, list | tuple):
            chosen = [str(v) for v in raw]
        else:
            chosen = [] if raw in (None, "") else [str(raw)]
        names = dict(parameter.options()) if chosen else {}
        shown.append(
            ParameterShown(label=str(parameter.label), chosen=[names.get(v, v) for v in chosen])
        )
    return shown


@dataclass(frozen=True)
class IndicatorChangeField:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class IndicatorChange:
    at: datetime
    by: Any
    subject: str  # the period a value is for, or the indicator's settings
    created: bool
    fields: list[IndicatorChangeField]


_VALUE_FIELDS = (
    "target",
    "actual",
    "actual_women",
    "actual_men",
    "actual_other",
    "state",
    "frozen_at",
    "cumulative",
)
_INDICATOR_FIELDS = (
    "kind",
    "calculation",
    "parameters",
    "responsible",
    "baseline",
    "target_end",
    "direction",
    "aggregation",
    "by_sex",
)


def _change_shown(model: type[Model], name: str, value: Any, institutions: dict[int, str]) -> str:
    field: Any = model._meta.get_field(name)
    if value in (None, ""):
        return "—"
    if name == "calculation":
        calculation = calculation_get(str(value))
        return str(calculation.label) if calculation else str(value)
    if name == "parameters":
        return ""  # the page says the settings changed; they are shown in words above
    if name == "responsible":
        return institutions.get(int(value), "—")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Decimal):
        return figure_text(value)
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    return str(value)


def _change_label(model: type[Model], name: str) -> str:
    field: Any = model._meta.get_field(name)
    return str(capfirst(field.verbose_name))


def _record_versions(
    model: type[Model], fields: Sequence[str], versions: list[Any]
) -> list[tuple[Any, bool, list[tuple[str, Any, Any]]]]:
    """Each version of one record with the fields that changed from the one before."""
    found = []
    previous: Any = None
    for version in versions:
        changes: list[tuple[str, Any, Any]] = []
        if previous is not None:
            delta = version.diff_against(previous, included_fields=list(fields))
            changes = [(c.field, c.old, c.new) for c in delta.changes]
        if previous is None or changes:
            found.append((version, previous is None, changes))
        previous = version
    return found


def indicator_history(
    *,
    indicator: Indicator,
    periods: Sequence[ReportingPeriod],
    values_visible: QuerySet[IndicatorValue],
) -> list[IndicatorChange]:
    """Every saved version of the indicator's settings and of its values, newest first, from
    the audit trail (a fixed number of queries whatever the length). A reported indicator's
    values count only among ``values_visible``: its drafts are its institution's and the
    programme team's."""
    values = history_model(IndicatorValue)._default_manager.filter(indicator_id=indicator.pk)
    if not indicator.is_computed:
        visible = values_visible.filter(indicator=indicator)
        values = values.filter(id__in=visible.values("pk"))
    settings = history_model(Indicator)._default_manager.filter(id=indicator.pk)
    records: dict[tuple[type[Model], int], list[Any]] = {}
    for model, versions in ((Indicator, settings), (IndicatorValue, values)):
        for version in versions.select_related("history_user").order_by(
            "history_date", "history_id"
        ):
            record: Any = version  # the historical row: ``id`` is the record's own key
            records.setdefault((model, record.id), []).append(version)
    changed = [
        (model, version, created, changes)
        for (model, _pk), versions in records.items()
        for version, created, changes in _record_versions(
            model, _INDICATOR_FIELDS if model is Indicator else _VALUE_FIELDS, versions
        )
    ]
    ids = {
        int(v)
        for _m, _v, _c, changes in changed
        for name, old, new in changes
        if name == "responsible"
        for v in (old, new)
        if v not in (None, "")
    }
    institutions = {i.pk: i.label for i in Institution.objects.filter(pk__in=ids)} if ids else {}
    names = {p.pk: p.name for p in periods}
    entries = [
        IndicatorChange(
            at=version.history_date,
            by=version.history_user,
            subject=str(
                _("Settings")
                if model is Indicator
                else names.get(version.period_id, _("a period no longer recorded"))
            ),
            created=created,
            fields=[
                IndicatorChangeField(
                    label=_change_label(model, name),
                    old=_change_shown(model, name, old, institutions),
                    new=_change_shown(model, name, new, institutions),
                )
                for name, old, new in changes
            ],
        )
        for model, version, created, changes in changed
    ]
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


# --- Preparing the next steering-committee meeting ---------------------------------------------


@dataclass(frozen=True)
class NextMeeting:
    """What preparing the next meeting would create: its number, the open action points it
    carries, and an agenda drafted from them and from the latest period's results."""

    action: Action
    number: int
    carried: list[ActionPoint]  # open, raised at earlier meetings; they stay raised there
    period: ReportingPeriod | None  # the latest reporting period begun
    behind: list[Indicator]  # judged at that period
    owed: list[OwedValue]  # reported values still owed for the open periods
    agenda: str


def meeting_number_next(*, action: Action) -> int:
    """The number the action's next meeting takes: one after the highest recorded."""
    return (action.meetings.order_by("-number").values_list("number", flat=True).first() or 0) + 1


def decision_number_next(*, meeting: Meeting) -> int:
    """The number the meeting's next decision takes: one after the highest recorded."""
    return (meeting.decisions.order_by("-number").values_list("number", flat=True).first() or 0) + 1


def meeting_next(*, action: Action, today: date_type) -> NextMeeting:
    """The next meeting as it would be prepared today (nothing is written)."""
    number = meeting_number_next(action=action)
    upcoming = Meeting(action=action, number=number, status=MeetingStatus.PLANNED)
    carried = action_points_carried_into(meeting=upcoming)
    period = period_current(action=action, today=today)
    behind = _indicators_behind(action=action, period=period)
    owed = indicator_values_owed(today=today, action=action)
    return NextMeeting(
        action=action,
        number=number,
        carried=carried,
        period=period,
        behind=behind,
        owed=owed,
        agenda=_agenda_draft(carried=carried, period=period, behind=behind, owed=owed, today=today),
    )


# Part of the kept list's key: code that judges the indicators differently never reads older ones.
_BEHIND_FORMAT = 2


def _indicators_behind(*, action: Action, period: ReportingPeriod | None) -> list[Indicator]:
    """The indicators behind their target at ``period``, in framework order, with their code
    alone (all the agenda names them by).

    Judging them takes every indicator's figures (``framework_figures``), most of the prepare
    page's time; which ones are behind, and their codes, are kept between requests under
    ``core.figures``' version, as the results page keeps its tables, so any change to a record
    the figures show or count (an indicator's code too) is judged again on the next request.
    """
    if period is None:
        return []

    def judge() -> list[tuple[int, str]]:
        return [
            (f.indicator.pk, f.indicator.code)
            for block in framework_figures(action=action, at=period)
            for f in block.indicators
            if f.status == IndicatorStatus.BEHIND
        ]

    kept = figures_cached(f"meeting:behind:{_BEHIND_FORMAT}:{action.pk}:{period.pk}", judge)
    # Built from the kept codes: a query would load the same rows only for their code.
    return [Indicator.from_db(None, ["id", "code"], [pk, code]) for pk, code in kept]


def _agenda_draft(
    *,
    carried: Sequence[ActionPoint],
    period: ReportingPeriod | None,
    behind: Sequence[Indicator],
    owed: Sequence[OwedValue],
    today: date_type,
) -> str:
    """A short plain-text agenda the programme team edits before the meeting."""
    item = "   - "
    lines = [
        _("1. Opening and adoption of the agenda"),
        _("2. Open action points from earlier meetings (%(count)s)") % {"count": len(carried)},
    ]
    # A meeting carries up to a hundred points: each wording and date is looked up once.
    overdue_line = _("%(text)s (%(owner)s; meeting %(number)s; due %(due)s, overdue)")
    due_line = _("%(text)s (%(owner)s; meeting %(number)s; due %(due)s)")
    dates: dict[date_type, str] = {}
    date_shape = get_format("SHORT_DATE_FORMAT")  # what ``date_format`` looks up each time
    owners: dict[int, str] = {}  # an owner's label reads two translated fields
    for point in carried:
        due = point.due_date
        if due is not None and due not in dates:
            dates[due] = dateformat.format(due, date_shape)
        if point.owner_id not in owners:
            owners[point.owner_id] = point.owner.label
        facts = {
            "text": point.description,
            "owner": owners[point.owner_id],
            "number": point.meeting.number,
            "due": dates[due] if due is not None else "—",
        }
        line = overdue_line if point.is_overdue(today) else due_line
        lines.append(item + line % facts)
    if period is not None:
        lines.append(_("3. Results for %(period)s") % {"period": period.name})
    else:
        lines.append(_("3. Results of the action"))
    if behind:
        codes = ", ".join(i.code for i in behind)
        lines.append(item + _("Indicators behind their target: %(codes)s") % {"codes": codes})
    if owed:
        values = ", ".join(f"{o.indicator.code} ({_owed_by(o)}, {o.period.name})" for o in owed)
        lines.append(item + _("Indicator values still owed: %(values)s") % {"values": values})
    if not behind and not owed:
        lines.append(item + _("Every indicator is on track and no value is owed."))
    lines.append(_("4. Any other business"))
    return "\n".join(lines)


def _owed_by(owed: OwedValue) -> str:
    responsible = owed.indicator.responsible
    return responsible.label if responsible is not None else _("the programme team")


# --- The period narrative ---------------------------------------------------------------------


@dataclass(frozen=True)
class NarrativeLanguage:
    """One language of a narrative text: written or missing, and where the text comes from."""

    code: str
    name: str
    written: bool
    origin: TextOrigin


@dataclass(frozen=True)
class NarrativeText:
    """One text of the period narrative (a part, an outcome's narrative, a risk's description
    or mitigation) with its state in each language."""

    label: str
    languages: list[NarrativeLanguage]

    @property
    def complete(self) -> bool:
        return all(language.written for language in self.languages)


@dataclass(frozen=True)
class NarrativeOutcome:
    """An outcome of the action with its narrative for the period (None while unwritten)."""

    outcome: Outcome
    narrative: OutcomeNarrative | None
    text: NarrativeText


@dataclass(frozen=True)
class NarrativeRisk:
    """A risk named for the period, with the state of its two texts."""

    risk: PeriodRisk
    description: NarrativeText
    mitigation: NarrativeText


@dataclass(frozen=True)
class NarrativeOverview:
    """The programme team's page of a period's narrative: every part and its languages."""

    period: ReportingPeriod
    narrative: PeriodNarrative | None
    executive_summary: NarrativeText
    next_steps: NarrativeText
    outcomes: list[NarrativeOutcome]
    risks: list[NarrativeRisk]


def _narrative_text(
    obj: Model | None, field: str, label: str, origins: dict[tuple[Any, ...], str]
) -> NarrativeText:
    languages = []
    for code, name in settings.LANGUAGES:
        written = obj is not None and bool(getattr(obj, f"{field}_{code}", ""))
        origin = TextOrigin.OFFICIAL
        if written and obj is not None:
            key = (obj._meta.model_name, obj.pk, field, code)
            origin = TextOrigin(origins.get(key, TextOrigin.OFFICIAL))
        languages.append(
            NarrativeLanguage(code=code, name=str(name), written=written, origin=origin)
        )
    return NarrativeText(label=label, languages=languages)


def _narrative_origins(records: Sequence[Model]) -> dict[tuple[Any, ...], str]:
    """Every non-official origin of the records' texts, in one query (a handful of records of
    three kinds)."""
    if not records:
        return {}
    kinds = ContentType.objects.get_for_models(*{type(r) for r in records})
    wanted = {(kinds[type(r)].pk, r.pk): r._meta.model_name for r in records}
    rows = TextProvenance.objects.filter(
        content_type__in=kinds.values(), object_id__in={r.pk for r in records}
    ).values_list("content_type_id", "object_id", "field", "language", "origin")
    return {
        (wanted[(kind, pk)], pk, field, language): origin
        for kind, pk, field, language, origin in rows
        if (kind, pk) in wanted
    }


def period_narrative_overview(*, period: ReportingPeriod) -> NarrativeOverview:
    """The period's narrative part by part, with each text's state per language: a fixed
    number of queries however many outcomes and risks."""
    narrative = PeriodNarrative.objects.filter(period=period).first()
    outcomes = list(Outcome.objects.filter(action_id=period.action_id).order_by("code"))
    by_outcome = {n.outcome_id: n for n in OutcomeNarrative.objects.filter(period=period)}
    risks = list(PeriodRisk.objects.filter(period=period).order_by("order", "pk"))
    records: list[Model] = [*by_outcome.values(), *risks]
    if narrative is not None:
        records.append(narrative)
    origins = _narrative_origins(records)
    return NarrativeOverview(
        period=period,
        narrative=narrative,
        executive_summary=_narrative_text(
            narrative, "executive_summary", _("Executive summary"), origins
        ),
        next_steps=_narrative_text(narrative, "next_steps", _("Next steps"), origins),
        outcomes=[
            NarrativeOutcome(
                outcome=outcome,
                narrative=by_outcome.get(outcome.pk),
                text=_narrative_text(by_outcome.get(outcome.pk), "text", _("Narrative"), origins),
            )
            for outcome in outcomes
        ],
        risks=[
            NarrativeRisk(
                risk=risk,
                description=_narrative_text(risk, "description", _("Risk"), origins),
                mitigation=_narrative_text(risk, "mitigation", _("Mitigation"), origins),
            )
            for risk in risks
        ],
    )


@dataclass(frozen=True)
class ReportOutcome:
    """An outcome in the committee report's narrative: its narrative, if written in the
    report's language (or in English, the fallback)."""

    outcome: Outcome
    narrative: OutcomeNarrative | None
    written: bool


@dataclass(frozen=True)
class ReportRisk:
    risk: PeriodRisk
    described: bool
    mitigated: bool


@dataclass(frozen=True)
class NarrativeForReport:
    """The period narrative as the committee report prints it in one language: each part
    and whether it has a text to print (in the language, or in English as the fallback)."""

    narrative: PeriodNarrative | None
    summary_written: bool
    next_steps_written: bool
    outcomes: list[ReportOutcome]
    risks: list[ReportRisk]

    @property
    def outcomes_written(self) -> bool:
        return any(o.written for o in self.outcomes)

    @property
    def risks_described(self) -> bool:
        return any(r.described for r in self.risks)

    @property
    def anything_written(self) -> bool:
        return (
            self.summary_written
            or self.next_steps_written
            or self.outcomes_written
            or self.risks_described
        )


def _printed(obj: Model | None, field: str, language: str) -> bool:
    """Whether the report in ``language`` has a text to print: as the ``translated`` tag
    chooses it (the language's own, else English). The origin is not needed to know."""
    if obj is None:
        return False
    return bool(shown_text(obj, field, language, origin=TextOrigin.OFFICIAL).text.strip())


def period_narrative_for_report(*, period: ReportingPeriod, language: str) -> NarrativeForReport:
    """What the committee report prints of the period's narrative in ``language``: four
    queries however many outcomes and risks."""
    narrative = PeriodNarrative.objects.filter(period=period).first()
    outcomes = list(Outcome.objects.filter(action_id=period.action_id).order_by("code"))
    by_outcome = {n.outcome_id: n for n in OutcomeNarrative.objects.filter(period=period)}
    risks = list(PeriodRisk.objects.filter(period=period).order_by("order", "pk"))
    return NarrativeForReport(
        narrative=narrative,
        summary_written=_printed(narrative, "executive_summary", language),
        next_steps_written=_printed(narrative, "next_steps", language),
        outcomes=[
            ReportOutcome(
                outcome=outcome,
                narrative=by_outcome.get(outcome.pk),
                written=_printed(by_outcome.get(outcome.pk), "text", language),
            )
            for outcome in outcomes
        ],
        risks=[
            ReportRisk(
                risk=risk,
                described=_printed(risk, "description", language),
                mitigated=_printed(risk, "mitigation", language),
            )
            for risk in risks
        ],
    )


# The kinds of record of the period narrative, as the undo's address names them.
NARRATIVE_KINDS: dict[str, type[PeriodNarrative | OutcomeNarrative | PeriodRisk]] = {
    "summary": PeriodNarrative,
    "outcome": OutcomeNarrative,
    "risk": PeriodRisk,
}


@dataclass(frozen=True)
class NarrativeChange:
    """The user's last change to a period's narrative that they may still undo."""

    kind: str
    record_id: int
    label: str
    history_type: str
    at: datetime


def narrative_last_change(*, period: ReportingPeriod, by: Any) -> NarrativeChange | None:
    """The user's latest change to the period's narrative, when nobody has changed that part
    since: what the page offers to undo (four queries)."""
    latest: tuple[str, Any] | None = None
    for kind, model in NARRATIVE_KINDS.items():
        version: Any = (
            history_model(model)
            ._default_manager.filter(period_id=period.pk, history_user_id=by.pk)
            .order_by("-history_date", "-history_id")
            .first()
        )
        if version is None:
            continue
        if latest is None or version.history_date > latest[1].history_date:
            latest = (kind, version)
    if latest is None:
        return None
    kind, version = latest
    model = NARRATIVE_KINDS[kind]
    newest = (
        history_model(model)
        ._default_manager.filter(id=version.id)
        .order_by("-history_date", "-history_id")
        .values_list("history_id", flat=True)
        .first()
    )
    if newest != version.history_id:
        return None
    if kind == "summary":
        label = _("Executive summary and next steps")
    elif kind == "outcome":
        label = _("Narrative of outcome %(code)s") % {"code": version.outcome.code}
    else:
        label = _("Risk: %(text)s") % {"text": Truncator(version.description).words(8)}
    return NarrativeChange(
        kind=kind,
        record_id=version.id,
        label=label,
        history_type=version.history_type,
        at=version.history_date,
    )
