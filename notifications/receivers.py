"""The notifications' answers to what the domain apps tell (connected in notifications.apps)."""

from __future__ import annotations

from typing import Any

from notifications.services import (
    notify_update_reviewed,
    notify_update_submitted,
    notify_value_reviewed,
    notify_value_submitted,
)


def update_submitted(sender: Any, *, update: Any, by: Any, **kwargs: Any) -> None:
    notify_update_submitted(update=update, by=by)


def update_reviewed(sender: Any, *, update: Any, by: Any, **kwargs: Any) -> None:
    notify_update_reviewed(update=update, by=by)


def indicator_value_submitted(sender: Any, *, value: Any, by: Any, **kwargs: Any) -> None:
    notify_value_submitted(value=value, by=by)


def indicator_value_reviewed(sender: Any, *, value: Any, by: Any, **kwargs: Any) -> None:
    notify_value_reviewed(value=value, by=by)
