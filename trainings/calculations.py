"""What computed indicators can count in trainings: people trained, trainings held, score gains.

Registered with the results framework's catalogue in ``TrainingsConfig.ready``. Each
``measure`` answers every indicator and every span in one query. Only held trainings of
the indicator's action count, each in the span its start date falls in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any

from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Min, QuerySet, Sum, Value, When
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.collation import alphabetical
from programme.calculations import (
    Ask,
    Calculation,
    Measure,
    Parameter,
    Source,
    Span,
    parameter_ints,
    rows_union,
    span_q,
)
from stakeholders.choices import Sex
from stakeholders.models import ProfessionalGroup
from trainings.choices import TrainingStatus
from trainings.models import Attendance, Topic, Training
from trainings.permissions import trainings_visible_to

_SEXES = ((Sex.FEMALE, "women"), (Sex.MALE, "men"), (Sex.OTHER, "other"))


def _topics() -> list[tuple[str, str]]:
    return [(str(t.pk), t.name) for t in Topic.objects.order_by(alphabetical("name"))]


def _professions() -> list[tuple[str, str]]:
    return [(str(g.pk), g.name) for g in ProfessionalGroup.objects.order_by(alphabetical("name"))]


PROFESSIONS = Parameter(
    "professional_groups",
    _("Professional groups"),
    _professions,
    help_text=_("Count only people of these professions; none chosen counts everyone."),
)
TOPICS = Parameter(
    "topics",
    _("Topics"),
    _topics,
    help_text=_("Count only trainings on one of these topics; none chosen counts every topic."),
)


def attendance_counted(*, action_id: int, parameters: Mapping[str, Any]) -> QuerySet[Attendance]:
    """The attendance a "participants trained" value counts: completed, at held trainings."""
    queryset = Attendance.objects.filter(
        completed=True, training__action_id=action_id, training__status=TrainingStatus.HELD
    )
    groups = parameter_ints(parameters, "professional_groups")
    if groups:
        queryset = queryset.filter(participant__professional_group__in=groups)
    topics = parameter_ints(parameters, "topics")
    if topics:
        # Through a subquery: a join would list an attendance once per matching topic.
        queryset = queryset.filter(training__in=_on_topics(topics))
    return queryset


def _on_topics(topics: list[int]) -> QuerySet[Training, Any]:
    return Training.objects.filter(topics__in=topics).values("pk")


def participants_trained_measure(
    asks: Sequence[Ask], spans: Sequence[Span]
) -> dict[tuple[int, Span], Measure]:
    """Distinct people with a completed attendance at a held training that started in the
    span, by sex: a person trained twice counts once.

    Counting distinct people separately for every span would sort the attendance once per
    span and sex. Instead the attendance is read once per indicator, grouped by person:
    for a span from the beginning a person counts when their first training started by its
    end; for a period, when one of their trainings started in it. Two queries in all.
    """
    answers = {(ask.indicator, span): _NOBODY for ask in asks for span in spans}
    if not asks or not spans:
        return answers
    bounded = [s for s in spans if s.start is not None]
    to_date = [s for s in spans if s.start is None]
    if bounded:
        answers.update(_people_in_spans(asks, bounded))
    if to_date:
        answers.update(_people_by_first_training(asks, to_date))
    return answers


_NOBODY = Measure.by_sex(0, 0, 0)
# People per key and sex, over rows of (person, sex, key) that Django compiled; values are params.
_COUNTED = (
    "SELECT %s AS indicator, {key}, who, COUNT(*) AS people FROM ({inner}) AS t GROUP BY {key}, who"
)
_PERSON = {"person": F("participant_id"), "who": F("participant__sex")}


def _union_all(selects: list[tuple[str, list[Any]]]) -> list[tuple[Any, ...]]:
    sql = " UNION ALL ".join(part for part, _params in selects)
    params = [p for _part, part_params in selects for p in part_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _tally(rows: list[tuple[Any, ...]], spans: Sequence[Span]) -> dict[tuple[int, Span], Measure]:
    """Rows of (indicator, span number, sex, people) as measures by sex."""
    counts: dict[tuple[int, Span], dict[str, int]] = defaultdict(dict)
    for indicator, number, sex, people in rows:
        if number is not None and 0 <= number < len(spans):
            counts[(indicator, spans[number])][sex] = int(people or 0)
    return {
        key: Measure.by_sex(by.get(Sex.FEMALE), by.get(Sex.MALE), by.get(Sex.OTHER))
        for key, by in counts.items()
    }


def _people_in_spans(asks: Sequence[Ask], spans: Sequence[Span]) -> dict[tuple[int, Span], Measure]:
    """People with a training in each span: (person, sex, span) once each, then counted.

    A training may fall in several spans when they overlap; each span is then read on its
    own (rare: periods do not overlap).
    """
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    disjoint = all(a.end < b.start for a, b in pairwise(ordered) if b.start)
    groups = [list(spans)] if disjoint else [[span] for span in spans]
    answers: dict[tuple[int, Span], Measure] = {}
    for group in groups:
        number = Case(
            *(
                When(span_q("training__start_date", span), then=Value(i))
                for i, span in enumerate(group)
            ),
            default=Value(-1),
            output_field=IntegerField(),
        )
        selects = []
        for ask in asks:
            inner = (
                attendance_counted(action_id=ask.action, parameters=ask.parameters)
                .annotate(**_PERSON, number=number)
                .filter(number__gte=0)
                .values("person", "who", "number")
                .distinct()
                .order_by()
            )
            sql, params = inner.query.sql_with_params()
            selects.append((_COUNTED.format(inner=sql, key="number"), [ask.indicator, *params]))
        answers.update(_tally(_union_all(selects), group))
    return answers


def _people_by_first_training(
    asks: Sequence[Ask], spans: Sequence[Span]
) -> dict[tuple[int, Span], Measure]:
    """People trained from the beginning to each span's end: by the day of their first
    training."""
    selects = []
    for ask in asks:
        inner = (
            attendance_counted(action_id=ask.action, parameters=ask.parameters)
            .annotate(**_PERSON)
            .values("person", "who")  # type: ignore[misc]  # the stubs miss annotations by **
            .annotate(first=Min("training__start_date"))
            .order_by()
        )
        sql, params = inner.query.sql_with_params()
        selects.append((_COUNTED.format(inner=sql, key="first"), [ask.indicator, *params]))
    # (indicator, sex) → [(first day, people)], then added up to each end.
    firsts: dict[tuple[int, str], list[tuple[date, int]]] = defaultdict(list)
    for indicator, first, sex, people in _union_all(selects):
        if first is not None:
            day = first if isinstance(first, date) else date.fromisoformat(str(first))
            firsts[(indicator, sex)].append((day, int(people)))
    answers: dict[tuple[int, Span], Measure] = {}
    for ask in asks:
        for span in spans:
            by = {
                sex: sum(n for day, n in firsts.get((ask.indicator, sex), []) if day <= span.end)
                for sex, _name in _SEXES
            }
            answers[(ask.indicator, span)] = Measure.by_sex(
                by[Sex.FEMALE], by[Sex.MALE], by[Sex.OTHER]
            )
    return answers


def participants_trained_sources(ask: Ask, span: Span, user: Any) -> list[Source]:
    trainings = Training.objects.filter(
        pk__in=attendance_counted(action_id=ask.action, parameters=ask.parameters)
        .filter(span_q("training__start_date", span))
        .values("training_id")
    )
    return _training_sources(trainings, user)


def _training_sources(trainings: QuerySet[Training], user: Any) -> list[Source]:
    visible = trainings.filter(pk__in=trainings_visible_to(user).values("pk"))
    return [
        Source(
            label=t.title,
            url=reverse("trainings:detail", args=[t.pk]),
            detail=t.start_date.isoformat() if t.start_date else "",
        )
        for t in visible.order_by("start_date", "pk")
    ]


PARTICIPANTS_TRAINED = Calculation(
    key="participants_trained",
    label=_("Participants trained"),
    description=_(
        "Distinct people with a completed attendance at a held training that started in the "
        "period, by sex; a person trained twice counts once. Can be limited to professional "
        "groups and topics."
    ),
    unit=_("persons"),
    measure=participants_trained_measure,
    sources=participants_trained_sources,
    parameters=(PROFESSIONS, TOPICS),
    by_sex=True,
)


# --- Trainings held ----------------------------------------------------------------------------


TARGET_GROUPS = Parameter(
    "target_groups",
    _("Target groups"),
    _professions,
    help_text=_(
        "Count only trainings aimed at one of these professional groups; none chosen counts "
        "every training."
    ),
)


def trainings_counted(*, action_id: int, parameters: Mapping[str, Any]) -> QuerySet[Training]:
    """The trainings a "trainings held" value counts: the action's held trainings."""
    queryset = Training.objects.filter(action_id=action_id, status=TrainingStatus.HELD)
    topics = parameter_ints(parameters, "topics")
    if topics:
        queryset = queryset.filter(pk__in=_on_topics(topics))
    groups = parameter_ints(parameters, "target_groups")
    if groups:
        queryset = queryset.filter(
            pk__in=Training.objects.filter(target_groups__in=groups).values("pk")
        )
    return queryset


