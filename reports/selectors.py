"""What each PDF report holds, assembled from the apps' own selectors.

Each function takes what the report is about (and, where the content depends on it, the
user who asked) and returns plain data for the report's template; none of them writes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from dashboard.selectors import ActionOverview, Glance, action_overview, programme_glance
from programme.models import Action, Meeting, ReportingPeriod
from programme.selectors import (
    MeetingRecord,
    OutcomeBlock,
    meeting_latest,
    meeting_record,
    results_framework,
)
from recommendations.models import Evidence, ProgressUpdate, Recommendation
from recommendations.selectors import (
    Assessment,
    RecommendationEvidence,
    RecommendationRow,
    recommendation_assessments,
    recommendation_evidence,
    recommendation_rows,
)
from reports.models import Report
from research.models import Study
from research.selectors import PipelineColumn, studies_pipeline
from stakeholders.choices import Sex
from stakeholders.models import Institution, User
from trainings.models import Attendance, Training
from trainings.selectors import (
    TopicFigures,
    TrainingFigures,
    TrainingRecord,
    participants_by_group,
    participants_by_topic,
    training_record,
    trainings_held,
    trainings_with_figures,
)


def reports_listed(*, queryset: QuerySet[Report]) -> QuerySet[Report]:
    """Reports for a list page, newest first, with what each row names joined."""
    return queryset.select_related(
        "requested_by", "period", "recommendation", "training", "meeting"
    ).order_by("-created_at", "-pk")


def demo_data_present() -> bool:
    """Whether demo records exist, so a report can say it may include them."""
    return Institution.objects.filter(is_demo=True).exists()


# --- The steering committee's progress report -------------------------------------------------


@dataclass(frozen=True)
class Headcount:
    """Distinct people, by sex."""

    total: int
    women: int
    men: int


@dataclass(frozen=True)
class RecommendationStanding:
    """A recommendation's overall status and each assigned institution's latest assessment."""

    row: RecommendationRow
    assessments: list[Assessment]


@dataclass(frozen=True)
class CommitteeReport:
    action: Action
    period: ReportingPeriod
    overview: ActionOverview  # to the end of the period
    glance: Glance  # to the end of the period
    framework: list[OutcomeBlock]
    trainings: list[TrainingFigures]  # held in the period
    reached: Headcount  # distinct participants of the period's trainings
    by_group: list[tuple[str, int, int, int]]
    by_topic: list[TopicFigures]
    pipeline: list[PipelineColumn]
    studies: list[Study]
    recommendations: list[RecommendationStanding]
    meeting: MeetingRecord | None  # the last meeting held by the end of the period


def headcount(*, attendance: QuerySet[Attendance]) -> Headcount:
    figures = attendance.aggregate(
        total=Count("participant", distinct=True),
        women=Count("participant", distinct=True, filter=Q(participant__sex=Sex.FEMALE)),
        men=Count("participant", distinct=True, filter=Q(participant__sex=Sex.MALE)),
    )
    return Headcount(total=figures["total"], women=figures["women"], men=figures["men"])


def committee_report(*, period: ReportingPeriod) -> CommitteeReport:
    """The progress report for one period, the same for every reader allowed to ask for it.

    Trainings and indicator values are those of the period; the recommendations' standing
    is what the approved updates for periods begun by its end say; the research pipeline
    and the action points are as they stand when the report is made.
    """
    action = period.action
    until = period.end_date
    held = trainings_held(action=action, start=period.start_date, end=until)
    attendance = Attendance.objects.filter(training__in=held)
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
        framework=results_framework(action=action, period=period),
        trainings=trainings_with_figures(trainings=held),
        reached=headcount(attendance=attendance),
        by_group=participants_by_group(attendance=attendance),
        by_topic=participants_by_topic(trainings=held),
        pipeline=studies_pipeline(queryset=studies),
        studies=list(studies.select_related("contractor").order_by("title")),
        recommendations=[
            RecommendationStanding(row=row, assessments=assessments[row.recommendation.pk])
            for row in rows
        ],
        meeting=meeting_record(meeting=latest) if latest is not None else None,
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
    return meeting_record(meeting=meeting)
