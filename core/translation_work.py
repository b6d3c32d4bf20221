"""Translating content as a task: what lacks a language, and a workbook to translate offline.

Generic machinery (docs/translations.md, "Translating offline"): it walks the
django-modeltranslation registry and knows no app. The programme team sees which records lack
an English, Macedonian or Albanian text, downloads every translatable text as one xlsx, fills
it in and uploads it back. Each row of the workbook is one text of one record (kind, record id
and field), whatever language it was written in: a record written only in Macedonian is filled
in English and Albanian like any other. The upload is checked row by row first and written all
or nothing; it never overwrites an official text, and what it writes is marked a working (or
machine) translation.

Who may do this is the programme team's rule, which lives in stakeholders (a higher layer):
stakeholders registers it here with ``translation_gate_register``; without it nobody may.
"""

from __future__ import annotations

import functools
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
from django.db.models import Count, F, Window
from django.db.models.expressions import RawSQL
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _
from modeltranslation.translator import translator

from core.choices import TextOrigin
from core.models import TextProvenance
from core.spreadsheets import FileRejected, Sheet, read_sheet, unneutralise, write_xlsx
from core.translations import text_provenance_set

# The workbook's columns: machine keys, the same in every interface language, so that a file
# downloaded in Macedonian imports in English. A row is keyed on the record (model, record_id,
# field); the English is one of the texts, not the key.
HEADERS = [
    "model",
    "record_id",
    "record_label",
    "field",
    "en",
    "mk",
    "sq",
    "origin_en",
    "origin_mk",
    "origin_sq",
]
# The columns that say which text a row is: without them a file cannot be read.
KEY_COLUMNS = ("model", "record_id", "field")
LABEL_CHARS = 80
# A kind lists at most this many records on the page; its count says how many there are.
PAGE_RECORDS = 200
# Origins a file may give: official wording is an administrator's decision, never a file's.
FILE_ORIGINS = (TextOrigin.WORKING, TextOrigin.MACHINE)

# --- Who may: registered by the app that owns the rule -------------------------------------

_gate: list[Callable[[Any], bool]] = []


def translation_gate_register(check: Callable[[Any], bool]) -> None:
    """Register who may translate content here (the programme team's rule, stakeholders')."""
    _gate[:] = [check]


def check_translate(user: Any) -> None:
    """403 unless the registered rule lets the user translate content; 403 when none is."""
    if not _gate or not _gate[0](user):
        raise PermissionDenied


# --- The registry ----------------------------------------------------------------------------


def source_language() -> str:
    return str(settings.MODELTRANSLATION_DEFAULT_LANGUAGE)


def target_languages() -> list[str]:
    """The languages a text is translated into: every language but the source."""
    return [code for code, _name in settings.LANGUAGES if code != source_language()]


def translatable_models() -> list[tuple[type[models.Model], list[str]]]:
    """Each concrete registered model with its translated fields, in a stable order."""
    found = []
    for model in translator.get_registered_models(abstract=False):
        if model._meta.proxy:
            continue  # a proxy's texts are its concrete model's
        fields = sorted(translator.get_options_for_model(model).fields)  # type: ignore[attr-defined]
        if fields:
            found.append((model, fields))
    return sorted(found, key=lambda pair: pair[0]._meta.label_lower)


def _label(row: dict[str, Any], fields: list[str], languages: list[str] | None = None) -> str:
    """A record's label: its first English text, shortened; no query (``str()`` may make one).
    ``languages``: the source language first, then the others (worked out here if not given)."""
    if languages is None:
        languages = [source_language(), *target_languages()]
    for language in languages:  # English first, else the language it was written in
        for name in fields:
            text = row.get(f"{name}_{language}")
            if text:
                if len(text) <= LABEL_CHARS:  # what chars() returns, without its per-char walk
                    return unicodedata.normalize("NFC", str(text))
                return Truncator(str(text)).chars(LABEL_CHARS)
    return f"#{row['pk']}"


