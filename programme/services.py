"""Writes about the action: meetings, action points, closing periods, reported indicator
values and their review, and keeping permissions in step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from modeltranslation.translator import translator

from core.choices import TextOrigin
from core.history import acting_as, history_model
from core.translation_work import target_languages
from core.translations import text_origin, text_provenance_set
from core.uploads import validate_upload
from programme import signals
from programme.calculations import Measure, calculation_get
from programme.choices import IndicatorKind, MeetingStatus, ValueState
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
from programme.permissions import may_report_on_indicator, may_review
from programme.results import framework_figures
from programme.selectors import meeting_next
from stakeholders import object_permissions
from stakeholders.models import Institution, User


def action_point_share(*, action_point: ActionPoint) -> None:
    """The owner's editors may report progress on an action point."""
    object_permissions.share(action_point, institutions=[action_point.owner], view=False)


@transaction.atomic
def action_point_update(
    *,
    action_point: ActionPoint,
    by: User | None,
    status: str,
    progress_note: str,
    closed_on: date | None,
    seen_at: datetime | None = None,
) -> ActionPoint:
    """Report progress on an action point: its status, a note and the day it was closed.

    What was asked, of whom and at which meeting stay as the committee agreed them; only
    the programme team changes those, in the administration. ``seen_at`` is when the person
    opened the form: a form that is older than the last save is refused rather than
    silently overwriting someone else's report.
    """
    action_point = ActionPoint.objects.select_for_update().get(pk=action_point.pk)
    if seen_at is not None and action_point.updated_at > seen_at:
        raise ValidationError(
            _(
                "This action point was changed after you opened the form. The saved values "
                "are shown above: check them and save again if your change still applies."
            ),
            code="stale",
        )
    if closed_on is not None and closed_on > timezone.localdate():
        raise ValidationError({"closed_on": _("The closing date cannot be in the future.")})
    action_point.status = status
    action_point.progress_note = progress_note.strip()
    action_point.closed_on = closed_on
    action_point.full_clean()
    action_point.save(update_fields=["status", "progress_note", "closed_on", "updated_at"])
    return action_point


@transaction.atomic
def reporting_period_close(*, period: ReportingPeriod, by: User | None) -> ReportingPeriod:
    """Freeze the period's indicator values as the committee sees them now.

    Each indicator's value for the period and its value to date are stored on its row;
    while the period stays closed, pages show these, and beside a computed one the value
    the records give later if it differs. A value still waiting for review stops the
    closing: it would otherwise be frozen as not counted without anyone deciding so.
    """
    period = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
    if period.is_closed:
        raise ValidationError(_("This period is already closed."), code="closed")
    waiting = IndicatorValue.objects.filter(period=period, state=ValueState.SUBMITTED).count()
    if waiting:
        raise ValidationError(
            ngettext(
                "%(n)d indicator value for this period is waiting for review. Approve or "
                "return it before closing the period.",
                "%(n)d indicator values for this period are waiting for review. Approve or "
                "return them before closing the period.",
                waiting,
            )
            % {"n": waiting},
            code="waiting",
        )
    now = timezone.now()
    for block in framework_figures(action=period.action, at=period, until=period.end_date):
        for figures in block.indicators:
            current = figures.period(period)
            if current is None:
                continue
            row = current.row or IndicatorValue(
                indicator=figures.indicator, period=period, is_demo=figures.indicator.is_demo
            )
            if figures.indicator.is_computed:
                _measure_store(row, "actual", current.value)
            _measure_store(row, "cumulative", current.to_date)
            row.frozen_at = now
            row.save()
    period.closed_at = now
    period.closed_by = by
    period.save(update_fields=["closed_at", "closed_by", "updated_at"])
    return period


@transaction.atomic
def reporting_period_reopen(*, period: ReportingPeriod, by: User | None) -> ReportingPeriod:
    """Undo closing: the period's values follow the records (and can be reported) again.

    The frozen values stay in each row's history.
    """
    period = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
    if not period.is_closed:
        raise ValidationError(_("This period is not closed."), code="open")
    for row in IndicatorValue.objects.filter(period=period).select_related("indicator"):
        if row.indicator.is_computed:
            _measure_store(row, "actual", None)
        _measure_store(row, "cumulative", None)
        row.frozen_at = None
        row.save()
    period.closed_at = None
    period.closed_by = None
    period.save(update_fields=["closed_at", "closed_by", "updated_at"])
    return period


