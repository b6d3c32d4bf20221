"""Who may see and change meetings, action points and reported indicator values.

Everyone signed in reads the steering committee's meetings, decisions and action points.
The owner institution's editors report progress on an action point; the programme team
changes anything. Reported indicator values: see their section below.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from programme.choices import IndicatorKind, ValueState
from programme.models import (
    ActionPoint,
    Decision,
    Indicator,
    IndicatorEvidence,
    IndicatorValue,
    Meeting,
)
from stakeholders import object_permissions
from stakeholders.models import User
from stakeholders.selectors import persona_for


def meetings_visible_to(user: User) -> QuerySet[Meeting]:
    if not persona_for(user).is_authenticated:
        return Meeting.objects.none()
    return Meeting.objects.all()


def decisions_visible_to(user: User) -> QuerySet[Decision]:
    """The decisions of the meetings the user may read: as the meeting pages show them."""
    return Decision.objects.filter(meeting__in=meetings_visible_to(user))


def action_points_visible_to(user: User) -> QuerySet[ActionPoint]:
    """The action points of the meetings the user may read: as the meeting pages show them."""
    return ActionPoint.objects.filter(meeting__in=meetings_visible_to(user))


def action_points_editable_by(user: User) -> QuerySet[ActionPoint]:
    if persona_for(user).is_programme_team:
        return ActionPoint.objects.all()
    return object_permissions.objects_with_perm(
        user, ActionPoint.objects.all(), "programme.change_actionpoint"
    )


def may_change_action_point(user: User, action_point: ActionPoint) -> bool:
    """Whether the user may report progress on the action point (a page listing many asks
    ``action_points_editable_by`` once instead)."""
    return action_points_editable_by(user).filter(pk=action_point.pk).exists()


def action_point_for_change(user: User, pk: int) -> ActionPoint:
    action_point = get_object_or_404(
        ActionPoint.objects.filter(meeting__in=meetings_visible_to(user)), pk=pk
    )
    if not may_change_action_point(user, action_point):
        raise PermissionDenied
    return action_point


# --- Reported indicator values ----------------------------------------------------------------
#
# A reported indicator's values are entered by its responsible institution (its editors and
# focal points), or by the programme team, who may enter any and alone enter those with no
# responsible institution; only the programme team reviews. Who reads them follows the rule
# of progress updates: the programme team reads everything, EU observers every value that
# has left draft, the responsible institution's members all of its own, and everyone signed
# in the approved values, which are the ones that count.


def indicators_reportable_by(user: User) -> QuerySet[Indicator]:
    """The reported indicators whose values the user may enter: one query however many."""
    persona = persona_for(user)
    reported = Indicator.objects.filter(kind=IndicatorKind.REPORTED)
    if persona.is_programme_team:
        return reported
    return reported.filter(responsible_id__in=persona.edits_for)


def indicators_listed_for(user: User) -> QuerySet[Indicator]:
    """The reported indicators on the user's "to report" page: those their institutions
    answer for (members read them, editors enter them); the programme team's are all."""
    persona = persona_for(user)
    reported = Indicator.objects.filter(kind=IndicatorKind.REPORTED)
    if persona.is_programme_team:
        return reported
    return reported.filter(responsible_id__in=persona.member_of)


def may_report_on_indicator(user: User, indicator: Indicator) -> bool:
    """Whether the user may enter this indicator's values (no query)."""
    if indicator.is_computed:
        return False
    persona = persona_for(user)
    return persona.is_programme_team or indicator.responsible_id in persona.edits_for


def indicator_for_report(user: User, pk: int) -> Indicator:
    """A reported indicator the user may enter values for: 404 for anonymous visitors, unknown
    numbers and computed indicators, 403 for anyone who reads it but does not report on it."""
    if not persona_for(user).is_authenticated:
        raise Http404
    indicator: Indicator = get_object_or_404(
        Indicator.objects.filter(kind=IndicatorKind.REPORTED).select_related(
            "outcome__action", "output", "responsible"
        ),
        pk=pk,
    )
    if not may_report_on_indicator(user, indicator):
        raise PermissionDenied
    return indicator


def indicator_values_visible_to(user: User) -> QuerySet[IndicatorValue]:
    """The reported indicators' values the user may read."""
    persona = persona_for(user)
    values = IndicatorValue.objects.filter(indicator__kind=IndicatorKind.REPORTED)
    if not persona.is_authenticated:
        return values.none()
    if persona.is_programme_team:
        return values
    shown = Q(state=ValueState.APPROVED) | Q(indicator__responsible_id__in=persona.member_of)
    if persona.is_observer:
        shown |= ~Q(state=ValueState.DRAFT)
    return values.filter(shown)


def indicator_value_for_view(user: User, pk: int) -> IndicatorValue:
    return get_object_or_404(
        indicator_values_visible_to(user).select_related(
            "indicator__outcome__action", "indicator__output", "indicator__responsible", "period"
        ),
        pk=pk,
    )


def indicator_value_for_change(user: User, pk: int) -> IndicatorValue:
    """A value the user enters: 404 when they may not see it, 403 when they only read it.
    Whether it can still change is ``may_change_indicator_value``."""
    value = indicator_value_for_view(user, pk)
    if not may_report_on_indicator(user, value.indicator):
        raise PermissionDenied
    return value


