"""Names in the order of the reader's alphabet, in every interface language."""

from __future__ import annotations

import unicodedata

from django.conf import settings
from django.utils.translation import get_language

# The letters of each interface language in their alphabet's order. A letter written with two
# characters (Albanian "dh", "gj", "ll", ...) is one letter, sorted after its first character.
_ALBANIAN = "a b c ç d dh e ë f g gj h i j k l ll m n nj o p q r rr s sh t th u v x xh y z zh"
_ALPHABETS: dict[str, list[str]] = {
    "en": list("abcdefghijklmnopqrstuvwxyz"),
    "mk": list("абвгдѓежзѕијклљмнњопрстќуфхцчџш"),
    "sq": _ALBANIAN.split(),
}
_RANKS = {code: {letter: rank for rank, letter in enumerate(a)} for code, a in _ALPHABETS.items()}

SortKey = tuple[tuple[tuple[int, int], ...], str, str]


def alphabet_key(text: str, language: str | None = None) -> SortKey:
    """A sort key that puts names in the order of the reader's alphabet.

    Python compares code points, which puts Macedonian Ј, Љ, Њ, Ѓ, Ќ, Џ and Ѕ before А, and
    Albanian "ç" and "ë" after "z". Here the language's own letters come in its alphabet's
    order (an accented letter with its plain one), digits before them, other scripts after;
    ties are broken by case and accents, so the order is total. ``language`` defaults to the
    active one.
    """
    code = (language or get_language() or settings.LANGUAGE_CODE).split("-")[0]
    ranks = _RANKS.get(code, _RANKS["en"])
    folded = unicodedata.normalize("NFC", text).casefold()
    letters: list[tuple[int, int]] = []
    i = 0
    while i < len(folded):
        for size in (2, 1):
            piece = folded[i : i + size]
            if len(piece) == size and piece in ranks:
                letters.append((2, ranks[piece]))
                i += size
                break
        else:
            char = folded[i]
            base = unicodedata.normalize("NFD", char)[0]
            if base in ranks:
                letters.append((2, ranks[base]))
            elif char.isdigit():
                letters.append((1, ord(char)))
            elif char.isalpha():
                letters.append((3, ord(base)))
            else:  # spaces and punctuation: before any letter, as in a dictionary
                letters.append((0, ord(char)))
            i += 1
    return (tuple(letters), folded, text)