def _measure_store(row: IndicatorValue, prefix: str, measure: Measure | None) -> None:
    setattr(row, prefix, measure.total if measure is not None else None)
    for part in ("women", "men", "other"):
        setattr(row, f"{prefix}_{part}", getattr(measure, part) if measure is not None else None)


# --- Reported indicator values ----------------------------------------------------------------
#
# A reported indicator's value goes through review like a progress update:
#
#     draft ──submit──▶ submitted ──approve──▶ approved (counted)
#       ▲   ◀─withdraw──    │                      │
#       └──── edit ◀── returned ◀──return──────────┘ (the programme team, while the period is open)
#
# Each step is an IndicatorValueTransition; once the period is closed nothing changes.


def _value_record(
    *, value: IndicatorValue, from_state: str, by: User | None, comment: str = ""
) -> None:
    IndicatorValueTransition.objects.create(
        value=value,
        from_state=from_state,
        to_state=value.state,
        actual=value.actual,
        by=by,
        comment=comment,
    )


def _period_locked(period: ReportingPeriod) -> ReportingPeriod:
    """The period read again under lock, the first row closing takes, so a value never moves
    while its period is being closed; refused once it is closed."""
    period = ReportingPeriod.objects.select_for_update().get(pk=period.pk)
    if period.is_closed:
        raise ValidationError(
            _("The period %(period)s is closed: its indicator values can no longer change.")
            % {"period": period.name},
            code="closed",
        )
    return period


def _value_locked(value: IndicatorValue) -> IndicatorValue:
    period = _period_locked(value.period)
    value = (
        IndicatorValue.objects.select_for_update(of=("self",))
        .select_related("indicator")
        .get(pk=value.pk)
    )
    value.period = period
    if value.is_frozen:
        raise ValidationError(
            _("The period %(period)s is closed: its indicator values can no longer change.")
            % {"period": period.name},
            code="closed",
        )
    return value


def _may_enter(by: User | None, indicator: Indicator) -> None:
    if by is not None and not may_report_on_indicator(by, indicator):
        raise ValidationError(_("You cannot enter values for this indicator."), code="forbidden")


def _may_review(by: User | None) -> None:
    if by is not None and not may_review(by):
        raise ValidationError(
            _("Only the programme team reviews indicator values."), code="forbidden"
        )


@transaction.atomic
def indicator_value_save(
    *,
    indicator: Indicator,
    period: ReportingPeriod,
    by: User | None,
    actual: Decimal | None,
    actual_women: Decimal | None = None,
    actual_men: Decimal | None = None,
    actual_other: Decimal | None = None,
    note: str = "",
    seen_at: datetime | None = None,
) -> IndicatorValue:
    """Enter a reported indicator's value for a period, or correct it while it is a draft or
    returned; it stays in that state until it is submitted.

    The period's target is the programme team's and stays as it is. An indicator reported by
    sex takes the value for women, for men and for other or not stated, which add up to the
    total. ``seen_at`` is when the person opened the form (the saved value's ``updated_at``,
    or the time the empty form was shown): a value saved since is not overwritten.
    """
    if indicator.is_computed:
        raise ValidationError(
            _(
                "This indicator is computed from the platform's records: its values are "
                "not entered."
            ),
            code="computed",
        )
    _may_enter(by, indicator)
    if period.action_id != indicator.outcome.action_id:
        raise ValidationError(_("This period belongs to another action."), code="period")
    period = _period_locked(period)
    if period.start_date > timezone.localdate():
        raise ValidationError(
            _("The period %(period)s has not begun yet.") % {"period": period.name},
            code="future",
        )
    value = (
        IndicatorValue.objects.select_for_update(of=("self",))
        .filter(indicator=indicator, period=period)
        .first()
    )
    if value is None:
        value = IndicatorValue(indicator=indicator, period=period, created_by=by)
    else:
        if value.is_frozen:
            raise ValidationError(
                _("The period %(period)s is closed: its indicator values can no longer change.")
                % {"period": period.name},
                code="closed",
            )
        if not value.is_editable:
            raise ValidationError(_("This value can no longer be changed."), code="locked")
        if seen_at is not None and value.updated_at > seen_at:
            raise ValidationError(
                _(
                    "This value was changed after you opened the form. The saved values are "
                    "shown above: check them and save again if your change still applies."
                ),
                code="stale",
            )
    if actual is None:
        raise ValidationError({"actual": _("Enter the value reached in the period.")})
    parts = (actual_women, actual_men, actual_other)
    if not indicator.by_sex:
        parts = (None, None, None)
    elif any(part is None for part in parts):
        raise ValidationError(
            {
                "actual_women": _(
                    "Give the value for women, for men and for other or not stated "
                    "(0 where there is none), so that they add up to the total."
                )
            }
        )
    if value.created_by_id is None:  # a row that held only the period's target
        value.created_by = by
    value.actual = actual
    value.actual_women, value.actual_men, value.actual_other = parts
    value.note = note.strip()
    value.full_clean()
    value.save()
    return value


