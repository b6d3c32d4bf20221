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
from decimal import Decimal
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


@dataclass
class Sheet:
    """The table found in a file: its header row and its non-blank rows."""

    headers: list[str]
    rows: list[SheetRow]
    file_format: str
    encoding: str = ""
    delimiter: str = ""
    header_row: int = 1
    name: str = ""
    notes: list[str] = field(default_factory=list)


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
    the first sheet whose first non-blank row does is read (a template's instructions and
    lists are skipped). ``encoding`` forces a CSV's encoding ("" detects it).
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
            return _read_xlsx(data, is_header=is_header)
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


def _collect(
    numbered_rows: Iterable[tuple[int, Sequence[Any]]], is_header: HeaderCheck
) -> tuple[list[str], int, list[SheetRow]] | None:
    """Header and rows of one table; None when its first non-blank row is not the header."""
    headers: list[str] | None = None
    header_row = 0
    rows: list[SheetRow] = []
    blank_run = 0
    for number, raw in numbered_rows:
        cells = _trimmed(raw)
        if not cells or _is_blank(cells):
            blank_run += 1
            if headers is not None and blank_run > MAX_BLANK_RUN:
                break
            if headers is None and blank_run > MAX_BLANK_RUN:
                return None
            continue
        blank_run = 0
        cells = _check_row(number, cells)
        if headers is None:
            headers = [_cell_text(c) for c in cells]
            header_row = number
            if not is_header(headers):
                return None
            continue
        rows.append(SheetRow(number, cells))
        if len(rows) > MAX_ROWS:
            raise _too_many_rows()
    if headers is None:
        return None
    return headers, header_row, rows


def _no_table() -> FileRejected:
    return FileRejected(
        _("No table with the expected column headers was found in the file."), code="no_table"
    )


# xlsx ----------------------------------------------------------------------------------------


def _read_xlsx(data: bytes, *, is_header: HeaderCheck) -> Sheet:
    import openpyxl

    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it skips (data validation, styles): not our concern.
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=True, keep_links=False
            )
            try:
                sheets = [book.active, *[ws for ws in book.worksheets if ws is not book.active]]
                for ws in sheets:
                    if ws is None or getattr(ws, "sheet_state", "visible") != "visible":
                        continue
                    numbered = (
                        (i, row) for i, row in enumerate(ws.iter_rows(values_only=True), start=1)
                    )
                    found = _collect(numbered, is_header)
                    if found is not None:
                        headers, header_row, rows = found
                        return Sheet(headers, rows, "xlsx", header_row=header_row, name=ws.title)
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


# ods -----------------------------------------------------------------------------------------

_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"


def _ods_value(cell: Any) -> Any:
    """A cell's value as its type says: a number, a date, a truth value or text."""
    kind = cell.get(f"{_OFFICE}value-type")
    if kind in ("float", "percentage", "currency"):
        raw = cell.get(f"{_OFFICE}value")
        try:
            number = Decimal(raw)
        except (TypeError, ArithmeticError):
            return _ods_text(cell)
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


def _ods_tables(archive: zipfile.ZipFile) -> Iterator[tuple[str, Iterator[tuple[int, list[Any]]]]]:
    """Each table of content.xml with a generator of its numbered rows, streamed."""
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
            yield element.get(f"{_TABLE}name", ""), _ods_rows(events)


def _ods_rows(events: Iterator[tuple[str, Any]]) -> Iterator[tuple[int, list[Any]]]:
    number = 0
    for event, element in events:
        if event == "end" and element.tag == f"{_TABLE}table":
            return
        if event != "end" or element.tag != f"{_TABLE}table-row":
            continue
        cells: list[Any] = []
        for cell in element:
            if cell.tag not in (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell"):
                continue
            value = _ods_value(cell)
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
        rows = _repeat(element, f"{_TABLE}number-rows-repeated")
        element.clear()
        trimmed = _trimmed(cells)
        if not trimmed:
            # A run of blank rows (often repeated to the sheet's end) counts as one.
            number += rows
            yield number, []
            continue
        for _i in range(min(rows, MAX_ROWS + 1)):
            number += 1
            yield number, trimmed
        if rows > MAX_ROWS:
            raise _too_many_rows()


def _read_ods(archive: zipfile.ZipFile, *, is_header: HeaderCheck) -> Sheet:
    try:
        for name, rows in _ods_tables(archive):
            found = _collect(rows, is_header)
            if found is not None:
                headers, header_row, sheet_rows = found
                return Sheet(headers, sheet_rows, "ods", header_row=header_row, name=name)
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
    """The separator of a CSV file: semicolon, comma or tab, counted outside quotes."""
    for line in text.splitlines():
        if not line.strip():
            continue
        counts = {";": 0, ",": 0, "\t": 0}
        quoted = False
        for ch in line:
            if ch == '"':
                quoted = not quoted
            elif not quoted and ch in counts:
                counts[ch] += 1
        best = max(counts, key=lambda d: (counts[d], d == ";"))
        return best if counts[best] else ","
    return ","


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
    headers, header_row, rows = found
    return Sheet(headers, rows, "csv", encoding=used, delimiter=delimiter, header_row=header_row)


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
