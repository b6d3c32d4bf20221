"""The results framework's figures: every indicator's value per period, to date, and status.

One function, ``framework_figures``, works them out; the framework pages, the IPTT and its
exports, the dashboards and the committee report all call it, so they cannot disagree.
Its query count does not grow with the number of indicators or periods: the framework is
read in four queries and each calculation in use measures all its indicators in one.

- A *computed* indicator's value for an open period comes from the records now; once the
  period is closed, the value frozen at closing is shown, and the value the records give
  today beside it when they differ.
- A *reported* indicator's value counts once approved.
- The value to date adds the periods up as the indicator says (``Aggregation``); for a
  computed indicator counted as a total or an average it is measured over the whole span
  instead, so a person trained in two periods counts once and a share to date is the share
  of everything due so far.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Prefetch, Q
from django.utils import timezone

from core.figures import figures_cached
from core.models import TextProvenance
from programme.calculations import EMPTY, Ask, Calculation, Measure, Span, calculation_get
from programme.choices import Aggregation, Direction, IndicatorStatus, ValueState
from programme.models import (
    Action,
    Indicator,
    IndicatorValue,
    Outcome,
    Output,
    ReportingPeriod,
)


@dataclass(frozen=True)
class PeriodFigure:
    """An indicator in one reporting period."""

    period: ReportingPeriod
    row: IndicatorValue | None  # the stored row: target, reported value, frozen values
    target: Decimal | None
    value: Measure  # what counts for the period
    to_date: Measure  # the value to date at the end of the period
    target_to_date: Decimal | None
    recomputed: Measure | None  # a closed period's value as the records give it today

    @property
    def differs(self) -> bool:
        """The records now give another value than the one frozen when the period closed."""
        return self.recomputed is not None and self.recomputed != self.value

    @property
    def percent_met(self) -> Decimal | None:
        return percent(self.value.total, self.target)

    @property
    def frozen(self) -> bool:
        return self.row is not None and self.row.frozen_at is not None


@dataclass(frozen=True)
class IndicatorFigures:
    """An indicator with its figures for every period and where it stands."""

    indicator: Indicator
    periods: list[PeriodFigure]
    current: PeriodFigure | None  # the period the status is judged at
    status: IndicatorStatus

    @property
    def to_date(self) -> Measure:
        return self.current.to_date if self.current is not None else EMPTY

    @property
    def percent_of_end(self) -> Decimal | None:
        """How far the value to date is towards the end-of-action target."""
        return progress(self.to_date.total, self.indicator.target_end, self.indicator.direction)

    def period(self, period: ReportingPeriod) -> PeriodFigure | None:
        return next((p for p in self.periods if p.period.pk == period.pk), None)


@dataclass(frozen=True)
class OutputFigures:
    code: str
    title: str
    indicators: list[IndicatorFigures]


@dataclass(frozen=True)
class OutcomeFigures:
    """An outcome with its own indicators and its outputs' indicators."""

    outcome: Outcome
    indicators: list[IndicatorFigures]  # outcome-level first, then by output
    outputs: list[OutputFigures]

    @property
    def outcome_level(self) -> list[IndicatorFigures]:
        return [f for f in self.indicators if f.indicator.output_id is None]


def percent(value: Decimal | None, target: Decimal | None) -> Decimal | None:
    if value is None or not target:
        return None
    return (value / target * 100).quantize(Decimal("0.1"))


def progress(value: Decimal | None, target: Decimal | None, direction: str) -> Decimal | None:
    """How far a value is towards a target, in percent; for "lower is better", how far
    the value has come down to it (at or under the target is 100 % or more)."""
    if value is None or target is None:
        return None
    if direction == Direction.DECREASE:
        if value == 0:
            return Decimal(100)
        return (target / value * 100).quantize(Decimal("0.1"))
    return percent(value, target)


def status_of(
    value: Decimal | None, target: Decimal | None, direction: str, on_track_percent: int
) -> IndicatorStatus:
    """On track when the value to date reaches the threshold share of the target to date."""
    if value is None:
        return IndicatorStatus.NO_DATA
    if target is None:
        return IndicatorStatus.NO_TARGET
    reached = progress(value, target, direction)
    if reached is None or reached >= on_track_percent or (target == 0 and value == 0):
        return IndicatorStatus.ON_TRACK
    return IndicatorStatus.BEHIND


