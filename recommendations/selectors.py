"""Reads about recommendations and the evidence gathered on each."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.collation import alphabetical, reader_language
from core.history import history_model
from core.written_queries import (
    Columns,
    columns_of,
    instances_from_row,
    order_by_sql,
    select_sql,
    written_once,
)
from programme.choices import IndicatorKind, ValueState
from programme.models import Decision, IndicatorValue, ReportingPeriod
from programme.selectors import indicator_values_to_review, reporting_periods_open
from recommendations.choices import (
    AssignmentKind,
    ImplementationStatus,
    OwedState,
    UpdateEvent,
    UpdateState,
)
from recommendations.models import (
    Assignment,
    Evidence,
    ProgressUpdate,
    Recommendation,
    UpdateTransition,
)
from recommendations.permissions import (
    recommendations_reportable_by,
    updates_visible_sql,
    updates_visible_to,
)
from recommendations.sources import recommendation_trainings
from stakeholders.models import Institution, User
from stakeholders.selectors import persona_for

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
    recommendation_id: int = 0  # the recommendation assessed


@dataclass
class RecommendationRow:
    """A recommendation in a list, with its overall status and the assessments it is
    derived from (each approved update read for its status and period only)."""

    recommendation: Recommendation
    status: str | None
    assessed_by: int
    institutions: list[Institution] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    # The institutions' short names in one string: a list's cell shows it as it is instead
    # of looping over every assigned institution in the template.
    institution_labels: str = ""

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


def _approved(*, until: date | None) -> Q:
    """The approved updates that speak for an institution: all of them, or with ``until``,
    those for periods begun by that day. The one filter both readings below share."""
    approved = Q(state=UpdateState.APPROVED)
    if until is not None:
        approved &= Q(period__start_date__lte=until)
    return approved


def _latest_approved(*, until: date | None) -> QuerySet[ProgressUpdate]:
    """The approved updates of an assignment (``OuterRef``), its latest first: what the
    institution says now, or with ``until``, for periods begun by that day."""
    return ProgressUpdate.objects.filter(_approved(until=until), **_SAME_ASSIGNMENT).order_by(
        *_NEWEST
    )


# What a list reads of an approved update: its status and its period, never its narrative.
_STATUS_ONLY = ("pk", "recommendation_id", "institution_id", "period_id", "status", "state")


def _is_approved() -> Case:
    """Whether an update is approved, as a column: an assessment's two kinds."""
    return Case(
        When(state=UpdateState.APPROVED, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )


def _assessment_rank() -> Window:
    """Which update is an assignment's assessment: its updates numbered newest first
    (``_NEWEST``) within the assignment and kind (approved or not); number 1 is the one. The
    one rule the reports' reading (``_latest_updates``) and the page's (``_page_updates``)
    share."""
    return Window(
        RowNumber(),
        partition_by=[F("recommendation_id"), F("institution_id"), _is_approved()],
        order_by=[F("period__start_date").desc(), F("pk").desc()],
    )


def _latest_updates(
    recommendation_ids: Collection[int],
    *,
    until: date | None,
    visible: QuerySet[ProgressUpdate] | None,
    full: bool,
) -> dict[tuple[int, int, bool], ProgressUpdate]:
    """Per assignment (recommendation, institution), its latest approved update (key ``True``)
    and, given the updates a reader may see, its latest one still in the workflow (key
    ``False``); one query for every assignment of the recommendations.

    One window over the recommendations' updates rather than a subquery per assignment and
    column: the updates are numbered newest first (``_NEWEST``) within each assignment and
    kind, and the first of each is kept. ``full`` loads each update with its period (a page
    shows the narrative); otherwise only what a status needs.
    """
    wanted = _approved(until=until)
    if visible is not None:
        wanted |= Q(pk__in=visible.exclude(state=UpdateState.APPROVED).values("pk"))
    updates = (
        ProgressUpdate.objects.filter(wanted, recommendation_id__in=recommendation_ids)
        .annotate(is_approved=_is_approved(), rank=_assessment_rank())
        .filter(rank=1)
        .order_by()
    )
    updates = updates.select_related("period") if full else updates.only(*_STATUS_ONLY)
    return {(u.recommendation_id, u.institution_id, u.is_approved): u for u in updates}


def _assigned(
    recommendation_ids: Collection[int],
    *,
    until: date | None = None,
    visible: QuerySet[ProgressUpdate] | None = None,
    full: bool = False,
) -> list[Assessment]:
    """The institutions assigned to the recommendations now, each with its latest approved
    update and, given the updates a reader may see, its latest other one, in reading order;
    three queries (``_latest_updates``) however many rows.

    Only current assignments count: a withdrawn institution's updates stay in the history
    but no longer speak for the recommendation. With ``until``, only approved updates for
    periods begun by that day count. An institution on many recommendations is loaded once.
    """
    latest = _latest_updates(recommendation_ids, until=until, visible=visible, full=full)
    pairs = list(
        Assignment.objects.filter(recommendation_id__in=recommendation_ids)
        .values_list("recommendation_id", "institution_id", "kind")
        .order_by(*_reading_order())
    )
    institutions = Institution.objects.in_bulk({institution_id for _r, institution_id, _k in pairs})
    assignments = [
        Assessment(
            institution=institutions[institution_id],
            kind=kind,
            approved=latest.get((recommendation_id, institution_id, True)),
            current=latest.get((recommendation_id, institution_id, False)),
            recommendation_id=recommendation_id,
        )
        for recommendation_id, institution_id, kind in pairs
    ]
    return _responsible_first(assignments)


def _reading_order() -> tuple[Any, ...]:
    """The assignments in the order their assessments are read: by institution name in the
    reader's alphabet (``_responsible_first`` then puts the responsible ones first)."""
    return (alphabetical("institution__name"), "pk")


def _responsible_first(assessments: Iterable[Assessment]) -> list[Assessment]:
    """Responsible institutions first: the sort is stable, so each group stays in the order
    of ``_reading_order``."""
    return sorted(assessments, key=lambda a: a.kind != AssignmentKind.RESPONSIBLE)


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
    visible = None if user is None else updates_visible_to(user)
    return _assessments([r.pk for r in recommendations], until=until, visible=visible)


def _assessments(
    ids: Sequence[int], *, until: date | None, visible: QuerySet[ProgressUpdate] | None
) -> dict[int, list[Assessment]]:
    """``recommendation_assessments`` given the updates a reader may see (``visible``)."""
    assessments: dict[int, list[Assessment]] = {pk: [] for pk in ids}
    for a in _assigned(ids, until=until, visible=visible, full=True):
        assessments[a.recommendation_id].append(a)
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
    begun by that day say. Each row carries those assessments, their approved updates read
    for status and period only (never a narrative), so a list that shows each institution's
    standing (the API) needs no second pass. Three queries however many rows.
    """
    recommendations = list(queryset)
    per_recommendation: dict[int, list[Assessment]] = defaultdict(list)
    labels: dict[int, str] = {}  # each institution's label worked out once, not per row
    for a in _assigned([r.pk for r in recommendations], until=until):
        per_recommendation[a.recommendation_id].append(a)
        if a.institution.pk not in labels:
            labels[a.institution.pk] = a.institution.label
    rows = []
    for r in recommendations:
        assessments = per_recommendation[r.pk]
        rows.append(
            RecommendationRow(
                recommendation=r,
                status=assessments_status(assessments),
                assessed_by=sum(1 for a in assessments if a.approved is not None),
                institutions=[a.institution for a in assessments],
                assessments=assessments,
                institution_labels=", ".join(labels[a.institution.pk] for a in assessments),
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
    for a in assignments.order_by(alphabetical("institution__name"), "pk"):
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
    # Institutions in the reader's alphabet (the query's order) within each: the sort is stable.
    return sorted(
        owed,
        key=lambda o: (
            o.period.due_date,
            o.period.pk,
            o.recommendation.recommendation_set_id,
            o.recommendation.number,
        ),
    )


def _recommendations_matching(
    *, q: str, theme: str, institution: int | None, reportable_by: User | None
) -> QuerySet[Recommendation]:
    """The recommendations whose text, theme and assigned institution match the list's
    filters. With ``reportable_by``, each also says whether that user may report on it
    (``reportable``: the gate's rule, ``recommendations_reportable_by``, asked in the same
    query)."""
    queryset = Recommendation.objects.all()
    if reportable_by is not None:
        reportable = recommendations_reportable_by(reportable_by).filter(pk=OuterRef("pk"))
        queryset = queryset.annotate(reportable=Exists(reportable))
    if q:
        queryset = queryset.filter(
            Q(text_en__icontains=q) | Q(text_mk__icontains=q) | Q(text_sq__icontains=q)
        )
    if theme:
        queryset = queryset.filter(themes__slug=theme)
    if institution:
        queryset = queryset.filter(assignments__institution_id=institution)
    return queryset.distinct()


def _status_matches(status: str | None, wanted: str) -> bool:
    """Whether an overall status is the one the list's filter asks for ("none": not yet
    assessed; nothing: any)."""
    if wanted == "none":
        return status is None
    return not wanted or status == wanted


def recommendations_filtered(
    *,
    q: str = "",
    theme: str = "",
    institution: int | None = None,
    status: str = "",
    reportable_by: User | None = None,
) -> list[RecommendationRow]:
    """The recommendations list's rows, filtered as the portal's list filters them, each
    with its assessments (the API's list). With ``reportable_by``, each recommendation also
    says whether that user may report on it."""
    # No themes: the list does not show them; the API reads them for its page alone.
    queryset = _recommendations_matching(
        q=q, theme=theme, institution=institution, reportable_by=reportable_by
    ).select_related("recommendation_set")
    return [r for r in recommendation_rows(queryset=queryset) if _status_matches(r.status, status)]


@dataclass(frozen=True, slots=True)
class ListedRecommendation:
    """A row of the portal's recommendations list: the recommendation (with ``reportable``),
    its overall status and its institutions' labels, as ``recommendation_rows`` gives them."""

    recommendation: Recommendation
    status: str | None
    institution_labels: str

    @property
    def status_label(self) -> str:
        return str(ImplementationStatus(self.status).label) if self.status else ""


def _approved_statuses(recommendation_ids: Collection[int]) -> dict[tuple[int, int], str]:
    """Per assignment (recommendation, institution), the status of its latest approved
    update: ``_latest_updates``'s reading for every reader (``_approved``, ranked by
    ``_assessment_rank``), as plain values instead of an update loaded per assignment."""
    latest = (
        ProgressUpdate.objects.filter(
            _approved(until=None), recommendation_id__in=recommendation_ids
        )
        .annotate(rank=_assessment_rank())
        .filter(rank=1)
        .order_by()
        .values_list("recommendation_id", "institution_id", "status")
    )
    return {
        (recommendation_id, institution_id): s for recommendation_id, institution_id, s in latest
    }


def recommendations_listed(
    *,
    q: str = "",
    theme: str = "",
    institution: int | None = None,
    status: str = "",
    reportable_by: User | None = None,
) -> list[ListedRecommendation]:
    """The portal's recommendations list: ``recommendations_filtered``'s recommendations,
    statuses and labels, read as values (the list shows no assessment). Four queries
    however many rows.

    The same reading as ``_assigned``: the institutions assigned now, in reading order
    (``_reading_order``, responsible ones first), each with its latest approved update's
    status; the least advanced of them is the overall status (``overall_status``).
    ``recommendation_rows`` loads an update and an assessment for each of the hundreds of
    assignments, which cost most of the list's time."""
    recommendations = list(
        _recommendations_matching(
            q=q, theme=theme, institution=institution, reportable_by=reportable_by
        )
    )
    ids = [r.pk for r in recommendations]
    approved = _approved_statuses(ids)
    assigned: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for recommendation_id, institution_id, kind in (
        Assignment.objects.filter(recommendation_id__in=ids)
        .values_list("recommendation_id", "institution_id", "kind")
        .order_by(*_reading_order())
    ):
        assigned[recommendation_id].append((institution_id, kind))
    wanted = {institution_id for pairs in assigned.values() for institution_id, _k in pairs}
    institutions = Institution.objects.filter(pk__in=wanted).only(*_LABEL).order_by()
    labels = {i.pk: i.label for i in institutions}
    rows = []
    for r in recommendations:
        # Responsible institutions first, as ``_responsible_first`` puts them (a stable sort).
        pairs = sorted(assigned[r.pk], key=lambda pair: pair[1] != AssignmentKind.RESPONSIBLE)
        overall = overall_status(approved[(r.pk, i)] for i, _kind in pairs if (r.pk, i) in approved)
        if _status_matches(overall, status):
            labels_shown = ", ".join(labels[i] for i, _kind in pairs)
            rows.append(ListedRecommendation(r, overall, labels_shown))
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
    return _updates_on(recommendation, visible=updates_visible_to(user))


def _updates_on(
    recommendation: Recommendation, *, visible: QuerySet[ProgressUpdate]
) -> QuerySet[ProgressUpdate]:
    """``recommendation_updates`` given the updates the reader may see."""
    return (
        visible.filter(recommendation=recommendation)
        .select_related("institution", "period")
        .annotate(evidence_count=Count("evidence"))
        .order_by(*_UPDATES_ORDER)
    )


# The order of the page's table of updates and of its "Show all": the newest period first,
# institutions in the reader's alphabet.
_UPDATES_ORDER = ("-period__start_date", alphabetical("institution__name"), "pk")


def recommendation_history(
    *, recommendation: Recommendation, user: User
) -> QuerySet[UpdateTransition]:
    """The workflow steps of the updates the user may see on the recommendation, newest first
    (the steps alone: evidence taken off an update is on the update's page)."""
    return _history_on(recommendation, visible=updates_visible_to(user))


def _history_on(
    recommendation: Recommendation, *, visible: QuerySet[ProgressUpdate]
) -> QuerySet[UpdateTransition]:
    """``recommendation_history`` given the updates the reader may see."""
    updates = visible.filter(recommendation=recommendation).values("pk")
    return (
        UpdateTransition.objects.filter(_STEPS, update__in=updates)
        .select_related("update__institution", "update__period", "by")
        .order_by(*_HISTORY_ORDER)
    )


# The history's entries (the workflow steps; the evidence events are on the update's page)
# and their order, newest first: the full list's and the page's (``_newest_steps``).
_STEPS = Q(event=UpdateEvent.STEP)
_HISTORY_ORDER = ("-at", "-pk")


def _studies_and_decisions(
    recommendation: Recommendation, *, listed: bool = False
) -> tuple[list[Any], list[Any]]:
    """The studies and the steering committee's decisions on the recommendation. ``listed``:
    only what the page's lists print (a study's title, status and link, a decision's text
    and its meeting's name), not the long texts (a meeting's minutes in every language)."""
    studies, decisions = _studies_and_decisions_querysets(recommendation, listed=listed)
    return list(studies), list(decisions)


def _studies_and_decisions_querysets(
    recommendation: Recommendation, *, listed: bool
) -> tuple[QuerySet[Any], QuerySet[Decision]]:
    """``_studies_and_decisions``' querysets."""
    studies = recommendation.studies.order_by("title")
    decisions = (
        Decision.objects.filter(recommendations=recommendation)
        .select_related("meeting")
        .order_by("meeting__number", "number")
    )
    if listed:
        studies = studies.only("slug", "title", "status")
        decisions = decisions.only(
            "meeting", "text", "meeting__number", "meeting__date", "meeting__place"
        )
    return studies, decisions


# The page's short lists on the recommendation (its themes, the instruments it cites, and
# ``_studies_and_decisions``' studies and decisions, listed) are read by queries written once
# per process and language (``core.written_queries``), as its long lists are: compiling four
# small querysets, and the gate's prefetching of two, cost more than the database took to
# answer them. Each is Django's own SQL for the queryset on a recommendation with the key
# ``_WRITTEN_KEY``, whose one parameter is then the page's recommendation.
_WRITTEN_KEY = 0


@functools.cache
def _page_lists_sql(language: str) -> tuple[tuple[str, str, Columns], ...]:
    """Each short list's name, its SQL for readers of ``language`` (one parameter: the
    recommendation) and the columns it reads."""
    written = []
    with translation.override(language):
        on = Recommendation(pk=_WRITTEN_KEY)
        studies, decisions = _studies_and_decisions_querysets(on, listed=True)
        lists = {
            "themes": on.themes.all(),
            "instruments": on.instruments.all(),
            "studies": studies,
            "decisions": decisions,
        }
        for name, queryset in lists.items():
            compiler = queryset.query.get_compiler(using=DEFAULT_DB_ALIAS)
            sql, params = compiler.as_sql()
            if tuple(params) != (_WRITTEN_KEY,):
                raise ValueError(f"The page's {name} take more than the recommendation.")
            read: dict[type[Model], list[str]] = {}
            for column, _sql, _alias in compiler.select:
                read.setdefault(column.target.model, []).append(column.target.attname)
            columns = tuple(columns_of(model, names) for model, names in read.items())
            written.append((name, sql, columns))
    return tuple(written)


def _page_lists(recommendation: Recommendation) -> dict[str, list[Any]]:
    """The page's themes, instruments, studies and decisions (each decision with its
    meeting), as their querysets give them."""
    found: dict[str, list[Any]] = {}
    with connection.cursor() as cursor:
        for name, sql, columns in written_once(_page_lists_sql, reader_language()):
            cursor.execute(sql, [recommendation.pk])
            loaded: dict[tuple[type[Model], Any], Model] = {}
            rows = []
            for row in cursor.fetchall():
                instances, _rest = instances_from_row(row, columns, loaded)
                if len(instances) > 1:  # a decision and its meeting
                    _DECISION_MEETING.set_cached_value(instances[0], instances[1])
                rows.append(instances[0])
            found[name] = rows
    return found


_DECISION_MEETING: Any = Decision._meta.get_field("meeting")


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
# programme has hundreds of updates, workflow steps and trainings. Each institution's latest
# update only: its approved assessment is beside it above, and "Show all" pages the rest.
UPDATES_PER_INSTITUTION = 1
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
    themes: list[Any]
    instruments: list[Any]

    @property
    def status(self) -> str | None:
        return assessments_status(self.assessments)

    @property
    def status_label(self) -> str:
        return str(ImplementationStatus(self.status).label) if self.status else ""


# An institution's label: every language's column of its (translated) name and short name,
# since the label falls back.
_LABEL = tuple(f"{f}_{code}" for f in ("name", "short_name") for code, _n in settings.LANGUAGES)


def recommendation_summary(*, recommendation: Recommendation, user: User) -> RecommendationSummary:
    """What the user may see that bears on one recommendation, the long lists cut to their
    latest entries; a fixed number of queries however many there are.

    The updates the user may see are worked out once (the gate's condition,
    ``updates_visible_sql``) and read by each list, rather than asked of the gate by each.
    """
    visible = updates_visible_sql(user)
    updates = _page_updates(recommendation, visible=visible)
    latest = [u for u in updates if u.rank <= UPDATES_PER_INSTITUTION]  # type: ignore[attr-defined]
    assessed = {
        (u.institution_id, u.is_approved): u  # type: ignore[attr-defined]
        for u in updates
        if u.assessment_rank == 1  # type: ignore[attr-defined]
    }
    # The workflow steps are counted with the keys of the newest (``_newest_steps``); the
    # trainings are few and counted in the query that reads them (a window is computed
    # before the limit).
    history, history_count = _newest_steps(recommendation, visible=visible)
    trainings: list[Any] = list(
        recommendation_trainings(recommendation=recommendation, user=user).annotate(
            total=Window(Count("pk"))
        )[:TRAININGS_SHOWN]
    )
    lists = _page_lists(recommendation)
    return RecommendationSummary(
        recommendation=recommendation,
        assessments=_page_assessments(recommendation, assessed=assessed),
        updates=latest,
        update_count=_total(updates),
        history=history,
        history_count=history_count,
        trainings=trainings,
        training_count=_total(trainings),
        studies=lists["studies"],
        decisions=lists["decisions"],
        themes=lists["themes"],
        instruments=lists["instruments"],
    )


def _institution_rank() -> Window:
    """Which updates are an institution's latest on the page's table: its updates numbered
    newest first (``_NEWEST``)."""
    return Window(
        RowNumber(),
        partition_by=[F("institution_id")],
        order_by=[F("period__start_date").desc(), F("pk").desc()],
    )


# The page's updates, its history and its assigned institutions are read by raw queries
# written once per process and language (``core.written_queries``): Django compiles a query
# filtered on a window twice, and turning the page's queries into SQL was most of the time it
# spent on SQL. Their parts still come from their one definition each, compiled here by Django:
# the permission gate's condition (``updates_visible_sql``, once per request),
# ``_institution_rank``, ``_is_approved``, ``_assessment_rank``, the lists' orders (in the
# reader's alphabet) and the history's entries; the cut is the ``QUALIFY`` Django would
# write. Each row is loaded as the models' instances, as a queryset with ``only`` and
# ``select_related`` would give them, each institution and period once.

# What the page reads of an update: a row of its table (its period's name, its institution's
# label, status and workflow state), or an assessment's card, which also prints the
# narrative. Fewer columns are fewer to carry through the windows and load.
_PAGE_COLUMNS: Columns = (
    columns_of(
        ProgressUpdate,
        ("id", "recommendation_id", "institution_id", "period_id", "status", "state", "narrative"),
    ),
    columns_of(Institution, ("id", *_LABEL)),
    columns_of(ReportingPeriod, ("id", "name", "start_date")),
)


@functools.cache
def _page_updates_sql(language: str) -> tuple[str, tuple[Any, ...]]:
    """``_page_updates``'s query for readers of ``language`` and the parameters of its
    windows and order; the recommendation, the gate's condition (``%(visible)s``, put in by
    the caller) and the cut come after."""
    query = (
        ProgressUpdate.objects.annotate(
            rank=_institution_rank(),
            is_approved=_is_approved(),
            assessment_rank=_assessment_rank(),
        )
        .order_by(*_UPDATES_ORDER)
        .query
    )
    compiler = query.get_compiler(using=DEFAULT_DB_ALIAS)
    quote = connection.ops.quote_name
    params: list[Any] = []
    windows = []
    for name in ("rank", "is_approved", "assessment_rank"):
        sql, window_params = compiler.compile(query.annotations[name])
        windows.append(f"{sql} AS {quote(name)}")
        params += window_params
    order, order_params = order_by_sql(compiler, language)
    params += order_params
    update, institution, period, evidence = (
        quote(m._meta.db_table) for m in (ProgressUpdate, Institution, ReportingPeriod, Evidence)
    )
    sql = (
        f"SELECT ranked.*, (SELECT COUNT(*) FROM {evidence}"  # noqa: S608 - names, not values
        f" WHERE {evidence}.update_id = ranked.c0) FROM"
        f" (SELECT {select_sql(_PAGE_COLUMNS)}, {', '.join(windows)}, COUNT(*) OVER () AS total,"
        f" ROW_NUMBER() OVER (ORDER BY {order}) AS position"
        f" FROM {update} INNER JOIN {institution} ON ({update}.institution_id = {institution}.id)"
        f" INNER JOIN {period} ON ({update}.period_id = {period}.id)"
        f" WHERE {update}.recommendation_id = %s AND %(visible)s) ranked"
        " WHERE ranked.rank <= %s OR ranked.assessment_rank = 1 ORDER BY ranked.position"
    )
    return sql, tuple(params)


def _page_updates(
    recommendation: Recommendation, *, visible: tuple[str, list[Any]]
) -> list[ProgressUpdate]:
    """The updates of the page's table and of its assessments' cards, in one query.

    Of the updates the user may see (``visible``: ``updates_visible_sql``), each
    institution's latest ``UPDATES_PER_INSTITUTION`` (``rank``, in the table's order) and each
    assignment's latest approved update and latest other one (``assessment_rank`` 1: the rule
    ``_assigned`` follows, whose approved updates every signed-in reader sees); each counts
    its evidence, and ``total`` is how many the user may see in all, counted before the cut.
    One window query instead of one for the table and one for the assessments: an
    institution's latest update is also one of its assessments, so the two cuts share most
    of their rows.
    """
    template, window_params = written_once(_page_updates_sql, reader_language())
    condition, visible_params = visible
    with connection.cursor() as cursor:
        cursor.execute(
            template.replace("%(visible)s", f"({condition})"),
            [*window_params, recommendation.pk, *visible_params, UPDATES_PER_INSTITUTION],
        )
        rows = cursor.fetchall()
    loaded: dict[tuple[type[Model], Any], Model] = {}
    updates = []
    for row in rows:
        (update, institution, period), values = instances_from_row(row, _PAGE_COLUMNS, loaded)
        _UPDATE_INSTITUTION.set_cached_value(update, institution)
        _UPDATE_PERIOD.set_cached_value(update, period)
        rank, is_approved, assessment_rank, total, _position, evidence_count = values
        update.rank = rank
        update.is_approved = is_approved
        update.assessment_rank = assessment_rank
        update.total = total
        update.evidence_count = evidence_count
        updates.append(update)
    return updates


_UPDATE_INSTITUTION: Any = ProgressUpdate._meta.get_field("institution")
_UPDATE_PERIOD: Any = ProgressUpdate._meta.get_field("period")
_STEP_UPDATE: Any = UpdateTransition._meta.get_field("update")
_STEP_BY: Any = UpdateTransition._meta.get_field("by")

# What the history shows of a step: who moved its update from which state to which, when,
# with which comment; of its update, the institution's label and the period's name.
_STEP_COLUMNS: Columns = (
    columns_of(
        UpdateTransition,
        ("id", "update_id", "from_state", "to_state", "status", "by_id", "at", "comment"),
    ),
    columns_of(ProgressUpdate, ("id", "institution_id", "period_id")),
    columns_of(Institution, ("id", *_LABEL)),
    columns_of(ReportingPeriod, ("id", "name", "start_date")),
    columns_of(User, ("id", "username", "first_name", "last_name")),
)


@functools.cache
def _newest_steps_sql() -> tuple[str, tuple[Any, ...], tuple[Any, ...]]:
    """``_newest_steps``' query, the parameters of its entries' condition and of its order;
    the recommendation and the gate's condition (``%(visible)s``, put in by the caller)
    follow the condition's, the cut the first order's."""
    query = UpdateTransition.objects.filter(_STEPS).order_by(*_HISTORY_ORDER).query
    compiler = query.get_compiler(using=DEFAULT_DB_ALIAS)
    steps, params = compiler.compile(query.where)
    order, order_params = order_by_sql(compiler, settings.LANGUAGE_CODE)
    quote = connection.ops.quote_name
    step, update, institution, period, user = (
        quote(m._meta.db_table)
        for m in (UpdateTransition, ProgressUpdate, Institution, ReportingPeriod, User)
    )
    sql = (
        f"SELECT {select_sql(_STEP_COLUMNS)}, newest.total"  # noqa: S608 - names, not values
        f" FROM (SELECT {step}.id, COUNT(*) OVER () AS total FROM {step}"
        f" INNER JOIN {update} ON ({step}.update_id = {update}.id)"
        f" WHERE {steps} AND {update}.recommendation_id = %s AND %(visible)s"
        f" ORDER BY {order} LIMIT %s) newest"
        f" INNER JOIN {step} ON ({step}.id = newest.id)"
        f" INNER JOIN {update} ON ({step}.update_id = {update}.id)"
        f" INNER JOIN {institution} ON ({update}.institution_id = {institution}.id)"
        f" INNER JOIN {period} ON ({update}.period_id = {period}.id)"
        f" LEFT OUTER JOIN {user} ON ({step}.by_id = {user}.id)"
        f" ORDER BY {order}"
    )
    return sql, tuple(params), tuple(order_params)


def _newest_steps(
    recommendation: Recommendation, *, visible: tuple[str, list[Any]]
) -> tuple[list[UpdateTransition], int]:
    """The ``HISTORY_SHOWN`` newest entries of ``recommendation_history`` for a reader who
    sees the updates ``visible`` (``updates_visible_sql``), and how many there are in all, in
    one query.

    The keys are cut and counted first (a window over the keys alone), and only the cut is
    joined to its update, institution, period and author: a join before the cut carried
    every step's columns through the sort (measured slower), and a count of its own scanned
    the steps a second time. The updates' long texts are never read for the history.
    """
    template, step_params, order_params = written_once(_newest_steps_sql)
    condition, visible_params = visible
    with connection.cursor() as cursor:
        cursor.execute(
            template.replace("%(visible)s", f"({condition})"),
            [
                *step_params,
                recommendation.pk,
                *visible_params,
                *order_params,
                HISTORY_SHOWN,
                *order_params,
            ],
        )
        rows = cursor.fetchall()
    loaded: dict[tuple[type[Model], Any], Model] = {}
    steps = []
    for row in rows:
        (step, update, institution, period, by), _total = instances_from_row(
            row, _STEP_COLUMNS, loaded
        )
        _UPDATE_INSTITUTION.set_cached_value(update, institution)
        _UPDATE_PERIOD.set_cached_value(update, period)
        _STEP_UPDATE.set_cached_value(step, update)
        _STEP_BY.set_cached_value(step, by)
        steps.append(step)
    return steps, (rows[0][-1] if rows else 0)


# What the page reads of an assigned institution: its label and kind, and the assignment's.
_ASSIGNED_COLUMNS: Columns = (columns_of(Institution, ("id", "kind", *_LABEL)),)


@functools.cache
def _page_assessments_sql(language: str) -> tuple[str, tuple[Any, ...]]:
    """``_page_assessments``' query for readers of ``language`` and the parameters of its
    order (``_reading_order``), which follow the recommendation's."""
    query = Assignment.objects.order_by(*_reading_order()).query
    compiler = query.get_compiler(using=DEFAULT_DB_ALIAS)
    order, params = order_by_sql(compiler, language)
    quote = connection.ops.quote_name
    assignment, institution = (quote(m._meta.db_table) for m in (Assignment, Institution))
    sql = (
        f"SELECT {select_sql(_ASSIGNED_COLUMNS)}, {assignment}.kind"  # noqa: S608 - names
        f" FROM {assignment}"
        f" INNER JOIN {institution} ON ({assignment}.institution_id = {institution}.id)"
        f" WHERE {assignment}.recommendation_id = %s ORDER BY {order}"
    )
    return sql, tuple(params)


def _page_assessments(
    recommendation: Recommendation, *, assessed: dict[tuple[int, bool], ProgressUpdate]
) -> list[Assessment]:
    """The page's assessments: ``_assigned`` for one recommendation, its updates already
    read (``assessed``, by institution and whether approved) and each institution loaded
    with its assignment, only what its label and kind need (a query written once, as the
    page's other long lists are)."""
    template, order_params = written_once(_page_assessments_sql, reader_language())
    with connection.cursor() as cursor:
        cursor.execute(template, [recommendation.pk, *order_params])
        rows = cursor.fetchall()
    loaded: dict[tuple[type[Model], Any], Model] = {}
    assessments = []
    for row in rows:
        (institution,), (kind,) = instances_from_row(row, _ASSIGNED_COLUMNS, loaded)
        assessments.append(
            Assessment(
                institution=institution,
                kind=kind,
                approved=assessed.get((institution.pk, True)),
                current=assessed.get((institution.pk, False)),
                recommendation_id=recommendation.pk,
            )
        )
    return _responsible_first(assessments)


def _total(rows: Sequence[Any]) -> int:
    """How many rows there are in all, as the window ``total`` of the first row read says."""
    return int(getattr(rows[0], "total", 0)) if rows else 0


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


# --- The review queue ------------------------------------------------------------------------
#
# What waits for the programme team's review, progress updates and reported indicator values
# in one list, the longest waiting first. The list pages through keys (kind, pk, submitted_at)
# of both kinds in one query; the page's records are then loaded, two queries whatever the
# number of rows.

REVIEW_UPDATE = "update"
REVIEW_VALUE = "value"
REVIEW_KINDS = (REVIEW_UPDATE, REVIEW_VALUE)


@dataclass(frozen=True)
class ReviewItem:
    """A progress update or a reported indicator value in the review queue (``update`` or
    ``value`` is None when the record no longer exists)."""

    kind: str  # REVIEW_UPDATE or REVIEW_VALUE
    pk: int
    update: ProgressUpdate | None = None
    value: IndicatorValue | None = None
    # Whole days since it was submitted, as the queue's rows count them (``review_queue``).
    waiting_days: int | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.pk}"

    @property
    def record(self) -> ProgressUpdate | IndicatorValue | None:
        return self.update if self.kind == REVIEW_UPDATE else self.value

    @property
    def exists(self) -> bool:
        return self.record is not None

    @property
    def is_update(self) -> bool:
        return self.kind == REVIEW_UPDATE

    @property
    def institution(self) -> Institution | None:
        if self.update is not None:
            return self.update.institution
        if self.value is not None:
            return self.value.indicator.responsible
        return None

    @property
    def period(self) -> ReportingPeriod | None:
        record = self.record
        return record.period if record is not None else None

    @property
    def submitted_at(self) -> datetime | None:
        record = self.record
        return record.submitted_at if record is not None else None

    @property
    def is_waiting(self) -> bool:
        """Whether it still waits for review (a list of chosen items may hold others)."""
        if self.update is not None:
            return self.update.state == UpdateState.SUBMITTED
        return self.value is not None and self.value.state == ValueState.SUBMITTED

    @property
    def state_label(self) -> str:
        record = self.record
        return str(record.get_state_display()) if record is not None else ""


