"""What the public site shows, read through the owning apps' selectors, never recomputed.

Which records are published is decided here once: an indicator, a decision or a study with
its ``is_public`` switch on; a study's file only once the study is published too. Figures about
people pass through ``publicsite.suppression`` before any page sees them. Every function runs a
fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from dashboard.glance import glance_figures
from programme.choices import IndicatorStatus, MeetingStatus
from programme.models import Action, Decision, Meeting
from programme.results import (
    IndicatorFigures,
    OutcomeFigures,
    framework_figures,
    period_current,
)
from programme.selectors import action_primary
from publicsite.suppression import Cell, Sum, suppress, suppress_one
from recommendations.models import Recommendation
from recommendations.selectors import RecommendationRow, recommendation_rows
from research.choices import StudyStatus
from research.models import Study, StudyVersion
from research.selectors import studies_pipeline
from trainings.models import Attendance, Training
from trainings.selectors import (
    participants_by_group,
    participants_by_topic,
    trainings_held,
    trainings_with_figures,
)

SEXES = ("women", "men", "other", "total")


# --- What is published ------------------------------------------------------------------------


def studies_public() -> QuerySet[Study]:
    """The studies listed on the public site."""
    return Study.objects.filter(is_public=True)


def study_versions_public() -> QuerySet[StudyVersion]:
    """The language versions anyone may download: of a public study that is published."""
    return StudyVersion.objects.filter(
        study__in=studies_public(), study__status=StudyStatus.PUBLISHED
    )


def decisions_public() -> QuerySet[Decision]:
    return Decision.objects.filter(is_public=True)


def meetings_past(*, action: Action) -> QuerySet[Meeting]:
    """The action's steering-committee meetings that took place, latest first."""
    return Meeting.objects.filter(action=action, status=MeetingStatus.HELD).order_by("-number")


# --- The action --------------------------------------------------------------------------------


def public_action() -> Action | None:
    """The action the public site is about, with its programme and implementer."""
    action = action_primary()
    if action is None:
        return None
    return (
        Action.objects.select_related("programme", "implemented_by")
        .prefetch_related("programme__partners")
        .get(pk=action.pk)
    )


# --- The results framework ---------------------------------------------------------------------


@dataclass(frozen=True)
class PublicIndicator:
    figures: IndicatorFigures
    to_date: Cell | None  # a count of people, suppressed; None when the value is not about people

    @property
    def status_label(self) -> str:
        return str(IndicatorStatus(self.figures.status).label)


@dataclass(frozen=True)
class PublicOutcome:
    code: str
    title: str
    indicators: list[PublicIndicator]


def framework_public(blocks: Sequence[OutcomeFigures]) -> list[OutcomeFigures]:
    """The framework's outcomes with only their published indicators (``is_public``);
    outcomes without one are left out. The public pages and the IATI file publish these."""
    kept = []
    for block in blocks:
        indicators = [f for f in block.indicators if f.indicator.is_public]
        if indicators:
            kept.append(OutcomeFigures(outcome=block.outcome, indicators=indicators, outputs=[]))
    return kept


def results_public(*, action: Action) -> list[PublicOutcome]:
    """The published indicators, by outcome, as the portal's framework judges them today
    (``programme.results.framework_figures`` at the current period)."""
    at = period_current(action=action, today=timezone.localdate())
    blocks = framework_public(framework_figures(action=action, at=at))
    outcomes = []
    for block in blocks:
        shown = [
            PublicIndicator(
                figures=f,
                # An indicator reported by sex counts people: below 11 they are not published.
                to_date=suppress_one(int(f.to_date.total))
                if f.indicator.by_sex and f.to_date.total is not None
                else None,
            )
            for f in block.indicators
        ]
        if shown:
            outcomes.append(
                PublicOutcome(code=block.outcome.code, title=block.outcome.title, indicators=shown)
            )
    return outcomes


# --- Trainings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeopleRow:
    """A line of a table of people by sex, each cell as published."""

    label: str
    cells: dict[str, Cell]
    trainings: int | None = None  # how many trainings (not people): never suppressed


@dataclass(frozen=True)
class PublicTraining:
    title: str
    start_date: Any
    end_date: Any
    place: str
    organiser: str
    topics: list[str]
    target_groups: list[str]
    participants: Cell


@dataclass
class TrainingsPublic:
    held: int = 0
    by_topic: list[PeopleRow] = field(default_factory=list)
    by_group: list[PeopleRow] = field(default_factory=list)
    group_total: PeopleRow | None = None
    trainings: list[PublicTraining] = field(default_factory=list)


def _by_sex(women: int, men: int, total: int) -> dict[str, int]:
    return {"women": women, "men": men, "other": total - women - men, "total": total}


def _row_sum(row: Any) -> Sum[tuple[Any, str]]:
    return Sum(parts=[(row, "women"), (row, "men"), (row, "other")], total=(row, "total"))


