"""What computed indicators can count in research: studies that reached a stage.

Registered with the results framework's catalogue in ``ResearchConfig.ready``.

The day a study reached a stage (validated, or published, which is beyond it) is the day of
its first recorded move from below the stage to it or beyond (``StudyStatusChange``). A
study recorded on the platform already at the stage or beyond has no such move: the studies
the seed loads are validated from the start, and records entered after the fact may be too.
Such a study counts on the day the platform knows it had the stage at the latest:

- published: its publication date (``published_on``), or when that is missing the day the
  study was recorded;
- validated: the earlier of its publication date and the day it was recorded (a published
  study was validated by the day it was published).

A study counts once, in the span holding that day, and only while it is at the stage or
beyond now.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import (
    Count,
    DateField,
    DateTimeField,
    Expression,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Least, TruncDate
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from programme.calculations import (
    Ask,
    Calculation,
    Measure,
    Parameter,
    Source,
    Span,
    rows_union,
    span_q,
)
from research.choices import STUDY_PIPELINE, StudyStatus
from research.models import Study, StudyStatusChange
from research.permissions import studies_visible_to

STAGES = (StudyStatus.VALIDATED, StudyStatus.PUBLISHED)


def _stages() -> list[tuple[str, str]]:
    return [(s.value, str(s.label)) for s in STAGES]


STAGE = Parameter(
    "stage",
    _("Stage reached"),
    _stages,
    many=False,
    help_text=_("Published studies count as validated too."),
)


def _stage(ask: Ask) -> str:
    stage = ask.parameters.get("stage") or StudyStatus.VALIDATED
    return str(stage)


def studies_reached(*, action_id: int, stage: str) -> QuerySet[Study]:
    """The action's studies at the stage or beyond now, each with ``reached``: the day it
    reached the stage (the module's docstring says how that day is known)."""
    beyond = STUDY_PIPELINE[STUDY_PIPELINE.index(stage) :]
    crossing = (
        StudyStatusChange.objects.filter(study=OuterRef("pk"), to_status__in=beyond)
        .exclude(from_status__in=beyond)
        .order_by("changed_at", "pk")
        .values("changed_at")[:1]
    )
    recorded = TruncDate("created_at")
    fallback: Expression
    if stage == StudyStatus.PUBLISHED:
        fallback = Coalesce("published_on", recorded, output_field=DateField())
    else:
        fallback = Least(
            Coalesce("published_on", recorded, output_field=DateField()),
            recorded,
            output_field=DateField(),
        )
    return Study.objects.filter(action_id=action_id, status__in=beyond).annotate(
        reached=Coalesce(
            TruncDate(Subquery(crossing, output_field=DateTimeField())),
            fallback,
            output_field=DateField(),
        )
    )


def studies_at_stage_measure(
    asks: Sequence[Ask], spans: Sequence[Span]
) -> dict[tuple[int, Span], Measure]:
    """Studies of the action that reached the stage on a day in the span."""
    parts = [
        studies_reached(action_id=ask.action, stage=_stage(ask))
        .annotate(indicator=Value(ask.indicator, output_field=IntegerField()))
        .values("indicator")
        .annotate(
            **{f"s{i}": Count("pk", filter=span_q("reached", span)) for i, span in enumerate(spans)}
        )
        for ask in asks
    ]
    return {
        (row["indicator"], span): Measure.of(row[f"s{i}"])
        for row in rows_union(parts)
        for i, span in enumerate(spans)
    }


def studies_at_stage_sources(ask: Ask, span: Span, user: Any) -> list[Source]:
    studies = (
        studies_reached(action_id=ask.action, stage=_stage(ask))
        .filter(span_q("reached", span), pk__in=studies_visible_to(user).values("pk"))
        .order_by(F("reached"), "title", "pk")
    )
    return [
        Source(
            label=study.title,
            url=reverse("research:detail", args=[study.slug]),
            detail=study.reached.isoformat(),  # type: ignore[attr-defined]
        )
        for study in studies
    ]


STUDIES_AT_STAGE = Calculation(
    key="studies_at_stage",
    label=_("Studies validated or published"),
    description=_(
        "Studies of the action that reached the chosen stage in the period: validated "
        "(published studies count too) or published. A study counts once, in the period it "
        "first moved to the stage or beyond, as its history on the platform records. A study "
        "recorded on the platform already at the stage has no such move: it counts on its "
        "publication date and, for the validated stage, on the day it was recorded if that is "
        "earlier; without a publication date, on the day it was recorded."
    ),
    unit=_("studies"),
    measure=studies_at_stage_measure,
    sources=studies_at_stage_sources,
    parameters=(STAGE,),
    defaults={"stage": StudyStatus.VALIDATED.value},
)