@transaction.atomic
def indicator_value_submit(*, value: IndicatorValue, by: User | None) -> IndicatorValue:
    """Send a draft or returned value to the programme team for review."""
    value = _value_locked(value)
    _may_enter(by, value.indicator)
    if not value.is_editable:
        raise ValidationError(_("Only a draft or returned value can be submitted."))
    if value.actual is None:
        raise ValidationError({"actual": _("Enter the value reached in the period.")})
    if value.indicator.by_sex and None in (
        value.actual_women,
        value.actual_men,
        value.actual_other,
    ):
        raise ValidationError(
            {
                "actual_women": _(
                    "Give the value for women, for men and for other or not stated "
                    "(0 where there is none), so that they add up to the total."
                )
            }
        )
    previous = value.state
    value.state = ValueState.SUBMITTED
    value.submitted_at = timezone.now()
    value.save(update_fields=["state", "submitted_at", "updated_at"])
    _value_record(value=value, from_state=previous, by=by)
    signals.indicator_value_submitted.send(sender=IndicatorValue, value=value, by=by)
    return value


@transaction.atomic
def indicator_value_withdraw(*, value: IndicatorValue, by: User | None) -> IndicatorValue:
    """Take a submitted value back before it is reviewed: it is a draft again."""
    value = _value_locked(value)
    _may_enter(by, value.indicator)
    if value.state != ValueState.SUBMITTED:
        raise ValidationError(
            _("Only a submitted value that is not reviewed yet can be withdrawn.")
        )
    value.state = ValueState.DRAFT
    value.submitted_at = None
    value.save(update_fields=["state", "submitted_at", "updated_at"])
    _value_record(value=value, from_state=ValueState.SUBMITTED, by=by)
    return value


@transaction.atomic
def indicator_value_return(
    *, value: IndicatorValue, by: User | None, comment: str
) -> IndicatorValue:
    """Send a submitted value back to its institution with the reviewer's comment; an approved
    one too, while its period is open (it stops counting until it is approved again)."""
    if not comment.strip():
        raise ValidationError({"reviewer_comment": _("Say what needs to change.")})
    _may_review(by)
    value = _value_locked(value)
    if value.state not in (ValueState.SUBMITTED, ValueState.APPROVED):
        raise ValidationError(_("Only a submitted or approved value can be returned."))
    previous = value.state
    value.state = ValueState.RETURNED
    value.reviewer_comment = comment.strip()
    value.reviewed_at = timezone.now()
    value.reviewed_by = by
    value.save(
        update_fields=["state", "reviewer_comment", "reviewed_at", "reviewed_by", "updated_at"]
    )
    _value_record(value=value, from_state=previous, by=by, comment=value.reviewer_comment)
    signals.indicator_value_reviewed.send(sender=IndicatorValue, value=value, by=by)
    return value


@transaction.atomic
def indicator_value_approve(
    *, value: IndicatorValue, by: User | None, comment: str = ""
) -> IndicatorValue:
    """Accept a submitted value: from then on it counts in the figures."""
    _may_review(by)
    value = _value_locked(value)
    if value.state != ValueState.SUBMITTED:
        raise ValidationError(_("Only a submitted value can be approved."))
    value.state = ValueState.APPROVED
    value.reviewer_comment = comment.strip()
    value.reviewed_at = timezone.now()
    value.reviewed_by = by
    value.save(
        update_fields=["state", "reviewer_comment", "reviewed_at", "reviewed_by", "updated_at"]
    )
    _value_record(
        value=value, from_state=ValueState.SUBMITTED, by=by, comment=value.reviewer_comment
    )
    signals.indicator_value_reviewed.send(sender=IndicatorValue, value=value, by=by)
    return value


