"""The notifications' answers to what the domain apps tell (connected in notifications.apps)."""

from __future__ import annotations

from typing import Any

from notifications.services import notify_update_reviewed, notify_update_submitted


def update_submitted(sender: Any, *, update: Any, by: Any, **kwargs: Any) -> None:
    notify_update_submitted(update=update, by=by)


def update_reviewed(sender: Any, *, update: Any, by: Any, **kwargs: Any) -> None:
    notify_update_reviewed(update=update, by=by)
