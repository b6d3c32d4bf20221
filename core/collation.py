"""Lists ordered by name in the reader's alphabet, by the database.

A list ordered by a plain text column follows the database's default collation: under the C
locale that is code point order, which puts Macedonian Ѓ, Ј, Љ, Њ, Ѕ before А and Albanian
"ç" and "ë" after "z". :func:`alphabetical` orders by the column collated with the ICU
collation of the reader's language instead (PostgreSQL's predefined ``mk-x-icu``,
``sq-x-icu`` and ``en-x-icu``). ICU's "sq" tailoring treats the digraphs dh, gj, ll, nj, rr, sh,
th, xh and zh as letters of their own ("Dhurata" after "Drita"); its "mk" puts Ѓ after Д,
Ѕ after З, Ј after И, Љ after Л, Њ after Н, Ќ after Т and Џ after Ч.

The language is the one active when the query runs (not when it is built), so a picker's
queryset written once on a form class follows each reader. A translated field (modeltranslation's
``name`` → ``name_mk``) is ordered by the text the reader sees: their language's column, or the
fallback's when it is empty.

Names already in memory (labels put on cached counts, names looked up after a count) are
put in the same order by :func:`sorted_alphabetically`, which asks PostgreSQL for it: one query
for the whole list, so that a page and its PDF or export never disagree with a list the database
ordered. Where the items come from a query, order the query with :func:`alphabetical` instead.

SQLite (``make run``) has no ICU: there the order comes from ``core.alphabet.alphabet_key``,
registered as a collation on the connection (and used by ``sorted_alphabetically``). It is
close to ICU's, not identical (ties between accents and case, other scripts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection
from django.db.models import CharField, Expression, F, Model, OrderBy, Value
from django.db.models.constants import LOOKUP_SEP
from django.db.models.functions import Coalesce, Collate, NullIf
from django.utils.translation import get_language
from modeltranslation.translator import NotRegistered, translator
from modeltranslation.utils import build_localized_fieldname, resolution_order

from core.alphabet import alphabet_key

# The PostgreSQL collation of each interface language: predefined by PostgreSQL when it is built
# with ICU (Debian's packages and the postgres Docker images are), one per ICU locale.
ICU_COLLATIONS: dict[str, str] = {"en": "en-x-icu", "mk": "mk-x-icu", "sq": "sq-x-icu"}

T = TypeVar("T")


def reader_language(language: str | None = None) -> str:
    """``language``, else the active one, as one of ``ICU_COLLATIONS``' codes."""
    code = (language or get_language() or settings.LANGUAGE_CODE).split("-")[0].lower()
    return code if code in ICU_COLLATIONS else settings.LANGUAGE_CODE.split("-")[0]


def _as_read(model: type[Model], field: str, language: str) -> Expression | F:
    """The text of ``field`` (a lookup path from ``model``) that a reader of ``language`` sees."""
    *path, name = field.split(LOOKUP_SEP)
    target = model
    for part in path:
        related = target._meta.get_field(part).related_model
        if related is None or isinstance(related, str):
            return F(field)
        target = related
    try:
        translated = name in translator.get_options_for_model(target).all_fields
    except NotRegistered:
        translated = False
    if not translated:
        return F(field)
    prefix = LOOKUP_SEP.join([*path, ""])
    columns = [
        F(prefix + build_localized_fieldname(name, code)) for code in resolution_order(language)
    ]
    if len(columns) == 1:
        return columns[0]
    # modeltranslation shows the fallback when the reader's column is empty.
    # Each translation field has a class of its own: name the type of the result.
    return Coalesce(
        *(NullIf(column, Value("")) for column in columns[:-1]),
        columns[-1],
        output_field=CharField(),
    )


def _sqlite_collation(language: str) -> Any:
    def compare(a: str, b: str) -> int:
        key_a, key_b = alphabet_key(a, language), alphabet_key(b, language)
        return (key_a > key_b) - (key_a < key_b)

    return compare


class ReaderCollate(Collate):
    """``COLLATE`` with the ICU collation of ``language`` on PostgreSQL; on SQLite the same
    alphabet from ``core.alphabet``; the plain expression on any other database."""

    def __init__(self, expression: Any, language: str) -> None:
        self.language = language
        super().__init__(expression, ICU_COLLATIONS[language])

    def as_sql(
        self,
        compiler: Any,
        connection: Any,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> Any:
        if connection.vendor == "postgresql":
            return super().as_sql(
                compiler,
                connection,
                function=function,
                template=template,
                arg_joiner=arg_joiner,
                **extra_context,
            )
        return compiler.compile(self.source_expressions[0])

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        name = f"reader_{self.language}"
        connection.ensure_connection()
        connection.connection.create_collation(name, _sqlite_collation(self.language))
        extra_context["collation"] = name
        return Collate.as_sql(self, compiler, connection, **extra_context)


class Alphabetical(F):
    """The text column ``field`` as the reader reads it, in the reader's alphabet.

    Like ``F(field)``, resolved when the query is compiled: the language is the one active
    then (or ``language``), the column the one the reader sees (:func:`_as_read`).
    """

    def __init__(self, field: str, language: str | None = None) -> None:
        super().__init__(field)
        self.field = field
        self.language = language

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.field!r}, {self.language!r})"

    def resolve_expression(
        self,
        query: Any = None,
        allow_joins: bool = True,
        reuse: Any = None,
        summarize: bool = False,
        for_save: bool = False,
    ) -> Any:
        language = reader_language(self.language)
        text = _as_read(query.model, self.field, language)
        return ReaderCollate(text, language).resolve_expression(
            query, allow_joins, reuse, summarize, for_save
        )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Alphabetical)
            and other.field == self.field
            and other.language == self.language
        )

    def __hash__(self) -> int:
        return hash((self.__class__, self.field, self.language))


def alphabetical(field: str, language: str | None = None, *, descending: bool = False) -> OrderBy:
    """Order by the text column ``field`` in the alphabet of ``language`` (default: the reader's).

    ``Institution.objects.order_by(alphabetical("name"), "pk")``; ``field`` may follow
    relations (``"institution__name"``, ``"participant__full_name"``).
    """
    return OrderBy(Alphabetical(field, language), descending=descending)


def sorted_alphabetically(
    items: Iterable[T], *, key: Callable[[T], Any] = str, language: str | None = None
) -> list[T]:
    """``items`` ordered by the text ``key`` gives each, in the alphabet of ``language``
    (default: the reader's), items with the same text in the order given.

    On PostgreSQL the database orders the texts with the language's ICU collation, as
    :func:`alphabetical` orders a column: one query for the whole list (none for fewer than
    two items), so call it once for a list, never once per row. Sort by another key first
    (a count) with Python's stable ``sorted`` on the result. On SQLite, ``alphabet_key``.
    """
    items = list(items)
    if len(items) < 2:
        return items
    code = reader_language(language)
    texts = [str(key(item) or "") for item in items]
    if connection.vendor != "postgresql":
        order = sorted(range(len(texts)), key=lambda i: alphabet_key(texts[i], code))
        return [items[i] for i in order]
    # The collation is one of ICU_COLLATIONS' names, quoted; the texts are a parameter. The
    # position breaks ties, so that equal texts keep the order they were given in.
    collation = connection.ops.quote_name(ICU_COLLATIONS[code])
    sql = (
        "SELECT ord FROM unnest(%s::text[]) WITH ORDINALITY AS t(name, ord) "  # noqa: S608
        f"ORDER BY name COLLATE {collation}, ord"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [texts])
        return [items[position - 1] for (position,) in cursor.fetchall()]
