"""The imports' answers to what the apps below tell (connected in imports.apps)."""

from __future__ import annotations

from typing import Any

from imports.services import import_batches_forget


def personal_data_erased(sender: Any, *, texts: list[str], **kwargs: Any) -> None:
    """Erase the person's details from every import batch's stored preview and problems."""
    import_batches_forget(texts=texts)
