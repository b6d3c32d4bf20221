"""A country or place name in the reader's language: ``{{ institution.country|place }}``."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from core.places import place_name

register = template.Library()


@register.filter
def place(name: str | None) -> str:
    """The name in the page's language where it is a known place (North Macedonia, Skopje),
    as typed otherwise; empty stays empty, so ``|default:"—"`` still works after it."""
    if not name:
        return name or ""
    return place_name(name, get_language())
