"""Dates and numbers follow the reader's language, in North Macedonia's conventions."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import formats, translation

DAY = date(2026, 3, 9)


@pytest.mark.parametrize(
    ("language", "short_date", "number"),
    [("en", "09.03.2026", "1234.5"), ("mk", "9.03.2026", "1234,5"), ("sq", "09.03.2026", "1234,5")],
)
def test_dates_and_numbers_follow_the_language(language, short_date, number) -> None:
    with translation.override(language):
        assert formats.date_format(DAY, "SHORT_DATE_FORMAT") == short_date
        assert formats.localize(Decimal("1234.5")) == number
        assert formats.time_format(datetime(2026, 3, 9, 15, 5), "TIME_FORMAT") == "15:05"


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
@pytest.mark.parametrize("typed", ["09.03.2026", "2026-03-09"])
def test_dates_typed_day_first_or_iso_are_read_in_every_language(language, typed) -> None:
    from django import forms

    with translation.override(language):
        assert forms.DateField().clean(typed) == DAY


def test_english_months_are_written_out_day_first() -> None:
    with translation.override("en"):
        assert formats.date_format(DAY) == "9 March 2026"


@pytest.mark.parametrize(
    ("language", "long_date", "with_time", "month_alone"),
    [
        ("en", "9 March 2026", "9 March 2026, 15:05", "March 2026"),
        ("mk", "9 март 2026", "9 март 2026, 15:05", "Март 2026"),
        ("sq", "9 mars 2026", "9 mars 2026, 15:05", "Mars 2026"),
    ],
)
def test_inside_a_date_the_month_is_written_as_each_language_writes_it(
    language, long_date, with_time, month_alone
) -> None:
    """Lower case in Macedonian and Albanian, no leading zero; a month on its own keeps its
    capital, as at the start of a heading."""
    with translation.override(language):
        assert formats.date_format(DAY) == long_date
        assert formats.date_format(datetime(2026, 3, 9, 15, 5), "DATETIME_FORMAT") == with_time
        assert formats.date_format(DAY, "YEAR_MONTH_FORMAT") == month_alone
