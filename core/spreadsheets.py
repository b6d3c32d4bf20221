"""Reading and writing the spreadsheets people send: xlsx, ods and csv, hostile or not.

Everything that touches the bytes of a spreadsheet lives here, so that the imports, the
exports, the portal and the admin share one set of guards:

- the format is told from the content, and must match the file's extension;
- size, rows, columns and cells are bounded, and so is what a zip (xlsx, ods) may unpack to,
  checked against its directory before anything is decompressed;
- XML is never parsed with its DTD: entity bombs and external entities are refused
  (defusedxml, and a check of every part before openpyxl sees it);
- a CSV's encoding is taken from its byte-order mark, or is UTF-8 when it decodes as such, or
  is the one Windows code page that reads as real words; when that is not clear the reader
  says so (``EncodingUncertain``) rather than guess and store mojibake;
- every cell written out that a spreadsheet would run as a formula is neutralised, and so is
  every part of a cell that would start a formula once a reader splits the cell at a `;` or `,`
  (a CSV saved with one separator and opened with the other); CSV cells holding either
  separator are quoted.

Files are read as people make them: the table is found under the titles above it, a cell
merged down several rows gives its value to each, a percentage is the number the cell shows,
a formula gives its saved value (and a note) or, without one or as a link, a note that
blocks its row; hidden columns are named. ``Sheet.notes`` and ``Sheet.cell_notes`` say so.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from import_export.formats import base_formats

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 60
MAX_CELL_CHARS = 10_000
# A template formatted down to row 1,048,576 is a sheet of blank rows: stop looking after these.
MAX_BLANK_RUN = 5_000
# The header is looked for among a sheet's first non-blank rows; titles stand above it.
HEADER_SEARCH_ROWS = 30
ZIP_MAX_ENTRIES = 1_000
ZIP_MAX_UNPACKED = 250 * 1024 * 1024
ZIP_MAX_RATIO = 150  # deflate reaches ~100 on sparse sheets; bombs reach thousands
XML_HEAD_BYTES = 4096  # a DTD can only stand before the root element

EXTENSIONS = {".xlsx": "xlsx", ".ods": "ods", ".csv": "csv", ".txt": "csv"}
# Windows code pages a Macedonian or Albanian office saves CSV in; tried when UTF-8 fails.
ENCODINGS: dict[str, str] = {
    "utf-8": "UTF-8",
    "cp1251": "Windows-1251 (Cyrillic)",
    "cp1250": "Windows-1250 (Central European)",
    "cp1252": "Windows-1252 (Western European)",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\x00")
# A reader that takes the other separator, or no quoting, cuts a cell at these: what follows
# one of them starts a cell of its own, so a formula start there is neutralised too.
CELL_BREAKS = (";", ",", "\t", "\n", "\r")
_FORMULA_AFTER_BREAK = re.compile(
    "([" + re.escape("".join(CELL_BREAKS)) + "])(?=[" + re.escape("".join(FORMULA_STARTS)) + "])"
)
_NEUTRALISED_AFTER_BREAK = re.compile(
    "([" + re.escape("".join(CELL_BREAKS)) + "])'(?=[" + re.escape("".join(FORMULA_STARTS)) + "])"
)
# CSV cells holding any of these are quoted, whichever separator the file uses.
_CSV_QUOTE = re.compile('[;,"\t\r\n]')


class FileRejected(Exception):
    """A file that cannot be read, with the reason in the reader's language."""

    def __init__(self, message: str | Promise, *, code: str) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.code = code


class EncodingUncertain(FileRejected):
    """A CSV file whose encoding cannot be told for sure; ``samples`` show each reading."""

    def __init__(self, samples: dict[str, str]) -> None:
        super().__init__(
            _(
                "The file's character encoding cannot be told for sure. Choose the encoding "
                "whose sample below reads correctly, and check the file again."
            ),
            code="encoding_uncertain",
        )
        self.samples = samples


@dataclass(frozen=True)
class SheetRow:
    number: int  # the row's number as the spreadsheet shows it (the header is row 1 or more)
    cells: list[Any]


@dataclass(frozen=True)
class CellNote:
    """Something the reader noticed about one cell: a warning the check page shows, or, when
    ``blocking``, a problem that keeps the cell's row from being imported as it stands."""

    row: int  # the row's number as the spreadsheet shows it
    column: int  # the cell's position in the row, from 0
    message: str  # in the reader's language
    blocking: bool = False


@dataclass
class Sheet:
    """The table found in a file: its header row and its non-blank rows.

    ``notes`` say, in the reader's language, what the reader did to find the table (rows
    above the header skipped, merged cells spread over their rows); ``cell_notes`` concern one
    cell each; ``hidden_columns`` are the positions of columns the file hides.
    """

    headers: list[str]
    rows: list[SheetRow]
    file_format: str
    encoding: str = ""
    delimiter: str = ""
    header_row: int = 1
    name: str = ""
    notes: list[str] = field(default_factory=list)
    cell_notes: list[CellNote] = field(default_factory=list)
    hidden_columns: list[int] = field(default_factory=list)


HeaderCheck = Callable[[list[str]], bool]


# --- Telling what a file is ---------------------------------------------------------------