# --- Missing translations ---------------------------------------------------------------------


@dataclass(frozen=True)
class MissingField:
    """One field of a record and the languages it has no text in."""

    name: str
    verbose_name: str
    languages: list[str]

    @property
    def summary(self) -> str:
        """What the page shows: "Title: mk, sq" (worked out here, not per row in the template)."""
        return f"{capfirst(self.verbose_name)}: {', '.join(self.languages)}"


@dataclass(frozen=True)
class MissingRecord:
    """A record with a text in one language and none in another."""

    pk: int
    label: str
    fields: list[MissingField]
    url: str | None = None  # its admin page, None when the kind has none

    @property
    def link_html(self) -> SafeString:
        """Its label, a link to its admin page where it has one, escaped (see fields_html)."""
        if self.url is None:
            return escape(self.label)
        return mark_safe(f'<a href="{escape(self.url)}">{escape(self.label)}</a>')  # noqa: S308

    @property
    def fields_html(self) -> SafeString:
        """Its fields as the list items the page shows, escaped: a page lists up to 200
        records a kind, and a template loop per record cost more than the rest of the page."""
        # Each line escaped here, as the template would (format_html_join cost more than it).
        return mark_safe("".join(f"<li>{escape(f.summary)}</li>" for f in self.fields))  # noqa: S308


@dataclass(frozen=True)
class MissingKind:
    """A kind of record (one model) and its records that lack a language."""

    label: str
    model_label: str
    admin_url_name: str | None  # None when the kind has no admin page
    count: int
    records: list[MissingRecord]


# A stand-in record id: the admin URL is reversed with it once per kind and each record's id is
# put in its place (the last occurrence), so 200 records make one reverse() instead of 200.
_URL_PK = 2147483647


def _admin_url_name(model: type[models.Model]) -> str | None:
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}_change"
    try:
        reverse(name, args=[1])
    except NoReverseMatch:
        return None
    return name


def _column(model: type[models.Model], name: str) -> str:
    """The database column of a model's (translated) field."""
    return str(cast("models.Field[Any, Any]", model._meta.get_field(name)).column)


def _lacking(model: type[models.Model], fields: list[str], languages: Sequence[str]) -> RawSQL:
    """True where a field has a text in at least one language and none in another: the number
    of languages written is neither 0 nor all. Plain SQL (PostgreSQL and SQLite): the same
    condition as ORM lookups took longer to build and compile than the query takes to run."""
    table = connection.ops.quote_name(model._meta.db_table)
    conditions = []
    for name in fields:
        written = " + ".join(
            f"(CASE WHEN COALESCE({table}.{connection.ops.quote_name(column)}, '') = '' "
            "THEN 0 ELSE 1 END)"
            for column in (_column(model, f"{name}_{lang}") for lang in languages)
        )
        conditions.append(f"(({written}) BETWEEN 1 AND {len(languages) - 1})")
    # Only quoted table and column names from the model registry go in: no value, no input.
    return RawSQL(" OR ".join(conditions), [], output_field=models.BooleanField())  # noqa: S611