@transaction.atomic
def indicator_evidence_add(
    *, value: IndicatorValue, by: User | None, title: str, file: Any = None, url: str = ""
) -> IndicatorEvidence:
    """Attach a file or a link to a value that can still change."""
    value = _value_locked(value)
    _may_enter(by, value.indicator)
    if not value.is_editable:
        raise ValidationError(
            _("Evidence can only be added while the value is a draft or returned.")
        )
    if file is not None:
        validate_upload(file)
    evidence = IndicatorEvidence(value=value, title=title.strip(), url=url.strip(), added_by=by)
    if file is not None:
        evidence.file.save(file.name, file, save=False)
    try:
        evidence.full_clean()
    except ValidationError:
        if evidence.file:
            evidence.file.delete(save=False)
        raise
    evidence.save()
    return evidence


@transaction.atomic
def indicator_evidence_remove(*, evidence: IndicatorEvidence, by: User | None) -> None:
    """Take evidence off a value that can still change; the history keeps that it was there."""
    value = _value_locked(evidence.value)
    _may_enter(by, value.indicator)
    if not value.is_editable:
        raise ValidationError(
            _("Evidence can only be removed while the value is a draft or returned.")
        )
    storage, name = evidence.file.storage, evidence.file.name
    if name:
        # Only once the removal is kept: a rollback leaves the record and its file.
        transaction.on_commit(lambda: storage.delete(name))
    evidence.delete()


# --- Results framework settings ----------------------------------------------------------------


@transaction.atomic
def indicator_settings_save(
    *,
    indicator: Indicator,
    by: User | None,
    kind: str,
    calculation: str,
    parameters: Mapping[str, Any],
    responsible: Institution | None,
    baseline: Decimal,
    target_end: Decimal | None,
    direction: str,
    aggregation: str,
    by_sex: bool,
    targets: Mapping[int, Decimal | None],
    is_public: bool | None = None,
) -> Indicator:
    """Set how an indicator's value is found, its baseline and its targets (the programme
    team's settings).

    A computed indicator's calculation must be in the catalogue and its parameters among
    the calculation's options (``parameters_clean``); a reported one keeps neither.
    ``targets`` maps a period's id to its target; a closed period's target stays as it was
    frozen until the period is reopened.
    """
    indicator = Indicator.objects.select_for_update().select_related("outcome").get(pk=indicator.pk)
    indicator.kind = kind
    indicator.responsible = responsible
    indicator.baseline = baseline
    indicator.target_end = target_end
    indicator.direction = direction
    indicator.aggregation = aggregation
    indicator.by_sex = by_sex
    if is_public is not None:  # shown on the public site; None leaves it as it is
        indicator.is_public = is_public
    if kind == IndicatorKind.COMPUTED:
        found = calculation_get(calculation)
        if found is None:
            raise ValidationError(
                {"calculation": _("Choose how a computed indicator's value is calculated.")}
            )
        try:
            indicator.parameters = found.parameters_clean(parameters)
        except ValidationError as error:
            raise ValidationError({"parameters": error.messages}) from error
        indicator.calculation = found.key
    else:
        indicator.calculation = ""
        indicator.parameters = {}
    indicator.full_clean()
    periods = {
        p.pk: p for p in ReportingPeriod.objects.filter(action_id=indicator.outcome.action_id)
    }
    unknown = [pk for pk in targets if pk not in periods]
    if unknown:
        raise ValidationError(_("A target was given for a period of another action."))
    rows = {row.period_id: row for row in indicator.values.select_for_update()}
    changed: list[IndicatorValue] = []
    for period_id, target in targets.items():
        row = rows.get(period_id)
        if (row.target if row is not None else None) == target:
            continue
        period = periods[period_id]
        if period.is_closed or (row is not None and row.is_frozen):
            raise ValidationError(
                _("%(period)s is closed: reopen it to change its target.") % {"period": period.name}
            )
        if row is None:
            row = IndicatorValue(indicator=indicator, period=period, is_demo=indicator.is_demo)
        row.target = target
        row.full_clean()
        changed.append(row)
    with acting_as(by):
        indicator.save()
        for row in changed:
            row.save()
    return indicator


