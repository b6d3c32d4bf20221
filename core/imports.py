"""Spreadsheet imports: one engine for every kind of record, used by the portal, the admin
and the jobs.

Each kind has a resource (``<app>/resources.py``): a django-import-export ``ModelResource``
whose columns carry their headers in English, Macedonian and Albanian and a widget that reads
what people really type. The engine here does the rest, the same for every kind:

1. read the file (``core.spreadsheets``) and match its headers in any of the three
   languages, naming unknown and missing columns;
2. *plan*: read every row with cached look-ups (one query per table, whatever the number of
   rows), and say for each whether it is new, updates a record or changes nothing; every
   problem is kept with its row, column, value and reason, in the importer's language;
3. *apply*, only when no row has a problem: everything is written in one transaction, in
   bulk, or nothing is. Records are found by their natural keys, never by database ids, so
   the same file imported twice adds nothing the second time;
4. what the import created and changed is kept on its ``ImportBatch``, so that it can be
   rolled back while nobody has changed those records since.

The batch services at the end are what the views, the admin and the Celery jobs call.
"""

from __future__ import annotations

import functools
import gc
import logging
import operator
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Any, ClassVar

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import EmailValidator
from django.db import connection, models, transaction
from django.db.models import Model, QuerySet
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.utils import timezone, translation
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from import_export import fields, resources, widgets
from import_export.results import Result, RowResult

from core.alphabet import latin_spelling
from core.collation import sorted_alphabetically
from core.history import record_bulk
from core.spreadsheets import (
    CellNote,
    Sheet,
    SheetRow,
    column_letter,
    neutralise,
    unneutralise,
)
from core.translations import active_language, text_in

if TYPE_CHECKING:
    from stakeholders.models import User
    from trainings.models import Training

logger = logging.getLogger(__name__)

PREVIEW_ROWS = 5_000  # new and changed rows kept for the preview page; counts cover every row
PREVIEW_CELL = 120  # characters of a value the preview keeps
STORED_ERRORS = 1_000  # problems kept in full; the count covers them all
PROGRESS_EVERY = 250  # rows between two progress saves
MAX_CELL_REMARKS = 20  # remarks on single cells the check page lists before it counts the rest


# The pauses under way in this process (any thread) and whether the collector was on before
# the first of them: the collector is switched on again only when the last one ends, and only
# if it was on. ``_pauses_lock`` guards both.
_pauses_lock = threading.Lock()
_pauses = 0
_collector_was_on = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a file's rows are planned or written.

    Both make a few objects for every row while the whole file is held, so every few
    thousand rows the collector would walk every object of the process again: with 20,000
    rows, about a fifth of the time the import took. The rows' objects make no reference
    cycles to collect; whatever garbage does is collected once the pause ends.

    The collector is the process's, so in a threaded web worker (an import from the admin)
    the pause covers the other threads' requests too. That is acceptable: it only defers
    collecting reference cycles (reference counting still frees everything else at once),
    for no longer than the import, and the collector then collects what they left. What is
    not acceptable, and is ruled out here, is pauses in two threads undoing each other:
    pauses are counted under a lock, so overlapping or nested pauses keep the collector off
    until the last of them ends, and only switch it on again if it was on before the first
    (a process that turned it off itself keeps it off).
    """
    global _pauses, _collector_was_on
    with _pauses_lock:
        if _pauses == 0:
            _collector_was_on = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pauses_lock:
            _pauses -= 1
            if _pauses == 0 and _collector_was_on:
                gc.enable()


def attname_of(model: type[Model] | Model, name: str) -> str:
    """The attribute a field's value is held in (``parent_id`` for ``parent``)."""
    return str(getattr(model._meta.get_field(name), "attname", name))


def key(text: Any) -> str:
    """How names and headers are compared: case, accents' encoding, spacing and a trailing
    "*" (the templates mark required columns so) do not matter."""
    text = unicodedata.normalize("NFC", "" if text is None else str(text))
    return " ".join(text.replace("*", " ").split()).casefold()


# --- Headers in three languages ------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    """A column's header in each of the platform's languages."""

    en: str
    mk: str
    sq: str

    def in_language(self, language: str | None) -> str:
        return str(getattr(self, (language or "en")[:2], "") or self.en)

    def current(self) -> str:
        return self.in_language(translation.get_language())

    def all(self) -> tuple[str, str, str]:
        return (self.en, self.mk, self.sq)


_lazy_header = lazy(Header.current, str)


# --- Problems --------------------------------------------------------------------------------


class CellProblem(ValueError):
    """What is wrong with one cell, in the reader's language.

    ``unknown``: the names in it that no record has, each with the look-up it was sought in,
    so that the check page can offer to map each of them once for the whole file.
    """

    def __init__(self, message: str, *, unknown: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.unknown = tuple(unknown)


class UnknownName(CellProblem):
    """A name that no record of a look-up has."""


class FractionNotPercent(CellProblem):
    """A score written as a fraction (0.45) where the column takes percentages."""


@dataclass(frozen=True)
class RowError:
    """A problem found in a file: its row, column, the value as written, and why."""

    row: int
    column: str
    letter: str
    value: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "letter": self.letter,
            "value": self.value[:200],
            "message": self.message,
        }


class RowRejected(Exception):
    """Problems a resource found with a row; each names the field it concerns (or None)."""

    def __init__(self, *problems: tuple[str | None, str]) -> None:
        super().__init__("; ".join(message for _name, message in problems))
        self.problems = list(problems)


# --- Widgets: what people type, read into values ---------------------------------------------


def as_text(value: Any) -> str:
    """A cell as text: 12.0 from a spreadsheet is "12", a date is written day-first."""
    if type(value) is str:
        # Most cells: text without an apostrophe, which has nothing to unneutralise.
        return value if "'" not in value else str(unneutralise(value))
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return str(unneutralise(str(value)))


class TextWidget(widgets.Widget):
    def __init__(self, *, max_length: int | None = None, multiline: bool = False) -> None:
        super().__init__()
        self.max_length = max_length
        self.multiline = multiline

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = as_text(value)
        if self.multiline:
            text = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n"))
            text = text.strip()
        else:
            spaced = " ".join(text.split())
            # The cell's own string when nothing changed: the reader keeps a value repeated
            # down a column once, and a plan of 50,000 rows would copy it 50,000 times.
            text = text if spaced == text else spaced
        if self.max_length and len(text) > self.max_length:
            raise CellProblem(
                _("At most %(max)s characters; this has %(n)s.")
                % {"max": self.max_length, "n": len(text)}
            )
        return text

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return "" if value is None else str(value)


@functools.cache
def _email_validator() -> EmailValidator:
    """Django's email rule (``validate_email``) with its patterns compiled as plain ones: behind
    Django's lazy proxies, each of a large file's addresses costs several look-ups more."""
    validator = EmailValidator()
    for name in ("user_regex", "domain_regex", "literal_regex"):
        lazy = getattr(EmailValidator, name)
        setattr(validator, name, re.compile(lazy.pattern, lazy.flags))
    return validator


class EmailWidget(TextWidget):
    def __init__(self) -> None:
        super().__init__(max_length=254)

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = super().clean(value).replace(" ", "")
        if text.lower().startswith("mailto:"):
            text = text[7:]
        if text:
            try:
                _email_validator()(text)
            except ValidationError:
                raise CellProblem(_("Not a valid email address.")) from None
        return text


