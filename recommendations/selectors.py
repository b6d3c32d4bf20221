"""Reads about recommendations and the evidence gathered on each."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, TextField, Window
from django.db.models.functions import RowNumber
from django.utils.translation import get_language

from core.alphabet import alphabet_key
from core.history import history_model
from programme.models import Decision, ReportingPeriod
from programme.selectors import reporting_periods_open
from recommendations.choices import AssignmentKind, ImplementationStatus, OwedState, UpdateState
from recommendations.models import (
    Assignment,
    ProgressUpdate,
    Recommendation,
    UpdateTransition,
)
from recommendations.permissions import updates_visible_to
from recommendations.sources import recommendation_trainings
from stakeholders.models import Institution, User

STATUS_ORDER = [s.value for s in ImplementationStatus]


# --- Each institution's latest assessment ----------------------------------------------------


@dataclass
class Assessment:
    """An institution assigned to a recommendation, with its latest approved update and, for
    one reader, its latest update still in the workflow that the reader may see."""

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


def overall_status(statuses: Iterable[str]) -> str | None:
    """A recommendation is as far as the least advanced of the institutions assigned to it
    now says in its latest approved update; None while none has an approved one."""
    return min(statuses, key=STATUS_ORDER.index, default=None)


def assessments_status(assessments: Iterable[Assessment]) -> str | None:
    """The overall status that these assessments (one recommendation's) give."""
    return overall_status(a.approved.status for a in assessments if a.approved is not None)


# An update of the assignment in the outer query, newest period first.
_SAME_ASSIGNMENT = {
    "recommendation_id": OuterRef("recommendation_id"),
    "institution_id": OuterRef("institution_id"),
}
_NEWEST = ("-period__start_date", "-pk")


def _latest_approved(*, until: date | None) -> QuerySet[ProgressUpdate]:
    """The approved updates of an assignment (``OuterRef``), its latest first: what the
    institution says now, or with ``until``, for periods begun by that day."""
    approved = ProgressUpdate.objects.filter(**_SAME_ASSIGNMENT, state=UpdateState.APPROVED)
    if until is not None:
        approved = approved.filter(period__start_date__lte=until)
    return approved.order_by(*_NEWEST)


def _assigned(
    recommendation_ids: Collection[int],
    *,
    until: date | None = None,
    visible: QuerySet[ProgressUpdate] | None = None,
) -> list[Any]:
    """The institutions assigned to the recommendations now, each annotated with its latest
    approved update (``approved_id``, ``approved_status``) and, given the updates a reader may
    see, its latest other one (``current_id``), in reading order; one query.

    Only current assignments count: a withdrawn institution's updates stay in the history
    but no longer speak for the recommendation. With ``until``, only approved updates for
    periods begun by that day count.
    """
    latest = _latest_approved(until=until)
    annotations: dict[str, Any] = {
        "approved_id": Subquery(latest.values("pk")[:1]),
        "approved_status": Subquery(latest.values("status")[:1]),
    }
    if visible is not None:
        in_workflow = visible.filter(**_SAME_ASSIGNMENT).exclude(state=UpdateState.APPROVED)
        annotations["current_id"] = Subquery(in_workflow.order_by(*_NEWEST).values("pk")[:1])
    assignments = list(
        Assignment.objects.filter(recommendation_id__in=recommendation_ids)
        .select_related("institution")
        .annotate(**annotations)
    )
    language = get_language()
    return sorted(
        assignments,
        key=lambda a: (
            a.kind != AssignmentKind.RESPONSIBLE,
            alphabet_key(a.institution.name, language),
        ),
    )


def recommendation_assessments(
    *,
    recommendations: Sequence[Recommendation],
    until: date | None = None,
    user: User | None = None,
) -> dict[int, list[Assessment]]:
    """Per recommendation, each institution assigned to it now with its latest approved update.

    Responsible institutions first, then those invited to report, each group by name in the
    reader's alphabet. With ``until``, only approved updates for periods begun by that day
    count. Approved updates are what every signed-in user reads, so without ``user`` the
    result is the same for everyone (a committee report); with ``user``, each assessment also
    carries the institution's latest update still in the workflow that the user may see (the
    recommendation's page and report). Two queries however many rows.
    """
    ids = [r.pk for r in recommendations]
    visible = None if user is None else updates_visible_to(user)
    assigned = _assigned(ids, until=until, visible=visible)
    wanted = {pk for a in assigned for pk in (a.approved_id, getattr(a, "current_id", None)) if pk}
    found = ProgressUpdate.objects.select_related("period").in_bulk(wanted) if wanted else {}
    assessments: dict[int, list[Assessment]] = {pk: [] for pk in ids}
    for a in assigned:
        assessments[a.recommendation_id].append(
            Assessment(
                institution=a.institution,
                kind=a.kind,
                approved=found.get(a.approved_id),
                current=found.get(getattr(a, "current_id", None)),
            )
        )
    return assessments


def recommendation_assessments_one(
    *, recommendation: Recommendation, until: date | None = None, user: User | None = None
) -> list[Assessment]:
    """``recommendation_assessments`` for one recommendation."""
    return recommendation_assessments(recommendations=[recommendation], until=until, user=user)[
        recommendation.pk
    ]


def recommendation_rows(
    *, queryset: QuerySet[Recommendation], until: date | None = None
) -> list[RecommendationRow]:
    """The recommendations with their overall status, in a fixed number of queries.

    The status is ``assessments_status`` of the assessments ``recommendation_assessments``
    gives (the institutions assigned now); with ``until``, as the approved updates for periods
    begun by that day say. Only the statuses are read, so every recommendation is cheap.
    """
    recommendations = list(queryset)
    per_recommendation: dict[int, list[Any]] = defaultdict(list)
    for a in _assigned([r.pk for r in recommendations], until=until):
        per_recommendation[a.recommendation_id].append(a)
    rows = []
    for r in recommendations:
        statuses = [a.approved_status for a in per_recommendation[r.pk] if a.approved_status]
        rows.append(
            RecommendationRow(
                recommendation=r,
                status=overall_status(statuses),
                assessed_by=len(statuses),
                institutions=[a.institution for a in per_recommendation[r.pk]],
            )
        )
    return rows


def recommendation_statuses_on(
    *, days: Sequence[date], recommendation_ids: Collection[int] | None = None
) -> dict[date, dict[int, str]]:
    """Each recommendation's overall status as of each of several days, in one query.

    The same rule as ``recommendation_rows`` with ``until``: the institutions assigned now,
    each with its latest approved update for a period begun by the day, and the least
    advanced of them (``overall_status``). Only recommendations with a status that day are
    in its answer. One query however many days and recommendations (a subquery per day).
    """
    wanted = list(dict.fromkeys(days))
    if not wanted:
        return {}
    columns = {
        f"d{i}": Subquery(_latest_approved(until=day).values("status")[:1])
        for i, day in enumerate(wanted)
    }
    assignments = Assignment.objects.all()
    if recommendation_ids is not None:
        assignments = assignments.filter(recommendation_id__in=recommendation_ids)
    said: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in assignments.order_by().annotate(**columns).values("recommendation_id", *columns):
        said[row["recommendation_id"]].append(row)
    answer: dict[date, dict[int, str]] = {}
    for i, day in enumerate(wanted):
        statuses: dict[int, str] = {}
        for recommendation_id, rows in said.items():
            status = overall_status(r[f"d{i}"] for r in rows if r[f"d{i}"])
            if status is not None:
                statuses[recommendation_id] = status
        answer[day] = statuses
    return answer


# --- Updates owed ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OwedUpdate:
    """A progress update that an institution responsible for a recommendation still owes for
    an open reporting period."""

    recommendation: Recommendation
    institution: Institution
    period: ReportingPeriod
    state: str  # an OwedState
    update: ProgressUpdate | None  # the draft or returned update, once one is started

    @property
    def state_label(self) -> str:
        return str(OwedState(self.state).label)

    @property
    def due(self) -> date:
        return self.period.due_date


def updates_owed(
    *, today: date, institution_ids: Collection[int] | None = None
) -> list[OwedUpdate]:
    """Every progress update owed for the open reporting periods (``reporting_periods_open``).

    An institution responsible for a recommendation owes an update for each open period until
    it submits one: with none yet, or only a draft, it is due (overdue once the period's due
    date has passed); a returned update is owed until it is resubmitted ("returned, revise").
    Institutions invited to report may report but owe nothing. With ``institution_ids``, only
    what those institutions owe (a user's dashboard); without, everyone's (the reminders).
    Ordered by due date, recommendation and institution; three queries however many rows.
    """
    periods = reporting_periods_open(today=today)
    if not periods:
        return []
    assignments = Assignment.objects.filter(kind=AssignmentKind.RESPONSIBLE).select_related(
        "recommendation", "institution"
    )
    updates = ProgressUpdate.objects.filter(period__in=periods)
    if institution_ids is not None:
        assignments = assignments.filter(institution_id__in=institution_ids)
        updates = updates.filter(institution_id__in=institution_ids)
    started = {(u.recommendation_id, u.institution_id, u.period_id): u for u in updates}
    owed = []
    for a in assignments:
        for period in periods:
            update = started.get((a.recommendation_id, a.institution_id, period.pk))
            if update is None or update.state == UpdateState.DRAFT:
                state = OwedState.OVERDUE if period.due_date < today else OwedState.DUE
            elif update.state == UpdateState.RETURNED:
                state = OwedState.RETURNED
            else:  # submitted or approved: reported
                continue
            owed.append(
                OwedUpdate(
                    recommendation=a.recommendation,
                    institution=a.institution,
                    period=period,
                    state=state,
                    update=update,
                )
            )
    language = get_language()
    return sorted(
        owed,
        key=lambda o: (
            o.period.due_date,
            o.period.pk,
            o.recommendation.recommendation_set_id,
            o.recommendation.number,
            alphabet_key(o.institution.name, language),
        ),
    )


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


def _studies_and_decisions(recommendation: Recommendation) -> tuple[list[Any], list[Any]]:
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
    studies, decisions = _studies_and_decisions(recommendation)
    return RecommendationEvidence(
        recommendation=recommendation,
        assessments=recommendation_assessments_one(recommendation=recommendation, user=user),
        updates=list(recommendation_updates(recommendation=recommendation, user=user)),
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

    @property
    def status(self) -> str | None:
        return assessments_status(self.assessments)

    @property
    def status_label(self) -> str:
        return str(ImplementationStatus(self.status).label) if self.status else ""


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
        assessments=recommendation_assessments_one(recommendation=recommendation, user=user),
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


def assignments_of_institution(institution: Institution, user: Any = None) -> list[Assignment]:
    """The recommendations the institution answers for or is invited to, by number (its page)."""
    return list(
        Assignment.objects.filter(institution=institution)
        .select_related("recommendation")
        .order_by("recommendation__number")
    )