# --- Recording the steering committee's meetings -----------------------------------------------
#
# The programme team records each meeting: its facts, who attended, what it decided and the
# action points it raised. What is removed stays in the history (``acting_as`` names who
# removed it). An action point stays raised at the meeting that raised it: the meetings after
# list it while it is open (``selectors.action_points_carried_into``), nothing is copied.


def _meeting_fill(
    meeting: Meeting,
    *,
    number: int,
    status: str,
    date: date | None,
    place: str,
    format: str,
    purpose: str,
    agenda: str,
    minutes: str,
) -> None:
    meeting.number = number
    meeting.status = status
    meeting.date = date
    meeting.place = place.strip()
    meeting.format = format
    meeting.purpose = purpose.strip()
    meeting.agenda = agenda.strip()
    meeting.minutes = minutes.strip()
    if date is not None:
        meeting.date_not_known = False


def _meeting_store(meeting: Meeting, *, by: User | None, minutes_file: Any) -> Meeting:
    if minutes_file:
        validate_upload(minutes_file)
        # The earlier file stays in storage: the meeting's history still names it.
        meeting.minutes_file.save(minutes_file.name, minutes_file, save=False)
    try:
        meeting.full_clean()
    except ValidationError:
        if minutes_file and meeting.minutes_file:
            meeting.minutes_file.delete(save=False)
        raise
    with acting_as(by):
        meeting.save()
    return meeting


@transaction.atomic
def meeting_create(
    *,
    action: Action,
    by: User | None,
    number: int,
    status: str,
    date: date | None,
    place: str,
    format: str,
    purpose: str = "",
    agenda: str = "",
    minutes: str = "",
    minutes_file: Any = None,
) -> Meeting:
    """Record a steering-committee meeting, planned or held (a held one needs its date)."""
    Action.objects.select_for_update().get(pk=action.pk)  # one number at a time
    if Meeting.objects.filter(action=action, number=number).exists():
        raise ValidationError({"number": _("This action already has a meeting with this number.")})
    meeting = Meeting(action=action)
    _meeting_fill(
        meeting,
        number=number,
        status=status,
        date=date,
        place=place,
        format=format,
        purpose=purpose,
        agenda=agenda,
        minutes=minutes,
    )
    return _meeting_store(meeting, by=by, minutes_file=minutes_file)


