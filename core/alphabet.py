"""Names in the order of the reader's alphabet where the database has no ICU, and one Latin
spelling for names written in either script."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.conf import settings
from django.db.models import CharField, Expression, F, Func, Value
from django.db.models.functions import Lower, Replace
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

    It is the order where the database has no ICU (SQLite, ``make run``): the collation
    ``core.collation`` registers there and ``sorted_alphabetically``'s. On PostgreSQL lists
    are ordered by ICU (``core.collation``), not with this key.
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


# --- One spelling for names written in either script --------------------------------------

# How a name is spelled for comparing it across scripts: Macedonian Cyrillic in the Latin
# letters Macedonians write it with (ѓ gj, ж zh, ѕ dz, љ lj, њ nj, ќ kj, ч ch, џ dž, ш sh),
# and the Latin letters with a caron or an acute written out the same way (š sh, ž zh,
# č ch, ǵ gj, ḱ kj; ć and đ as Serbian and Croatian spell ќ and ѓ). "dž" and "dzh" end as
# "dz", which is how many spell џ without the caron. Applied in this order, to text that
# is lower-cased first; capitals are listed too because SQLite, and PostgreSQL under the
# C locale, lower only ASCII letters.
_CYRILLIC = (
    "а a б b в v г g д d ѓ gj е e ж zh з z ѕ dz и i ј j к k л l љ lj м m н n њ nj о o п p "
    "р r с s т t ќ kj у u ф f х h ц c ч ch џ dzh ш sh ѐ e ѝ i"
)
_LATIN = "š sh ž zh č ch ć kj đ gj ǵ gj ḱ kj ë e ç ch"


def _pairs(table: str) -> list[tuple[str, str]]:
    words = table.split()
    lower = list(zip(words[::2], words[1::2], strict=True))
    return [(letter.upper(), latin) for letter, latin in lower] + lower


LATIN_SPELLING: tuple[tuple[str, str], ...] = (
    *_pairs(_CYRILLIC),
    *_pairs(_LATIN),
    ("dzh", "dz"),
)


def latin_spelling(text: str) -> str:
    """``text`` (lower-cased already) spelled with ``LATIN_SPELLING``: "Стојановска" and
    "Stojanovska" both become "stojanovska", "Џафери" and "Džaferi" both "dzaferi"."""
    for letter, latin in LATIN_SPELLING:
        text = text.replace(letter, latin)
    return text


def _latin_spelling_of(text: str | None) -> str | None:
    return None if text is None else latin_spelling(text.casefold())


class LatinSpelling(Func):
    """The same spelling (``latin_spelling`` of the lower-cased text) worked out by the
    database for a text column, so that a search compares names without reading them out.

    PostgreSQL nests a ``REPLACE`` for each letter of ``LATIN_SPELLING``; SQLite's parser
    refuses that many, so there (``make run``) the database calls ``latin_spelling`` itself.
    """

    output_field = CharField()

    def __init__(self, field: str) -> None:
        super().__init__(F(field))

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> Any:
        expression: Expression = Lower(self.source_expressions[0])
        for letter, latin in LATIN_SPELLING:
            expression = Replace(expression, Value(letter), Value(latin))
        return compiler.compile(expression)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        connection.ensure_connection()
        connection.connection.create_function(
            "latin_spelling", 1, _latin_spelling_of, deterministic=True
        )
        sql, params = compiler.compile(self.source_expressions[0])
        return f"latin_spelling({sql})", params


def latin_spelling_in_database(field: str) -> LatinSpelling:
    """``LatinSpelling`` of the text column ``field``."""
    return LatinSpelling(field)