def _aggregate(measures: Sequence[Measure], how: str) -> Measure:
    """Period values added up as the indicator says; periods without a value are skipped."""
    known = [m for m in measures if m.total is not None]
    if not known:
        return EMPTY
    if how == Aggregation.LATEST:
        return known[-1]
    if how == Aggregation.MAXIMUM:
        return max(known, key=lambda m: m.total or 0)

    def add(part: str) -> Decimal | None:
        values = [getattr(m, part) for m in known]
        return None if any(v is None for v in values) else sum(values, Decimal(0))

    total, women, men, other = (add(p) for p in ("total", "women", "men", "other"))
    if how == Aggregation.AVERAGE:
        n = Decimal(len(known))

        def mean(v: Decimal | None) -> Decimal | None:
            return None if v is None else (v / n).quantize(Decimal("0.01"))

        return Measure(mean(total), mean(women), mean(men), mean(other))
    return Measure(total, women, men, other)


def _aggregate_targets(targets: Sequence[Decimal | None], how: str) -> Decimal | None:
    known = [t for t in targets if t is not None]
    if not known:
        return None
    if how == Aggregation.LATEST:
        return known[-1]
    if how == Aggregation.MAXIMUM:
        return max(known)
    if how == Aggregation.AVERAGE:
        return (sum(known, Decimal(0)) / len(known)).quantize(Decimal("0.01"))
    return sum(known, Decimal(0))


def stored(row: IndicatorValue, *, cumulative: bool = False) -> Measure:
    """A value as stored on its row (reported, or frozen at closing)."""
    prefix = "cumulative" if cumulative else "actual"
    total = getattr(row, prefix)
    if total is None:
        return EMPTY
    parts = [getattr(row, f"{prefix}_{p}") for p in ("women", "men", "other")]
    if any(p is None for p in parts):
        return Measure(total=total)
    return Measure(total, *parts)


# A computed total or average to date is measured over the whole span from the records, not
# added up from the periods: distinct people, pooled averages and shares do not add up.
_OVER_THE_SPAN = (Aggregation.SUM, Aggregation.AVERAGE)


def _trimmed(measure: Measure, by_sex: bool) -> Measure:
    return measure if by_sex or measure.total is None else Measure(total=measure.total)


def _computed(
    indicators: Sequence[Indicator], spans: Sequence[Span]
) -> dict[tuple[int, Span], Measure]:
    """Every computed indicator over every span: one query per calculation in use."""
    asks: dict[str, list[Ask]] = defaultdict(list)
    used: dict[str, Calculation] = {}
    for indicator in indicators:
        calculation = calculation_get(indicator.calculation) if indicator.is_computed else None
        if calculation is not None:
            used[calculation.key] = calculation
            asks[calculation.key].append(
                Ask(
                    indicator=indicator.pk,
                    action=indicator.outcome.action_id,
                    parameters=indicator.parameters or {},
                )
            )
    answers: dict[tuple[int, Span], Measure] = {}
    for key, group in asks.items():
        answers.update(_measured(used[key], group, spans))
    return answers


def _measured(
    calculation: Calculation, asks: Sequence[Ask], spans: Sequence[Span]
) -> dict[tuple[int, Span], Measure]:
    """A calculation's answers, kept between requests until a record it counts changes
    (``core.figures``; ``dashboard.apps`` retires them on every change to a counted model)."""
    question = json.dumps(
        [
            [[a.indicator, a.action, a.parameters] for a in asks],
            [[s.start.isoformat() if s.start else None, s.end.isoformat()] for s in spans],
        ],
        sort_keys=True,
    )
    digest = hashlib.sha256(question.encode()).hexdigest()[:32]
    return figures_cached(
        f"indicator:{calculation.key}:{digest}", lambda: calculation.measure(asks, spans)
    )