class DateWidget(widgets.Widget):
    """Dates as typed in North Macedonia (31.03.2025, 31.3.2025 г.), ISO dates (2025-03-31),
    and real spreadsheet dates; never month-first."""

    repeats = True  # see _FileColumn

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> date | None:

        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            # A date the spreadsheet stores as a day number (1 = 1 January 1900).
            if 1 <= value <= 73_415:
                from openpyxl.utils.datetime import from_excel

                return from_excel(float(value)).date()
            raise CellProblem(_("Not a date. Write it as dd.mm.yyyy, for example 31.03.2025."))
        text = str(value).strip().lower()
        text = re.sub(r"\s*(г\.?|god\.?|год\.?)$", "", text).rstrip(".").strip()
        iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2})?.*)?", text)
        day_first = re.fullmatch(r"(\d{1,2})\s*[./-]\s*(\d{1,2})\s*[./-]\s*(\d{2,4})", text)
        try:
            if iso:
                return date(int(iso[1]), int(iso[2]), int(iso[3]))
            if day_first:
                if len(day_first[3]) != 4:
                    raise CellProblem(_("Write the year with four digits, for example 31.03.2025."))
                return date(int(day_first[3]), int(day_first[2]), int(day_first[1]))
        except ValueError:
            raise CellProblem(_("There is no such day in the calendar.")) from None
        raise CellProblem(_("Not a date. Write it as dd.mm.yyyy, for example 31.03.2025."))

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return value


class DecimalWidget(widgets.Widget):
    """Numbers as typed: 45, 45.5, 45,5, 1 234,5, 45% — within a range, to two places.

    A ``percentage`` (a score out of 100) refuses a fraction between 0 and 1 written without
    a per cent sign: 0.8 is most likely 80 % as a spreadsheet keeps it, and is not stored as
    0.8 on a guess.
    """

    repeats = True  # see _FileColumn

    def __init__(
        self,
        *,
        minimum: Decimal | None = None,
        maximum: Decimal | None = None,
        places: int = 2,
        percentage: bool = False,
    ) -> None:
        super().__init__()
        self.minimum = minimum
        self.maximum = maximum
        self.quantum = Decimal(1).scaleb(-places)
        self.percentage = percentage

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Decimal | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool):
            raise CellProblem(_("Not a number."))
        per_cent = False
        if isinstance(value, (int, Decimal)):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(repr(value))
        else:
            per_cent = str(value).strip().endswith("%")
            text = str(value).strip().rstrip("%").strip()
            text = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
            if "," in text and "." in text:
                decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
                text = text.replace("." if decimal_mark == "," else ",", "")
            text = text.replace(",", ".")
            try:
                number = Decimal(text)
            except InvalidOperation:
                raise CellProblem(_("Not a number.")) from None
        if not number.is_finite():
            raise CellProblem(_("Not a number."))
        if self.percentage and not per_cent and 0 < number < 1:
            if kwargs.get("options", {}).get("fractions_are_percentages"):
                # The importer said, once for the whole file, that its scores are fractions.
                number *= 100
            else:
                times_100 = f"{(number * 100).quantize(self.quantum).normalize():f}"
                raise FractionNotPercent(
                    _(
                        "%(value)s looks like a fraction: if it means %(percent)s %%, type "
                        "%(percent)s."
                    )
                    % {"value": as_text(value).strip(), "percent": times_100}
                )
        number = number.quantize(self.quantum)
        if (self.minimum is not None and number < self.minimum) or (
            self.maximum is not None and number > self.maximum
        ):
            if self.maximum is None:
                raise CellProblem(_("The number cannot be below %(min)s.") % {"min": self.minimum})
            raise CellProblem(
                _("The number must be between %(min)s and %(max)s.")
                % {"min": self.minimum, "max": self.maximum}
            )
        return number

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return value


class IntegerWidget(widgets.Widget):
    repeats = True  # see _FileColumn

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> int | None:
        text = as_text(value).strip().rstrip(".")
        if not text:
            return None
        if not text.isdigit():
            raise CellProblem(_("Not a whole number."))
        return int(text)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return value


class ChoiceWidget(widgets.Widget):
    """One of fixed values, written as its label in any language, its code, or a synonym."""

    repeats = True  # see _FileColumn

    def __init__(
        self,
        choices: type[models.TextChoices],
        *,
        synonyms: Mapping[Any, Iterable[str]] | None = None,
        parse: Callable[[str], str | None] | None = None,
    ) -> None:
        super().__init__()
        self.choices = choices
        self.synonyms = synonyms or {}
        self.parse = parse
        self._words: dict[str, str] | None = None

    def words(self) -> dict[str, str]:
        if self._words is None:
            words: dict[str, str] = {}
            for value in self.choices.values:
                words[key(value)] = value
                words[key(value.replace("_", " "))] = value
                for language, _name in settings.LANGUAGES:
                    with translation.override(language):
                        words[key(self.choices(value).label)] = value
            for value, more in self.synonyms.items():
                for word in more:
                    words[key(word)] = value
            self._words = words
        return self._words

    def labels(self) -> list[str]:
        return [str(label) for label in self.choices.labels]

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str | None:
        text = as_text(value).strip()
        if not text:
            return None
        found = self.parse(text) if self.parse else None
        found = found or self.words().get(key(text).rstrip("."))
        if found is None:
            raise CellProblem(_("Not one of: %(choices)s.") % {"choices": ", ".join(self.labels())})
        return found

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if value in (None, ""):
            return ""
        try:
            return str(self.choices(value).label)
        except ValueError:
            return str(value)


_YES = {"yes", "y", "true", "1", "x", "✓", "да", "д", "po", "p", "ja", "si"}
_NO = {"no", "n", "false", "0", "не", "н", "jo", "j"}


class BooleanWidget(widgets.Widget):
    repeats = True  # see _FileColumn

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> bool | None:
        if isinstance(value, bool):
            return value
        text = key(as_text(value)).rstrip(".")
        if not text:
            return None
        if text in _YES:
            return True
        if text in _NO:
            return False
        raise CellProblem(_("Write yes or no (да or не, po or jo)."))

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if value is None:
            return ""
        return _("yes") if value else _("no")


def fold(text: Any) -> str:
    """How names are compared when looking for the closest ones: ``key``, spelled in Latin
    letters (Cyrillic and Latin spellings meet) and without accents."""
    spelled = latin_spelling(key(text))
    return "".join(
        c for c in unicodedata.normalize("NFKD", spelled) if not unicodedata.combining(c)
    )


def in_reader_language(names: Iterable[str | None], languages: Iterable[str]) -> str:
    """Of a record's names in ``languages`` (in that order), the one a reader of the active
    language reads: theirs, else the fallback languages' (``core.translations.text_in``, the
    rule every translated field follows)."""
    return text_in(dict(zip(languages, names, strict=False)), active_language())


SUGGESTIONS = 3  # closest known names the check page offers for a name nobody has
_CLOSE_ENOUGH = 0.55  # how alike (difflib's ratio, 0–1) a suggestion must be at least