def review_queue(
    *,
    now: datetime,
    kind: str = "",
    institution_id: int | None = None,
    recommendation_id: int | None = None,
    period_id: int | None = None,
    waiting_more_than: int | None = None,
) -> QuerySet[Any]:
    """Every submitted progress update and reported indicator value, as rows ``kind``, ``pk``,
    ``submitted_at`` and ``waiting`` (how long it has waited: whole days since the day it was
    submitted, in the platform's calendar, counted by the database), the oldest submission
    first: one query for a page, one to count.

    Filters: the kind, the institution that reports (an indicator's responsible one), the
    recommendation (indicator values have none, so they drop out), the reporting period, and
    submitted more than ``waiting_more_than`` days before ``now``.
    """
    parts: list[QuerySet[Any]] = []
    columns = ("kind", "pk", "submitted_at", "waiting")
    # Calendar days: the submission's date where the platform is (TruncDate's time zone is the
    # current one), subtracted from today's there.
    waiting = Value(timezone.localdate(now), output_field=DateField()) - TruncDate("submitted_at")
    if kind in ("", REVIEW_UPDATE):
        updates = ProgressUpdate.objects.filter(state=UpdateState.SUBMITTED)
        if institution_id is not None:
            updates = updates.filter(institution_id=institution_id)
        if recommendation_id is not None:
            updates = updates.filter(recommendation_id=recommendation_id)
        if period_id is not None:
            updates = updates.filter(period_id=period_id)
        if waiting_more_than is not None:
            updates = updates.filter(submitted_at__lt=now - timedelta(days=waiting_more_than))
        parts.append(
            updates.order_by()
            .annotate(kind=Value(REVIEW_UPDATE, output_field=CharField()), waiting=waiting)
            .values(*columns)
        )
    if kind in ("", REVIEW_VALUE) and recommendation_id is None:
        # The values the programme team reviews: the same rule as its dashboard.
        values = indicator_values_to_review()
        if institution_id is not None:
            values = values.filter(indicator__responsible_id=institution_id)
        if period_id is not None:
            values = values.filter(period_id=period_id)
        if waiting_more_than is not None:
            values = values.filter(submitted_at__lt=now - timedelta(days=waiting_more_than))
        parts.append(
            values.order_by()
            .annotate(kind=Value(REVIEW_VALUE, output_field=CharField()), waiting=waiting)
            .values(*columns)
        )
    if not parts:
        return ProgressUpdate.objects.none().values("pk")
    combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return combined.order_by("submitted_at", "kind", "pk")


