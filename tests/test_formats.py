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