@functools.cache
def _lacking_sql(
    limit: int, vendor: str, languages: tuple[str, ...]
) -> tuple[str, tuple[Any, ...]]:
    """The SQL of the lacking rows of every kind, built once per process (per limit, database
    and languages): building and compiling 21 querysets each time cost the page more CPU than
    running them. Each row: the kind's index, the record's id, the count of the kind's lacking
    rows, then its texts (the model's columns in order, padded with NULLs). One query: each
    kind's own query (its manager's, ordered and limited) is a subquery whose columns are
    taken by name, so the order the ORM puts them in does not matter."""
    models_fields = translatable_models()
    width = max(len(fields) for _model, fields in models_fields) * len(languages)
    quote = connection.ops.quote_name
    selects, params = [], []
    for index, (model, fields) in enumerate(models_fields):
        columns = [f"{name}_{lang}" for name in fields for lang in languages]
        texts = {f"lacking_text{i}": F(column) for i, column in enumerate(columns)}
        part = (
            model._default_manager.alias(lacking=_lacking(model, fields, languages))
            .filter(lacking=True)
            # The count over every lacking row, beside each of the first ``limit``: the
            # window is computed before the LIMIT, so one query gives both.
            .annotate(lacking_pk=F("pk"), lacking_total=Window(Count("pk")), **texts)
            .order_by("pk")
            .values("lacking_pk", "lacking_total", *texts)[:limit]
        )
        sql, part_params = part.query.sql_with_params()
        names = ["lacking_pk", "lacking_total", *texts]
        selected = [quote(name) for name in names] + ["NULL"] * (width - len(columns))
        # The ORM's own SQL and quoted names; its parameters stay parameters.
        subquery = f"({sql}) {quote(f'k{index}')}"
        selects.append(f"SELECT {index}, {', '.join(selected)} FROM {subquery}")  # noqa: S608
        params.extend(part_params)
    return " UNION ALL ".join(selects), tuple(params)


def _lacking_rows(limit: int) -> list[tuple[Any, ...]]:
    """Every kind's first ``limit`` lacking rows (by id), as ``_lacking_sql`` says."""
    languages = (source_language(), *target_languages())
    sql, params = _lacking_sql(limit, connection.vendor, languages)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def missing_translations(limit: int = PAGE_RECORDS) -> list[MissingKind]:
    """Per kind of record, the records whose fields have a text in one language and lack it
    in another (English too: a record written in Macedonian in the portal lacks English and
    Albanian): how many, and the first ``limit`` (by id). One query for every kind (see
    ``_lacking_rows``). Kinds without such records are left out."""
    languages = [source_language(), *target_languages()]
    by_kind: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in _lacking_rows(limit):
        by_kind[row[0]].append(row)
    kinds = []
    for index, (model, fields) in enumerate(translatable_models()):
        rows = sorted(by_kind.get(index, []), key=lambda row: row[1])
        if not rows:
            continue
        columns = [f"{name}_{lang}" for name in fields for lang in languages]
        meta = model._meta
        # The verbose names once per kind (each is a lazy translation), not per row and field.
        verbose = {
            name: str(getattr(meta.get_field(name), "verbose_name", name)) for name in fields
        }
        url_name = _admin_url_name(model)
        head, tail = "", ""
        if url_name is not None:
            head, _sep, tail = reverse(url_name, args=[_URL_PK]).rpartition(str(_URL_PK))
        records = []
        for row in rows:
            texts = dict(zip(columns, row[3:], strict=False))
            texts["pk"] = row[1]
            missing = []
            for name in fields:
                lacks = [lang for lang in languages if not texts[f"{name}_{lang}"]]
                if lacks and len(lacks) < len(languages):
                    missing.append(
                        MissingField(name=name, verbose_name=verbose[name], languages=lacks)
                    )
            records.append(
                MissingRecord(
                    pk=row[1],
                    label=_label(texts, fields, languages),
                    fields=missing,
                    url=f"{head}{row[1]}{tail}" if url_name is not None else None,
                )
            )
        kinds.append(
            MissingKind(
                label=str(meta.verbose_name_plural),
                model_label=meta.label_lower,
                admin_url_name=url_name,
                count=rows[0][2],
                records=records,
            )
        )
    return kinds


# --- Export ----------------------------------------------------------------------------------


def _origins(
    model: type[models.Model], fields: list[str], pks: list[int] | None = None
) -> dict[tuple[int, str, str], TextOrigin]:
    """The provenance rows of a model's texts, by (record, field, language): one query."""
    rows = TextProvenance.objects.filter(
        content_type=ContentType.objects.get_for_model(model, for_concrete_model=True),
        field__in=fields,
    )
    if pks is not None:
        rows = rows.filter(object_id__in=pks)
    return {
        (r.object_id, r.field, r.language): TextOrigin(r.origin)
        for r in rows.only("object_id", "field", "language", "origin")
    }