@transaction.atomic
def meeting_update(
    *,
    meeting: Meeting,
    by: User | None,
    number: int,
    status: str,
    date: date | None,
    place: str,
    format: str,
    purpose: str,
    agenda: str,
    minutes: str,
    minutes_file: Any = None,
    minutes_file_clear: bool = False,
) -> Meeting:
    """Change a meeting's facts, agenda and minutes; a new minutes file replaces the old."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if (
        Meeting.objects.filter(action_id=meeting.action_id, number=number)
        .exclude(pk=meeting.pk)
        .exists()
    ):
        raise ValidationError({"number": _("This action already has a meeting with this number.")})
    _meeting_fill(
        meeting,
        number=number,
        status=status,
        date=date,
        place=place,
        format=format,
        purpose=purpose,
        agenda=agenda,
        minutes=minutes,
    )
    if minutes_file_clear and not minutes_file:
        meeting.minutes_file = None
    return _meeting_store(meeting, by=by, minutes_file=minutes_file)


@transaction.atomic
def meeting_attendance_set(
    *, meeting: Meeting, by: User | None, rows: Sequence[tuple[Institution, str]]
) -> list[MeetingAttendance]:
    """Make the meeting's attendance exactly these institutions, each with its
    representatives; an institution left out is taken off (the history keeps it)."""
    seen = [institution.pk for institution, _names in rows]
    if len(seen) != len(set(seen)):
        raise ValidationError(_("Each institution can be listed once."))
    kept: list[MeetingAttendance] = []
    with acting_as(by):
        for gone in meeting.attendance.exclude(institution_id__in=seen):
            gone.delete()
        existing = {a.institution_id: a for a in meeting.attendance.select_for_update()}
        for institution, names in rows:
            row = existing.get(institution.pk) or MeetingAttendance(
                meeting=meeting, institution=institution
            )
            if row.pk is None or row.representatives != names.strip():
                row.representatives = names.strip()
                row.full_clean()
                row.save()
            kept.append(row)
    return kept


def _decision_fill(
    decision: Decision,
    *,
    number: int,
    text: str,
) -> None:
    decision.number = number
    decision.text = text.strip()  # the reader's language (modeltranslation)
    if not decision.text_en:  # type: ignore[attr-defined]
        # English is every language's fallback: a decision is never blank in it.
        decision.text_en = text.strip()  # type: ignore[attr-defined]


def _decision_number_free(meeting: Meeting, number: int, *, but: Decision | None = None) -> None:
    taken = meeting.decisions.filter(number=number)
    if but is not None:
        taken = taken.exclude(pk=but.pk)
    if taken.exists():
        raise ValidationError(
            {"number": _("This meeting already has a decision with this number.")}
        )


def _decision_outcomes_check(meeting: Meeting, outcomes: Sequence[Outcome]) -> None:
    if any(o.action_id != meeting.action_id for o in outcomes):
        raise ValidationError({"outcomes": _("This outcome belongs to another action.")})


@transaction.atomic
def decision_add(
    *,
    meeting: Meeting,
    by: User | None,
    number: int,
    text: str,
    outcomes: Sequence[Outcome] = (),
    recommendations: Sequence[Any] = (),
    is_public: bool = False,
) -> Decision:
    """Record what the committee agreed at a meeting, with the outcomes and recommendations
    it bears on."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    _decision_number_free(meeting, number)
    _decision_outcomes_check(meeting, outcomes)
    decision = Decision(meeting=meeting, is_public=is_public)
    _decision_fill(decision, number=number, text=text)
    decision.full_clean()
    with acting_as(by):
        decision.save()
        decision.outcomes.set(outcomes)
        decision.recommendations.set(recommendations)
    return decision


@transaction.atomic
def decision_update(
    *,
    decision: Decision,
    by: User | None,
    number: int,
    text: str,
    outcomes: Sequence[Outcome] = (),
    recommendations: Sequence[Any] = (),
    is_public: bool | None = None,
) -> Decision:
    decision = Decision.objects.select_for_update().select_related("meeting").get(pk=decision.pk)
    if is_public is not None:  # shown on the public site; None leaves it as it is
        decision.is_public = is_public
    _decision_number_free(decision.meeting, number, but=decision)
    _decision_outcomes_check(decision.meeting, outcomes)
    _decision_fill(decision, number=number, text=text)
    decision.full_clean()
    with acting_as(by):
        decision.save()
        decision.outcomes.set(outcomes)
        decision.recommendations.set(recommendations)
    return decision


@transaction.atomic
def decision_remove(*, decision: Decision, by: User | None) -> None:
    """Take a decision off its meeting; its action points stay, without the link."""
    with acting_as(by):
        decision.delete()


@transaction.atomic
def action_point_raise(
    *,
    meeting: Meeting,
    by: User | None,
    description: str,
    owner: Institution,
    due_date: date | None,
    decision: Decision | None = None,
) -> ActionPoint:
    """Give an institution a task at a meeting; its editors then report progress on it."""
    action_point = ActionPoint(
        meeting=meeting,
        description=description.strip(),
        owner=owner,
        due_date=due_date,
        decision=decision,
    )
    action_point.full_clean()
    with acting_as(by):
        action_point.save()
    action_point_share(action_point=action_point)
    return action_point


@transaction.atomic
def action_point_revise(
    *,
    action_point: ActionPoint,
    by: User | None,
    description: str,
    owner: Institution,
    due_date: date | None,
    decision: Decision | None = None,
) -> ActionPoint:
    """Correct what was asked, of whom and by when (the programme team's); who reports
    progress follows the owner."""
    action_point = ActionPoint.objects.select_for_update().get(pk=action_point.pk)
    moved = action_point.owner_id != owner.pk
    action_point.description = description.strip()
    action_point.owner = owner
    action_point.due_date = due_date
    action_point.decision = decision
    action_point.full_clean()
    with acting_as(by):
        action_point.save()
    if moved:
        action_point_share(action_point=action_point)
    return action_point


