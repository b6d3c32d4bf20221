"""Reads about the action's studies: the pipeline board and one study's record."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F, QuerySet

from programme.models import Outcome
from recommendations.models import Recommendation
from research.choices import StudyStatus
from research.models import Study, StudyStatusChange, StudyVersion
from research.services import study_move_allowed


def studies_for_cards(*, queryset: QuerySet[Study]) -> QuerySet[Study]:
    """Studies with what a card shows, soonest due first."""
    return queryset.select_related("contractor").order_by(
        F("due_date").asc(nulls_last=True), "title", "pk"
    )


@dataclass
class PipelineColumn:
    status: str
    label: str
    studies: list[Study] = field(default_factory=list)


def studies_pipeline(*, queryset: QuerySet[Study]) -> list[PipelineColumn]:
    """The seven stages of the pipeline in order, each with its studies (one query)."""
    columns = {
        value: PipelineColumn(status=value, label=str(label))
        for value, label in StudyStatus.choices
    }
    for study in studies_for_cards(queryset=queryset):
        columns[study.status].studies.append(study)
    return list(columns.values())


@dataclass(frozen=True)
class StudyRecord:
    study: Study
    history: list[StudyStatusChange]
    versions: list[StudyVersion]
    recommendations: list[Recommendation]
    outcomes: list[Outcome]


def study_record(*, study: Study) -> StudyRecord:
    """One study with its history, language versions and links, in a fixed number of queries."""
    return StudyRecord(
        study=study,
        history=list(
            study.status_changes.select_related("changed_by").order_by("changed_at", "pk")
        ),
        versions=list(study.versions.order_by("language")),
        recommendations=list(study.recommendations.order_by("number")),
        outcomes=list(study.outcomes.order_by("code")),
    )


def study_moves(*, study: Study) -> list[tuple[str, str]]:
    """The stages a study may move to from where it is, as form choices."""
    return [
        (value, str(label))
        for value, label in StudyStatus.choices
        if value != study.status and study_move_allowed(from_status=study.status, to_status=value)
    ]