def translations_export() -> bytes:
    """Every translatable text as one xlsx: a row per record and field, whichever languages
    it has (a record written only in Macedonian too), with each text's origin (official where
    no provenance row says otherwise). Two queries per model."""
    languages = [source_language(), *target_languages()]
    out = []
    for model, fields in translatable_models():
        columns = [f"{name}_{lang}" for name in fields for lang in languages]
        origins = _origins(model, fields)
        for row in model._default_manager.order_by("pk").values("pk", *columns):
            label = _label(row, fields)
            for name in fields:
                texts = [row[f"{name}_{lang}"] or "" for lang in languages]
                own = [
                    origins.get((row["pk"], name, lang), TextOrigin.OFFICIAL).value
                    if row[f"{name}_{lang}"]
                    else ""
                    for lang in languages
                ]
                out.append([model._meta.label_lower, row["pk"], label, name, *texts, *own])
    return write_xlsx(HEADERS, out, title=_("Translations"))


# --- Import ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """Why one row of an uploaded file cannot be written, in the reader's language."""

    row: int
    message: str


@dataclass
class ImportResult:
    """What an upload did: the texts written, or the rows that kept anything from being."""

    written: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True)
class _Change:
    """A text (or only its origin) to write."""

    obj: models.Model
    field: str
    language: str
    text: str
    origin: TextOrigin


def _is_header(headers: list[str]) -> bool:
    keys = {str(h or "").strip().lower() for h in headers}
    return set(KEY_COLUMNS) <= keys


def _cell(cells: list[Any], index: dict[str, int], name: str) -> str:
    position = index.get(name)
    if position is None or position >= len(cells) or cells[position] is None:
        return ""
    value = cells[position]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(unneutralise(str(value))).strip()