@transaction.atomic
def action_point_remove(*, action_point: ActionPoint, by: User | None) -> None:
    """Take an action point off its meeting (one recorded by mistake); the history keeps it."""
    with acting_as(by):
        action_point.delete()


@transaction.atomic
def meeting_prepare_next(*, action: Action, by: User | None, today: date) -> Meeting:
    """Create the next meeting, planned and undated, with an agenda drafted from the open
    action points it carries and from the latest period's results.

    The open action points are not copied: they stay raised at their own meetings and the
    new meeting lists them while they are open.
    """
    Action.objects.select_for_update().get(pk=action.pk)
    planned = action.meetings.filter(status=MeetingStatus.PLANNED).order_by("number").first()
    if planned is not None:
        raise ValidationError(
            _(
                "Meeting %(number)s is still planned: record it as held before preparing "
                "the next one."
            )
            % {"number": planned.number},
            code="planned",
        )
    draft = meeting_next(action=action, today=today)
    meeting = Meeting(
        action=action,
        number=draft.number,
        status=MeetingStatus.PLANNED,
        agenda=draft.agenda,
    )
    meeting.full_clean()
    with acting_as(by):
        meeting.save()
    return meeting


# --- The period narrative ---------------------------------------------------------------------
#
# The programme team writes each text in English, Macedonian and Albanian at once, and says of
# each translation where it comes from (core.TextProvenance, recorded with the same function
# as the translation workbook and the loaders). Every change is kept in the history with the
# origins it set (in the version's change reason), so its author can undo it, origins included.

# Where a version keeps the origins it set: "text:mk=working,sq=machine" ("" when all are
# official); short enough for the history's change reason (at most 100 characters).
_ORIGIN_NOTE_PREFIX = "origins "


def _origins_note(origins: Mapping[str, Mapping[str, str]]) -> str:
    parts = []
    for name in sorted(origins):
        given = [
            f"{lang}={origin}"
            for lang, origin in sorted(origins[name].items())
            if origin != TextOrigin.OFFICIAL
        ]
        if given:
            parts.append(f"{name}:{','.join(given)}")
    return _ORIGIN_NOTE_PREFIX + ";".join(parts)


def _origins_from_note(note: str | None, fields: Sequence[str]) -> dict[str, dict[str, str]]:
    """The origins a version's change reason kept: every field and language, official where
    it names none."""
    found = {name: dict.fromkeys(target_languages(), str(TextOrigin.OFFICIAL)) for name in fields}
    body = (note or "").removeprefix(_ORIGIN_NOTE_PREFIX)
    for part in filter(None, body.split(";")):
        name, _sep, pairs = part.partition(":")
        for pair in filter(None, pairs.split(",")):
            lang, _eq, origin = pair.partition("=")
            if name in found and lang in found[name] and origin in TextOrigin.values:
                found[name][lang] = origin
    return found


def _narrative_fields(obj: Any) -> list[str]:
    return sorted(translator.get_options_for_model(type(obj)).fields)  # type: ignore[attr-defined]


def _narrative_texts_store(
    obj: Any,
    *,
    by: User | None,
    texts: Mapping[str, Mapping[str, str]],
    origins: Mapping[str, Mapping[str, str]],
) -> None:
    """Write ``texts`` (field → language → text) and their ``origins`` (field → language →
    origin), validate, save with its history, and record the provenance. A language left empty
    has no provenance: there is nothing to say where it comes from."""
    for name, by_language in texts.items():
        for lang, text in by_language.items():
            setattr(obj, f"{name}_{lang}", (text or "").strip())
    obj.full_clean()
    official = str(TextOrigin.OFFICIAL)
    # What every text's origin is once this is saved: the version keeps it, for an undo.
    after = {
        name: {
            lang: str(text_origin(obj, name, lang)) if obj.pk else official
            for lang in target_languages()
        }
        for name in _narrative_fields(obj)
    }
    for name in texts:
        for lang in target_languages():
            given = origins.get(name, {}).get(lang) or official
            after[name][lang] = str(given) if getattr(obj, f"{name}_{lang}", "") else official
    obj._change_reason = _origins_note(after)
    with acting_as(by):
        obj.save()
    for name in texts:
        for lang, origin in after[name].items():
            text_provenance_set(obj=obj, field=name, language=lang, origin=origin)