# The long texts a row of the queue does not show: left unread, a page's updates load faster
# (the recommendation's text in three languages is not read for its number).
_QUEUE_UNSHOWN = (
    "narrative",
    "reviewer_comment",
    "recommendation__text",
    "recommendation__text_en",
    "recommendation__text_mk",
    "recommendation__text_sq",
)


def review_items(
    *,
    keys: Iterable[tuple[str, int]],
    waiting: dict[tuple[str, int], int] | None = None,
    for_queue: bool = False,
) -> list[ReviewItem]:
    """The updates and values named by (kind, pk), loaded with what the queue shows, in the
    keys' order; two queries however many. A key whose record is gone gives an item without
    one, so a page can say so. ``waiting``: the days each has waited, from the queue's rows;
    ``for_queue``: the updates without the long texts the queue's rows do not show (not for
    a service to change them)."""
    wanted = list(dict.fromkeys(keys))
    waiting = waiting or {}
    update_ids = [pk for kind, pk in wanted if kind == REVIEW_UPDATE]
    value_ids = [pk for kind, pk in wanted if kind == REVIEW_VALUE]
    update_records = (
        ProgressUpdate.objects.select_related("recommendation", "institution", "period").defer(
            *_QUEUE_UNSHOWN
        )
        if for_queue
        else ProgressUpdate.objects.select_related(
            "recommendation__recommendation_set", "institution", "period"
        )
    )
    updates = update_records.in_bulk(update_ids) if update_ids else {}
    values = (
        IndicatorValue.objects.filter(indicator__kind=IndicatorKind.REPORTED)
        .select_related("indicator__responsible", "period")
        .in_bulk(value_ids)
        if value_ids
        else {}
    )
    return [
        ReviewItem(
            kind=kind,
            pk=pk,
            update=updates.get(pk) if kind == REVIEW_UPDATE else None,
            value=values.get(pk) if kind == REVIEW_VALUE else None,
            waiting_days=waiting.get((kind, pk)),
        )
        for kind, pk in wanted
    ]