def indicator_figures(
    *,
    indicators: Sequence[Indicator],
    periods: Sequence[ReportingPeriod],
    rows: Sequence[IndicatorValue],
    at: ReportingPeriod | None,
    on_track_percent: int,
    ends_action: bool = True,
) -> list[IndicatorFigures]:
    """The figures of these indicators over these periods (oldest first), judged at ``at``.

    In the action's last period an indicator without a target to date is judged against its
    end-of-action target; ``ends_action`` says whether the last of ``periods`` is that period
    (a report for a past period passes the periods up to its own, which is not).
    """
    by_key = {(r.indicator_id, r.period_id): r for r in rows}
    period_spans = [Span(p.start_date, p.end_date) for p in periods]
    whole_spans = [Span(None, p.end_date) for p in periods]
    computed = _computed(indicators, [*period_spans, *whole_spans])
    figures: list[IndicatorFigures] = []
    for indicator in indicators:
        per_period: list[PeriodFigure] = []
        values: list[Measure] = []
        targets: list[Decimal | None] = []
        for period, span, whole in zip(periods, period_spans, whole_spans, strict=True):
            row = by_key.get((indicator.pk, period.pk))
            frozen = row is not None and row.frozen_at is not None
            recomputed: Measure | None = None
            if indicator.is_computed:
                live = _trimmed(computed.get((indicator.pk, span), EMPTY), indicator.by_sex)
                value = stored(row) if frozen and row is not None else live
                recomputed = live if frozen else None
            elif row is not None and row.state == ValueState.APPROVED:
                value = stored(row)
            else:
                value = EMPTY
            values.append(value)
            targets.append(row.target if row is not None else None)
            if frozen and row is not None and row.cumulative is not None:
                to_date = stored(row, cumulative=True)
            elif indicator.is_computed and indicator.aggregation in _OVER_THE_SPAN:
                to_date = _trimmed(computed.get((indicator.pk, whole), EMPTY), indicator.by_sex)
            else:
                to_date = _aggregate(values, indicator.aggregation)
            per_period.append(
                PeriodFigure(
                    period=period,
                    row=row,
                    target=row.target if row is not None else None,
                    value=value,
                    to_date=to_date,
                    target_to_date=_aggregate_targets(targets, indicator.aggregation),
                    recomputed=recomputed,
                )
            )
        if at is None:
            current = per_period[-1] if per_period else None
        else:
            current = next((f for f in per_period if f.period.pk == at.pk), None)
        if (
            ends_action
            and current is not None
            and current.target_to_date is None
            and current is per_period[-1]
        ):
            target_to_date = indicator.target_end
        else:
            target_to_date = current.target_to_date if current is not None else None
        figures.append(
            IndicatorFigures(
                indicator=indicator,
                periods=per_period,
                current=current,
                status=status_of(
                    current.to_date.total if current is not None else None,
                    target_to_date,
                    indicator.direction,
                    on_track_percent,
                ),
            )
        )
    return figures


def period_current(*, action: Action, today: date) -> ReportingPeriod | None:
    """The period an indicator's standing is judged at: the latest that has begun."""
    return action.periods.filter(start_date__lte=today).order_by("-start_date").first()


def framework_indicators(*, action: Action, outcomes: Sequence[Outcome]) -> list[Indicator]:
    """The action's indicators in framework order: by outcome, outcome-level first.

    Each holds its outcome and output from ``outcomes`` (with their outputs prefetched), the
    objects the framework's blocks show, rather than a copy of them per indicator: a join
    would build an outcome and an output for every indicator.
    """
    indicators = list(
        Indicator.objects.filter(outcome__action=action)
        .select_related("responsible")
        .order_by("outcome__code", F("output__code").asc(nulls_first=True), "code")
    )
    by_pk = {outcome.pk: outcome for outcome in outcomes}
    outputs = {output.pk: output for outcome in outcomes for output in outcome.outputs.all()}
    outcome_field, output_field = Indicator.outcome.field, Indicator.output.field
    for indicator in indicators:
        outcome_field.set_cached_value(indicator, by_pk[indicator.outcome_id])
        if indicator.output_id is None:
            output_field.set_cached_value(indicator, None)
        elif indicator.output_id in outputs:  # else it is read when asked for, as before
            output_field.set_cached_value(indicator, outputs[indicator.output_id])
    return indicators


def framework_title_origins(*, action: Action, language: str) -> list[tuple[int, int, str]]:
    """Where the outcomes' and indicators' titles in ``language`` come from when not official
    (content type, record, origin), in one query: what the framework's tables say about
    their translations, so the tables can be kept until it changes."""
    kinds = ContentType.objects.get_for_models(Outcome, Indicator)
    return list(
        TextProvenance.objects.filter(
            Q(
                content_type=kinds[Outcome],
                object_id__in=Outcome.objects.filter(action=action).values("pk"),
            )
            | Q(
                content_type=kinds[Indicator],
                object_id__in=Indicator.objects.filter(outcome__action=action).values("pk"),
            ),
            field="title",
            language=language,
        )
        .order_by("content_type_id", "object_id")
        .values_list("content_type_id", "object_id", "origin")
    )


