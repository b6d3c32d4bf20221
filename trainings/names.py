"""How person names and emails are written and compared: one normalisation for the register,
its records (``Participant.clean``) and the same-person rule (``trainings.matching``)."""

from __future__ import annotations

import unicodedata


def person_name(text: str) -> str:
    """A person's name as it is stored: Unicode NFC, spacing collapsed."""
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def name_key(text: str) -> str:
    """How person names are compared: as stored (``person_name``), case folded."""
    return person_name(text).casefold()


def email_key(text: str) -> str:
    """How emails are compared: case and surrounding spaces aside."""
    return (text or "").strip().casefold()