def review_page_items(*, rows: Iterable[dict[str, Any]]) -> list[ReviewItem]:
    """``review_items`` for a page of ``review_queue`` rows, with the days each has waited."""
    rows = list(rows)
    return review_items(
        keys=[(row["kind"], row["pk"]) for row in rows],
        waiting={
            (row["kind"], row["pk"]): row["waiting"].days
            for row in rows
            if row["waiting"] is not None
        },
        for_queue=True,
    )


def review_next(*, now: datetime, skip: tuple[str, int] | None = None) -> ReviewItem | None:
    """The item that has waited longest, other than ``skip`` (the one just looked at)."""
    for row in review_queue(now=now)[:2]:
        if (row["kind"], row["pk"]) != skip:
            return review_items(keys=[(row["kind"], row["pk"])])[0]
    return None


def review_waiting_count(*, now: datetime) -> int:
    """How many updates and values wait for review (the header's count): one query."""
    return review_queue(now=now).count()


# --- My institution's updates ----------------------------------------------------------------


def institution_updates(*, user: User) -> QuerySet[ProgressUpdate]:
    """Every progress update of the institutions the user is a member of (members read all
    of their own), the latest period first."""
    persona = persona_for(user)
    return (
        updates_visible_to(user)
        .filter(institution_id__in=persona.member_of)
        .select_related("recommendation__recommendation_set", "institution", "period")
        .order_by(
            "-period__start_date",
            "recommendation__number",
            alphabetical("institution__name"),
            "pk",
        )
    )


def updates_not_started(*, user: User, today: date) -> list[OwedUpdate]:
    """What the user's institutions owe for the open periods and have not begun to write
    (``updates_owed``: the rule of the reminders and the dashboard)."""
    persona = persona_for(user)
    if not persona.member_of:
        return []
    return [
        owed
        for owed in updates_owed(today=today, institution_ids=persona.member_of)
        if owed.update is None
    ]


def update_next_step(update: ProgressUpdate) -> str:
    """What happens next to an update, in words its institution reads."""
    if update.state == UpdateState.SUBMITTED:
        if update.submitted_at is None:
            return _("Waiting for review")
        since = date_format(timezone.localtime(update.submitted_at).date(), "DATE_FORMAT")
        return _("Waiting for review since %(date)s") % {"date": since}
    if update.state == UpdateState.RETURNED:
        return _("Returned: revise and resubmit")
    if update.state == UpdateState.APPROVED:
        return _("Approved")
    return _("Write and submit")
