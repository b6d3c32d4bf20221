"""Names of countries and places the programme works in, in English, Macedonian and Albanian.

Countries, meeting places and training cities are stored as typed (usually in English). A
page shows a name it knows here in the reader's language (Skopje, Скопје, Shkup), and any
other name as it was typed."""

from __future__ import annotations

from django.conf import settings

# One row a place: its name in English, Macedonian and Albanian.
PLACE_NAMES: tuple[dict[str, str], ...] = (
    # Countries
    {"en": "North Macedonia", "mk": "Северна Македонија", "sq": "Maqedonia e Veriut"},
    {"en": "Albania", "mk": "Албанија", "sq": "Shqipëria"},
    {"en": "Kosovo", "mk": "Косово", "sq": "Kosova"},
    {"en": "Serbia", "mk": "Србија", "sq": "Serbia"},
    {"en": "Bulgaria", "mk": "Бугарија", "sq": "Bullgaria"},
    {"en": "Greece", "mk": "Грција", "sq": "Greqia"},
    {"en": "France", "mk": "Франција", "sq": "Franca"},
    {"en": "Belgium", "mk": "Белгија", "sq": "Belgjika"},
    # Cities of North Macedonia
    {"en": "Skopje", "mk": "Скопје", "sq": "Shkup"},
    {"en": "Bitola", "mk": "Битола", "sq": "Manastir"},
    {"en": "Tetovo", "mk": "Тетово", "sq": "Tetovë"},
    {"en": "Ohrid", "mk": "Охрид", "sq": "Ohër"},
    {"en": "Kumanovo", "mk": "Куманово", "sq": "Kumanovë"},
    {"en": "Štip", "mk": "Штип", "sq": "Shtip"},
    {"en": "Gostivar", "mk": "Гостивар", "sq": "Gostivar"},
    {"en": "Strumica", "mk": "Струмица", "sq": "Strumicë"},
    {"en": "Struga", "mk": "Струга", "sq": "Strugë"},
    {"en": "Kičevo", "mk": "Кичево", "sq": "Kërçovë"},
    {"en": "Veles", "mk": "Велес", "sq": "Veles"},
    {"en": "Prilep", "mk": "Прилеп", "sq": "Prilep"},
    {"en": "Kavadarci", "mk": "Кавадарци", "sq": "Kavadar"},
    {"en": "Debar", "mk": "Дебар", "sq": "Dibër"},
    # Where the partners sit
    {"en": "Strasbourg", "mk": "Стразбур", "sq": "Strasburg"},
    {"en": "Brussels", "mk": "Брисел", "sq": "Bruksel"},
)

# Spellings typed without the diacritics, as on many keyboards.
_ALSO_WRITTEN = {"Stip": "Štip", "Kicevo": "Kičevo"}


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


_BY_NAME: dict[str, dict[str, str]] = {
    _key(name): row for row in PLACE_NAMES for name in row.values()
} | {
    _key(typed): next(r for r in PLACE_NAMES if r["en"] == en)
    for typed, en in _ALSO_WRITTEN.items()
}


def place_name(name: str, language: str | None) -> str:
    """``name`` in ``language`` if it is a place this module knows, in any of its languages;
    otherwise ``name`` as it was typed."""
    row = _BY_NAME.get(_key(name or ""))
    if row is None:
        return name
    return row.get(language or settings.LANGUAGE_CODE) or row[settings.LANGUAGE_CODE]