def trainings_held_measure(
    asks: Sequence[Ask], spans: Sequence[Span]
) -> dict[tuple[int, Span], Measure]:
    """Held trainings of the action that started in the span: counted per start day in one
    query, then added up for each span."""
    parts = [
        trainings_counted(action_id=ask.action, parameters=ask.parameters)
        .annotate(indicator=Value(ask.indicator, output_field=IntegerField()), day=F("start_date"))
        .values("indicator", "day")
        .annotate(n=Count("pk"))
        for ask in asks
    ]
    days = _by_day(rows_union(parts), "n")
    return {
        (ask.indicator, span): Measure.of(
            sum((n for day, (n,) in days.get(ask.indicator, []) if span.covers(day)), 0)
        )
        for ask in asks
        for span in spans
    }


def _by_day(
    rows: list[dict[str, Any]], *fields: str
) -> dict[int, list[tuple[date, tuple[Any, ...]]]]:
    """Rows of (indicator, day, figures...) by indicator; a day read as text becomes a date."""
    days: dict[int, list[tuple[date, tuple[Any, ...]]]] = defaultdict(list)
    for row in rows:
        day = row["day"]
        if day is None:
            continue
        if not isinstance(day, date):
            day = date.fromisoformat(str(day))
        days[row["indicator"]].append((day, tuple(row[f] for f in fields)))
    return days