def framework_figures(
    *, action: Action, at: ReportingPeriod | None = None, until: date | None = None
) -> list[OutcomeFigures]:
    """The results framework with every indicator's figures, judged at period ``at``
    (by default the last period shown).

    Periods that begin after ``until`` are left out, so a report for a past period shows
    what was known at its end; pages show every period, with the targets still ahead.
    """
    every_period = list(action.periods.order_by("start_date"))
    periods = every_period
    if until is not None:
        periods = [p for p in every_period if p.start_date <= until]
    outcomes = list(
        action.outcomes.order_by("code").prefetch_related(
            Prefetch("outputs", queryset=Output.objects.order_by("code"))
        )
    )
    indicators = framework_indicators(action=action, outcomes=outcomes)
    rows = list(
        IndicatorValue.objects.filter(
            indicator__outcome__action=action, period__in=[p.pk for p in periods]
        ).order_by()  # read into a dictionary: the model's ordering would only join and sort
    )
    figures = indicator_figures(
        indicators=indicators,
        periods=periods,
        rows=rows,
        at=at,
        on_track_percent=action.on_track_percent,
        ends_action=len(periods) == len(every_period),
    )
    by_outcome: dict[int, list[IndicatorFigures]] = defaultdict(list)
    for f in figures:
        by_outcome[f.indicator.outcome_id].append(f)
    blocks = []
    for outcome in outcomes:
        mine = by_outcome.get(outcome.pk, [])
        outputs = [
            OutputFigures(
                code=output.code,
                title=output.title,
                indicators=[f for f in mine if f.indicator.output_id == output.pk],
            )
            for output in outcome.outputs.all()
        ]
        blocks.append(OutcomeFigures(outcome=outcome, indicators=mine, outputs=outputs))
    return blocks


def indicator_figures_one(
    *, indicator: Indicator, at: ReportingPeriod | None = None
) -> IndicatorFigures:
    """One indicator's figures over all the action's periods (its own page)."""
    action = indicator.outcome.action
    periods = list(action.periods.order_by("start_date"))
    rows = list(indicator.values.all())
    (figures,) = indicator_figures(
        indicators=[indicator],
        periods=periods,
        rows=rows,
        at=at,
        on_track_percent=action.on_track_percent,
    )
    return figures


def indicator_figures_over(
    *,
    indicator: Indicator,
    periods: Sequence[ReportingPeriod],
    at: ReportingPeriod | None = None,
) -> IndicatorFigures:
    """``indicator_figures_one`` over the action's periods the caller has read already
    (every one, oldest first): its own page reads them once for the period picker too."""
    (figures,) = indicator_figures(
        indicators=[indicator],
        periods=periods,
        rows=list(indicator.values.order_by()),  # read into a dictionary: no sort needed
        at=at,
        on_track_percent=indicator.outcome.action.on_track_percent,
    )
    return figures


def indicators_figures(*, indicators: Sequence[Indicator]) -> list[IndicatorFigures]:
    """Any indicators' figures for every period of their action, judged at the period the
    framework page opens on (the API's lists; the framework page uses ``framework_figures``)."""
    by_action: dict[int, list[Indicator]] = defaultdict(list)
    for indicator in indicators:
        by_action[indicator.outcome.action_id].append(indicator)
    periods: dict[int, list[ReportingPeriod]] = defaultdict(list)
    for period in ReportingPeriod.objects.filter(action__in=list(by_action)).order_by(
        "start_date", "pk"
    ):
        periods[period.action_id].append(period)
    rows = list(IndicatorValue.objects.filter(indicator__in=[i.pk for i in indicators]))
    today = timezone.localdate()
    figures: dict[int, IndicatorFigures] = {}
    for action in Action.objects.filter(pk__in=list(by_action)):
        for f in indicator_figures(
            indicators=by_action[action.pk],
            periods=periods[action.pk],
            rows=rows,
            at=period_current(action=action, today=today),
            on_track_percent=action.on_track_percent,
        ):
            figures[f.indicator.pk] = f
    return [figures[i.pk] for i in indicators]