def people_by_group_table(
    groups: list[tuple[str, int, int, int]],
) -> tuple[list[PeopleRow], PeopleRow]:
    """Participants by target group × sex with the total row, suppressed as one table: each
    row adds up to its total, each column to the total row."""
    values: dict[tuple[Any, str], int] = {}
    for i, (_name, women, men, total) in enumerate(groups):
        for sex, value in _by_sex(women, men, total).items():
            values[(i, sex)] = value
    for sex in SEXES:
        values[("all", sex)] = sum(values[(i, sex)] for i in range(len(groups)))
    rows: list[Any] = [*range(len(groups)), "all"]
    sums = [_row_sum(r) for r in rows] + [
        Sum(parts=[(i, sex) for i in range(len(groups))], total=("all", sex)) for sex in SEXES
    ]
    cells = suppress(values, sums)
    table = [
        PeopleRow(label=name, cells={sex: cells[(i, sex)] for sex in SEXES})
        for i, (name, *_figures) in enumerate(groups)
    ]
    total_row = PeopleRow(label="", cells={sex: cells[("all", sex)] for sex in SEXES})
    return table, total_row


def trainings_public(*, action: Action) -> TrainingsPublic:
    """The trainings held, by topic and by target group, with participants by sex; the
    selectors are the portal's (``trainings.selectors``), the cells suppressed."""
    held = trainings_held(action=action)
    attendance = Attendance.objects.filter(training__in=held)
    result = TrainingsPublic()
    for topic in participants_by_topic(trainings=held):
        # People may come to trainings on several topics: each topic row stands alone.
        values = {
            sex: value for sex, value in _by_sex(topic.women, topic.men, topic.participants).items()
        }
        cells = suppress(values, [Sum(parts=["women", "men", "other"], total="total")])
        result.by_topic.append(
            PeopleRow(label=topic.topic.name, cells=cells, trainings=topic.trainings)
        )
    # Named by the portal's selector, "Not stated" included (core.translations.name_or_not_stated).
    groups = participants_by_group(attendance=attendance)
    result.by_group, result.group_total = people_by_group_table(groups)
    figures = trainings_with_figures(trainings=held)
    result.held = len(figures)
    for f in reversed(figures):  # latest first
        t: Training = f.training
        result.trainings.append(
            PublicTraining(
                title=t.title,
                start_date=t.start_date,
                end_date=t.end_date,
                place=t.place,
                organiser=t.organiser.name,
                topics=[topic.name for topic in t.topics.all()],
                target_groups=[group.name for group in t.target_groups.all()],
                participants=suppress_one(f.participants),
            )
        )
    return result


# --- Research, recommendations, meetings --------------------------------------------------------


@dataclass(frozen=True)
class PublicStudy:
    study: Study
    versions: list[StudyVersion]  # its downloads, once the study is published


@dataclass(frozen=True)
class PublicStage:
    status: str
    label: str
    studies: list[PublicStudy]


def research_public(*, action: Action) -> list[PublicStage]:
    """The stages of the pipeline (``research.selectors.studies_pipeline``) with the public
    studies at each, and the language versions of those published."""
    studies = studies_public().filter(action=action)
    versions: dict[int, list[StudyVersion]] = {}
    for version in study_versions_public().filter(study__action=action).order_by("language"):
        if version.file or version.url:
            versions.setdefault(version.study_id, []).append(version)
    return [
        PublicStage(
            status=column.status,
            label=column.label,
            studies=[PublicStudy(study=s, versions=versions.get(s.pk, [])) for s in column.studies],
        )
        for column in studies_pipeline(queryset=studies)
    ]


def recommendations_public() -> list[RecommendationRow]:
    """Every recommendation with its overall status and the institutions assigned to it
    (``recommendations.selectors.recommendation_rows``): statuses only, never a narrative."""
    return recommendation_rows(
        queryset=Recommendation.objects.select_related("recommendation_set").order_by(
            "recommendation_set", "number"
        )
    )


def meetings_public(*, action: Action) -> list[Meeting]:
    """The meetings held, each with its public decisions only (``public_decisions``)."""
    return list(
        meetings_past(action=action).prefetch_related(
            Prefetch(
                "decisions",
                queryset=decisions_public().order_by("number"),
                to_attr="public_decisions",
            )
        )
    )


# --- The home page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    trainings_held: int
    people_trained: Cell
    recommendations: int
    studies: int
    meetings: int


def headline_public(*, action: Action) -> Headline:
    """The home page's figures: the dashboard's glance (``dashboard.glance``, kept in the
    cache) for the trainings, the public records for the rest."""
    figures = glance_figures(action=action)
    return Headline(
        trainings_held=figures["trainings_held"],
        people_trained=suppress_one(figures["participants"]),
        recommendations=sum(figures["recommendations_by_status"].values()),
        studies=studies_public().filter(action=action).count(),
        meetings=meetings_past(action=action).count(),
    )