def format_of(data: bytes, filename: str) -> str:
    """The file's format ("xlsx", "ods" or "csv"), checked against its extension."""
    extension = Path(filename or "").suffix.lower()
    if extension not in EXTENSIONS:
        raise FileRejected(
            _("Files of type “%(ext)s” cannot be imported. Use .xlsx, .ods or .csv.")
            % {"ext": extension or "?"},
            code="extension",
        )
    if not data:
        raise FileRejected(_("The file is empty."), code="empty")
    if len(data) > MAX_FILE_BYTES:
        raise FileRejected(
            _("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.")
            % {"size": round(len(data) / 1024 / 1024, 1), "limit": MAX_FILE_BYTES // 1024 // 1024},
            code="too_big",
        )
    expected = EXTENSIONS[extension]
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        found = "xls"
    elif data.startswith(b"PK\x03\x04"):
        found = _zip_kind(data)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" not in data[:8192]:
        found = "csv"
    else:
        found = "binary"
    if found == "xls":
        raise FileRejected(
            _("This is an old Excel file (.xls). Open it and save it as .xlsx, then import that."),
            code="xls",
        )
    if found != expected:
        raise FileRejected(
            _(
                "The file's content does not match its name: it is called “%(name)s” but is "
                "not a %(format)s file."
            )
            % {"name": Path(filename).name, "format": expected.upper()},
            code="mismatch",
        )
    return found


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size < 100:
                    mimetype = archive.read("mimetype").strip()
                    if mimetype == b"application/vnd.oasis.opendocument.spreadsheet":
                        return "ods"
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise FileRejected(
            _("The file is damaged: it cannot be opened as a spreadsheet."), code="corrupt"
        ) from None
    return "zip"


def _check_zip(data: bytes) -> zipfile.ZipFile:
    """Open an xlsx or ods archive after checking what it would unpack to.

    The sizes come from the archive's directory; zipfile never inflates an entry past its
    stated size, so the limits hold however the archive lies.
    """
    corrupt = FileRejected(
        _("The file is damaged: it cannot be opened as a spreadsheet."), code="corrupt"
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise corrupt from None
    bomb = FileRejected(
        _(
            "The file unpacks to far more data than a spreadsheet of its size holds, as a "
            "“zip bomb” does. It was not opened."
        ),
        code="zip_bomb",
    )
    if len(infos) > ZIP_MAX_ENTRIES:
        raise bomb
    total = 0
    for info in infos:
        total += info.file_size
        if total > ZIP_MAX_UNPACKED:
            raise bomb
        if info.file_size > 1024 * 1024 and info.file_size > ZIP_MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise bomb
        if info.flag_bits & 0x1:
            raise FileRejected(
                _("The file is protected with a password. Remove the password and try again."),
                code="encrypted",
            )
    try:
        for info in infos:
            if info.filename.endswith((".xml", ".rels")) or info.filename == "content.xml":
                with archive.open(info) as part:
                    head = part.read(XML_HEAD_BYTES)
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise FileRejected(
                        _(
                            "The file contains XML entity declarations, which spreadsheets do "
                            "not use and attacks do. It was not opened."
                        ),
                        code="xml_entities",
                    )
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise corrupt from None
    return archive


# --- Reading ------------------------------------------------------------------------------


def read_sheet(
    data: bytes,
    *,
    filename: str,
    encoding: str = "",
    is_header: HeaderCheck | None = None,
) -> Sheet:
    """The table in a file: xlsx, ods or csv, told from the content and checked.

    ``is_header`` says whether a row looks like the header of the table wanted; in a workbook
    the first sheet where one of the first non-blank rows does is read (a template's
    instructions and lists are skipped), and the rows above that header are skipped. The
    Sheet's ``notes``, ``cell_notes`` and ``hidden_columns`` say what the values alone do not:
    rows skipped, merged cells spread over their rows, formulas, hidden columns.
    ``encoding`` forces a CSV's encoding ("" detects it).
    """
    kind = format_of(data, filename)
    try:
        return _read(data, kind, encoding, is_header or _any_header)
    except FileRejected as exc:
        if exc.code != "no_table" or is_header is None:
            raise
    # No sheet has a header the caller knows: read the first table anyway, so that the
    # caller can name the columns it found and the ones it expects.
    return _read(data, kind, encoding, _any_header)


def _any_header(headers: list[str]) -> bool:
    return any(headers)


def _read(data: bytes, kind: str, encoding: str, is_header: HeaderCheck) -> Sheet:
    if kind == "csv":
        return _read_csv(data, encoding=encoding, is_header=is_header)
    archive = _check_zip(data)
    with archive:
        if kind == "xlsx":
            return _read_xlsx(data, archive, is_header=is_header)
        return _read_ods(archive, is_header=is_header)


def _cell_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _is_blank(cells: Sequence[Any]) -> bool:
    return all(_cell_text(c) == "" for c in cells)


def _trimmed(cells: Sequence[Any]) -> list[Any]:
    cells = list(cells)
    while cells and _cell_text(cells[-1]) == "":
        cells.pop()
    return cells


def _too_many_rows() -> FileRejected:
    return FileRejected(
        _("The file has more than %(n)s rows. Split it into smaller files.") % {"n": MAX_ROWS},
        code="too_many_rows",
    )


def _check_row(number: int, cells: list[Any]) -> list[Any]:
    if len(cells) > MAX_COLUMNS:
        raise FileRejected(
            _("Row %(row)s has more than %(n)s columns.") % {"row": number, "n": MAX_COLUMNS},
            code="too_many_columns",
        )
    for i, value in enumerate(cells):
        if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
            raise FileRejected(
                _("Row %(row)s, column %(column)s holds more than %(n)s characters.")
                % {"row": number, "column": column_letter(i), "n": MAX_CELL_CHARS},
                code="cell_too_long",
            )
    return cells


@dataclass
class _Table:
    """One table as ``_collect`` found it, before what the sheet's XML adds to it."""

    headers: list[str]
    header_row: int
    rows: list[SheetRow]
    first_row: int  # the first non-blank row of the sheet: the header or a title above it
    last_title: int  # the last non-blank row above the header (0: none)


@dataclass
class _SheetFacts:
    """What a sheet's cell values alone do not say: merged cells, formulas, hidden columns.

    Rows are numbered as the spreadsheet shows them, columns counted from 0.
    """

    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # rows and columns
    formulas: list[tuple[int, int, str]] = field(default_factory=list)  # row, column, kind
    blocking_rows: set[int] = field(default_factory=set)  # kept even when they read as blank
    hidden_columns: list[int] = field(default_factory=list)


# The kinds of formula cell: its saved value was used, it has none, or it is a link.
SAVED, UNSAVED, LINK = "saved", "unsaved", "link"
_HYPERLINK = re.compile(r"HYPERLINK\s*\(", re.IGNORECASE)


def _collect(
    numbered_rows: Iterable[tuple[int, Sequence[Any]]],
    is_header: HeaderCheck,
    keep: set[int] | frozenset[int] = frozenset(),
) -> _Table | None:
    """Header and rows of one table; None when none of the sheet's first non-blank rows is
    the header.

    The header is the first of the first ``HEADER_SEARCH_ROWS`` non-blank rows that
    ``is_header`` accepts: titles, dates and logos' captions above a table are skipped. Rows
    in ``keep`` are kept even when blank (cells whose value could not be read).
    """
    headers: list[str] | None = None
    header_row = first_row = last_title = 0
    looked_at = 0
    rows: list[SheetRow] = []
    repeated: list[dict[str, str]] = []
    blank_run = 0
    for number, raw in numbered_rows:
        cells = _trimmed(raw)
        if _is_blank(cells) and number not in keep:
            blank_run += 1
            if blank_run > MAX_BLANK_RUN:
                if headers is None:
                    return None
                break
            continue
        blank_run = 0
        cells = _check_row(number, cells or [None])
        if headers is None:
            looked_at += 1
            first_row = first_row or number
            candidate = [_cell_text(c) for c in cells]
            if is_header(candidate):
                headers, header_row = candidate, number
            elif looked_at >= HEADER_SEARCH_ROWS:
                return None
            else:
                last_title = number
            continue
        rows.append(SheetRow(number, _shared(cells, repeated)))
        if len(rows) > MAX_ROWS:
            raise _too_many_rows()
    if headers is None:
        return None
    return _Table(headers, header_row, rows, first_row, last_title)


# Distinct values a column keeps to share; a column of names or emails is mostly distinct.
SHARED_VALUES = 2_000


def _shared(cells: list[Any], repeated: list[dict[str, str]]) -> list[Any]:
    """The row's cells, a value repeated down a column kept once: the sheet holds every row,
    and an xlsx's inline strings (and a CSV's fields) are a new string in every row, so a
    training's title on 50,000 rows would be held 50,000 times."""
    while len(repeated) < len(cells):
        repeated.append({})
    for i, value in enumerate(cells):
        if isinstance(value, str) and value:
            seen = repeated[i]
            kept = seen.get(value)
            if kept is not None:
                cells[i] = kept
            elif len(seen) < SHARED_VALUES:
                seen[value] = value
    return cells


def _sheet(table: _Table, facts: _SheetFacts | None, file_format: str, **kwargs: Any) -> Sheet:
    """The Sheet of a table, with what the reader did to it said in notes."""
    sheet = Sheet(table.headers, table.rows, file_format, header_row=table.header_row, **kwargs)
    if table.last_title:
        sheet.notes.append(_skipped_note(table))
    if facts is not None:
        sheet.notes.extend(_spread_merges(sheet, facts.merges))
        sheet.cell_notes.extend(_formula_notes(sheet, facts.formulas))
        width = len(sheet.headers)
        sheet.hidden_columns = sorted({c for c in facts.hidden_columns if c < width})
    return sheet


def _skipped_note(table: _Table) -> str:
    last = table.last_title
    if table.first_row == last:
        return _("The table starts on row %(row)s; row %(first)s above it was skipped.") % {
            "row": table.header_row,
            "first": table.first_row,
        }
    return _("The table starts on row %(row)s; rows %(first)s–%(last)s above it were skipped.") % {
        "row": table.header_row,
        "first": table.first_row,
        "last": last,
    }


def _column_name(sheet: Sheet, column: int) -> str:
    header = sheet.headers[column] if column < len(sheet.headers) else ""
    return header or column_letter(column)


def _spread_merges(sheet: Sheet, merges: list[tuple[int, int, int, int]]) -> list[str]:
    """Give each row of a cell merged down several rows of the table the merged value.

    A person reads a merged "Institution" cell beside three participants as the institution
    of each; the file holds it in the first row only.
    """
    if not sheet.rows:
        return []
    by_number = {row.number: row for row in sheet.rows}
    last_row = sheet.rows[-1].number
    notes = []
    budget = MAX_ROWS * MAX_COLUMNS  # overlapping merges, which no program writes, stay bounded
    for first, column, last, _last_column in sorted(merges):
        if first <= sheet.header_row or last <= first or column >= MAX_COLUMNS:
            continue
        top = by_number.get(first)
        value = top.cells[column] if top is not None and column < len(top.cells) else None
        if _cell_text(value) == "":
            continue
        spread = False
        for number in range(first + 1, min(last, last_row) + 1):
            budget -= 1
            row = by_number.get(number)
            if row is None:
                continue
            if len(row.cells) <= column:
                row.cells.extend([None] * (column + 1 - len(row.cells)))
            if _cell_text(row.cells[column]) == "":
                row.cells[column] = value
                spread = True
        if spread:
            notes.append(
                _(
                    "“%(column)s” on rows %(first)s–%(last)s was one merged cell: its value was "
                    "used for each row."
                )
                % {
                    "column": _column_name(sheet, column),
                    "first": first,
                    "last": min(last, last_row),
                }
            )
        if budget < 0:
            break
    return notes


def _shown(value: Any) -> str:
    """A value as a person would recognise it in a note."""
    if isinstance(value, datetime):
        text = value.strftime(
            "%d.%m.%Y" if value.time() == datetime.min.time() else "%d.%m.%Y %H:%M"
        )
    elif isinstance(value, date):
        text = value.strftime("%d.%m.%Y")
    else:
        text = _cell_text(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _formula_notes(sheet: Sheet, formulas: list[tuple[int, int, str]]) -> list[CellNote]:
    by_number = {row.number: row for row in sheet.rows}
    notes = []
    for number, column, kind in formulas:
        row = by_number.get(number)
        if row is None or number <= sheet.header_row:
            continue
        if kind == LINK:
            message = _("This cell is a link formula (HYPERLINK): type the value itself.")
        elif kind == UNSAVED:
            message = _(
                "This cell is a formula without a saved value: open the file in a spreadsheet "
                "program, save it, and upload it again."
            )
        else:
            value = row.cells[column] if column < len(row.cells) else None
            notes.append(
                CellNote(
                    number,
                    column,
                    _("This cell is a formula; its saved value “%(value)s” was imported.")
                    % {"value": _shown(value)},
                )
            )
            continue
        notes.append(CellNote(number, column, message, blocking=True))
    return notes


def _as_shown(value: Any, decimals: int) -> Any:
    """A number formatted as a percentage, as the cell shows it: 0.45 shown as 45 % is 45,
    rounded to the decimals shown (at most four), without a float's noise."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return value
    number = Decimal(str(value)) * 100  # str() of a float is its shortest exact reading
    if not number.is_finite():
        return value
    places = min(decimals, 4)
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if number == number.to_integral_value():
        return Decimal(int(number))
    return number.normalize()


def _no_table() -> FileRejected:
    return FileRejected(
        _("No table with the expected column headers was found in the file."), code="no_table"
    )


# xlsx ----------------------------------------------------------------------------------------

# A sheet part holding any of these needs a second reading of its XML: of every cell for
# formulas (and percentages, told by their styles), of what stands around the rows for the rest.
_XLSX_CELL_FACTS = (b"<f>", b"<f ", b":f>", b":f ")
_XLSX_OUTLINE_FACTS = (b"mergeCell ", b'hidden="')
_CELL_REF = re.compile(r"([A-Za-z]{1,3})(\d+)")


def _read_xlsx(data: bytes, archive: zipfile.ZipFile, *, is_header: HeaderCheck) -> Sheet:
    import openpyxl

    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it skips (data validation, styles): not our concern.
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
            try:
                percent_styles = _percent_styles(book)
                names = set(archive.namelist())
                sheets = [book.active, *[ws for ws in book.worksheets if ws is not book.active]]
                for ws in sheets:
                    if ws is None or getattr(ws, "sheet_state", "visible") != "visible":
                        continue
                    numbered: Iterable[tuple[int, Sequence[Any]]] = (
                        (i, row) for i, row in enumerate(ws.iter_rows(values_only=True), start=1)
                    )
                    path = str(getattr(ws, "_worksheet_path", "")).lstrip("/")
                    needs = _xlsx_needs(archive, path, percent_styles) if path in names else ""
                    facts = _SheetFacts() if needs else None
                    cells = None
                    if facts is not None and needs == "cells":
                        cells = _xlsx_cells(archive.open(path), percent_styles, facts)
                        numbered = _with_cells(numbered, cells, facts)
                    found = _collect(
                        numbered, is_header, facts.blocking_rows if facts else frozenset()
                    )
                    if found is not None:
                        for _rest in cells or ():  # merged cells are listed after the rows
                            pass
                        if needs == "outline" and facts is not None:
                            _xlsx_outline(archive.open(path), facts)
                        return _sheet(found, facts, "xlsx", name=ws.title)
            finally:
                book.close()
    except FileRejected:
        raise
    except Exception as exc:  # openpyxl raises many kinds of error on a broken file
        if type(exc).__module__.startswith("defusedxml"):
            raise FileRejected(
                _(
                    "The file contains XML entity declarations, which spreadsheets do not use "
                    "and attacks do. It was not opened."
                ),
                code="xml_entities",
            ) from None
        raise FileRejected(
            _("The file is damaged: it cannot be opened as a spreadsheet."), code="corrupt"
        ) from None
    raise _no_table()


def _percent_decimals(number_format: str) -> int | None:
    """The decimals a percentage format shows ("0.0%" → 1), or None for other formats."""
    section = number_format.split(";", 1)[0]
    # Quoted text, escaped characters and [colours] are shown as they are, never scale.
    section = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", section)
    if "%" not in section:
        return None
    digits = section.split("%", 1)[0]
    if "." not in digits:
        return 0
    return sum(1 for ch in digits.split(".", 1)[1] if ch in "0#?")


def _percent_styles(book: Any) -> dict[int, int]:
    """The workbook's cell styles (by their index, the cells' ``s``) that show a percentage,
    with the decimals each shows."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE

    custom = list(getattr(book, "_number_formats", []))
    found = {}
    for index, style in enumerate(getattr(book, "_cell_styles", [])):
        number = getattr(style, "numFmtId", 0)
        if number < BUILTIN_FORMATS_MAX_SIZE:
            number_format = BUILTIN_FORMATS.get(number, "General")
        elif 0 <= number - BUILTIN_FORMATS_MAX_SIZE < len(custom):
            number_format = custom[number - BUILTIN_FORMATS_MAX_SIZE]
        else:
            continue
        decimals = _percent_decimals(str(number_format))
        if decimals is not None:
            found[index] = decimals
    return found


def _xlsx_needs(archive: zipfile.ZipFile, path: str, percent_styles: dict[int, int]) -> str:
    """What a sheet part needs read beyond its values: "cells" (formulas or percentages),
    "outline" (only merged cells or hidden columns, which stand around the rows) or "".

    Most files need nothing; a scan of the bytes spares them a second reading of the XML.
    """
    cell_markers = _XLSX_CELL_FACTS + tuple(f' s="{style}"'.encode() for style in percent_styles)
    outline = False
    tail = b""
    with archive.open(path) as part:
        while chunk := part.read(1024 * 1024):
            window = tail + chunk
            if any(marker in window for marker in cell_markers):
                return "cells"
            outline = outline or any(marker in window for marker in _XLSX_OUTLINE_FACTS)
            tail = chunk[-200:]
    return "outline" if outline else ""


_SHEET_DATA_START = re.compile(rb"<(?:[\w.-]+:)?sheetData(\s[^>]*?)?(/?)>")
_SHEET_DATA_END = re.compile(rb"</(?:[\w.-]+:)?sheetData\s*>")


def _without_rows(part: Any, size: int = 1024 * 1024) -> Iterator[bytes]:
    """A sheet part's XML with what stands between <sheetData> and </sheetData> left out.

    "<" stands for itself only in markup (text escapes it), so the two tags are found
    however the rows read; a tag cut by a chunk's end is looked for again with the next.
    """
    pending = b""
    state = "before"
    while True:
        chunk = part.read(size)
        data = pending + chunk
        pending = b""
        if state == "before":
            start = _SHEET_DATA_START.search(data)
            if start is None:
                cut = data.rfind(b"<") if chunk else len(data)
                cut = len(data) if cut < 0 else cut
                yield data[:cut]
                pending = data[cut:]
            elif start.group(2):  # <sheetData/>: no rows
                state = "after"
            else:
                yield data[: start.end()]
                data = data[start.end() :]
                state = "inside"
        if state == "inside":
            end = _SHEET_DATA_END.search(data)
            if end is None:
                cut = data.rfind(b"<") if chunk else -1
                pending = data[cut:] if cut >= 0 else b""
            else:
                state = "after"
                data = data[end.start() :]
        if state == "after":
            yield data
            while rest := part.read(size):
                yield rest
            return
        if not chunk:
            yield pending
            return


def _xlsx_outline(part: Any, facts: _SheetFacts) -> None:
    """The hidden columns and merged cells of a sheet part, read with its rows left out."""
    from defusedxml.ElementTree import DefusedXMLParser

    parser = DefusedXMLParser(forbid_dtd=True)
    with part:
        for chunk in _without_rows(part):
            parser.feed(chunk)
    for element in parser.close().iter():
        _xlsx_outline_element(_XLSX_TAGS.get(element.tag), element, facts)


def _xlsx_outline_element(tag: str | None, element: Any, facts: _SheetFacts) -> None:
    if tag == "col" and element.get("hidden") in ("1", "true"):
        first = max(_number(element.get("min"), 1), 1)
        last = min(_number(element.get("max"), first), MAX_COLUMNS)
        facts.hidden_columns.extend(range(first - 1, last))
    elif tag == "mergeCell" and len(facts.merges) <= MAX_ROWS:
        merge = _merge_range(element.get("ref", ""))
        if merge is not None:
            facts.merges.append(merge)


def _cell_position(ref: str | None, previous: int) -> int:
    """The 0-based column of a cell reference ("C7" → 2); the next column when there is none."""
    match = _CELL_REF.match(ref or "")
    if not match:
        return previous + 1
    index = 0
    for letter in match.group(1).upper():
        index = index * 26 + ord(letter) - 64
    return index - 1


def _xlsx_tags(*names: str) -> dict[str, str]:
    """Each name's tag in the sheet XML, in the transitional and strict namespaces and none."""
    spaces = (
        "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "http://purl.oclc.org/ooxml/spreadsheetml/main",
    )
    tags = {name: name for name in names}
    for space in spaces:
        tags.update({f"{{{space}}}{name}": name for name in names})
    return tags


_XLSX_TAGS = _xlsx_tags("c", "f", "v", "row", "col", "mergeCell")


def _number(text: str | None, default: int) -> int:
    return int(text) if text and text.isdigit() else default


def _xlsx_cells(
    stream: Any, percent_styles: dict[int, int], facts: _SheetFacts
) -> Iterator[tuple[int, dict[int, tuple[int | None, str | None]]]]:
    """The sheet's rows that hold formulas or percentages, streamed from its XML:
    ``(row, {column: (decimals shown as a percentage, formula kind)})``.

    Hidden columns and merged cells go into ``facts``; merged cells are listed after the
    rows, so ``facts.merges`` is complete only once the generator is exhausted.
    """
    from defusedxml.ElementTree import DefusedXMLParser

    # No tree is built: a sheet formatted down to row 1,048,576 would keep a million emptied
    # row elements (~65 MB) until the end. The target keeps one cell's facts at a time.
    target = _CellsTarget(percent_styles, facts)
    parser = DefusedXMLParser(target=target, forbid_dtd=True)
    with stream:
        while chunk := stream.read(256 * 1024):
            parser.feed(chunk)
            yield from target.take()
        parser.close()
    yield from target.take()


class _CellsTarget:
    """The XML parser's target for ``_xlsx_cells``: what one cell says, row by row."""

    def __init__(self, percent_styles: dict[int, int], facts: _SheetFacts) -> None:
        self.percent_styles = percent_styles
        self.facts = facts
        self.done: list[tuple[int, dict[int, tuple[int | None, str | None]]]] = []
        self.shared_links: dict[str, bool] = {}  # shared formulas name their first cell's
        self.number = 0
        self.row_ref: str | None = None
        self.column = -1
        self.found: dict[int, tuple[int | None, str | None]] = {}
        self.cell: dict[str, str] = {}
        self.formula: dict[str, str] | None = None
        self.formula_text = ""
        self.value: str | None = None
        self.text: list[str] | None = None  # the text of the <f> or <v> being read

    def take(self) -> list[tuple[int, dict[int, tuple[int | None, str | None]]]]:
        done, self.done = self.done, []
        return done

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        name = _XLSX_TAGS.get(tag)
        if name == "c":
            self.cell = attrib
            self.formula = self.value = None
            self.formula_text = ""
        elif name == "f":
            self.formula = attrib
            self.text = []
        elif name == "v":
            self.text = []
        elif name == "row":
            self.row_ref = attrib.get("r")
        else:
            _xlsx_outline_element(name, attrib, self.facts)

    def data(self, text: str) -> None:
        if self.text is not None:
            self.text.append(text)

    def end(self, tag: str) -> None:
        name = _XLSX_TAGS.get(tag)
        if name == "f" and self.text is not None:
            self.formula_text, self.text = "".join(self.text), None
        elif name == "v" and self.text is not None:
            self.value, self.text = "".join(self.text), None
        elif name == "c":
            self._cell_end()
        elif name == "row":
            self.number = _number(self.row_ref, self.number + 1)
            if self.found:
                self.done.append((self.number, self.found))
                self.found = {}
            self.column = -1

    def _cell_end(self) -> None:
        cell = self.cell
        self.column = column = _cell_position(cell.get("r"), self.column)
        style = cell.get("s")
        decimals = self.percent_styles.get(_number(style, -1)) if style else None
        kind = None
        if self.formula is not None:
            text = self.formula_text
            link = bool(_HYPERLINK.search(text))
            if self.formula.get("t") == "shared":
                index = self.formula.get("si", "")
                if text:
                    self.shared_links.setdefault(index, link)
                else:
                    link = self.shared_links.get(index, False)
            # An empty <v/> is no value, but for a formula giving text it is "".
            saved = self.value is not None and bool(self.value or cell.get("t") == "str")
            kind = LINK if link else SAVED if saved else UNSAVED
        if (decimals is not None or kind) and column < MAX_COLUMNS:
            self.found[column] = (decimals, kind)

    def close(self) -> None:
        return None


def _merge_range(ref: str) -> tuple[int, int, int, int] | None:
    """ "A4:B6" → (4, 0, 6, 1): first row, first column, last row, last column."""
    corners = ref.split(":")
    first = _CELL_REF.fullmatch(corners[0])
    last = _CELL_REF.fullmatch(corners[-1])
    if len(corners) != 2 or first is None or last is None:
        return None
    return (
        int(first.group(2)),
        _cell_position(corners[0], 0),
        int(last.group(2)),
        _cell_position(corners[1], 0),
    )


def _with_cells(
    numbered: Iterable[tuple[int, Sequence[Any]]],
    cells: Iterator[tuple[int, dict[int, tuple[int | None, str | None]]]],
    facts: _SheetFacts,
) -> Iterator[tuple[int, Sequence[Any]]]:
    """openpyxl's rows of values, with what the sheet's XML says about their cells applied:
    percentages as shown, links and formulas without a saved value taken out and noted."""
    pending = next(cells, None)
    for number, values in numbered:
        while pending is not None and pending[0] < number:
            pending = next(cells, None)
        if pending is None or pending[0] != number:
            yield number, values
            continue
        row = list(values)
        for column, (decimals, kind) in pending[1].items():
            if len(row) <= column:
                row.extend([None] * (column + 1 - len(row)))
            if decimals is not None:
                row[column] = _as_shown(row[column], decimals)
            if kind is None:
                continue
            facts.formulas.append((number, column, kind))
            if kind != SAVED:
                # A link's text is not the value it stands for; keep the row, to say so.
                row[column] = None
                facts.blocking_rows.add(number)
        yield number, row


# ods -----------------------------------------------------------------------------------------

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


def _ods_value(cell: Any) -> Any:
    """A cell's value as its type says: a number, a date, a truth value or text.

    A percentage is the number the cell shows (45 for 45 %), to at most four decimals.
    """
    kind = cell.get(f"{_OFFICE}value-type")
    if kind in ("float", "percentage", "currency"):
        raw = cell.get(f"{_OFFICE}value")
        try:
            number = Decimal(raw)
        except (TypeError, ArithmeticError):
            return _ods_text(cell)
        if not number.is_finite():
            return _ods_text(cell)
        if kind == "percentage":
            return _as_shown(number, _ods_percent_decimals(cell))
        return int(number) if number == number.to_integral_value() else number
    if kind == "date":
        raw = cell.get(f"{_OFFICE}date-value") or ""
        try:
            return datetime.fromisoformat(raw) if "T" in raw else date.fromisoformat(raw)
        except ValueError:
            return _ods_text(cell)
    if kind == "boolean":
        return cell.get(f"{_OFFICE}boolean-value") == "true"
    return _ods_text(cell)


# The number before the per cent sign of a percentage cell's text: "46%", "60,50 %".
_PERCENT_SHOWN = re.compile(r"\d(?:[.,](\d+))?\s*%")


def _ods_percent_decimals(cell: Any) -> int:
    """The decimals a percentage cell shows, read from the text saved with its value
    (LibreOffice saves 0.455 shown as "46%"), as xlsx's are from its format; four when the
    text does not say."""
    shown = _PERCENT_SHOWN.search(_ods_text(cell))
    return 4 if shown is None else len(shown.group(1) or "")


def _ods_text(cell: Any) -> str:
    # Only the cell's own paragraphs: a comment (office:annotation) holds paragraphs too.
    return "\n".join(_ods_inline(p, []) for p in cell.findall(f"{_TEXT}p"))


def _ods_inline(node: Any, parts: list[str]) -> str:
    """A paragraph's text: spans walked into, spaces, tabs and line breaks written out."""
    if node.text:
        parts.append(node.text)
    for child in node:
        if child.tag == f"{_TEXT}s":
            try:
                spaces = int(child.get(f"{_TEXT}c", "1") or 1)
            except ValueError:
                spaces = 1
            parts.append(" " * min(spaces, 100))
        elif child.tag == f"{_TEXT}tab":
            parts.append("\t")
        elif child.tag == f"{_TEXT}line-break":
            parts.append("\n")
        else:
            _ods_inline(child, parts)
        if child.tail:
            parts.append(child.tail)
    return "".join(parts)


def _repeat(element: Any, attribute: str) -> int:
    try:
        return max(1, int(element.get(attribute, "1")))
    except ValueError:
        return 1


def _ods_tables(
    archive: zipfile.ZipFile,
) -> Iterator[tuple[str, _SheetFacts, Iterator[tuple[int, list[Any]]]]]:
    """Each table of content.xml with a generator of its numbered rows, streamed; the
    table's merged cells, formulas and hidden columns go into its facts as rows are read."""
    from defusedxml.ElementTree import iterparse

    try:
        stream = archive.open("content.xml")
    except KeyError:
        raise FileRejected(
            _("The file is damaged: it cannot be opened as a spreadsheet."), code="corrupt"
        ) from None
    events = iterparse(stream, events=("start", "end"), forbid_dtd=True)
    for event, element in events:
        if event == "start" and element.tag == f"{_TABLE}table":
            facts = _SheetFacts()
            yield element.get(f"{_TABLE}name", ""), facts, _ods_rows(events, facts)


def _ods_formula(cell: Any) -> str | None:
    """The kind of formula a cell holds, None when it holds none."""
    formula = cell.get(f"{_TABLE}formula")
    if formula is None:
        return None
    if _HYPERLINK.search(formula):
        return LINK
    if cell.get(f"{_OFFICE}value-type") is None and not cell.findall(f"{_TEXT}p"):
        return UNSAVED
    return SAVED


def _ods_rows(
    events: Iterator[tuple[str, Any]], facts: _SheetFacts
) -> Iterator[tuple[int, list[Any]]]:
    number = 0
    column_count = 0  # table:table-column elements seen, for the hidden ones
    for event, element in events:
        if event == "end" and element.tag == f"{_TABLE}table":
            return
        if event == "end" and element.tag == f"{_TABLE}table-column":
            times = min(_repeat(element, f"{_TABLE}number-columns-repeated"), MAX_COLUMNS)
            if element.get(f"{_TABLE}visibility") == "collapse":
                facts.hidden_columns.extend(
                    c for c in range(column_count, column_count + times) if c < MAX_COLUMNS
                )
            column_count = min(column_count + times, MAX_COLUMNS)
            continue
        if event != "end" or element.tag != f"{_TABLE}table-row":
            continue
        rows = _repeat(element, f"{_TABLE}number-rows-repeated")
        cells: list[Any] = []
        formulas: list[tuple[int, str]] = []
        for cell in element:
            if cell.tag not in (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"):
                continue
            value = _ods_value(cell)
            position = len(cells)
            kind = _ods_formula(cell)
            if kind is not None and position < MAX_COLUMNS:
                formulas.append((position, kind))
                if kind != SAVED:
                    value = None
            spanned = _repeat(cell, f"{_TABLE}number-rows-spanned")
            if spanned > 1 and position < MAX_COLUMNS and len(facts.merges) <= MAX_ROWS:
                width = _repeat(cell, f"{_TABLE}number-columns-spanned")
                facts.merges.append((number + 1, position, number + spanned, position + width - 1))
            times = _repeat(cell, f"{_TABLE}number-columns-repeated")
            if _cell_text(value) == "":
                # Blank cells repeated to the sheet's edge are common: keep them only as
                # far as a later value needs them.
                cells.extend([None] * min(times, MAX_COLUMNS + 1))
            else:
                if len(cells) + times > MAX_COLUMNS + 1:
                    times = MAX_COLUMNS + 1 - len(cells)
                cells.extend([value] * max(times, 1))
            if len(cells) > MAX_COLUMNS and _cell_text(value) != "":
                break
        element.clear()
        trimmed = _trimmed(cells)
        if not trimmed and not formulas:
            # A run of blank rows (often repeated to the sheet's end) counts as one.
            number += rows
            yield number, []
            continue
        for _i in range(min(rows, MAX_ROWS + 1)):
            number += 1
            for position, kind in formulas:
                facts.formulas.append((number, position, kind))
                if kind != SAVED:
                    # A link's text is not the value it stands for; keep the row, to say so.
                    facts.blocking_rows.add(number)
            yield number, trimmed
        if rows > MAX_ROWS:
            raise _too_many_rows()


def _read_ods(archive: zipfile.ZipFile, *, is_header: HeaderCheck) -> Sheet:
    try:
        for name, facts, rows in _ods_tables(archive):
            found = _collect(rows, is_header, facts.blocking_rows)
            if found is not None:
                return _sheet(found, facts, "ods", name=name)
            for _row in rows:  # finish the table before looking at the next one
                pass
    except FileRejected:
        raise
    except Exception as exc:  # a broken or hostile content.xml
        if type(exc).__module__.startswith("defusedxml"):
            raise FileRejected(
                _(
                    "The file contains XML entity declarations, which spreadsheets do not use "
                    "and attacks do. It was not opened."
                ),
                code="xml_entities",
            ) from None
        raise FileRejected(
            _("The file is damaged: it cannot be opened as a spreadsheet."), code="corrupt"
        ) from None
    raise _no_table()


# csv -----------------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]+")


def _script(ch: str) -> str:
    if "\u0400" <= ch <= "\u04ff":
        return "cyrillic"
    if ch.isascii():
        return "ascii"
    if "LATIN" in unicodedata.name(ch, ""):
        return "latin"
    return "other"


def _implausible_words(text: str) -> tuple[int, int]:
    """How many words of the text read as nonsense, and how many words there are.

    A word is nonsense when it mixes Cyrillic and Latin letters (Albanian ë read as
    Windows-1251 becomes л inside a Latin word), when it is mostly accented Latin letters
    (Macedonian read as Windows-1252), or when it holds letters of neither script.
    """
    bad = total = 0
    for word in _WORD.findall(text):
        total += 1
        scripts = [_script(ch) for ch in word]
        has_cyrillic = "cyrillic" in scripts
        has_latin = "ascii" in scripts or "latin" in scripts
        accented = scripts.count("latin")
        if (
            "other" in scripts
            or (has_cyrillic and has_latin)
            or (len(word) >= 3 and accented * 2 > len(word))
        ):
            bad += 1
    return bad, total


def decode_text(data: bytes, *, encoding: str = "") -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read with.

    Trusted in this order: the encoding the person chose, a byte-order mark, UTF-8 when the
    bytes are valid UTF-8, then the one Windows code page whose reading is plausible. When
    no reading or more than one different reading is plausible, ``EncodingUncertain``.
    """
    if encoding:
        if encoding not in ENCODINGS:
            raise FileRejected(_("Unknown encoding."), code="encoding")
        try:
            text = data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
        except UnicodeDecodeError:
            raise FileRejected(
                _("The file cannot be read as %(encoding)s.") % {"encoding": ENCODINGS[encoding]},
                code="encoding",
            ) from None
        return text, encoding
    if data.startswith(codecs.BOM_UTF8):
        return _decode_or_reject(data, "utf-8-sig"), "utf-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode_or_reject(data, "utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    readings: dict[str, str] = {}
    for candidate in ("cp1251", "cp1250", "cp1252"):
        try:
            readings[candidate] = data.decode(candidate)
        except UnicodeDecodeError:
            continue
    scored = []
    for candidate, text in readings.items():
        bad, total = _implausible_words(text)
        scored.append((bad, candidate, text, total))
    scored.sort()
    plausible = [s for s in scored if s[0] <= max(1, s[3] // 100)]
    distinct = {s[2] for s in plausible}
    if len(distinct) == 1:
        _bad, best, text, _total = plausible[0]
        return text, best
    raise EncodingUncertain({c: _sample(t) for c, t in readings.items()})


def _decode_or_reject(data: bytes, codec: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        raise FileRejected(
            _("The file says it is Unicode text but is not: it is damaged."), code="encoding"
        ) from None


def _sample(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()][:3]
    return "\n".join(line[:120] for line in lines)


def sniff_delimiter(text: str) -> str:
    """The separator of a CSV file: semicolon, comma or tab, counted outside quotes.

    The file's first non-blank lines are looked at, since a title may stand above the table:
    the separator is the one that splits the most of them into the same number of cells
    (a title holds none, or a stray comma).
    """
    counts: dict[str, list[int]] = {";": [], ",": [], "\t": []}
    looked_at = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        looked_at += 1
        if looked_at > HEADER_SEARCH_ROWS:
            break
        found = dict.fromkeys(counts, 0)
        quoted = False
        for ch in line:
            if ch == '"':
                quoted = not quoted
            elif not quoted and ch in found:
                found[ch] += 1
        for delimiter, n in found.items():
            counts[delimiter].append(n)

    def score(delimiter: str) -> tuple[int, int, bool]:
        used = [n for n in counts[delimiter] if n]
        if not used:
            return 0, 0, delimiter == ";"
        usual = max(set(used), key=lambda n: (used.count(n), n))
        return used.count(usual), usual, delimiter == ";"

    best = max(counts, key=score)
    return best if score(best)[0] else ","


def _read_csv(data: bytes, *, encoding: str, is_header: HeaderCheck) -> Sheet:
    text, used = decode_text(data, encoding=encoding)
    if "\x00" in text:
        raise FileRejected(_("The file's content does not match its name."), code="mismatch")
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    try:
        numbered = ((i, row) for i, row in enumerate(reader, start=1))
        found = _collect(numbered, is_header)
    except csv.Error:
        raise FileRejected(
            _("The file is damaged: it cannot be read as CSV."), code="corrupt"
        ) from None
    if found is None:
        raise _no_table()
    return _sheet(found, None, "csv", encoding=used, delimiter=delimiter)


# --- Writing ------------------------------------------------------------------------------


def neutralise(value: Any) -> Any:
    """A cell value a spreadsheet will show as text, never run as a formula.

    Text starting with = + - @, a tab, a carriage return or NUL gets a leading apostrophe
    (OWASP's advice), and so does each such start right after a ; , tab or line break inside
    the text ("Workshop held;=1+1" becomes "Workshop held;'=1+1"), since a reader using the
    other separator would make it a cell of its own. Numbers, dates and truth values are
    left as they are.
    """
    if not isinstance(value, str):
        return value
    value = _FORMULA_AFTER_BREAK.sub(r"\1'", value)
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unneutralise(value: Any) -> Any:
    """The value a neutralised cell stood for, so an exported file imports unchanged."""
    if not isinstance(value, str):
        return value
    if value.startswith("'") and value[1:2] in FORMULA_STARTS:
        value = value[1:]
    return _NEUTRALISED_AFTER_BREAK.sub(r"\1", value)


def neutralise_rows(rows: Iterable[Sequence[Any]]) -> Iterator[list[Any]]:
    for row in rows:
        yield [neutralise(v) for v in row]


_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xlsx_value(value: Any) -> Any:
    value = neutralise(value)
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str):
        return _ILLEGAL_XML.sub("", value)
    return value


def write_xlsx(headers: Sequence[Any], rows: Iterable[Sequence[Any]], *, title: str) -> bytes:
    """A workbook of one sheet: a bold, frozen header row and the rows, neutralised."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_sheet_title(title))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=_xlsx_value(str(header)))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        cells = []
        for value in row:
            value = _xlsx_value(value)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, (date, datetime)):
                cell.number_format = "DD.MM.YYYY"
            elif isinstance(value, str):
                # Text stays text: openpyxl would otherwise take "=…" for a formula.
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_title(title: str) -> str:
    return re.sub(r"[\\/*?:\[\]]", " ", title)[:31] or "Sheet"


def write_csv(headers: Sequence[Any], rows: Iterable[Sequence[Any]], *, delimiter: str) -> bytes:
    """UTF-8 with a byte-order mark (so Excel reads Cyrillic), every text cell neutralised.

    A cell holding a ; or a , is quoted whichever of them separates the columns: a file
    written with commas and opened with semicolons (LibreOffice in Macedonian or Albanian)
    still keeps the cell whole. The csv module quotes only for the file's own separator.
    """
    out = io.StringIO()
    out.write(delimiter.join(_csv_field(neutralise(str(h))) for h in headers) + "\r\n")
    for row in rows:
        out.write(delimiter.join(_csv_field(_csv_value(v)) for v in row) + "\r\n")
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def _csv_field(text: str) -> str:
    if _CSV_QUOTE.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, Decimal, float)):
        return str(value)
    return neutralise(str(value))


def column_letter(index: int) -> str:
    """The spreadsheet's letter for a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- django-import-export formats ---------------------------------------------------------
# The admin's import and export buttons use these, so they read with the same guards and
# write with the same neutralisation as the portal.


def _dataset(sheet: Sheet) -> Any:
    import tablib

    dataset = tablib.Dataset(headers=sheet.headers)
    width = len(sheet.headers)
    for row in sheet.rows:
        dataset.append((row.cells + [None] * width)[:width])
    return dataset


def _export_rows(dataset: Any) -> Iterator[list[Any]]:
    for row in dataset:
        yield list(row)


class SafeCSV(base_formats.CSV):
    def create_dataset(self, in_stream: Any, **kwargs: Any) -> Any:
        data = in_stream.encode("utf-8") if isinstance(in_stream, str) else in_stream
        return _dataset(read_sheet(data, filename="import.csv", encoding=self.encoding or ""))

    def export_data(self, dataset: Any, **kwargs: Any) -> Any:
        return write_csv(dataset.headers or [], _export_rows(dataset), delimiter=",")

    def is_binary(self) -> bool:
        return True

    def get_read_mode(self) -> str:
        return "rb"


class SafeXLSX(base_formats.XLSX):
    def create_dataset(self, in_stream: Any, **kwargs: Any) -> Any:
        return _dataset(read_sheet(in_stream, filename="import.xlsx"))

    def export_data(self, dataset: Any, **kwargs: Any) -> Any:
        return write_xlsx(dataset.headers or [], _export_rows(dataset), title=dataset.title or "")


class SafeODS(base_formats.ODS):
    def create_dataset(self, in_stream: Any, **kwargs: Any) -> Any:
        return _dataset(read_sheet(in_stream, filename="import.ods"))

    def can_export(self) -> bool:
        return False

    def is_binary(self) -> bool:
        return True

    def get_read_mode(self) -> str:
        return "rb"


IMPORT_FORMATS = [SafeXLSX, SafeODS, SafeCSV]
EXPORT_FORMATS = [SafeXLSX, SafeCSV]