def may_review(user: User) -> bool:
    """Whether the user reviews (approves or returns) what institutions report: progress
    updates and indicator values. The programme team does; the review queue, the items' pages
    and the services all ask here."""
    return persona_for(user).is_programme_team


def indicator_value_for_review(user: User, pk: int) -> IndicatorValue:
    value = indicator_value_for_view(user, pk)
    if not may_review(user):
        raise PermissionDenied
    return value


def indicator_value_is_open(value: IndicatorValue) -> bool:
    """Whether the value's period is still open: once it is closed, nothing about it changes."""
    return value.frozen_at is None and value.period.closed_at is None


def may_change_indicator_value(user: User, value: IndicatorValue) -> bool:
    """Whether the user may change the value's figures and evidence now: it is a draft or
    returned, its period is open, and the user enters this indicator's values."""
    return (
        value.is_editable
        and indicator_value_is_open(value)
        and may_report_on_indicator(user, value.indicator)
    )


def may_withdraw_indicator_value(user: User, value: IndicatorValue) -> bool:
    """Whoever enters the indicator's values may take a submitted value back before review."""
    return (
        value.state == ValueState.SUBMITTED
        and indicator_value_is_open(value)
        and may_report_on_indicator(user, value.indicator)
    )


def may_review_indicator_value(user: User, value: IndicatorValue) -> bool:
    """The programme team approves or returns a submitted value, and may return an approved
    one while its period is open."""
    return (
        may_review(user)
        and value.state in (ValueState.SUBMITTED, ValueState.APPROVED)
        and indicator_value_is_open(value)
    )


def indicator_evidence_for_download(user: User, pk: int) -> IndicatorEvidence:
    """A file on a value the user may see; anything else answers 404."""
    return get_object_or_404(
        IndicatorEvidence.objects.filter(value__in=indicator_values_visible_to(user)), pk=pk
    )


def indicator_evidence_for_change(user: User, pk: int) -> IndicatorEvidence:
    """Evidence on a value the user enters: 404 when they may not see it, 403 when they only
    read it."""
    evidence = get_object_or_404(
        IndicatorEvidence.objects.filter(
            value__in=indicator_values_visible_to(user)
        ).select_related("value__indicator__responsible", "value__period"),
        pk=pk,
    )
    if not may_report_on_indicator(user, evidence.value.indicator):
        raise PermissionDenied
    return evidence


# --- The results framework --------------------------------------------------------------------
#
# Everyone signed in reads the framework, every indicator's page and the IPTT; only the
# programme team changes an indicator's settings and targets, and closes or reopens a period.


def framework_visible_to(user: User) -> bool:
    return persona_for(user).is_authenticated


def may_change_framework(user: User) -> bool:
    """Indicator settings, targets and closing periods are the programme team's."""
    return persona_for(user).is_programme_team


def indicators_visible_to(user: User) -> QuerySet[Indicator]:
    if not framework_visible_to(user):
        return Indicator.objects.none()
    return Indicator.objects.all()


def indicator_for_view(user: User, pk: int) -> Indicator:
    return get_object_or_404(
        indicators_visible_to(user).select_related("outcome__action", "output", "responsible"),
        pk=pk,
    )


def check_change_framework(user: User) -> None:
    """403 for anyone but the programme team: closing or reopening a period (periods are
    shared reference data, looked up by the view) and an indicator's settings."""
    if not may_change_framework(user):
        raise PermissionDenied


def indicator_for_settings(user: User, pk: int) -> Indicator:
    """An indicator whose settings the user changes: 404 when unknown, 403 for anyone signed
    in but the programme team."""
    indicator = indicator_for_view(user, pk)
    check_change_framework(user)
    return indicator


def indicator_evidence_visible_to(user: User) -> QuerySet[IndicatorEvidence]:
    """Evidence on the reported values the user may read."""
    return IndicatorEvidence.objects.filter(value__in=indicator_values_visible_to(user))


# --- Recording meetings -----------------------------------------------------------------------
#
# Everyone signed in reads the meetings (above); only the programme team records them: a
# meeting's facts, its attendance, decisions and action points, and preparing the next one.


def may_change_meetings(user: User) -> bool:
    return persona_for(user).is_programme_team


def check_change_meetings(user: User) -> None:
    """403 for anyone but the programme team (recording a new meeting, preparing the next)."""
    if not may_change_meetings(user):
        raise PermissionDenied


def meeting_for_view(user: User, pk: int) -> Meeting:
    return get_object_or_404(meetings_visible_to(user).select_related("action"), pk=pk)


def meeting_for_change(user: User, pk: int) -> Meeting:
    """A meeting the user records: 404 when unknown, 403 for anyone but the programme team."""
    meeting = meeting_for_view(user, pk)
    check_change_meetings(user)
    return meeting


def decision_for_change(user: User, pk: int) -> Decision:
    decision: Decision = get_object_or_404(
        Decision.objects.filter(meeting__in=meetings_visible_to(user)).select_related(
            "meeting__action"
        ),
        pk=pk,
    )
    check_change_meetings(user)
    return decision


def action_point_for_revision(user: User, pk: int) -> ActionPoint:
    """An action point whose task, owner or due date the user corrects, or removes: the
    programme team's (its owner reports progress through ``action_point_for_change``)."""
    action_point = get_object_or_404(
        ActionPoint.objects.filter(meeting__in=meetings_visible_to(user)).select_related(
            "meeting__action", "owner", "decision"
        ),
        pk=pk,
    )
    check_change_meetings(user)
    return action_point
