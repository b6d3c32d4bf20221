"""Reads about recommendations and the evidence gathered on each."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, TextField, Window
from django.db.models.functions import RowNumber

from config.history import history_model
from recommendations.choices import AssignmentKind, ImplementationStatus, UpdateState
from recommendations.models import (
    Assignment,
    ProgressUpdate,
    Recommendation,
    UpdateTransition,
)
from recommendations.permissions import updates_visible_to
from stakeholders.models import Institution, User

STATUS_ORDER = [s.value for s in ImplementationStatus]


@dataclass
class Assessment:
    """An institution's latest approved update on a recommendation, and its current one."""

    institution: Institution
    kind: str
    approved: ProgressUpdate | None = None
    current: ProgressUpdate | None = None


@dataclass
class RecommendationRow:
    recommendation: Recommendation
    status: str | None
    assessed_by: int
    institutions: list[Institution] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return str(ImplementationStatus(self.status).label) if self.status else ""


def _latest_approved(
    recommendation_ids: list[int], *, until: date | None = None
) -> dict[int, dict[int, str]]:
    """Per recommendation, per institution: the status of its most recent approved update.

    With ``until``, only updates for periods that began by that day count.
    """
    latest: dict[int, dict[int, str]] = defaultdict(dict)
    updates = ProgressUpdate.objects.filter(
        recommendation_id__in=recommendation_ids, state=UpdateState.APPROVED
    )
    if until is not None:
        updates = updates.filter(period__start_date__lte=until)
    rows = updates.order_by(
        "recommendation_id", "institution_id", "-period__start_date"
    ).values_list("recommendation_id", "institution_id", "status")
    for rec_id, inst_id, status in rows:
        latest[rec_id].setdefault(inst_id, status)
    return latest


def overall_status(statuses: list[str]) -> str | None:
    """A recommendation is as far as its least advanced responsible institution says."""
    if not statuses:
        return None
    return min(statuses, key=STATUS_ORDER.index)


def recommendation_rows(
    *, queryset: QuerySet[Recommendation], until: date | None = None
) -> list[RecommendationRow]:
    """The recommendations with their overall status, in a fixed number of queries.

    With ``until``, the status as the approved updates for periods begun by that day say.
    """
    recommendations = list(
        queryset.prefetch_related(
            Prefetch("assignments", queryset=Assignment.objects.select_related("institution"))
        )
    )
    latest = _latest_approved([r.pk for r in recommendations], until=until)
    return [
        RecommendationRow(
            recommendation=r,
            status=overall_status(list(latest[r.pk].values())),
            assessed_by=len(latest[r.pk]),
            institutions=[a.institution for a in r.assignments.all()],
        )
        for r in recommendations
    ]


def recommendation_assessments(
    *, recommendations: Sequence[Recommendation], until: date | None = None
) -> dict[int, list[Assessment]]:
    """Per recommendation, each assigned institution with its latest approved update.

    Responsible institutions first, then those invited to report; with ``until``, only
    updates for periods begun by that day count. Approved updates are what every signed-in
    user reads, so the result is the same for everyone. Two queries however many rows.
    """
    ids = [r.pk for r in recommendations]
    assessments: dict[int, dict[int, Assessment]] = defaultdict(dict)
    for a in Assignment.objects.filter(recommendation_id__in=ids).select_related("institution"):
        assessments[a.recommendation_id][a.institution_id] = Assessment(
            institution=a.institution, kind=a.kind
        )
    approved = ProgressUpdate.objects.filter(
        recommendation_id__in=ids, state=UpdateState.APPROVED
    ).select_related("period")
    if until is not None:
        approved = approved.filter(period__start_date__lte=until)
    for update in approved.order_by("-period__start_date", "-reviewed_at", "-pk"):
        found = assessments[update.recommendation_id].get(update.institution_id)
        if found is not None and found.approved is None:
            found.approved = update
    return {
        pk: sorted(
            assessments[pk].values(),
            key=lambda a: (a.kind != AssignmentKind.RESPONSIBLE, a.institution.name),
        )
        for pk in ids
    }


