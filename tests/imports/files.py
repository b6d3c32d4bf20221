"""Real spreadsheet files, made the way offices make them: xlsx, ods, csv in every encoding."""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any


def xlsx(
    headers: Sequence[Any],
    rows: Sequence[Sequence[Any]],
    *,
    date_format: str = "DD.MM.YYYY",
    sheets_before: Sequence[str] = (),
) -> bytes:
    """An xlsx workbook; dates are real spreadsheet dates, shown day-first."""
    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    for name in sheets_before:
        sheet = book.create_sheet(name, 0)
        sheet["A1"] = f"{name}: read me first"
    data = first
    data.title = "Participants"
    data.append(list(headers))
    for row in rows:
        data.append(list(row))
        for cell in data[data.max_row]:
            if isinstance(cell.value, (date, datetime)):
                cell.number_format = date_format
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def ods(headers: Sequence[Any], rows: Sequence[Sequence[Any]]) -> bytes:
    """An OpenDocument spreadsheet written as LibreOffice does: typed cells, real dates,
    blank cells repeated to the row's end."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Data")

    def cell(value: Any) -> Any:
        if value is None or value == "":
            return TableCell()
        if isinstance(value, (date, datetime)):
            c = TableCell(valuetype="date", datevalue=value.isoformat())
            c.addElement(P(text=value.strftime("%d.%m.%Y")))
            return c
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            c = TableCell(valuetype="float", value=str(value))
            c.addElement(P(text=str(value)))
            return c
        c = TableCell(valuetype="string")
        c.addElement(P(text=str(value)))
        return c

    for values in [headers, *rows]:
        tr = TableRow()
        for value in values:
            tr.addElement(cell(value))
        tr.addElement(TableCell(numbercolumnsrepeated=1000))
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def csv_file(
    headers: Sequence[Any],
    rows: Sequence[Sequence[Any]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    bom: bool = False,
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    data = out.getvalue().encode(encoding)
    return (codecs.BOM_UTF8 + data) if bom else data


def zip_bomb_xlsx() -> bytes:
    """An archive named .xlsx whose sheet inflates to 300 MB of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        chunk = b"0" * (1024 * 1024)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            for _i in range(300):
                part.write(chunk)
    return out.getvalue()


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n'
)


def entity_bomb_xlsx(valid_xlsx: bytes) -> bytes:
    """A real workbook whose shared strings declare an entity bomb."""
    source = zipfile.ZipFile(io.BytesIO(valid_xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
                data = BILLION_LAUGHS + body.replace(b"<v>", b"<v>&lol3;", 1)
            archive.writestr(info, data)
    return out.getvalue()


def entity_bomb_ods(valid_ods: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(valid_ods))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "content.xml":
                body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
                data = BILLION_LAUGHS + body
            archive.writestr(info, data)
    return out.getvalue()


def workbook_bytes(book: Any) -> bytes:
    """The bytes of an openpyxl workbook built by a test."""
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_sheet_xml(data: bytes, edit: Callable[[bytes], bytes]) -> bytes:
    """An xlsx whose first sheet's XML is edited, for what openpyxl cannot write."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            part = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                part = edit(part)
            archive.writestr(info, part)
    return out.getvalue()


def with_saved_values(data: bytes, values: dict[str, str]) -> bytes:
    """An xlsx whose formula cells (by reference, "D5") hold saved values, numbers or text,
    as a spreadsheet program writes them after calculating; openpyxl never saves one."""

    def save(part: bytes) -> bytes:
        for ref, value in values.items():
            kind = "" if re.fullmatch(r"-?\d+(\.\d+)?", value) else ' t="str"'
            part, count = re.subn(
                # openpyxl writes an empty value as <v/>, or <v></v> when lxml is installed.
                rf'(<c r="{ref}"[^>]*)>(<f>.*?</f>)(?:<v ?/>|<v></v>)'.encode(),
                rf"\1{kind}>\2<v>{value}</v>".encode(),
                part,
            )
            assert count == 1, ref
        return part

    return with_sheet_xml(data, save)


def ods_cells(rows: Sequence[Sequence[Any]], *, columns: Sequence[dict[str, Any]] = ()) -> bytes:
    """An OpenDocument spreadsheet whose cells are given as values or, for what a value
    cannot say, as odfpy TableCell attributes (``{"formula": "of:=1+2", "valuetype": "float",
    "value": "3", "text": "3"}``; ``{"covered": True}`` for a cell covered by a merge).
    ``columns`` are the table's TableColumn attributes (``{"visibility": "collapse"}``)."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import CoveredTableCell, Table, TableCell, TableColumn, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Data")
    for attributes in columns:
        table.addElement(TableColumn(**attributes))
    for values in rows:
        tr = TableRow()
        for value in values:
            if isinstance(value, dict):
                attributes = dict(value)
                text = attributes.pop("text", None)
                if attributes.pop("covered", False):
                    tr.addElement(CoveredTableCell(**attributes))
                    continue
                c = TableCell(**attributes)
                if text is not None:
                    c.addElement(P(text=str(text)))
            elif value is None:
                c = TableCell()
            elif isinstance(value, (int, float)):
                c = TableCell(valuetype="float", value=str(value))
                c.addElement(P(text=str(value)))
            else:
                c = TableCell(valuetype="string")
                c.addElement(P(text=str(value)))
            tr.addElement(c)
        tr.addElement(TableCell(numbercolumnsrepeated=1000))
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()