def _check_rows(sheet: Sheet) -> tuple[list[_Change], list[RowError]]:
    """Every row checked before anything is written: the changes, or the row errors."""
    index = {str(h or "").strip().lower(): i for i, h in enumerate(sheet.headers)}
    languages = [source_language(), *target_languages()]
    errors: list[RowError] = []
    if not set(KEY_COLUMNS) <= index.keys() and index.keys() & {source_language(), "english"}:
        # A workbook of before, which matched each text by its English: a record without
        # English could not be in it, and one English text may be several records'. Refused
        # rather than guessed at.
        message = _(
            "This workbook is of an earlier kind, which found each text by its English. "
            "Download the translations workbook again, copy your translations into it and "
            "upload that."
        )
        return [], [RowError(row=sheet.header_row, message=message)]
    # Workbooks downloaded before English could be filled in have no origin_en: they are read
    # as they are (their rows are keyed on the record too). A language column left out, like
    # an empty cell, leaves that language's texts as they are.
    missing_columns = [column for column in KEY_COLUMNS if column not in index]
    if not index.keys() & set(languages):
        missing_columns.append(" / ".join(languages))
    if missing_columns:
        message = _("The file has no column %(columns)s.") % {"columns": ", ".join(missing_columns)}
        return [], [RowError(row=sheet.header_row, message=message)]
    registered = {
        model._meta.label_lower: (model, fields) for model, fields in translatable_models()
    }
    blocked = {note.row: note.message for note in sheet.cell_notes if note.blocking}

    # The records named, fetched once per model with the provenance of their texts.
    wanted_pks: dict[str, set[int]] = defaultdict(set)
    for row in sheet.rows:
        model_label = _cell(row.cells, index, "model").lower()
        pk = _cell(row.cells, index, "record_id")
        if model_label in registered and pk.isdigit():
            wanted_pks[model_label].add(int(pk))
    objects: dict[str, dict[Any, models.Model]] = {}
    origins: dict[str, dict[tuple[int, str, str], TextOrigin]] = {}
    for model_label, pks in wanted_pks.items():
        model, fields = registered[model_label]
        objects[model_label] = model._default_manager.in_bulk(sorted(pks))
        origins[model_label] = _origins(model, fields, sorted(pks))

    changes: list[_Change] = []
    for row in sheet.rows:

        def fail(message: str, number: int = row.number) -> None:
            errors.append(RowError(row=number, message=message))

        if row.number in blocked:
            fail(blocked[row.number])
            continue
        model_label = _cell(row.cells, index, "model").lower()
        name = _cell(row.cells, index, "field")
        pk = _cell(row.cells, index, "record_id")
        if model_label not in registered:
            fail(
                _("“%(model)s” is not a kind of record with translations.") % {"model": model_label}
            )
            continue
        model, fields = registered[model_label]
        if name not in fields:
            fail(
                _("“%(field)s” is not a translated field of this kind of record.") % {"field": name}
            )
            continue
        obj = objects[model_label].get(int(pk)) if pk.isdigit() else None
        if obj is None:
            fail(_("There is no record %(id)s of this kind.") % {"id": pk or "—"})
            continue
        for lang in languages:
            text = _cell(row.cells, index, lang)
            if not text:
                continue  # an empty cell leaves the text as it is; nothing is ever cleared
            current = getattr(obj, f"{name}_{lang}") or ""
            existing = origins[model_label].get((obj.pk, name, lang), TextOrigin.OFFICIAL)
            given = _cell(row.cells, index, f"origin_{lang}").lower()
            if text == current.strip():
                # The same text: only a working or machine one may change origin (a reviewed
                # machine translation becomes a working one); official stays official.
                if existing != TextOrigin.OFFICIAL and given in FILE_ORIGINS and given != existing:
                    changes.append(_Change(obj, name, lang, text=current, origin=TextOrigin(given)))
                continue
            if current and existing == TextOrigin.OFFICIAL:
                fail(
                    _(
                        "The %(language)s text of “%(field)s” is the official wording: a file "
                        "does not replace it. Change it in the administration if it must change."
                    )
                    % {"language": lang, "field": name}
                )
                continue
            if given and given not in FILE_ORIGINS:
                fail(
                    _("The origin in column %(column)s must be “working” or “machine”.")
                    % {"column": f"origin_{lang}"}
                )
                continue
            limit = getattr(model._meta.get_field(f"{name}_{lang}"), "max_length", None)
            if limit is not None and len(text) > limit:
                fail(
                    _("The %(language)s text is %(length)s characters long; at most %(limit)s fit.")
                    % {"language": lang, "length": len(text), "limit": limit}
                )
                continue
            origin = TextOrigin(given) if given else TextOrigin.WORKING
            changes.append(_Change(obj, name, lang, text=text, origin=origin))
    return changes, errors


def translations_import(*, data: bytes, filename: str, by: Any) -> ImportResult:
    """Read a filled-in export and write its new texts, all or nothing: nothing is written
    while one row has an error. Official texts are never overwritten; the texts written are
    marked working translations (or machine ones, where the file's origin column says so)."""
    try:
        sheet = read_sheet(data, filename=filename, is_header=_is_header)
    except FileRejected as exc:
        return ImportResult(errors=[RowError(row=0, message=exc.message)])
    changes, errors = _check_rows(sheet)
    if errors:
        return ImportResult(errors=errors)
    by_object: dict[tuple[str, Any], list[_Change]] = defaultdict(list)
    for change in changes:
        by_object[(change.obj._meta.label_lower, change.obj.pk)].append(change)
    with transaction.atomic():
        for group in by_object.values():
            obj = group[0].obj
            for change in group:
                setattr(obj, f"{change.field}_{change.language}", change.text)
            obj._history_user = by  # type: ignore[attr-defined]  # django-simple-history
            obj.save(update_fields=[f"{c.field}_{c.language}" for c in group])
            for change in group:
                text_provenance_set(
                    obj=obj, field=change.field, language=change.language, origin=change.origin
                )
    return ImportResult(written=len(changes))