@transaction.atomic
def period_narrative_save(
    *,
    period: ReportingPeriod,
    by: User | None,
    texts: Mapping[str, Mapping[str, str]],
    origins: Mapping[str, Mapping[str, str]],
) -> PeriodNarrative:
    """Write the period's executive summary or next steps (the fields ``texts`` names) in
    every language, with where each translation comes from."""
    unknown = set(texts) - {"executive_summary", "next_steps"}
    if unknown:
        raise ValueError(f"Not a text of the period narrative: {sorted(unknown)}")
    narrative = PeriodNarrative.objects.select_for_update().filter(period=period).first()
    if narrative is None:
        narrative = PeriodNarrative(period=period)
    _narrative_texts_store(narrative, by=by, texts=texts, origins=origins)
    return narrative


@transaction.atomic
def outcome_narrative_save(
    *,
    period: ReportingPeriod,
    outcome: Outcome,
    by: User | None,
    texts: Mapping[str, str],
    origins: Mapping[str, str],
) -> OutcomeNarrative:
    """Write what the programme team says of an outcome's progress in the period, in every
    language (``texts`` and ``origins`` by language)."""
    if outcome.action_id != period.action_id:
        raise ValidationError(_("This outcome belongs to another action."))
    narrative = (
        OutcomeNarrative.objects.select_for_update().filter(period=period, outcome=outcome).first()
    )
    if narrative is None:
        narrative = OutcomeNarrative(period=period, outcome=outcome)
    _narrative_texts_store(narrative, by=by, texts={"text": texts}, origins={"text": origins})
    return narrative


@transaction.atomic
def period_risk_save(
    *,
    period: ReportingPeriod,
    risk: PeriodRisk | None,
    by: User | None,
    texts: Mapping[str, Mapping[str, str]],
    origins: Mapping[str, Mapping[str, str]],
    likelihood: str = "",
    impact: str = "",
    order: int = 1,
) -> PeriodRisk:
    """Name a risk for the period, or correct one: its description and mitigation in every
    language, how likely and how harmful it is, and its place in the list."""
    if risk is None:
        risk = PeriodRisk(period=period)
    else:
        risk = PeriodRisk.objects.select_for_update().get(pk=risk.pk, period=period)
    risk.likelihood = likelihood
    risk.impact = impact
    risk.order = order
    _narrative_texts_store(risk, by=by, texts=texts, origins=origins)
    return risk


@transaction.atomic
def period_risk_remove(*, risk: PeriodRisk, by: User | None) -> None:
    """Take a risk off the period; its history keeps it, so its author can undo this."""
    with acting_as(by):
        risk.delete()


NarrativeRecord = PeriodNarrative | OutcomeNarrative | PeriodRisk


@transaction.atomic
def narrative_change_undo(
    *, model: type[NarrativeRecord], pk: int, period: ReportingPeriod, by: User
) -> NarrativeRecord | None:
    """Undo the last change to a part of the period narrative: only the person who made it
    may, and only while it is the last. The texts, choices and origins come back as they were
    before it; a part it created goes again, and a risk it removed comes back. Returns the
    record as it is now (None when the undo removed it)."""
    versions: list[Any] = list(
        history_model(model)
        ._default_manager.filter(id=pk, period_id=period.pk)
        .select_for_update()
        .order_by("-history_date", "-history_id")[:2]
    )
    if not versions or versions[0].history_user_id != by.pk:
        raise ValidationError(
            _("Only the person who made the last change to this text can undo it."),
            code="not_author",
        )
    previous = versions[1] if len(versions) > 1 else None
    current = model.objects.filter(pk=pk).first()
    with acting_as(by):
        if previous is None or previous.history_type == "-":
            if current is not None:
                current.delete()
            return None
        restored = previous.instance
        fields = _narrative_fields(restored)
        for name, by_language in _origins_from_note(previous.history_change_reason, fields).items():
            for lang, origin in by_language.items():
                text_provenance_set(obj=restored, field=name, language=lang, origin=origin)
        restored._change_reason = previous.history_change_reason
        restored.save()
    return restored
