"""How person names and emails are written and compared: one normalisation for the register,
its records (``Participant.clean``) and the same-person rule (``trainings.matching``)."""

from __future__ import annotations

import unicodedata

from core.alphabet import latin_spelling


def person_name(text: str) -> str:
    """A person's name as it is stored: Unicode NFC, spacing collapsed."""
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def name_key(text: str) -> str:
    """How person names are compared: as stored (``person_name``), case folded."""
    return person_name(text).casefold()


def email_key(text: str) -> str:
    """How emails are compared: case and surrounding spaces aside."""
    return (text or "").strip().casefold()


def name_search_key(text: str) -> str:
    """How a search compares names: ``name_key``, then spelled in Latin letters
    (``core.alphabet.latin_spelling``), so "Stojanovska" finds "Стојановска" and the other
    way round. The database spells stored names the same way (``latin_spelling_in_database``)."""
    return latin_spelling(name_key(text))