def recommendations_filtered(
    *, q: str = "", theme: str = "", institution: int | None = None, status: str = ""
) -> list[RecommendationRow]:
    queryset = Recommendation.objects.select_related("recommendation_set").prefetch_related(
        "themes"
    )
    if q:
        queryset = queryset.filter(
            Q(text_en__icontains=q) | Q(text_mk__icontains=q) | Q(text_sq__icontains=q)
        )
    if theme:
        queryset = queryset.filter(themes__slug=theme)
    if institution:
        queryset = queryset.filter(assignments__institution_id=institution)
    rows = recommendation_rows(queryset=queryset.distinct())
    if status == "none":
        rows = [r for r in rows if r.status is None]
    elif status:
        rows = [r for r in rows if r.status == status]
    return rows


@dataclass
class RecommendationEvidence:
    recommendation: Recommendation
    assessments: list[Assessment]
    updates: Sequence[ProgressUpdate]
    history: list[UpdateTransition]
    trainings: list[Any]
    studies: list[Any]
    decisions: list[Any]


def recommendation_updates(
    *, recommendation: Recommendation, user: User
) -> QuerySet[ProgressUpdate]:
    """Every update on the recommendation the user may see, newest period first."""
    return (
        updates_visible_to(user)
        .filter(recommendation=recommendation)
        .select_related("institution", "period", "created_by")
        .annotate(evidence_count=Count("evidence"))
        .order_by("-period__start_date", "institution__name", "pk")
    )


def recommendation_history(
    *, recommendation: Recommendation, user: User
) -> QuerySet[UpdateTransition]:
    """The workflow steps of the updates the user may see on the recommendation, newest first."""
    visible = updates_visible_to(user).filter(recommendation=recommendation)
    return (
        UpdateTransition.objects.filter(update__in=visible.values("pk"))
        .select_related("update__institution", "update__period", "by")
        .order_by("-at", "-pk")
    )


def recommendation_trainings(*, recommendation: Recommendation, user: User) -> QuerySet[Any]:
    """The trainings the user may see that served the recommendation, latest first."""
    from trainings.permissions import trainings_visible_to

    return (
        trainings_visible_to(user)
        .filter(recommendations=recommendation)
        .select_related("organiser")
        .order_by("-start_date", "-pk")
    )


def _studies_and_decisions(recommendation: Recommendation) -> tuple[list[Any], list[Any]]:
    from programme.models import Decision

    return (
        list(recommendation.studies.order_by("title")),
        list(
            Decision.objects.filter(recommendations=recommendation)
            .select_related("meeting")
            .order_by("meeting__number", "number")
        ),
    )


def recommendation_evidence(
    *, recommendation: Recommendation, user: User
) -> RecommendationEvidence:
    """Everything the user may see that bears on one recommendation (the report's dossier)."""
    updates = list(recommendation_updates(recommendation=recommendation, user=user))
    assessments = {
        a.institution_id: Assessment(institution=a.institution, kind=a.kind)
        for a in recommendation.assignments.select_related("institution")
    }
    for update in updates:  # newest period first
        assessment = assessments.get(update.institution_id)
        if assessment is None:
            continue
        if update.state == UpdateState.APPROVED and assessment.approved is None:
            assessment.approved = update
        elif update.state != UpdateState.APPROVED and assessment.current is None:
            assessment.current = update
    studies, decisions = _studies_and_decisions(recommendation)
    return RecommendationEvidence(
        recommendation=recommendation,
        assessments=sorted(assessments.values(), key=lambda a: (a.kind, a.institution.name)),
        updates=updates,
        history=list(recommendation_history(recommendation=recommendation, user=user)),
        trainings=list(recommendation_trainings(recommendation=recommendation, user=user)),
        studies=studies,
        decisions=decisions,
    )


# What the recommendation's page shows before "Show all": a recommendation late in a large
# programme has hundreds of updates, workflow steps and trainings.
UPDATES_PER_INSTITUTION = 2
HISTORY_SHOWN = 20
TRAININGS_SHOWN = 10


@dataclass
class RecommendationSummary:
    """The recommendation's page: every institution's assessment side by side, its latest
    updates, the latest workflow steps and trainings, and how many there are of each."""

    recommendation: Recommendation
    assessments: list[Assessment]
    updates: list[ProgressUpdate]
    update_count: int
    history: list[UpdateTransition]
    history_count: int
    trainings: list[Any]
    training_count: int
    studies: list[Any]
    decisions: list[Any]