class NameIndex:
    """Records found by any of their names, in any language; built once per import.

    ``entries``: (pk, every name it may be written as, its name in the reader's language).
    """

    def __init__(self, entries: Iterable[tuple[int, Iterable[str], str]], *, noun: str) -> None:
        self.by_name: dict[str, set[int]] = {}
        self.labels: dict[int, str] = {}
        self.folded: dict[int, set[str]] = {}
        self.noun = noun
        for pk, names, label in entries:
            self.labels[pk] = label
            for name in names:
                if name and str(name).strip():
                    self.by_name.setdefault(key(name), set()).add(pk)
                    self.folded.setdefault(pk, set()).add(fold(name))

    def find(self, text: str) -> int:
        found = self.by_name.get(key(text), set())
        if len(found) == 1:
            return next(iter(found))
        if found:
            raise CellProblem(
                _("More than one %(noun)s has this name: %(names)s. Use a fuller name or code.")
                % {"noun": self.noun, "names": "; ".join(sorted(self.labels[p] for p in found))}
            )
        raise UnknownName(
            _("No %(noun)s has this name. Check the spelling, or see the list in the template.")
            % {"noun": self.noun}
        )

    def alias(self, text: str, pk: int) -> None:
        """Read ``text`` as the record ``pk`` from now on (a mapping the importer chose)."""
        self.by_name[key(text)] = {pk}

    def suggest(self, text: str, limit: int = SUGGESTIONS) -> list[int]:
        """The records whose names are closest to ``text``, closest first: alike once case,
        script and accents are set aside, or one name holding the other's words."""
        wanted = fold(text)
        words = set(wanted.split())
        scored: list[tuple[float, str, int]] = []
        for pk, names in self.folded.items():
            best = 0.0
            for name in names:
                ratio = SequenceMatcher(None, wanted, name).ratio()
                stems = {w[:5] for w in name.split()}
                if words and {w[:5] for w in words} <= stems:
                    ratio = max(ratio, 0.9)
                best = max(best, ratio)
            if best >= _CLOSE_ENOUGH:
                scored.append((-best, self.labels[pk].casefold(), pk))
        return [pk for _score, _label, pk in sorted(scored)[:limit]]

    def options(self) -> list[tuple[int, str]]:
        """(pk, name) of every record, in the reader's alphabetical order: one query, once."""
        if not hasattr(self, "_options"):  # asked again for each unknown name on a page
            self._options = sorted_alphabetically(self.labels.items(), key=lambda item: item[1])
        return self._options

    def choices(self) -> list[str]:
        """Every record's name in the reader's language, in their alphabetical order."""
        return [label for _pk, label in self.options()]


class RefWidget(widgets.Widget):
    """A record (or several, separated by ";" or new lines) named as people name it."""

    def __init__(self, index: str, *, many: bool = False) -> None:
        super().__init__()
        self.index = index
        self.many = many
        self.repeats = not many  # a list of records is made anew for each cell

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        lookups: dict[str, NameIndex] = kwargs["lookups"]
        text = as_text(value).strip()
        if not self.many:
            try:
                return lookups[self.index].find(text) if text else None
            except UnknownName as exc:
                raise UnknownName(str(exc), unknown=[(self.index, text)]) from None
        parts = [p.strip() for p in text.replace("\n", ";").split(";") if p.strip()]
        found: list[int] = []
        problems: list[str] = []
        unknown: list[tuple[str, str]] = []
        for part in parts:
            try:
                pk = lookups[self.index].find(part)
            except CellProblem as exc:
                problems.append(f"“{part}”: {exc}")
                if isinstance(exc, UnknownName):
                    unknown.append((self.index, part))
            else:
                if pk not in found:
                    found.append(pk)
        if problems:
            raise CellProblem(" ".join(problems), unknown=unknown)
        return found

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, models.Manager):
            # In the reader's alphabet: each export_queryset prefetches the records in it.
            return "; ".join(_label_of(o) for o in value.all())
        return _label_of(value)


def _label_of(obj: Any) -> str:
    return str(getattr(obj, "name", None) or obj)


# --- Columns -------------------------------------------------------------------------------


class Column(fields.Field):
    """A spreadsheet column: a django-import-export field whose header exists in the three
    languages (exports use the reader's), with what it accepts, for the template."""

    def __init__(
        self,
        header: Header,
        widget: widgets.Widget,
        *,
        attribute: str | None = None,
        required: bool = False,
        help_text: str | Any = "",
        choices: Callable[[Any], list[str]] | None = None,
        importable: bool = True,
        in_template: bool = True,
    ) -> None:
        super().__init__(attribute=attribute, column_name=_lazy_header(header), widget=widget)
        self.header = header
        self.required = required
        self.help_text = help_text
        self.choices = choices
        self.importable = importable
        # A column only exports carry, read back when a file comes again (which training
        # an attendance export is of); the template leaves it out.
        self.in_template = in_template


class _FileColumn:
    """A column of the file being planned: where it is, its header as written, and what each
    of its cells needs from the resource's column, looked up once rather than per cell.

    ``read``: the values its widget read, by cell, when the widget ``repeats`` (reads the
    same cell the same way all through a plan: the look-ups and the importer's choices are
    settled before the first row). A file repeats a few sexes, institutions, yes and no,
    dates and scores down 20,000 rows: each is read once. A cell with a problem is read
    again each time, so that every row reports it. Free text (names, emails) is not kept.
    """

    __slots__ = ("clean", "header", "letter", "name", "position", "read", "required", "scored")

    def __init__(self, position: int, name: str, header: str, letter: str, column: Column) -> None:
        self.position = position
        self.name = name
        self.header = header
        self.letter = letter
        self.required = column.required
        self.scored = bool(getattr(column.widget, "percentage", False))
        self.clean = column.widget.clean
        self.read: dict[tuple[type, Any], Any] | None = (
            {} if getattr(column.widget, "repeats", False) else None
        )

    def value(self, cell: Any, lookups: dict[str, NameIndex], options: dict[str, Any]) -> Any:
        """The cell read by the column's widget; CellProblem when it cannot be."""
        read = self.read
        if read is None:
            return self.clean(cell, row=None, lookups=lookups, options=options)
        seen_as = (type(cell), cell)  # by type too: True, 1 and 1.0 are one key to a dict
        try:
            return read[seen_as]
        except KeyError:
            pass
        except TypeError:  # not a file's cell (a dataset's list): read each time
            return self.clean(cell, row=None, lookups=lookups, options=options)
        found = read[seen_as] = self.clean(cell, row=None, lookups=lookups, options=options)
        return found


@dataclass
class RowPlan:
    """What importing one row will do."""

    number: int
    action: str  # "new", "update" or "unchanged"
    label: str
    key: tuple[Any, ...] = ()
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    data: Any = None
    # What each of the file's columns (``Plan.columns``) will hold once written, as the
    # record's page shows it; None for an empty cell. ``was``: a changed cell's old value,
    # by its position in ``cells``.
    cells: list[str | None] = field(default_factory=list)
    was: dict[int, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "row": self.number,
            "action": self.action,
            "label": self.label[:200],
            "changes": [[h, str(a)[:120], str(b)[:120]] for h, a, b in self.changes],
        }
        if self.cells:
            found["cells"] = [None if c is None else c[:PREVIEW_CELL] for c in self.cells]
            found["was"] = {str(i): old[:PREVIEW_CELL] for i, old in self.was.items()}
        return found


