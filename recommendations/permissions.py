"""Who may see and change what in recommendations: the gate every view goes through.

- Everyone signed in reads the recommendations and every approved update.
- An institution's members read all of its own updates; its editors write the drafts and
  returned ones, for recommendations the institution is assigned to.
- EU observers read every update that has left draft; the programme team reads everything,
  may write for any assigned institution, and is the only one who reviews.
"""

from __future__ import annotations

import functools
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from core.written_queries import (
    Columns,
    columns_of,
    instances_from_row,
    select_sql,
    where_sql,
    written_once,
)
from programme.permissions import may_review
from recommendations.choices import REDACTABLE_UPDATE_STATES, UpdateState
from recommendations.models import (
    Assignment,
    Evidence,
    ProgressUpdate,
    Recommendation,
    RecommendationSet,
)
from stakeholders import object_permissions
from stakeholders.models import Institution, User
from stakeholders.selectors import persona_for


def recommendations_visible_to(user: User) -> QuerySet[Recommendation]:
    if not persona_for(user).is_authenticated:
        return Recommendation.objects.none()
    return Recommendation.objects.all()


def recommendation_for_view(user: User, pk: int) -> Recommendation:
    """The recommendation ``pk`` with its set, if the user may see it (else 404): the
    ``recommendations_visible_to`` rule (``where_sql``) in a query written once per process,
    as ``get_object_or_404(....select_related("recommendation_set"), pk=pk)`` would read it
    (compiling that queryset cost the page more than the database took to answer). Its
    themes and instruments are the page's to read (``recommendation_summary``)."""
    low, high = connection.ops.integer_field_range(Recommendation._meta.pk.get_internal_type())
    if not low <= pk <= high:  # no such key: what the queryset answers, not a database error
        raise Http404(f"No {Recommendation._meta.object_name} matches the given query.")
    condition, params = where_sql(recommendations_visible_to(user))
    with connection.cursor() as cursor:
        cursor.execute(
            written_once(_recommendation_sql).replace("%(visible)s", f"({condition})"),
            [pk, *params],
        )
        row = cursor.fetchone()
    if row is None:
        raise Http404(f"No {Recommendation._meta.object_name} matches the given query.")
    (recommendation, recommendation_set), _rest = instances_from_row(row, _RECOMMENDATION, {})
    _RECOMMENDATION_SET.set_cached_value(recommendation, recommendation_set)
    return recommendation


_RECOMMENDATION: Columns = tuple(
    columns_of(model, [f.attname for f in model._meta.concrete_fields])
    for model in (Recommendation, RecommendationSet)
)
_RECOMMENDATION_SET: Any = Recommendation._meta.get_field("recommendation_set")


@functools.cache
def _recommendation_sql() -> str:
    """``recommendation_for_view``'s query; the key, then the gate's condition
    (``%(visible)s``, put in by the caller)."""
    quote = connection.ops.quote_name
    recommendation, recommendation_set = (
        quote(m._meta.db_table) for m in (Recommendation, RecommendationSet)
    )
    return (
        f"SELECT {select_sql(_RECOMMENDATION)} FROM {recommendation}"  # noqa: S608 - names
        f" INNER JOIN {recommendation_set}"
        f" ON ({recommendation}.recommendation_set_id = {recommendation_set}.id)"
        f" WHERE {recommendation}.id = %s AND %(visible)s"
    )


def updates_visible_to(user: User) -> QuerySet[ProgressUpdate]:
    persona = persona_for(user)
    updates = ProgressUpdate.objects.all()
    if not persona.is_authenticated:
        return updates.none()
    if persona.is_programme_team:
        return updates
    own = object_permissions.objects_with_perm(
        user, ProgressUpdate.objects.all(), "recommendations.view_progressupdate"
    )
    shown = Q(state=UpdateState.APPROVED) | Q(pk__in=own.values("pk"))
    if persona.is_observer:
        shown |= ~Q(state=UpdateState.DRAFT)
    return updates.filter(shown)


def updates_visible_sql(user: User) -> tuple[str, list[Any]]:
    """``updates_visible_to`` as an SQL condition on the progress updates' table and its
    parameters, for a page's query written once (``core.written_queries``): the same rule."""
    return where_sql(updates_visible_to(user))


def update_for_view(user: User, pk: int) -> ProgressUpdate:
    return get_object_or_404(updates_visible_to(user), pk=pk)


def evidence_for_download(user: User, pk: int) -> Evidence:
    """A file on an update the user may see; anything else answers 404."""
    return get_object_or_404(Evidence.objects.filter(update__in=updates_visible_to(user)), pk=pk)


def updates_editable_by(user: User) -> QuerySet[ProgressUpdate]:
    """The updates whose institution the user writes for, whatever their state."""
    if persona_for(user).is_programme_team:
        return ProgressUpdate.objects.all()
    return object_permissions.objects_with_perm(
        user, ProgressUpdate.objects.all(), "recommendations.change_progressupdate"
    )


def may_change_update(user: User, update: ProgressUpdate) -> bool:
    """Whether the user may change this update now: it is still a draft or returned, and the
    user writes for its institution (or is the programme team)."""
    return update.is_editable and updates_editable_by(user).filter(pk=update.pk).exists()


