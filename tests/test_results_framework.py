"""The results framework's figures: how periods add up, the status, and closing a period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from programme.calculations import Measure
from programme.choices import Aggregation, Direction, IndicatorKind, IndicatorStatus, ValueState
from programme.models import Action, Indicator, IndicatorValue, ReportingPeriod
from programme.results import framework_figures, indicator_figures_one
from programme.services import reporting_period_close, reporting_period_reopen
from stakeholders.choices import Sex
from tests.factories import (
    ActionFactory,
    AttendanceFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    OutcomeFactory,
    ParticipantFactory,
    ReportingPeriodFactory,
    TrainingFactory,
)
from trainings.choices import TrainingStatus

pytestmark = pytest.mark.django_db

D = Decimal


def _periods(action: Action) -> list[ReportingPeriod]:
    return [
        ReportingPeriodFactory.create(
            action=action,
            name=f"{year} H{half}",
            start_date=date(year, 1 if half == 1 else 7, 1),
            end_date=date(year, 6, 30) if half == 1 else date(year, 12, 31),
            due_date=date(year, 7, 31) if half == 1 else date(year + 1, 1, 31),
        )
        for year, half in ((2025, 1), (2025, 2), (2026, 1))
    ]


def _reported(
    action: Action, aggregation: str, values: list[int | None], **kwargs: object
) -> Indicator:
    indicator = IndicatorFactory.create(
        outcome=OutcomeFactory.create(action=action), aggregation=aggregation, **kwargs
    )
    for period, value in zip(_periods(action), values, strict=True):
        IndicatorValueFactory.create(
            indicator=indicator,
            period=period,
            target=D(10),
            actual=None if value is None else D(value),
            state=ValueState.APPROVED,
        )
    return indicator


@pytest.mark.parametrize(
    ("aggregation", "to_date", "target_to_date"),
    [
        # 4 + (no value) + 7; targets 10 + 10 + 10
        (Aggregation.SUM, D(11), D(30)),
        # the latest period with a value; the latest target
        (Aggregation.LATEST, D(7), D(10)),
        (Aggregation.MAXIMUM, D(7), D(10)),
        # (4 + 7) / 2 periods with a value
        (Aggregation.AVERAGE, D("5.50"), D("10.00")),
    ],
)
def test_reported_periods_add_up_as_the_indicator_says(
    aggregation: str, to_date: Decimal, target_to_date: Decimal
) -> None:
    indicator = _reported(ActionFactory.create(), aggregation, [4, None, 7])

    figures = indicator_figures_one(indicator=indicator)

    assert [p.value.total for p in figures.periods] == [D(4), None, D(7)]
    assert figures.to_date.total == to_date
    assert figures.current is not None
    assert figures.current.target_to_date == target_to_date


def test_a_reported_value_counts_only_once_approved() -> None:
    action = ActionFactory.create()
    indicator = _reported(action, Aggregation.SUM, [4, 5, 6])
    IndicatorValue.objects.filter(indicator=indicator, actual=D(5)).update(
        state=ValueState.SUBMITTED
    )

    figures = indicator_figures_one(indicator=indicator)

    assert [p.value.total for p in figures.periods] == [D(4), None, D(6)]
    assert figures.to_date.total == D(10)


@pytest.mark.parametrize(
    ("direction", "value", "status"),
    [
        (Direction.INCREASE, 27, IndicatorStatus.ON_TRACK),  # 27 / 30 = 90 %
        (Direction.INCREASE, 26, IndicatorStatus.BEHIND),  # 86.7 %
        (Direction.DECREASE, 33, IndicatorStatus.ON_TRACK),  # 30 / 33 = 90.9 %
        (Direction.DECREASE, 34, IndicatorStatus.BEHIND),  # 30 / 34 = 88.2 %
    ],
)
def test_status_compares_the_value_to_date_with_the_target_to_date(
    direction: str, value: int, status: str
) -> None:
    action = ActionFactory.create(on_track_percent=90)
    indicator = _reported(action, Aggregation.SUM, [value, 0, 0], direction=direction)

    assert indicator_figures_one(indicator=indicator).status == status


def test_no_value_is_no_data_and_no_target_is_said_so() -> None:
    action = ActionFactory.create()
    empty = _reported(action, Aggregation.SUM, [None, None, None])
    untargeted = _reported(ActionFactory.create(), Aggregation.SUM, [3, None, None])
    IndicatorValue.objects.filter(indicator=untargeted).update(target=None)

    assert indicator_figures_one(indicator=empty).status == IndicatorStatus.NO_DATA
    assert indicator_figures_one(indicator=untargeted).status == IndicatorStatus.NO_TARGET


def test_the_end_target_is_measured_against_the_value_to_date() -> None:
    indicator = _reported(ActionFactory.create(), Aggregation.SUM, [4, 5, 6], target_end=D(60))

    assert indicator_figures_one(indicator=indicator).percent_of_end == D("25.0")


def test_values_by_sex_must_add_up_to_the_total() -> None:
    value = IndicatorValueFactory.create(
        actual=D(10), actual_women=D(6), actual_men=D(3), actual_other=None
    )
    with pytest.raises(ValidationError, match="for other or not stated"):
        value.full_clean()
    value.actual_other = D(2)
    with pytest.raises(ValidationError, match="add up to 11"):
        value.full_clean()
    value.actual_other = D(1)
    value.full_clean()


def test_a_computed_indicator_needs_a_known_calculation_and_valid_settings() -> None:
    indicator = IndicatorFactory.create(kind=IndicatorKind.COMPUTED, calculation="no_such_thing")
    with pytest.raises(ValidationError, match="Choose how"):
        indicator.full_clean()
    indicator.calculation = "participants_trained"
    indicator.parameters = {"topics": ["999999"], "colour": "red"}
    with pytest.raises(ValidationError) as refused:
        indicator.full_clean()
    assert "“colour” is not a setting" in str(refused.value)
    assert "“999999” is not one of the options" in str(refused.value)
    indicator.parameters = {}
    indicator.full_clean()


def _trained(action: Action, day: date, sex: str = Sex.FEMALE) -> None:
    training = TrainingFactory.create(
        action=action, start_date=day, end_date=day, status=TrainingStatus.HELD
    )
    AttendanceFactory.create(training=training, participant=ParticipantFactory.create(sex=sex))


def test_closing_a_period_freezes_it_and_a_later_change_shows_beside_it() -> None:
    action = ActionFactory.create()
    first, second, _third = _periods(action)
    IndicatorFactory.create(
        outcome=OutcomeFactory.create(action=action),
        kind=IndicatorKind.COMPUTED,
        calculation="participants_trained",
        by_sex=True,
    )
    _trained(action, date(2025, 3, 1))
    _trained(action, date(2025, 4, 1), Sex.MALE)

    reporting_period_close(period=first, by=None)
    # A training of the closed period recorded late: the records now give 3.
    _trained(action, date(2025, 5, 1))
    _trained(action, date(2025, 9, 1))

    (block,) = framework_figures(action=action)
    (figures,) = block.indicators
    closed = figures.period(first)
    assert closed is not None and closed.frozen
    assert closed.value == Measure(D(2), D(1), D(1), D(0))
    assert closed.recomputed == Measure(D(3), D(2), D(1), D(0))
    assert closed.differs
    assert closed.to_date.total == D(2)
    open_period = figures.period(second)
    assert open_period is not None and not open_period.differs
    assert open_period.value.total == D(1)
    assert open_period.to_date.total == D(4)  # counted over the whole span, today

    reporting_period_reopen(period=first, by=None)

    (block,) = framework_figures(action=action)
    reopened = block.indicators[0].period(first)
    assert reopened is not None and not reopened.frozen
    assert reopened.value.total == D(3)
    assert reopened.recomputed is None


def test_a_period_with_a_value_waiting_for_review_cannot_close() -> None:
    action = ActionFactory.create()
    indicator = _reported(action, Aggregation.SUM, [1, 2, 3])
    value = indicator.values.order_by("period__start_date").first()
    assert value is not None
    value.state = ValueState.SUBMITTED
    value.save()

    with pytest.raises(ValidationError, match="1 indicator value for this period is waiting"):
        reporting_period_close(period=value.period, by=None)

    value.period.refresh_from_db()
    assert not value.period.is_closed


def test_closing_twice_or_reopening_an_open_period_is_refused() -> None:
    period = ReportingPeriodFactory.create()
    with pytest.raises(ValidationError, match="not closed"):
        reporting_period_reopen(period=period, by=None)
    reporting_period_close(period=period, by=None)
    with pytest.raises(ValidationError, match="already closed"):
        reporting_period_close(period=period, by=None)
