"""Files as ministries send them: a title above the table, merged cells, percentages, formulas
and hidden columns, read into the table a person sees on the screen."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook

from core.imports import resource_class
from core.spreadsheets import CellNote, Sheet, _without_rows, read_sheet
from tests.imports import files

HEADERS = ["Full name", "Sex", "Institution"]
is_attendance = resource_class("attendance").recognises

SAVED_NOTE = "This cell is a formula; its saved value “%s” was imported."
UNSAVED_NOTE = (
    "This cell is a formula without a saved value: open the file in a spreadsheet program, "
    "save it, and upload it again."
)
LINK_NOTE = "This cell is a link formula (HYPERLINK): type the value itself."


def _read(data: bytes, name: str) -> Sheet:
    return read_sheet(data, filename=name, is_header=is_attendance)


def _file(fmt: str, rows: list[list[Any]]) -> bytes:
    """The rows (titles, blank rows, header and data) in one of the three formats."""
    if fmt == "csv":
        return files.csv_file(rows[0], rows[1:], delimiter=";")
    if fmt == "ods":
        return files.ods_cells(rows)
    book = Workbook()
    for row in rows:
        book.active.append(row)
    return files.workbook_bytes(book)


# 1. The table under a title ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "csv"])
def test_title_rows_above_the_header_are_skipped_and_named(fmt: str) -> None:
    rows: list[list[Any]] = [
        ["Список на учесници — обука за идентификација"],
        ["Скопје, 12.03.2025"],
        [],
        HEADERS,
        ["Ана Петровска", "Ж", "MSPDY"],
    ]
    sheet = _read(_file(fmt, rows), f"participants.{fmt}")
    assert sheet.header_row == 4
    assert sheet.headers == HEADERS
    assert [(r.number, r.cells) for r in sheet.rows] == [(5, ["Ана Петровска", "Ж", "MSPDY"])]
    assert sheet.notes == ["The table starts on row 4; rows 1–2 above it were skipped."]


def test_one_title_row_is_named_alone_and_a_plain_table_has_no_note() -> None:
    titled = _read(_file("xlsx", [["Participants"], HEADERS, ["Ана", "Ж", "MSPDY"]]), "a.xlsx")
    assert titled.header_row == 2
    assert titled.notes == ["The table starts on row 2; row 1 above it was skipped."]
    plain = _read(_file("xlsx", [HEADERS, ["Ана", "Ж", "MSPDY"]]), "b.xlsx")
    assert (plain.header_row, plain.notes) == (1, [])


def test_a_header_below_thirty_title_rows_is_not_looked_for() -> None:
    # Past the first 30 non-blank rows the reader stops looking, and, as for any file whose
    # headers it does not know, reads the first table so the page can name the columns.
    titles: list[list[Any]] = [[f"Note {i}"] for i in range(1, 31)]
    sheet = _read(_file("xlsx", [*titles, HEADERS, ["Ана", "Ж", "MSPDY"]]), "late.xlsx")
    assert (sheet.header_row, sheet.headers, sheet.notes) == (1, ["Note 1"], [])
    found = _read(_file("xlsx", [*titles[:29], HEADERS, ["Ана", "Ж", "MSPDY"]]), "in.xlsx")
    assert (found.header_row, found.headers) == (30, HEADERS)


# 2. Merged cells ---------------------------------------------------------------------------


@pytest.mark.parametrize("with_formulas", [False, True])
def test_a_merged_xlsx_cell_gives_its_value_to_each_of_its_rows(with_formulas: bool) -> None:
    # A sheet with formulas has every cell read a second time; one without, only what
    # stands around its rows: both find the merged cells.
    book = Workbook()
    sheet = book.active
    sheet.append(["Participants of the training, March 2025"])
    sheet.merge_cells("A1:C1")  # a title merged across: no note
    sheet.append(HEADERS)
    sheet.append(["Ана Петровска", "Ж", "Министерство за внатрешни работи"])
    sheet.append(["Марко Илиевски", "М", None])
    sheet.append(["Arta Berisha", "Ж", None])
    sheet.append(["Elena Stojanova", "Ж", "MSPDY"])
    sheet.append(["Petar", None, None])
    sheet.merge_cells("C3:C5")
    sheet.merge_cells("A7:B7")  # across one row: the value stays in its first cell
    if with_formulas:
        sheet["E6"] = "=1+1"
    read = _read(files.workbook_bytes(book), "merged.xlsx")
    assert len(read.cell_notes) == with_formulas
    assert [r.cells[2] if len(r.cells) > 2 else None for r in read.rows] == [
        "Министерство за внатрешни работи",
        "Министерство за внатрешни работи",
        "Министерство за внатрешни работи",
        "MSPDY",
        None,
    ]
    assert read.rows[-1].cells == ["Petar"]
    assert read.notes == [
        "The table starts on row 2; row 1 above it was skipped.",
        "“Institution” on rows 3–5 was one merged cell: its value was used for each row.",
    ]


def test_a_merged_ods_cell_gives_its_value_to_each_of_its_rows() -> None:
    merged = {"valuetype": "string", "text": "МВР", "numberrowsspanned": 2}
    data = files.ods_cells(
        [
            HEADERS,
            ["Ана Петровска", "Ж", merged],
            ["Марко Илиевски", "М", {"covered": True}],
            ["Arta Berisha", "Ж", "MSPDY"],
        ]
    )
    read = _read(data, "merged.ods")
    assert [r.cells[2] for r in read.rows] == ["МВР", "МВР", "MSPDY"]
    assert read.notes == [
        "“Institution” on rows 2–3 was one merged cell: its value was used for each row."
    ]


# 3. Percentages ----------------------------------------------------------------------------


def test_an_xlsx_percentage_is_the_number_the_cell_shows() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append([*HEADERS, "Attendance", "Score"])
    sheet.append(["Ана", "Ж", "MSPDY", 0.45, 0.45])
    sheet.append(["Марко", "М", "MSPDY", 0.1 + 0.2, 1])
    sheet.append(["Arta", "Ж", "MSPDY", 0.45678, "n/a"])
    sheet["D2"].number_format = "0%"
    sheet["D3"].number_format = "0.00%"
    sheet["D4"].number_format = "0.0%"
    sheet["E4"].number_format = "0%"  # text in a percentage cell stays text
    read = _read(files.workbook_bytes(book), "scores.xlsx")
    shown = [r.cells[3:] for r in read.rows]
    assert shown == [[Decimal("45"), 0.45], [Decimal("30"), 1], [Decimal("45.7"), "n/a"]]
    assert [str(row[0]) for row in shown] == ["45", "30", "45.7"]


def test_an_ods_percentage_is_the_number_the_cell_shows() -> None:
    def percent(value: str) -> dict[str, str]:
        return {"valuetype": "percentage", "value": value, "text": value}

    data = files.ods_cells(
        [
            [*HEADERS, "Attendance"],
            ["Ана", "Ж", "MSPDY", percent("0.45")],
            ["Марко", "М", "MSPDY", percent("0.123456")],
            ["Arta", "Ж", "MSPDY", 0.45],
        ]
    )
    read = _read(data, "scores.ods")
    assert [str(r.cells[3]) for r in read.rows] == ["45", "12.3456", "0.45"]


# 4. Formulas -------------------------------------------------------------------------------


def _formula_book() -> Workbook:
    book = Workbook()
    sheet = book.active
    sheet.append([*HEADERS, "Pre-test score", "Post-test score"])
    sheet.append(["Ана", "Ж", "MSPDY", 50, "=D2+10"])
    sheet.append(["Марко", "М", '=HYPERLINK("https://mvr.gov.mk","МВР")', 40, 60])
    sheet.append(["Arta", "Ж", "MSPDY", 30, "=D4*2"])
    sheet.append([None, None, '=HYPERLINK("https://mvr.gov.mk","МВР")'])
    return book


def test_xlsx_formulas_give_their_saved_value_or_a_note_that_blocks_the_row() -> None:
    data = files.workbook_bytes(_formula_book())
    data = files.with_saved_values(data, {"E2": "60", "C3": "МВР", "C5": "МВР"})
    read = _read(data, "formulas.xlsx")
    assert [r.cells for r in read.rows] == [
        ["Ана", "Ж", "MSPDY", 50, 60],
        ["Марко", "М", None, 40, 60],  # the link's text is never taken for the institution
        ["Arta", "Ж", "MSPDY", 30],
        [None],  # a row holding only a link is kept, to say why it is refused
    ]
    assert read.cell_notes == [
        CellNote(2, 4, SAVED_NOTE % "60"),
        CellNote(3, 2, LINK_NOTE, blocking=True),
        CellNote(4, 4, UNSAVED_NOTE, blocking=True),
        CellNote(5, 2, LINK_NOTE, blocking=True),
    ]


def test_an_xlsx_formula_giving_text_notes_its_text() -> None:
    book = Workbook()
    book.active.append(HEADERS)
    book.active.append(["Ана", "Ж", '=UPPER("mspdy")'])
    data = files.with_saved_values(files.workbook_bytes(book), {"C2": "MSPDY"})
    read = _read(data, "text.xlsx")
    assert read.rows[0].cells == ["Ана", "Ж", "MSPDY"]
    assert read.cell_notes == [CellNote(2, 2, SAVED_NOTE % "MSPDY")]


def test_a_link_formula_dragged_down_in_excel_is_a_link_in_every_row() -> None:
    # Excel writes a formula filled down as a "shared" one: the first cell holds its text,
    # the others only point to it.
    book = Workbook()
    book.active.append(HEADERS)
    book.active.append(["Ана", "Ж", "first"])
    book.active.append(["Марко", "М", "second"])
    master = b'<c r="C2" t="str"><f t="shared" ref="C2:C3" si="0">HYPERLINK("https://mvr.gov.mk","MVR")</f><v>MVR</v></c>'
    follower = b'<c r="C3" t="str"><f t="shared" si="0"/><v>MVR</v></c>'

    def share(xml: bytes) -> bytes:
        xml = re.sub(rb'<c r="C2" [^>]*><is><t>first</t></is></c>', master, xml)
        return re.sub(rb'<c r="C3" [^>]*><is><t>second</t></is></c>', follower, xml)

    read = _read(files.with_sheet_xml(files.workbook_bytes(book), share), "shared.xlsx")
    assert [r.cells for r in read.rows] == [["Ана", "Ж"], ["Марко", "М"]]
    assert read.cell_notes == [
        CellNote(2, 2, LINK_NOTE, blocking=True),
        CellNote(3, 2, LINK_NOTE, blocking=True),
    ]


def test_ods_formulas_give_their_saved_value_or_a_note_that_blocks_the_row() -> None:
    data = files.ods_cells(
        [
            [*HEADERS, "Post-test score"],
            [
                "Ана",
                "Ж",
                "MSPDY",
                {"formula": "of:=[.D1]+10", "valuetype": "float", "value": "60", "text": "60"},
            ],
            [
                "Марко",
                "М",
                {
                    "formula": 'of:=HYPERLINK("https://mvr.gov.mk";"МВР")',
                    "valuetype": "string",
                    "text": "МВР",
                },
                40,
            ],
            ["Arta", "Ж", "MSPDY", {"formula": "of:=[.D3]*2"}],
        ]
    )
    read = _read(data, "formulas.ods")
    assert [r.cells for r in read.rows] == [
        ["Ана", "Ж", "MSPDY", 60],
        ["Марко", "М", None, 40],
        ["Arta", "Ж", "MSPDY"],
    ]
    assert read.cell_notes == [
        CellNote(2, 3, SAVED_NOTE % "60"),
        CellNote(3, 2, LINK_NOTE, blocking=True),
        CellNote(4, 3, UNSAVED_NOTE, blocking=True),
    ]


def test_formulas_in_title_rows_are_not_noted() -> None:
    book = Workbook()
    book.active.append(['=CONCATENATE("Participants ", "2025")'])
    book.active.append(HEADERS)
    book.active.append(["Ана", "Ж", "MSPDY"])
    read = _read(files.workbook_bytes(book), "title.xlsx")
    assert read.header_row == 2
    assert read.cell_notes == []


# 5. Hidden columns -------------------------------------------------------------------------


def test_hidden_columns_are_named_by_position() -> None:
    book = Workbook()
    book.active.append([*HEADERS, "Е-пошта", "Телефон"])
    book.active.append(["Ана", "Ж", "MSPDY", "ana@example.org", "070"])
    book.active.column_dimensions["B"].hidden = True
    book.active.column_dimensions["E"].hidden = True
    assert _read(files.workbook_bytes(book), "hidden.xlsx").hidden_columns == [1, 4]

    data = files.ods_cells(
        [[*HEADERS, "Е-пошта"], ["Ана", "Ж", "MSPDY", "ana@example.org"]],
        columns=[
            {},
            {"visibility": "collapse"},
            {},
            {"visibility": "collapse"},
            {"visibility": "collapse", "numbercolumnsrepeated": 1000},
        ],
    )
    assert _read(data, "hidden.ods").hidden_columns == [1, 3]


# What a template or a hostile file does to these --------------------------------------------


def test_a_template_formatted_far_below_its_rows_gives_only_the_filled_rows() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append([*HEADERS, "Attendance"])
    sheet.append(["Ана", "Ж", "MSPDY", 0.9])
    for row in range(2, 1002):
        sheet.cell(row, 4).number_format = "0%"
    read = _read(files.workbook_bytes(book), "template.xlsx")
    assert [r.cells for r in read.rows] == [["Ана", "Ж", "MSPDY", Decimal("90")]]
    assert (read.notes, read.cell_notes) == ([], [])


def test_a_cell_merged_to_the_sheets_last_row_fills_only_the_tables_rows() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    sheet.append(["Ана", "Ж", "MSPDY"])
    sheet.append(["Марко", "М"])
    # openpyxl would write a million covered cells for the merge: name it in the XML instead.
    data = files.with_sheet_xml(
        files.workbook_bytes(book),
        lambda xml: xml.replace(
            b"</sheetData>",
            b'</sheetData><mergeCells count="1"><mergeCell ref="C2:C1048576"/></mergeCells>',
        ),
    )
    read = _read(data, "long.xlsx")
    assert [r.cells for r in read.rows] == [["Ана", "Ж", "MSPDY"], ["Марко", "М", "MSPDY"]]
    assert read.notes == [
        "“Institution” on rows 2–3 was one merged cell: its value was used for each row."
    ]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 11, 64, 4096])
def test_the_rows_are_left_out_wherever_the_chunks_cut_the_xml(size: int) -> None:
    book = Workbook()
    book.active.append(HEADERS)
    book.active.append(["Ана <sheetData> </x", "Ж", "a > b"])
    book.active.merge_cells("C2:C3")
    book.active.column_dimensions["B"].hidden = True
    with zipfile.ZipFile(io.BytesIO(files.workbook_bytes(book))) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    rows = re.search(rb"<sheetData>(.*)</sheetData>", xml)
    assert rows is not None and b"<row" in rows.group(1)
    without = b"".join(_without_rows(io.BytesIO(xml), size=size))
    assert without == xml.replace(rows.group(1), b"")