def _assessments(
    recommendation: Recommendation, visible: QuerySet[ProgressUpdate]
) -> list[Assessment]:
    """Each assigned institution with its latest approved update and its latest other one,
    picked by the database (two queries however many updates there are)."""
    newest = visible.filter(institution_id=OuterRef("institution_id")).order_by(
        "-period__start_date", "-pk"
    )
    assignments = list(
        recommendation.assignments.select_related("institution").annotate(
            approved_id=Subquery(newest.filter(state=UpdateState.APPROVED).values("pk")[:1]),
            current_id=Subquery(newest.exclude(state=UpdateState.APPROVED).values("pk")[:1]),
        )
    )
    ids = {pk for a in assignments for pk in (a.approved_id, a.current_id) if pk}
    found = ProgressUpdate.objects.select_related("period").in_bulk(ids)
    assessments = [
        Assessment(
            institution=a.institution,
            kind=a.kind,
            approved=found.get(a.approved_id),
            current=found.get(a.current_id),
        )
        for a in assignments
    ]
    return sorted(assessments, key=lambda a: (a.kind, a.institution.name))


def recommendation_summary(*, recommendation: Recommendation, user: User) -> RecommendationSummary:
    """What the user may see that bears on one recommendation, the long lists cut to their
    latest entries; a fixed number of queries however many there are."""
    visible = updates_visible_to(user).filter(recommendation=recommendation)
    updates = recommendation_updates(recommendation=recommendation, user=user)
    latest = updates.annotate(
        rank=Window(
            RowNumber(),
            partition_by=[F("institution_id")],
            order_by=[F("period__start_date").desc(), F("pk").desc()],
        )
    ).filter(rank__lte=UPDATES_PER_INSTITUTION)
    history = recommendation_history(recommendation=recommendation, user=user)
    trainings = recommendation_trainings(recommendation=recommendation, user=user)
    studies, decisions = _studies_and_decisions(recommendation)
    return RecommendationSummary(
        recommendation=recommendation,
        assessments=_assessments(recommendation, visible),
        updates=list(latest),
        update_count=visible.count(),
        history=list(history[:HISTORY_SHOWN]),
        history_count=history.count(),
        trainings=list(trainings[:TRAININGS_SHOWN]),
        training_count=trainings.count(),
        studies=studies,
        decisions=decisions,
    )


def update_detail(*, update: ProgressUpdate) -> dict[str, Any]:
    return {
        "evidence": list(update.evidence.all()),
        "comments": list(update.comments.select_related("author")),
        "transitions": list(update.transitions.select_related("by")),
        "changes": update_changes(update=update),
    }


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class UpdateChange:
    at: Any
    by: Any
    created: bool
    fields: list[FieldChange]


# What the portal's change list names; the bookkeeping fields are left out.
_SHOWN_CHANGES = ("status", "narrative", "state", "reviewer_comment")


def update_changes(*, update: ProgressUpdate) -> list[UpdateChange]:
    """Each saved version of the update, newest first: who, when, and which fields changed,
    from the audit trail (two queries whatever the length)."""
    history = history_model(ProgressUpdate)
    versions: list[Any] = list(
        history._default_manager.filter(id=update.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    changes = []
    previous: Any = None
    for version in versions:
        fields = []
        if previous is not None:
            delta = version.diff_against(previous, included_fields=list(_SHOWN_CHANGES))
            for change in delta.changes:
                model_field: Any = ProgressUpdate._meta.get_field(change.field)
                fields.append(
                    FieldChange(
                        label=str(model_field.verbose_name),
                        old=_shown(model_field, change.old),
                        new=_shown(model_field, change.new),
                    )
                )
        if previous is None or fields:
            changes.append(
                UpdateChange(
                    at=version.history_date,
                    by=version.history_user,
                    created=previous is None,
                    fields=fields,
                )
            )
        previous = version
    return changes[::-1]


def _shown(model_field: Any, value: Any) -> str:
    if value in (None, ""):
        return "—"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, TextField):
        return ""  # long text: the page names the change, the update shows the text
    return str(value)
