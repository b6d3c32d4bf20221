"""Figures kept between requests instead of recounted on each one, and retired on any change.

Counting over every attendance row of a large programme costs far more than the rest of a page.
Figures that hold no personal data and are the same for every reader (the dashboard's glance,
the computed indicators' values) are kept in Django's cache under a key that includes a
version number. Any change to a record they count moves to a new version
(:func:`figures_invalidate`), from one place: the receivers ``dashboard.apps`` connects to the
counted models' save and delete signals and to ``core.signals.rows_changed``. Entries of older
versions are never read again and expire on their own; the timeout
(``settings.GLANCE_CACHE_SECONDS``) is the safety net for writes that bypass Django.

The cache is an optimisation, never a dependency: when it cannot be reached, the error is
logged and the figures are counted directly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

VERSION_KEY = "glance:version"

T = TypeVar("T")


def _fresh_version() -> int:
    # Time-based rather than 1: if the version key is evicted while entries of an earlier
    # version are still kept, a restart at 1 could read them again.
    return time.time_ns()


def figures_version() -> int | None:
    """The current version, started when there is none; None when the cache is unreachable."""
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, _fresh_version(), timeout=None)
            version = cache.get(VERSION_KEY)
    except Exception:  # any cache failure: count directly, never break the page
        logger.warning("Figures cache unreachable; counting the figures directly", exc_info=True)
        return None
    return int(version) if version is not None else None


def _bump() -> None:
    try:
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # no version yet (never read, or evicted): start a fresh one
            cache.set(VERSION_KEY, _fresh_version(), timeout=None)
    except Exception:  # the timeout still retires the old figures
        logger.warning("Figures cache unreachable; figures not invalidated", exc_info=True)


def figures_invalidate() -> None:
    """Retire every kept figure after a change to what they count.

    The version moves at once, so later reads in the same transaction count again, and once
    more when the transaction commits: a request that counted in between saw the data before
    the change and may have kept those figures.
    """
    _bump()
    transaction.on_commit(_bump)


def figures_cached(key: str, count: Callable[[], T]) -> T:
    """The figures kept under ``key`` for the current version, else counted and kept."""
    version = figures_version()
    if version is None:
        return count()
    full_key = f"figures:{key}:{version}"
    try:
        kept = cache.get(full_key)
    except Exception:
        logger.warning("Figures cache unreachable; counting the figures directly", exc_info=True)
        return count()
    if kept is not None:
        return kept
    figures = count()
    try:
        cache.set(full_key, figures, timeout=settings.GLANCE_CACHE_SECONDS)
    except Exception:
        logger.warning("Figures cache unreachable; figures not kept", exc_info=True)
    return figures