def update_for_change(user: User, pk: int) -> ProgressUpdate:
    """An update whose institution the user writes for: 404 when they may not see it, 403 when
    they only read it. Whether it can still change is ``may_change_update``."""
    update = update_for_view(user, pk)
    if not updates_editable_by(user).filter(pk=update.pk).exists():
        raise PermissionDenied
    return update


def may_withdraw_update(user: User, update: ProgressUpdate) -> bool:
    """Whether the user may withdraw (delete) this update now: it is still a draft or
    returned, and the user is an editor of its institution. The programme team changes an
    update it entered for an institution, but withdrawing it is the institution's call."""
    return update.institution_id in persona_for(user).edits_for and may_change_update(user, update)


def update_for_withdraw(user: User, pk: int) -> ProgressUpdate:
    """An update of an institution the user edits for: 404 when they may not see it, 403
    otherwise. Whether it can still be withdrawn is ``may_withdraw_update``."""
    update = update_for_view(user, pk)
    if update.institution_id not in persona_for(user).edits_for:
        raise PermissionDenied
    if not updates_editable_by(user).filter(pk=update.pk).exists():
        raise PermissionDenied
    return update


def evidence_for_change(user: User, pk: int) -> Evidence:
    """Evidence on an update the user writes for: 404 when they may not see it, 403 when
    they only read it. Whether it can still be removed is ``may_change_update``."""
    evidence = get_object_or_404(
        Evidence.objects.filter(update__in=updates_visible_to(user)).select_related("update"),
        pk=pk,
    )
    if not updates_editable_by(user).filter(pk=evidence.update_id).exists():
        raise PermissionDenied
    return evidence


def may_redact_on(user: User, update: ProgressUpdate) -> bool:
    """Whether the user may redact evidence of this update: the programme team, once the
    update is submitted or approved (before that, its institution removes evidence itself)."""
    return persona_for(user).is_programme_team and update.state in REDACTABLE_UPDATE_STATES


def may_redact_evidence(user: User, evidence: Evidence) -> bool:
    """Whether the user may redact this evidence now: ``may_redact_on`` its update, while the
    item still holds a file or link."""
    return may_redact_on(user, evidence.update) and not evidence.is_redacted


def evidence_for_redact(user: User, pk: int) -> Evidence:
    """Evidence the user may see, for the programme team alone: 404, then 403."""
    evidence = get_object_or_404(
        Evidence.objects.filter(update__in=updates_visible_to(user)).select_related("update"),
        pk=pk,
    )
    if not persona_for(user).is_programme_team:
        raise PermissionDenied
    return evidence


def update_for_review(user: User, pk: int) -> ProgressUpdate:
    update = update_for_view(user, pk)
    if not may_review(user):
        raise PermissionDenied
    return update


def check_review(user: User) -> None:
    """The review queue and its pages: 403 for anyone who does not review."""
    if not may_review(user):
        raise PermissionDenied


def _reporting_assignments(user: User) -> QuerySet[Assignment]:
    """The assignments under which the user may report progress: the one rule every gate on
    reporting below follows (the list's links, the page's button, the form and the service).

    An institution's editors and focal points report for it on every recommendation it is
    assigned to, as responsible or invited; the programme team may enter an update for any
    assigned institution (one sent by email, say), recorded as theirs. Nobody else reports.
    """
    persona = persona_for(user)
    if persona.is_programme_team:
        return Assignment.objects.all()
    return Assignment.objects.filter(institution_id__in=persona.edits_for)


def recommendations_reportable_by(user: User) -> QuerySet[Recommendation]:
    """The recommendations the user may report on, for a list: one query however many."""
    return Recommendation.objects.filter(
        pk__in=_reporting_assignments(user).values("recommendation_id")
    )


def may_report_on(user: User, recommendation: Recommendation) -> bool:
    """Whether the user may report progress on the recommendation for some institution."""
    return _reporting_assignments(user).filter(recommendation=recommendation).exists()


def may_report_for(user: User, *, recommendation: Recommendation, institution: Institution) -> bool:
    """Whether the user may report progress on the recommendation for this institution."""
    return (
        _reporting_assignments(user)
        .filter(recommendation=recommendation, institution=institution)
        .exists()
    )


def reporting_institutions(user: User, recommendation: Recommendation) -> QuerySet[Institution]:
    """The institutions on whose behalf the user may report on this recommendation."""
    return Institution.objects.filter(
        pk__in=_reporting_assignments(user)
        .filter(recommendation=recommendation)
        .values("institution_id")
    )


def recommendation_for_report(user: User, pk: int) -> Recommendation:
    """A recommendation the user may report on: 404 for anonymous visitors and unknown
    numbers, 403 for anyone who may read it but not report on it."""
    recommendation = get_object_or_404(Recommendation, pk=pk)
    if not may_report_on(user, recommendation):
        if not persona_for(user).is_authenticated:
            raise Http404
        raise PermissionDenied
    return recommendation


def can_comment(user: User, update: ProgressUpdate) -> bool:
    """The reporting institution's members, the programme team and observers discuss an update."""
    persona = persona_for(user)
    return persona.reads_everything or update.institution_id in persona.member_of
