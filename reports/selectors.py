"""What each PDF report holds, assembled from the apps' own selectors.

Each function takes what the report is about (and, where the content depends on it, the
user who asked) and returns plain data for the report's template; none of them writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from django.db.models import QuerySet

from core.collation import alphabetical
from dashboard.selectors import ActionOverview, Glance, action_overview, programme_glance
from programme.calculations import EMPTY, Ask, Calculation, Measure, Span, span_q
from programme.models import Action, Meeting, ReportingPeriod
from programme.results import IndicatorFigures, OutcomeFigures, PeriodFigure, framework_figures
from programme.selectors import MeetingRecord, meeting_latest, meeting_record
from recommendations.models import Evidence, ProgressUpdate, Recommendation
from recommendations.selectors import (
    Assessment,
    RecommendationEvidence,
    RecommendationRow,
    recommendation_assessments,
    recommendation_evidence,
    recommendation_rows,
)
from reports.choices import ReportKind, ReportStatus
from reports.models import Report
from reports.permissions import reports_visible_to
from research.models import Study
from research.selectors import PipelineColumn, studies_pipeline
from stakeholders.models import Institution, User
from trainings.calculations import (
    PARTICIPANTS_TRAINED,
    SCORE_GAIN,
    TRAININGS_HELD,
    attendance_counted,
    trainings_counted,
)
from trainings.models import Attendance, Topic, Training
from trainings.selectors import (
    TrainingFigures,
    TrainingRecord,
    participants_by_group,
    training_record,
    trainings_with_figures,
)


def reports_listed(*, queryset: QuerySet[Report]) -> QuerySet[Report]:
    """Reports for a list page, newest first, with what each row names joined."""
    return queryset.select_related(
        "requested_by", "period", "recommendation", "training", "meeting"
    ).order_by("-created_at", "-pk")


def committee_report_latest(user: User) -> tuple[str, str] | None:
    """The newest finished steering-committee report the user may open: its URL and name
    (the dashboard links to it)."""
    report = (
        reports_visible_to(user)
        .filter(kind=ReportKind.COMMITTEE, status=ReportStatus.DONE)
        .select_related("period")
        .order_by("-period__end_date", "-created_at", "-pk")
        .first()
    )
    if report is None:
        return None
    return report.get_absolute_url(), report.subject


def demo_data_present() -> bool:
    """Whether demo records exist, so a report can say it may include them."""
    return Institution.objects.filter(is_demo=True).exists()


# --- The steering committee's progress report -------------------------------------------------


@dataclass(frozen=True)
class RecommendationStanding:
    """A recommendation's overall status and each assigned institution's latest assessment."""

    row: RecommendationRow
    assessments: list[Assessment]


@dataclass(frozen=True)
class IndicatorLine:
    """An indicator of the results framework as the report shows it for its period."""

    figures: IndicatorFigures
    now: PeriodFigure | None  # the report's period


@dataclass(frozen=True)
class FrameworkGroup:
    """Indicators under one heading: an outcome's own, or an output's."""

    code: str
    title: str
    is_output: bool
    lines: list[IndicatorLine]


@dataclass(frozen=True)
class FrameworkOutcome:
    outcome_code: str
    outcome_title: str
    groups: list[FrameworkGroup]

    @property
    def lines(self) -> list[IndicatorLine]:
        return [line for group in self.groups for line in group.lines]


@dataclass(frozen=True)
class TrainingTotals:
    """The period's and the action's training figures, from the computed indicators' own
    calculations (``trainings.calculations``) without settings: the same numbers as an
    indicator counting every training and every person."""

    held: Measure  # trainings held that started in the period
    held_to_date: Measure  # since the start of the action, to the end of the period
    trained: Measure  # distinct people who completed a held training, by sex
    trained_to_date: Measure
    gain: Measure  # their average test score gain in the period


@dataclass(frozen=True)
class TopicLine:
    """A topic's trainings, people trained and score gain in the period, each measured by the
    calculation an indicator limited to that topic uses."""

    topic: Topic
    trainings: Measure
    trained: Measure
    gain: Measure


@dataclass(frozen=True)
class CommitteeReport:
    action: Action
    period: ReportingPeriod
    overview: ActionOverview  # to the end of the period
    glance: Glance  # to the end of the period
    framework: list[FrameworkOutcome]
    totals: TrainingTotals
    trainings: list[TrainingFigures]  # held in the period
    by_group: list[tuple[str, int, int, int]]  # people trained in the period
    by_topic: list[TopicLine]
    pipeline: list[PipelineColumn]
    studies: list[Study]
    recommendations: list[RecommendationStanding]
    meeting: MeetingRecord | None  # the last meeting held by the end of the period


def _measured(
    calculation: Calculation,
    *,
    action: Action,
    spans: Sequence[Span],
    parameters: dict[int, dict[str, object]] | None = None,
) -> dict[tuple[int, Span], Measure]:
    """A calculation asked as indicators ask it: once for every setting (keyed 0 with none)
    and every span, in its one query."""
    settings = parameters if parameters is not None else {0: {}}
    asks = [Ask(indicator=k, action=action.pk, parameters=v) for k, v in settings.items()]
    return calculation.measure(asks, spans) if asks else {}


def training_totals(*, action: Action, period: ReportingPeriod) -> TrainingTotals:
    """Trainings held and people trained in the period and to its end, and their score
    gain in the period: three queries."""
    span, whole = Span(period.start_date, period.end_date), Span(None, period.end_date)
    held = _measured(TRAININGS_HELD, action=action, spans=[span, whole])
    trained = _measured(PARTICIPANTS_TRAINED, action=action, spans=[span, whole])
    gain = _measured(SCORE_GAIN, action=action, spans=[span])
    return TrainingTotals(
        held=held.get((0, span), EMPTY),
        held_to_date=held.get((0, whole), EMPTY),
        trained=trained.get((0, span), EMPTY),
        trained_to_date=trained.get((0, whole), EMPTY),
        gain=gain.get((0, span), EMPTY),
    )


def topics_measured(*, action: Action, period: ReportingPeriod) -> list[TopicLine]:
    """Each topic of the period's held trainings, most people trained first: one query per
    calculation, every topic asked at once."""
    span = Span(period.start_date, period.end_date)
    held = trainings_counted(action_id=action.pk, parameters={}).filter(span_q("start_date", span))
    # By name in the reader's alphabet; the sort below keeps that order among equals.
    topics = list(
        Topic.objects.filter(trainings__in=held).distinct().order_by(alphabetical("name"), "pk")
    )
    settings: dict[int, dict[str, object]] = {t.pk: {"topics": [t.pk]} for t in topics}
    trainings = _measured(TRAININGS_HELD, action=action, spans=[span], parameters=settings)
    trained = _measured(PARTICIPANTS_TRAINED, action=action, spans=[span], parameters=settings)
    gains = _measured(SCORE_GAIN, action=action, spans=[span], parameters=settings)
    lines = [
        TopicLine(
            topic=t,
            trainings=trainings.get((t.pk, span), EMPTY),
            trained=trained.get((t.pk, span), EMPTY),
            gain=gains.get((t.pk, span), EMPTY),
        )
        for t in topics
    ]
    # Most people first, then by name in the reader's alphabet.
    return sorted(lines, key=lambda line: -(line.trained.total or 0))


def framework_for_period(*, period: ReportingPeriod) -> list[FrameworkOutcome]:
    """The results framework as it stood at the end of the period (``framework_figures``,
    judged at the period): every indicator with its line for the period."""
    blocks: list[OutcomeFigures] = framework_figures(
        action=period.action, at=period, until=period.end_date
    )

    def lines(figures: list[IndicatorFigures]) -> list[IndicatorLine]:
        return [IndicatorLine(figures=f, now=f.period(period)) for f in figures]

    framework = []
    for block in blocks:
        groups = [FrameworkGroup("", "", False, lines(block.outcome_level))]
        groups += [
            FrameworkGroup(output.code, output.title, True, lines(output.indicators))
            for output in block.outputs
            if output.indicators
        ]
        framework.append(
            FrameworkOutcome(
                outcome_code=block.outcome.code,
                outcome_title=block.outcome.title,
                groups=[g for g in groups if g.lines],
            )
        )
    return framework


def committee_report(*, period: ReportingPeriod) -> CommitteeReport:
    """The progress report for one period, the same for every reader allowed to ask for it.

    Indicators are as ``framework_figures`` gives them at the end of the period (a closed
    period's values as frozen). The training figures are the computed indicators' own
    calculations, so the report agrees with the framework. The recommendations' standing is
    what the approved updates for periods begun by its end say; the research pipeline and
    the action points are as they stand when the report is made.
    """
    action = period.action
    until = period.end_date
    span = Span(period.start_date, until)
    held = trainings_counted(action_id=action.pk, parameters={}).filter(span_q("start_date", span))
    trained = attendance_counted(action_id=action.pk, parameters={}).filter(
        span_q("training__start_date", span)
    )
    recommendations = Recommendation.objects.order_by("number")
    rows = recommendation_rows(queryset=recommendations, until=until)
    assessments = recommendation_assessments(
        recommendations=[r.recommendation for r in rows], until=until
    )
    studies = Study.objects.filter(action=action)
    latest = meeting_latest(action=action, on=until)
    return CommitteeReport(
        action=action,
        period=period,
        overview=action_overview(action=action, until=until),
        glance=programme_glance(action=action, until=until),
        framework=framework_for_period(period=period),
        totals=training_totals(action=action, period=period),
        trainings=trainings_with_figures(trainings=held),
        by_group=participants_by_group(attendance=trained),
        by_topic=topics_measured(action=action, period=period),
        pipeline=studies_pipeline(queryset=studies),
        studies=list(studies.select_related("contractor").order_by(alphabetical("title"), "pk")),
        recommendations=[
            RecommendationStanding(row=row, assessments=assessments[row.recommendation.pk])
            for row in rows
        ],
        meeting=meeting_report(meeting=latest) if latest is not None else None,
    )


# --- Recommendation implementation report ------------------------------------------------------


@dataclass(frozen=True)
class RecommendationDossier:
    """One recommendation with everything the reader may see that bears on it."""

    row: RecommendationRow
    evidence: RecommendationEvidence
    updates: list[tuple[ProgressUpdate, list[Evidence]]]  # each with its evidence items

    @property
    def evidence_total(self) -> int:
        return sum(len(items) for _update, items in self.updates)


def recommendation_report(
    *, recommendation: Recommendation | None, user: User
) -> list[RecommendationDossier]:
    """One recommendation, or all of them, as the user may see them."""
    queryset = Recommendation.objects.order_by("number").prefetch_related("themes", "instruments")
    if recommendation is not None:
        queryset = queryset.filter(pk=recommendation.pk)
    rows = recommendation_rows(queryset=queryset)
    dossiers = [
        (row, recommendation_evidence(recommendation=row.recommendation, user=user)) for row in rows
    ]
    files: dict[int, list[Evidence]] = defaultdict(list)
    update_ids = [u.pk for _row, evidence in dossiers for u in evidence.updates]
    for item in Evidence.objects.filter(update_id__in=update_ids).order_by("pk"):
        files[item.update_id].append(item)
    return [
        RecommendationDossier(
            row=row,
            evidence=evidence,
            updates=[(update, files[update.pk]) for update in evidence.updates],
        )
        for row, evidence in dossiers
    ]


# --- Training report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceLine:
    """A participant's line in a training report: named only as permitted."""

    number: int
    name: str | None  # None: not named in the report
    attendance: Attendance


@dataclass(frozen=True)
class TrainingReport:
    record: TrainingRecord
    lines: list[AttendanceLine]
    named: int
    unnamed: int


def training_report(*, training: Training, names_permitted: bool) -> TrainingReport:
    """A training with its participants, results and evaluation.

    A participant is named only when the reader may see the names and the participant
    consented, at this training, to their details being kept (``Attendance.names_participant``,
    the rule the training's page and export follow too); everyone else is a numbered line.
    """
    record = training_record(training=training)
    lines = [
        AttendanceLine(
            number=index,
            name=a.participant.full_name if names_permitted and a.names_participant else None,
            attendance=a,
        )
        for index, a in enumerate(record.attendance, start=1)
    ]
    named = sum(1 for line in lines if line.name is not None)
    return TrainingReport(record=record, lines=lines, named=named, unnamed=len(lines) - named)


# --- Meeting record ----------------------------------------------------------------------------


def meeting_report(*, meeting: Meeting) -> MeetingRecord:
    """The meeting's record, the institutions that attended by name in the reader's alphabet
    (the report's language, active while it is written)."""
    record = meeting_record(meeting=meeting)
    attendance = meeting.attendance.select_related("institution").order_by(
        alphabetical("institution__name"), "pk"
    )
    return replace(record, attendance=list(attendance))