@dataclass
class Unknown:
    """A name in a file that no record of a look-up has, and where it was found."""

    index: str
    text: str
    header: str
    letter: str
    rows: list[int] = field(default_factory=list)
    suggestions: list[tuple[int, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "text": self.text[:200],
            "header": self.header,
            "letter": self.letter,
            "rows": self.rows[:50],
            "count": len(self.rows),
            "suggestions": [[pk, label] for pk, label in self.suggestions],
        }


@dataclass(frozen=True)
class ValueChoice:
    """A name the importer (or an earlier import from the same institution) said stands for
    a known record: ``text`` in look-up ``index`` is read as record ``pk``."""

    index: str
    text: str
    pk: int
    earlier: bool = False  # remembered from an earlier file, not chosen for this one


@dataclass
class Plan:
    """Everything checking a file found: a plan per valid row, and every problem."""

    rows: list[RowPlan] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0
    # What the file became, in the reader's language: how the table was found, the columns
    # and rows left out (and why), remarks on single cells.
    notes: list[str] = field(default_factory=list)
    # The fields of the file's columns, in the file's order: the preview's columns.
    columns: list[str] = field(default_factory=list)
    # Each distinct name no record has, once per look-up: where it is, on which rows, and
    # the closest known names (``Unknown``), so the check page can map each once.
    unknown: dict[tuple[str, str], Unknown] = field(default_factory=dict)
    # Score cells in all, and those written as fractions: when every one is a fraction the
    # check page asks once whether they are percentages.
    score_cells: int = 0
    fraction_cells: int = 0
    # A check keeps only what its batch stores: the first ``keep_rows`` rows that change
    # something (the preview), without what to write; ``counts`` cover every row. None keeps
    # every row, as the import needs them to write (see docs/benchmarks.md, "Import memory").
    keep_rows: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    # Rows given the preview's cells so far: only the first PREVIEW_ROWS rows that change
    # something are shown (and stored on the batch), whether or not the plan keeps more.
    previewed: int = 0

    @property
    def all_scores_fractions(self) -> bool:
        return self.fraction_cells > 0 and self.fraction_cells == self.score_cells

    def keeps(self, row: RowPlan) -> bool:
        """Whether a planned row is kept in ``rows`` (all are counted)."""
        if self.keep_rows is None:
            return True
        return row.action != "unchanged" and len(self.rows) < self.keep_rows

    def add(self, row: RowPlan) -> None:
        """Count a planned row, and keep it when the plan keeps it."""
        self.counts[row.action] = self.counts.get(row.action, 0) + 1
        if self.keeps(row):
            if self.keep_rows is not None:
                row.data = None  # the import plans the row again before it writes
            self.rows.append(row)

    def count(self, action: str) -> int:
        if self.counts:
            return self.counts.get(action, 0)
        return sum(1 for r in self.rows if r.action == action)


class Changes:
    """What an import wrote, kept on its batch so that it can be rolled back."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        data = data or {}
        self.created: dict[str, list[int]] = dict(data.get("created", {}))
        self.updated: dict[str, dict[str, dict[str, Any]]] = dict(data.get("updated", {}))
        self.m2m: dict[str, dict[str, dict[str, list[int]]]] = dict(data.get("m2m", {}))
        self.order: list[str] = list(data.get("order", []))

    def _seen(self, label: str) -> None:
        if label not in self.order:
            self.order.append(label)

    def add_created(self, model: type[Model], pks: Iterable[int]) -> None:
        label = model._meta.label_lower
        self._seen(label)
        self.created.setdefault(label, []).extend(pks)

    def add_updated(self, obj: Model, fields_: Iterable[str]) -> None:
        """Remember the values the fields hold now, before the import changes them."""
        label = obj._meta.label_lower
        self._seen(label)
        before = self.updated.setdefault(label, {}).setdefault(str(obj.pk), {})
        for name in fields_:
            if name not in before:
                attname = attname_of(obj, name)
                before[name] = _jsonable(getattr(obj, attname))

    def add_m2m(self, obj: Model, name: str, pks: Iterable[int]) -> None:
        label = obj._meta.label_lower
        self._seen(label)
        self.m2m.setdefault(label, {}).setdefault(name, {}).setdefault(str(obj.pk), sorted(pks))

    def as_json(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "m2m": self.m2m,
            "order": self.order,
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, (Decimal, date, datetime)):
        return DjangoJSONEncoder().default(value)
    return value


# --- The resource every kind builds on ---------------------------------------------------------


class SpreadsheetResource(resources.ModelResource):
    """A django-import-export resource that imports through the engine above.

    Subclasses declare their ``Column``s and implement ``prepare`` (the cached look-ups),
    ``plan_row`` (one row checked and compared with what is stored), ``write`` (the valid
    rows written in bulk) and the permission hooks.
    """

    kind: ClassVar[str] = ""
    # The tables an import writes to: locked while it writes, watched for changes meanwhile.
    written: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, *, user: User | None = None, training: Training | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        # The permission gates take a User; one that is None (a resource built by
        # django-import-export itself) counts as anonymous there and sees nothing.
        self.user: Any = user
        self.training = training
        self.lookups: dict[str, NameIndex] = {}
        # What the importer decided for this file: names read as known records, and
        # ``fractions_are_percentages``.
        self.value_choices: list[ValueChoice] = []
        self.options: dict[str, Any] = {}
        # Where remembered choices come from, for the check page's notes.
        self.source_label = ""
        # The preview's column positions by header, found once per plan (``_positions``),
        # and the labels ``show`` found while planning, in the plan's language.
        self._preview_positions: dict[str, int] | None = None
        self._labels: dict[tuple[str, Any], str] | None = None

    # Columns and headers ------------------------------------------------------------------

    @classmethod
    def columns(cls) -> list[tuple[str, Column]]:
        """The columns in the order of ``Meta.fields``: the templates' and exports' order."""
        order = list(getattr(cls._meta, "fields", None) or cls.fields)
        return [
            (name, cls.fields[name]) for name in order if isinstance(cls.fields.get(name), Column)
        ]

    def get_export_order(self) -> tuple[str, ...]:
        return tuple(name for name, _column in self.columns())

    @classmethod
    def import_columns(cls) -> list[tuple[str, Column]]:
        return [(name, c) for name, c in cls.columns() if c.importable]

    @classmethod
    def template_columns(cls) -> list[tuple[str, Column]]:
        """The columns the template offers (and an unknown column's problem names)."""
        return [(name, c) for name, c in cls.import_columns() if c.in_template]

    @classmethod
    def header_index(cls) -> dict[str, str]:
        index: dict[str, str] = {}
        for name, column in cls.import_columns():
            for header in (*column.header.all(), name):
                index[key(header)] = name
        return index

    @classmethod
    def recognises(cls, headers: list[str]) -> bool:
        """Whether a row is this table's header row: most of its headers are ours."""
        index = cls.header_index()
        present = [h for h in headers if key(h)]
        known = [h for h in present if key(h) in index]
        return bool(known) and len(known) * 2 >= len(present)

    # Permissions: overridden by each kind -------------------------------------------------

    @classmethod
    def may_import(cls, user: User) -> bool:
        """Whether someone outside the programme team may import this kind (the team's rule
        is the import gate's, imports.permissions.may_import_kind)."""
        return False

    def target_problem(self) -> str | None:
        """Why the import cannot go where it is aimed (a training the user may not change)."""
        return None

    def export_queryset(self) -> QuerySet[Any]:
        """The records the user may see, for an export."""
        raise NotImplementedError

    # Export ---------------------------------------------------------------------------------

    def get_export_headers(self, selected_fields: Any = None) -> list[str]:
        return [str(f.column_name) for f in self.get_export_fields(selected_fields) if f]

    def export(self, queryset: Any = None, **kwargs: Any) -> Any:
        """The records as a dataset, headers in the reader's language, every text cell
        neutralised, whichever format it is written to afterwards. A queryset given (the
        admin's list) is held to the records ``export_queryset`` lets the user see."""
        scoped = self.export_queryset()
        if queryset is None:
            queryset = scoped
        else:
            # The admin's list as it is filtered, held to what the user may see, with the
            # kind's look-ups and order: the same file as the portal's, for those records.
            pks = (
                queryset.values("pk")
                if isinstance(queryset, QuerySet)
                else [obj.pk for obj in queryset]
            )
            queryset = scoped.filter(pk__in=pks)
        dataset = super().export(queryset=queryset, **kwargs)
        rows = [[neutralise(value) for value in row] for row in dataset]
        headers = [neutralise(h) for h in dataset.headers or []]
        dataset.wipe()
        dataset.headers = headers
        for row in rows:
            dataset.append(row)
        return dataset

    # Import: what django-import-export calls ------------------------------------------------

    def import_data(
        self,
        dataset: Any,
        dry_run: bool = False,
        raise_errors: bool = False,
        use_transactions: bool | None = None,
        collect_failed_rows: bool = False,
        rollback_on_validation_errors: bool = False,
        **kwargs: Any,
    ) -> Result:
        """Check a dataset and, unless ``dry_run`` or a row has a problem, import it all.

        Returns django-import-export's ``Result`` (so its admin and tools understand it):
        a row result per row, and every problem as a validation error on its row.
        """
        sheet = Sheet(
            headers=[as_text(h) for h in dataset.headers or []],
            rows=[SheetRow(i + 2, list(row)) for i, row in enumerate(dataset)],
            file_format="dataset",
        )
        plan = self.plan(sheet)
        if not dry_run and not plan.errors:
            with transaction.atomic():
                self.apply(plan)
        return _as_result(plan)

    # Planning --------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Build the look-ups every row needs, with one query per table."""

    def prepare_lookups(self) -> None:
        """The named records the template's drop-down lists offer."""
        self.prepare()

    def plan_row(self, number: int, values: dict[str, Any]) -> RowPlan:
        raise NotImplementedError

    def write(self, rows: list[RowPlan], changes: Changes) -> None:
        raise NotImplementedError

    def plan(
        self,
        sheet: Sheet,
        *,
        progress: Callable[[int, int], None] | None = None,
        keep_rows: int | None = None,
        release: bool = False,
    ) -> Plan:
        """Plan every row of the sheet; ``keep_rows``: keep only that many rows that change
        something (a check, which stores a preview), else every row (an import).

        ``release``: the sheet is planned once (a check): its rows are let go as they are
        planned, so that the file's rows and the plan are not both held whole at the peak.
        """
        plan = Plan(
            total=len(sheet.rows), notes=[str(note) for note in sheet.notes], keep_rows=keep_rows
        )
        problem = self.target_problem()
        if problem:
            plan.errors.append(RowError(0, "", "", "", problem))
            return plan
        rows = self._without_trailing(sheet, plan)
        plan.total = len(rows)
        mapping = self._map_headers(sheet, plan, rows)
        header_problems = bool(plan.errors)
        self._read_cell_notes(sheet, plan, {row.number for row in rows})
        if header_problems:
            return plan
        self.prepare()
        self._apply_value_choices(plan)
        seen: dict[tuple[Any, ...], int] = {}
        columns = dict(self.import_columns())
        plan.columns = [name for _position, (name, _header) in sorted(mapping.items())]
        # What each row's cells need from their column, found once for the whole file.
        cells = [
            _FileColumn(position, name, header, column_letter(position), columns[name])
            for position, (name, header) in mapping.items()
        ]
        self._preview_positions = self._positions(plan.columns)
        count = len(rows)
        if release:
            sheet.rows = []
            rows.reverse()  # planned from the end of the list: each popped row is let go
        self._labels = {}
        try:
            with collector_paused():
                for i in range(1, count + 1):
                    row = rows.pop() if release else rows[i - 1]
                    self._plan_one(row, cells, columns, plan, seen)
                    if progress is not None and (i % PROGRESS_EVERY == 0 or i == count):
                        progress(i, count)
        finally:
            self._labels = None
        if not count:
            plan.errors.append(
                RowError(sheet.header_row, "", "", "", _("The file has headers but no rows."))
            )
        for unknown in plan.unknown.values():
            index = self.lookups[unknown.index]
            unknown.suggestions = [(pk, index.labels[pk]) for pk in index.suggest(unknown.text)]
        if self.options.get("fractions_are_percentages"):
            plan.notes.append(
                _(
                    "Scores written as fractions were read as percentages (0.45 as 45), as "
                    "you said for this file."
                )
            )
        return plan

    def _apply_value_choices(self, plan: Plan) -> None:
        """Read the names the importer mapped as the records chosen, and say so."""
        for choice in self.value_choices:
            index = self.lookups.get(choice.index)
            if index is None or choice.pk not in index.labels:
                continue  # the record is gone or out of reach: the name is unknown again
            index.alias(choice.text, choice.pk)
            facts = {"text": choice.text, "name": index.labels[choice.pk]}
            if choice.earlier:
                facts["source"] = self.source_label
                plan.notes.append(
                    _(
                        "“%(text)s” was read as “%(name)s”, as chosen for an earlier file "
                        "from %(source)s."
                    )
                    % facts
                )
            else:
                plan.notes.append(
                    _("“%(text)s” was read as “%(name)s”, as chosen for this file.") % facts
                )

    def _without_trailing(self, sheet: Sheet, plan: Plan) -> list[SheetRow]:
        """The rows but those after the table that are not records: signature lines, totals,
        a note in one cell; each left out is named in the notes."""
        index = self.header_index()
        named = {p: index.get(key(h)) for p, h in enumerate(sheet.headers)}
        required = {n for n, c in self.import_columns() if c.required}
        rows = list(sheet.rows)
        skipped: list[str] = []
        while rows:
            why = _not_a_record(rows[-1], named, required)
            if why is None:
                break
            row = rows.pop()
            text = " | ".join(as_text(c).strip() for c in row.cells if as_text(c).strip())
            if len(text) > 80:
                text = text[:79] + "…"
            skipped.append(why % {"row": row.number, "text": text})
        plan.notes.extend(reversed(skipped))
        return rows

    def _read_cell_notes(self, sheet: Sheet, plan: Plan, kept: set[int]) -> None:
        """The reader's remarks on single cells: a blocking one is a problem of its row (unless
        the row was left out), any other a note."""
        cells = {row.number: row.cells for row in sheet.rows}
        remarks = 0
        for note in sheet.cell_notes:
            header = sheet.headers[note.column] if 0 <= note.column < len(sheet.headers) else ""
            letter = column_letter(note.column)
            if note.blocking and (note.row in kept or note.row not in cells):
                row_cells = cells.get(note.row, [])
                value = row_cells[note.column] if 0 <= note.column < len(row_cells) else None
                plan.errors.append(
                    RowError(note.row, str(header), letter, as_text(value), str(note.message))
                )
            else:
                remarks += 1
                if remarks <= MAX_CELL_REMARKS:
                    plan.notes.append(_cell_note_text(note, str(header), letter))
        if remarks > MAX_CELL_REMARKS:
            # A column of formulas would give a remark per row: the first ones say what it is.
            more = remarks - MAX_CELL_REMARKS
            plan.notes.append(
                ngettext(
                    "And %(n)s more cell like these.", "And %(n)s more cells like these.", more
                )
                % {"n": more}
            )

    def _map_headers(
        self, sheet: Sheet, plan: Plan, rows: list[SheetRow] | None = None
    ) -> dict[int, tuple[str, str]]:
        """Column position → (field name, header as written), or a problem for each bad one.

        Columns that are plainly not the template's data (a row number, an empty column, a
        column the file hides) are left out and named in the notes; any other column that is
        not the template's is a problem, as the import cannot tell what it holds.
        """
        rows = sheet.rows if rows is None else rows
        index = self.header_index()
        # Columns an export adds for the reader (a workflow state) are read past.
        shown_only = {
            key(h) for n, c in self.columns() if not c.importable for h in (*c.header.all(), n)
        }
        hidden = set(sheet.hidden_columns)
        width = max([len(sheet.headers), *(len(r.cells) for r in rows)])
        mapping: dict[int, tuple[str, str]] = {}
        unknown: list[str] = []
        for position in range(width):
            header = as_text(sheet.headers[position]) if position < len(sheet.headers) else ""
            letter = column_letter(position)
            if key(header) and key(header) in shown_only:
                continue
            name = index.get(key(header)) if key(header) else None
            if name in {n for n, _h in mapping.values()}:
                plan.errors.append(
                    RowError(
                        sheet.header_row,
                        header,
                        letter,
                        header,
                        _("This column appears twice."),
                    )
                )
                continue
            if name is not None:
                mapping[position] = (name, header)
                if position in hidden:
                    plan.notes.append(
                        _("Column %(letter)s “%(header)s” is hidden in the file; it was imported.")
                        % {"letter": letter, "header": header}
                    )
                continue
            filled = [
                r.cells[position]
                for r in rows
                if position < len(r.cells) and as_text(r.cells[position]).strip()
            ]
            if position in hidden:
                plan.notes.append(
                    _("Column %(letter)s “%(header)s” is hidden in the file: it was not imported.")
                    % {"letter": letter, "header": header}
                )
            elif not key(header) and not filled:
                if position < len(sheet.headers):
                    plan.notes.append(
                        _("Column %(letter)s has no header and no data: it was left out.")
                        % {"letter": letter}
                    )
            elif not key(header):
                plan.errors.append(
                    RowError(
                        sheet.header_row,
                        "",
                        letter,
                        as_text(filled[0]),
                        _(
                            "Column %(letter)s has no header but holds data. Give it one of the "
                            "template's headers, or delete the column."
                        )
                        % {"letter": letter},
                    )
                )
            elif _is_ordinal(header) and all(_is_whole_number(v) for v in filled):
                plan.notes.append(
                    _("Column %(letter)s “%(header)s” is a row number: it was not imported.")
                    % {"letter": letter, "header": header}
                )
            else:
                unknown.append(f"{letter} “{header}”")
        expected = ", ".join(f"“{c.header.current()}”" for _n, c in self.template_columns())
        where = ""
        if sheet.header_row > 1:
            where = " " + _("The header row is row %(row)s.") % {"row": sheet.header_row}
        if unknown:
            plan.errors.append(
                RowError(
                    sheet.header_row,
                    "",
                    "",
                    "; ".join(unknown),
                    _("Unknown columns: %(unknown)s. The columns this import takes: %(expected)s.")
                    % {"unknown": "; ".join(unknown), "expected": expected}
                    + where,
                )
            )
        present = {name for name, _h in mapping.values()}
        missing = [c for n, c in self.import_columns() if c.required and n not in present]
        if missing:
            plan.errors.append(
                RowError(
                    sheet.header_row,
                    "",
                    "",
                    "",
                    _("Missing columns: %(missing)s. The columns this import takes: %(expected)s.")
                    % {
                        "missing": ", ".join(f"“{c.header.current()}”" for c in missing),
                        "expected": expected,
                    }
                    + where,
                )
            )
        return mapping

    def _plan_one(
        self,
        row: SheetRow,
        cells: list[_FileColumn],
        columns: dict[str, Column],
        plan: Plan,
        seen: dict[tuple[Any, ...], int],
    ) -> None:
        values: dict[str, Any] = {}
        errors: list[RowError] = []
        row_cells = row.cells
        width = len(row_cells)
        lookups, options = self.lookups, self.options
        for cell in cells:
            value = row_cells[cell.position] if cell.position < width else None
            if cell.scored and as_text(value).strip():
                plan.score_cells += 1
            try:
                cleaned = cell.value(value, lookups, options)
            except CellProblem as exc:
                errors.append(
                    RowError(row.number, cell.header, cell.letter, as_text(value), str(exc))
                )
                if isinstance(exc, FractionNotPercent):
                    plan.fraction_cells += 1
                for index, text in exc.unknown:
                    found = plan.unknown.setdefault(
                        (index, key(text)), Unknown(index, text, cell.header, cell.letter)
                    )
                    found.rows.append(row.number)
                continue
            if cleaned is None or cleaned == "" or cleaned == []:
                if cell.required:
                    errors.append(
                        RowError(
                            row.number,
                            cell.header,
                            cell.letter,
                            "",
                            _("This column must be filled in."),
                        )
                    )
                # An empty cell leaves what is stored as it is; a new record takes the default.
                continue
            values[cell.name] = cleaned
        if errors:
            plan.errors.extend(errors)
            return
        try:
            row_plan = self.plan_row(row.number, values)
        except RowRejected as exc:
            where = {cell.name: cell for cell in cells}
            for field_name, message in exc.problems:
                found_cell = where.get(field_name or "")
                header, letter = (found_cell.header, found_cell.letter) if found_cell else ("", "")
                if field_name and not header and field_name in columns:
                    header = columns[field_name].header.current()
                value = None
                if found_cell is not None and found_cell.position < width:
                    value = row_cells[found_cell.position]
                plan.errors.append(RowError(row.number, header, letter, as_text(value), message))
            return
        if row_plan.key:
            if row_plan.key in seen:
                plan.errors.append(
                    RowError(
                        row.number,
                        "",
                        "",
                        row_plan.label,
                        _("The same record as row %(row)s.") % {"row": seen[row_plan.key]},
                    )
                )
                return
            seen[row_plan.key] = row.number
        if (
            row_plan.action != "unchanged"
            and plan.previewed < PREVIEW_ROWS
            and plan.keeps(row_plan)
        ):
            plan.previewed += 1
            self._preview_cells(row_plan, values, plan.columns)
        plan.add(row_plan)

    def _column_map(self) -> dict[str, Column]:
        # Asked for each cell of the preview: built once per resource.
        found: dict[str, Column] | None = getattr(self, "_columns_by_name", None)
        if found is None:
            found = self._columns_by_name = dict(self.columns())
        return found

    def _positions(self, names: list[str]) -> dict[str, int]:
        """Each column's header in the reader's language → its position among ``names``: how
        the preview finds the cell a change concerns."""
        columns = self._column_map()
        return {
            columns[name].header.current(): i for i, name in enumerate(names) if name in columns
        }

    def _preview_cells(self, row_plan: RowPlan, values: dict[str, Any], names: list[str]) -> None:
        """Each column's value as it will be stored and shown, and which ones change."""
        position = self._preview_positions
        if position is None:
            position = self._positions(names)
        row_plan.cells = [
            self.show(name, values[name]) if name in values else None for name in names
        ]
        for header, before, after in row_plan.changes:
            i = position.get(header)
            if i is not None:
                # The resource's own account of the change: what it will write.
                row_plan.cells[i] = after
                row_plan.was[i] = before

    def show(self, name: str, value: Any) -> str:
        """A value as the preview shows it: a label, a name, a day-first date."""
        column = self._column_map().get(name)
        if value is None or value == "":
            return "—"
        labels = self._labels
        if (
            labels is not None
            and column is not None
            and isinstance(column.widget, (RefWidget, ChoiceWidget, BooleanWidget))
            and not isinstance(value, (list, tuple, set))
        ):
            # A file repeats the same few values down a column: each label is looked up
            # (and translated) once per plan.
            found = labels.get((name, value))
            if found is None:
                found = labels[(name, value)] = self._show(column, value)
            return found
        return self._show(column, value)

    def _show(self, column: Column | None, value: Any) -> str:
        if column is not None and isinstance(column.widget, RefWidget):
            index = self.lookups.get(column.widget.index)
            ids = value if isinstance(value, (list, tuple, set)) else [value]
            if index is not None:
                return "; ".join(index.labels.get(pk, str(pk)) for pk in ids) or "—"
        if column is not None and isinstance(column.widget, (ChoiceWidget, BooleanWidget)):
            return str(column.widget.render(value))
        return as_text(value)

    def diff(
        self, obj: Model, values: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
        """The fields whose values differ from the record's, and how the preview shows that.

        ``values`` are by field name; a foreign key's value is the related record's id.
        """
        columns = dict(self.columns())
        changed: dict[str, Any] = {}
        shown: list[tuple[str, str, str]] = []
        for name, value in values.items():
            current = getattr(obj, attname_of(obj, name))
            if current == value or (current in (None, "") and value in (None, "")):
                continue
            changed[name] = value
            header = columns[name].header.current() if name in columns else str(name)
            shown.append((header, self.show(name, current), self.show(name, value)))
        return changed, shown

    # Applying -------------------------------------------------------------------------------

    def apply(self, plan: Plan) -> Changes:
        """Write the plan; the caller holds the transaction."""
        changes = Changes()
        rows = [r for r in plan.rows if r.action != "unchanged"]
        if rows:
            with collector_paused():
                self.write(rows, changes)
        return changes

    # Rolling back ---------------------------------------------------------------------------

    def after_rollback(self, changes: Changes) -> None:
        """Put object permissions back in step once the records are as they were."""

    def rollback(self, changes: Changes, *, applied_at: datetime) -> None:
        """Undo an import; refused, naming the records, when anything changed since."""
        conflicts: list[str] = []
        for label in changes.order:
            model = apps.get_model(label)
            ids = [
                *changes.created.get(label, []),
                *[int(pk) for pk in changes.updated.get(label, {})],
            ]
            if ids and _has_updated_at(model):
                for obj in model._default_manager.filter(pk__in=ids, updated_at__gt=applied_at)[
                    :10
                ]:
                    conflicts.append(
                        _("%(record)s was changed after the import.") % {"record": _describe(obj)}
                    )
        if conflicts:
            raise ValidationError(_rollback_refused(conflicts))
        for label, by_field in changes.m2m.items():
            model = apps.get_model(label)
            objects = model._default_manager.in_bulk(
                [int(pk) for d in by_field.values() for pk in d]
            )
            for name, before in by_field.items():
                for pk, ids in before.items():
                    obj = objects.get(int(pk))
                    if obj is not None:
                        getattr(obj, name).set(ids)
        for label, by_pk in changes.updated.items():
            model = apps.get_model(label)
            objects = model._default_manager.in_bulk([int(pk) for pk in by_pk])
            names: set[str] = set()
            for pk, before in by_pk.items():
                obj = objects.get(int(pk))
                if obj is None:
                    continue
                for name, value in before.items():
                    model_field = model._meta.get_field(name)
                    setattr(obj, model_field.attname, model_field.to_python(value))
                    names.add(name)
            if names and objects:
                if _has_updated_at(model):
                    now = timezone.now()
                    for obj in objects.values():
                        obj.updated_at = now
                    names.add("updated_at")
                model._default_manager.bulk_update(
                    list(objects.values()), sorted(names), batch_size=1000
                )
                record_bulk(model, list(objects.values()), created=False)
        for label in reversed(changes.order):
            created = changes.created.get(label)
            if created:
                _delete_created(apps.get_model(label), created, changes)
        self.after_rollback(changes)


# --- What is plainly not data: row numbers, signature lines, totals, notes ---------------------

# Headers of a column that numbers the rows (compared without dots, spaces and case).
_ORDINAL_HEADERS = {
    "#",
    "бр",
    "рбр",
    "редбр",
    "реденброј",
    "рб",
    "no",
    "nr",
    "nrrendor",
    "rbr",
    "rb",
    "br",
    "sn",
    "s/n",
}
_SIGNATURE = re.compile(
    r"^(одобрил|одобрено|одобри|потпис|изготвил|подготвил|составил|м\.\s*п\.|"
    r"approved|signature|signed|prepared by|"
    r"potpis|odobri|izgotvi|podgotvi|"
    r"nënshkrim|nenshkrim|miratoi|miratuar|përgatit|pergatit|v\.\s*v\.)",
)
_RULE = re.compile(r"^[\s_.…\-–—]*_{3,}[\s_.…\-–—]*$|^[\s.…]{5,}$")
_TOTALS = {"вкупно", "total", "totals", "gjithsej", "vkupno", "ukupno", "укупно", "збир", "shuma"}
_NOTE_STARTS = re.compile(
    r"^(\*|напомена|забелешка|извор|note|remark|source|napomena|zabeleška|zabeleska|"
    r"shënim|shenim|vërejtje|verejtje|burimi)"
)


def _is_ordinal(header: str) -> bool:
    return re.sub(r"[\s.]", "", key(header)) in _ORDINAL_HEADERS


def _is_whole_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, Decimal)):
        return float(value).is_integer()
    return as_text(value).strip().rstrip(".").isdigit()


def _not_a_record(row: SheetRow, named: Mapping[int, str | None], required: set[str]) -> str | None:
    """Why a row after the table is not a record (a message with %(row)s and %(text)s to
    fill in), or None when it may be one."""
    filled = [(p, v) for p, v in enumerate(row.cells) if as_text(v).strip()]
    if not filled:
        return None
    texts = [key(as_text(v)) for _p, v in filled]
    if all(isinstance(v, str) for _p, v in filled) and (
        _SIGNATURE.match(texts[0]) or _RULE.match(texts[0])
    ):
        return _("Row %(row)s (“%(text)s”) is a signature line: it was not imported.")
    if texts[0].rstrip(":. ") in _TOTALS:
        return _("Row %(row)s (“%(text)s”) is a total: it was not imported.")
    if len(filled) == 1 and isinstance(filled[0][1], str):
        position = filled[0][0]
        name = named.get(position)
        could_be_a_record = name is not None and not (required - {name})
        looks_like_a_note = (
            name is None or bool(_NOTE_STARTS.match(texts[0])) or len(texts[0].split()) >= 5
        )
        if not could_be_a_record and looks_like_a_note:
            return _("Row %(row)s (“%(text)s”) is a note, not a record: it was not imported.")
    return None


def _cell_note_text(note: CellNote, header: str, letter: str) -> str:
    if header:
        return _("Row %(row)s, column %(letter)s (“%(header)s”): %(message)s") % {
            "row": note.row,
            "letter": letter,
            "header": header,
            "message": note.message,
        }
    return _("Row %(row)s, column %(letter)s: %(message)s") % {
        "row": note.row,
        "letter": letter,
        "message": note.message,
    }


# Field types whose Python values psycopg writes as they are; any other makes bulk_insert
# fall back to Django's bulk_create, which prepares each value.
_COPY_SAFE = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "EmailField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
    "URLField",
}


