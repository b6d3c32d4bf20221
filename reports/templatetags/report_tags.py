"""Filters the PDF reports use to write figures in the report's language."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.formats import number_format

from recommendations.models import Recommendation

register = template.Library()


@register.filter
def signed(value: Decimal | float | int | None, places: int = 1) -> str:
    """A change with its sign: +5.5, −2.0 (a true minus sign), 0; a dash when unknown."""
    if value is None or value == "":
        return "—"
    number = Decimal(str(value))
    text = number_format(abs(number), decimal_pos=places)
    if number > 0:
        return f"+{text}"
    if number < 0:
        return f"−{text}"
    return text


@register.filter
def figure(value: Decimal | float | int | None, places: int | None = None) -> str:
    """A number in the report's language, whole numbers without decimals; a dash if unknown."""
    if value is None or value == "":
        return "—"
    number = Decimal(str(value))
    if places is None:
        places = 0 if number == number.to_integral_value() else 1
    return number_format(number, decimal_pos=places)


@register.filter
def text_status(recommendation: Recommendation, language: str) -> str:
    """How a recommendation's text stands in the language: original, (un)official, missing."""
    return recommendation.text_status(language)
