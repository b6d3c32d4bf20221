"""Links for the rows of a long list, each URL name reversed once instead of once per row.

``reverse`` (and ``{% url %}``) resolves the name and matches the arguments against the pattern
on every call; on a list of a hundred rows with three links each that costs more than the rest of
the rows together. Here a name is reversed once with a stand-in key, and each row's key takes
its place.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

# A key no record has: the largest primary key PostgreSQL's integer holds.
_STAND_IN = "2147483647"


def url_for_each(name: str) -> Callable[[Any], str]:
    """``reverse(name, args=[pk])`` for every row of a list at the cost of one ``reverse``.

    For a pattern that does not show its key as given (a converter that rewrites it), each row
    is reversed on its own."""
    head, found, tail = _around(
        name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), get_language()
    )
    if not found:
        return lambda pk: reverse(name, args=[pk])
    return lambda pk: f"{head}{pk}{tail}"


@lru_cache(maxsize=256)
def _around(name: str, urlconf: Any, prefix: str, language: str | None) -> tuple[str, bool, str]:
    """The URL of ``name`` before and after its key, for one urlconf, script prefix and language
    (what ``reverse`` depends on besides the name and the key)."""
    head, found, tail = reverse(name, urlconf=urlconf, args=[_STAND_IN]).partition(_STAND_IN)
    return head, bool(found), tail