def bulk_insert(model: type[Model], objects: list[Any]) -> list[Any]:
    """Insert new records in bulk and give each its id: PostgreSQL's COPY when the fields
    allow it (ids are drawn from the table's sequence first), else Django's bulk_create.
    Their history rows go in the same way.

    The objects have been checked already; the database's constraints still hold.
    """
    objects = _insert_rows(model, objects)
    record_bulk(model, objects, created=True, insert=_insert_rows)
    return objects


def _insert_rows(model: type[Model], objects: list[Any]) -> list[Any]:
    if not objects:
        return objects
    fields_ = [f for f in model._meta.concrete_fields if not f.primary_key]
    if connection.vendor != "postgresql" or any(
        f.get_internal_type() not in _COPY_SAFE for f in fields_
    ):
        return model._default_manager.bulk_create(objects, batch_size=2000)
    now = timezone.now()
    table = connection.ops.quote_name(model._meta.db_table)
    pk = model._meta.pk
    if pk is None or pk.column is None:
        return model._default_manager.bulk_create(objects, batch_size=2000)
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in [pk, *fields_])
    stamped = {
        f.attname
        for f in fields_
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
    }
    statement = f"COPY {table} ({columns}) FROM STDIN"
    # Every field's value of a record in one call.
    names = [str(f.attname) for f in fields_]
    values_of: Callable[[Any], tuple[Any, ...]] = (
        operator.attrgetter(*names) if len(names) > 1 else lambda obj: (getattr(obj, names[0]),)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, pk.column, len(objects)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        started = time.monotonic()
        with connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
            for obj, new_id in zip(objects, ids, strict=True):
                obj.pk = new_id
                for attname in stamped:
                    setattr(obj, attname, now)
                copy.write_row((new_id, *values_of(obj)))
        if connection.queries_logged:
            # COPY bypasses the cursor wrapper that logs queries; log it as that would.
            elapsed = f"{time.monotonic() - started:.3f}"
            connection.queries_log.append(
                {"sql": f"{statement} -- {len(objects)} rows", "time": elapsed}
            )
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objects


def _has_updated_at(model: type[Model]) -> bool:
    return any(f.name == "updated_at" for f in model._meta.concrete_fields)


def _describe(obj: Model) -> str:
    return f"{obj._meta.verbose_name} “{str(obj)[:80]}”"


def _rollback_refused(conflicts: list[str]) -> str:
    shown = conflicts[:10]
    more = len(conflicts) - len(shown)
    text = " ".join(shown)
    if more > 0:
        text += " " + _("And %(n)s more.") % {"n": more}
    return str(_("The import cannot be rolled back: %(reasons)s") % {"reasons": text})


def _bookkeeping(model: type[Model]) -> bool:
    """Rows that follow a record and go with it: its object permissions and the links of its
    many-to-many fields (a training's topics)."""
    from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

    return bool(model._meta.auto_created) or issubclass(
        model, (GroupObjectPermissionBase, UserObjectPermissionBase)
    )


def _delete_created(model: type[Model], ids: list[int], changes: Changes) -> None:
    """Delete what the import created, unless that takes someone's later work with it."""
    objects = list(model._default_manager.filter(pk__in=ids))
    if not objects:
        return
    collector = Collector(using=model._default_manager.db)
    try:
        collector.collect(objects)
    except (ProtectedError, RestrictedError) as exc:
        used = list(getattr(exc, "protected_objects", None) or [])
        used += list(getattr(exc, "restricted_objects", None) or [])
        raise ValidationError(
            _rollback_refused(
                [
                    _("%(record)s was added after the import and needs what it created.")
                    % {"record": _describe(o)}
                    for o in used[:10]
                ]
            )
        ) from None
    ours = {label: set(pks) for label, pks in changes.created.items()}
    blockers: list[str] = []
    for collected_model, instances in collector.data.items():
        if _bookkeeping(collected_model):
            continue
        mine = ours.get(collected_model._meta.label_lower, set())
        blockers += [
            _("%(record)s was added after the import.") % {"record": _describe(o)}
            for o in instances
            if o.pk not in mine
        ][:10]
    for qs in collector.fast_deletes:
        if _bookkeeping(qs.model):
            continue
        mine = ours.get(qs.model._meta.label_lower, set())
        for o in qs.exclude(pk__in=mine)[:10]:
            blockers.append(_("%(record)s was added after the import.") % {"record": _describe(o)})
    if blockers:
        raise ValidationError(_rollback_refused(blockers))
    collector.delete()


def _as_result(plan: Plan) -> Result:
    """The plan in django-import-export's terms."""
    result = Result()
    result.total_rows = plan.total
    types = {
        "new": RowResult.IMPORT_TYPE_NEW,
        "update": RowResult.IMPORT_TYPE_UPDATE,
        "unchanged": RowResult.IMPORT_TYPE_SKIP,
    }
    for row in plan.rows:
        row_result = RowResult()
        row_result.import_type = types[row.action]
        row_result.object_repr = row.label
        result.append_row_result(row_result)
        result.increment_row_result_total(row_result)
    by_row: dict[int, list[RowError]] = {}
    for error in plan.errors:
        by_row.setdefault(error.row, []).append(error)
    for number, errors in sorted(by_row.items()):
        messages: dict[str, list[str]] = {}
        for e in errors:
            messages.setdefault(e.column or "__all__", []).append(e.message)
        result.append_invalid_row(number, {}, ValidationError(messages))
        row_result = RowResult()
        row_result.import_type = RowResult.IMPORT_TYPE_INVALID
        result.increment_row_result_total(row_result)
    return result


# --- The kinds of record the domain apps import ------------------------------------------------
# Each domain app registers its resources when it is ready (``resource_register`` in its
# AppConfig.ready); the platform never imports a domain app to find them.

_RESOURCES: dict[str, type[SpreadsheetResource]] = {}


def resource_register(*classes: type[SpreadsheetResource]) -> None:
    """Make these resources the importers and exporters of their ``kind``."""
    for cls in classes:
        if not cls.kind:
            raise ValueError(f"{cls.__name__} has no kind")
        _RESOURCES[cls.kind] = cls


def resource_class(kind: str) -> type[SpreadsheetResource]:
    """The resource that imports and exports a kind of record; LookupError for no such kind."""
    try:
        return _RESOURCES[kind]
    except KeyError:
        raise LookupError(kind) from None


def resource_kinds() -> list[str]:
    """Every kind registered."""
    return list(_RESOURCES)