def trainings_held_sources(ask: Ask, span: Span, user: Any) -> list[Source]:
    trainings = trainings_counted(action_id=ask.action, parameters=ask.parameters).filter(
        span_q("start_date", span)
    )
    return _training_sources(trainings, user)


TRAININGS_HELD = Calculation(
    key="trainings_held",
    label=_("Trainings held"),
    description=_(
        "Trainings of the action marked as held whose start date falls in the period; "
        "planned and cancelled trainings do not count. Can be limited to topics and to the "
        "professional groups a training is aimed at."
    ),
    unit=_("trainings"),
    measure=trainings_held_measure,
    sources=trainings_held_sources,
    parameters=(TOPICS, TARGET_GROUPS),
)


# --- Score gain --------------------------------------------------------------------------------

SCORE_STEP = Decimal("0.1")


def scored_attendance(*, action_id: int, parameters: Mapping[str, Any]) -> QuerySet[Attendance]:
    """The attendance a "score gain" value averages: completed, at held trainings, with both
    a pre-test and a post-test score."""
    return attendance_counted(action_id=action_id, parameters=parameters).filter(
        pre_score__isnull=False, post_score__isnull=False
    )


def score_gain(value: Any) -> Decimal | None:
    """An average gain as shown: to one decimal, halves rounded up."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(SCORE_STEP, rounding=ROUND_HALF_UP)


def score_gain_measure(
    asks: Sequence[Ask], spans: Sequence[Span]
) -> dict[tuple[int, Span], Measure]:
    """The average of post-test minus pre-test score over the attendance counted at held
    trainings that started in the span; no value when none has both scores.

    The gains are added up and counted per start day in one query; each span's average is
    its days' total over their count, exactly the average of its attendance.
    """
    parts = [
        scored_attendance(action_id=ask.action, parameters=ask.parameters)
        .annotate(
            indicator=Value(ask.indicator, output_field=IntegerField()),
            day=F("training__start_date"),
        )
        .values("indicator", "day")
        .annotate(total=Sum(F("post_score") - F("pre_score")), n=Count("pk"))
        for ask in asks
    ]
    days = _by_day(rows_union(parts), "total", "n")
    answers: dict[tuple[int, Span], Measure] = {}
    for ask in asks:
        for span in spans:
            inside = [(t, n) for day, (t, n) in days.get(ask.indicator, []) if span.covers(day)]
            count = sum(n for _t, n in inside)
            total = sum((Decimal(str(t)) for t, _n in inside), Decimal(0))
            answers[(ask.indicator, span)] = Measure.of(
                score_gain(total / count) if count else None
            )
    return answers


def score_gain_sources(ask: Ask, span: Span, user: Any) -> list[Source]:
    trainings = Training.objects.filter(
        pk__in=scored_attendance(action_id=ask.action, parameters=ask.parameters)
        .filter(span_q("training__start_date", span))
        .values("training_id")
    )
    return _training_sources(trainings, user)


SCORE_GAIN = Calculation(
    key="score_gain",
    label=_("Average test score gain"),
    description=_(
        "The average, over every completed attendance with both a pre-test and a post-test "
        "score at a held training that started in the period, of the post-test score minus "
        "the pre-test score (scores out of 100), to one decimal. A person trained twice "
        "counts twice, once for each training. No value while no attendance has both scores. "
        "Can be limited to professional groups and topics."
    ),
    unit=_("points"),
    measure=score_gain_measure,
    sources=score_gain_sources,
    parameters=(PROFESSIONS, TOPICS),
    percent=True,
)
