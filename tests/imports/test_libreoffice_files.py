"""Officials' files saved by LibreOffice Calc: a title above the table, a merged institution,
a hidden column, row numbers, a signature line, percentage cells and typed percentages,
fractions, formulas LibreOffice recalculated (a link among them), professions in three
languages and an institution the platform does not know. Each reads as it shows, and the
import stores exactly what the check page showed.

The files are made with openpyxl and as a typed CSV, then opened and saved as xlsx and ods by
LibreOffice itself (``soffice --headless``), once per session: soffice takes seconds to start.
"""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook

from core.imports import resource_class
from core.spreadsheets import CellNote, Sheet, read_sheet
from imports import services as import_services
from imports.models import ImportBatch
from stakeholders.models import Institution
from tests.imports import files, libreoffice
from tests.imports.test_files_as_sent import LINK_NOTE, SAVED_NOTE
from tests.imports.test_preview import _written
from trainings.models import Attendance, Participant, Training

TRAINING = "Free legal aid for trafficking victims: regional follow-up"  # MSPDY's, nobody yet
HEADERS = ["Р.бр.", "Име и презиме", "Пол", "Професија", "Институција", "Интерен код"]
HEADERS += ["Резултат на предтест", "Резултат на посттест"]
TITLE = "Листа на учесници — обука за бесплатна правна помош, Скопје"
UNKNOWN = "Центар за поддршка Скопје"
is_attendance = resource_class("attendance").recognises


def _officials_book() -> bytes:
    """The attendance list as a ministry fills it in: a merged title, the institution merged
    down the rows of its people, an internal column hidden, scores formatted as percentages
    (one computed by a formula nobody saved), professions as each person wrote theirs, an
    institution the platform does not know and a signature under the table."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Учесници"
    sheet.append([TITLE])
    sheet.merge_cells("A1:H1")
    sheet.append(["Скопје, 12.03.2025"])
    sheet.append([])
    sheet.append(HEADERS)
    sheet.append([1, "Ана Петровска", "Ж", "полициски службеници", "МСПДМ", "X-1", 0.6, "=G5+0.2"])
    sheet.append([2, "Gëzim Çela", "M", "zyrtarë policorë", None, "X-2", 0.455, 0.9])
    sheet.append([3, "Elena Stojanova", "Ж", "SOCIAL WORKERS", None, "X-3", 0.5, 0.75])
    sheet.append([4, "Марко Илиевски", "М", "Социјални работници", UNKNOWN, "X-4", 0.7, 0.725])
    sheet.append([])
    sheet.append(["Одобрил: ______________", None, None, None, "Потпис: ________"])
    sheet.merge_cells("E5:E7")
    sheet.column_dimensions["F"].hidden = True
    for row in range(5, 9):
        sheet.cell(row, 7).number_format = "0%"
        sheet.cell(row, 8).number_format = "0.0%"
    return files.workbook_bytes(book)


def _problems_book() -> bytes:
    """A list with what cannot be imported as it stands: an institution given by a link
    formula (LibreOffice saves its text, "click"), and scores written as fractions."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS[1:5] + HEADERS[6:])
    sheet.append(["Ана Петровска", "Ж", "Police officers", "MSPDY", 60, 80])
    sheet.append(
        ["Drita Osmani", "Ж", "Police officers", '=HYPERLINK("https://mvr.gov.mk","click")', 40]
    )
    sheet.append(["Марко Илиевски", "М", "Social workers", "MSPDY", 50, 0.75])
    sheet["F2"] = "=E2+20"  # recalculated on saving: 80
    return files.workbook_bytes(book)


# Typed in Calc with a Macedonian locale (the CSV filter's): "60%" and "60,5%" become
# percentage cells; "0,8" is a number, a fraction of a score.
TYPED_CSV = (
    "Листа на учесници,,,,,\n"
    ",,,,,\n"
    "Бр.,Име и презиме,Пол,Институција,Резултат на предтест,Резултат на посттест\n"
    '1.,Ана Петровска,Ж,МСПДМ,60%,"60,5%"\n'
    '2.,Gëzim Çela,M,MSPDY,45 %,"0,8"\n'
    "3.,Марко Илиевски,М,МСПДМ,100%,70\n"
    "Одобрил: ________,,,,,\n"
).encode()


@pytest.fixture(scope="session")
def saved() -> dict[str, bytes]:
    """Every source saved by LibreOffice, by "<source>.<format>": four soffice runs a session."""
    if libreoffice.SOFFICE is None:
        pytest.skip(
            "LibreOffice (soffice) is not installed; scripts/test installs it "
            "(Debian package libreoffice-calc-nogui)."
        )
    books = {"officials.xlsx": _officials_book(), "problems.xlsx": _problems_book()}
    found: dict[str, bytes] = {}
    for to in ("xlsx", "ods"):
        for stem, data in libreoffice.convert(books, to).items():
            found[f"{stem}.{to}"] = data
        typed = libreoffice.convert({"typed.csv": TYPED_CSV}, to, infilter=libreoffice.CSV_AS_TYPED)
        found[f"typed.{to}"] = typed["typed"]
    return found


def _read(data: bytes, name: str) -> Sheet:
    return read_sheet(data, filename=name, is_header=is_attendance)


def _part(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name).decode()


# What LibreOffice wrote --------------------------------------------------------------------


def test_libreoffice_saves_the_files_its_own_way(saved: dict[str, bytes]) -> None:
    # What these tests rely on having come from LibreOffice, not from openpyxl or odfpy.
    sheet = _part(saved["officials.xlsx"], "xl/worksheets/sheet1.xml")
    styles = _part(saved["officials.xlsx"], "xl/styles.xml")
    assert re.search(r'<numFmt numFmtId="1\d\d" formatCode="0(\.0)?%"', styles)
    assert re.search(r"<f[^>]*>G5\+0\.2</f><v>0\.8</v>", sheet)  # recalculated and saved
    assert '<mergeCell ref="E5:E7"/>' in sheet
    problems = _part(saved["problems.xlsx"], "xl/worksheets/sheet1.xml")
    assert re.search(r'<c r="D3"[^>]*t="str"><f[^>]*>HYPERLINK\([^<]*</f><v>click</v>', problems)
    content = _part(saved["officials.ods"], "content.xml")
    assert 'office:value-type="percentage"' in content
    assert "<table:covered-table-cell" in content
    assert 'table:visibility="collapse"' in content
    assert 'office:value="0.8"' in content and "of:=[.G5]+0.2" in content
    typed = _part(saved["typed.ods"], "content.xml")
    assert 'office:value-type="percentage" office:value="0.605"' in typed


# Read as they show -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_an_officials_file_saved_by_libreoffice_reads_as_it_shows(
    saved: dict[str, bytes], fmt: str
) -> None:
    sheet = _read(saved[f"officials.{fmt}"], f"officials.{fmt}")
    assert (sheet.header_row, sheet.headers) == (4, HEADERS)
    assert sheet.hidden_columns == [5]
    assert [(r.number, r.cells) for r in sheet.rows] == [
        (5, [1, "Ана Петровска", "Ж", "полициски службеници", "МСПДМ", "X-1", 60, 80]),
        (6, [2, "Gëzim Çela", "M", "zyrtarë policorë", "МСПДМ", "X-2", 46, 90]),
        (7, [3, "Elena Stojanova", "Ж", "SOCIAL WORKERS", "МСПДМ", "X-3", 50, 75]),
        (8, [4, "Марко Илиевски", "М", "Социјални работници", UNKNOWN, "X-4", 70, 72.5]),
        (10, ["Одобрил: ______________", None, None, None, "Потпис: ________"]),
    ]
    # A percentage is the number shown, never the fraction stored: 60, not 0.6.
    assert all(isinstance(r.cells[6], Decimal) for r in sheet.rows[:4])
    assert sheet.notes == [
        "The table starts on row 4; rows 1–2 above it were skipped.",
        "“Институција” on rows 5–7 was one merged cell: its value was used for each row.",
    ]
    # The formula openpyxl left without a value was calculated and saved by LibreOffice.
    assert sheet.cell_notes == [CellNote(5, 7, SAVED_NOTE % "80")]


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_a_recalculated_link_formula_never_gives_its_text(
    saved: dict[str, bytes], fmt: str
) -> None:
    sheet = _read(saved[f"problems.{fmt}"], f"problems.{fmt}")
    assert [r.cells for r in sheet.rows] == [
        ["Ана Петровска", "Ж", "Police officers", "MSPDY", 60, 80],
        ["Drita Osmani", "Ж", "Police officers", None, 40],
        ["Марко Илиевски", "М", "Social workers", "MSPDY", 50, 0.75],
    ]
    assert sheet.cell_notes == [
        CellNote(2, 5, SAVED_NOTE % "80"),
        CellNote(3, 3, LINK_NOTE, blocking=True),
    ]


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_percentages_typed_in_calc_are_the_numbers_typed(saved: dict[str, bytes], fmt: str) -> None:
    sheet = _read(saved[f"typed.{fmt}"], f"typed.{fmt}")
    assert sheet.header_row == 3
    scores = [[str(score) for score in r.cells[4:]] for r in sheet.rows[:3]]
    assert scores == [["60", "60.5"], ["45", "0.8"], ["100", "70"]]
    assert sheet.rows[3].cells == ["Одобрил: ________"]
    assert sheet.notes == ["The table starts on row 3; row 1 above it was skipped."]


def test_an_ods_percentage_is_rounded_as_its_saved_text_shows_it() -> None:
    # LibreOffice saves 0.455 formatted "0%" with the text "46%": 46, as an xlsx of the same
    # sheet gives from its format, not 45.5. A cell without such a text keeps four decimals.
    def percent(value: str, text: str) -> dict[str, str]:
        return {"valuetype": "percentage", "value": value, "text": text}

    data = files.ods_cells(
        [
            ["Име и презиме", "Пол", "Резултат на предтест", "Резултат на посттест"],
            ["Ана", "Ж", percent("0.455", "46%"), percent("0.72549", "72.5 %")],
            ["Марко", "М", percent("0.6055", "60,55\u00a0%"), percent("0.123456", "0.123456")],
        ]
    )
    read = _read(data, "scores.ods")
    assert [[str(score) for score in r.cells[2:]] for r in read.rows] == [
        ["46", "72.5"],
        ["60.55", "12.3456"],
    ]


# Through the check and the import ----------------------------------------------------------


def _training() -> Training:
    return Training.objects.get(title_en=TRAINING)


def _shown(attendance: Attendance) -> list[str]:
    """A stored attendance as the check page's "What will be written" shows its row."""
    person = attendance.participant
    return [
        person.full_name,
        str(person.get_sex_display()),
        str(person.professional_group or ""),
        person.institution.name if person.institution else "",
        f"{attendance.pre_score:.2f}",
        f"{attendance.post_score:.2f}",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_the_import_stores_exactly_what_the_check_page_showed(
    saved: dict[str, bytes],
    fmt: str,
    client: Any,
    demo: Any,
    run_import: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ministry = demo["demo-ministry"]
    training = _training()
    people, institutions = Participant.objects.count(), Institution.objects.count()
    batch: ImportBatch = run_import(
        "attendance",
        saved[f"officials.{fmt}"],
        f"учесници.{fmt}",
        user=ministry,
        training=training,
        confirm=False,
    )
    # The professions, however worded and in whichever language, are known; the
    # institution is not, and is asked about before anything is written.
    assert batch.status == "invalid"
    assert [(u["text"], u["rows"]) for u in batch.unknown_values] == [(UNKNOWN, [8])]
    mspdy = Institution.objects.get(code="mspdy")
    with django_capture_on_commit_callbacks(execute=True):
        import_services.import_batch_read_names(
            batch=batch,
            by=ministry,
            choices={("institutions", UNKNOWN.casefold()): str(mspdy.pk)},
            remember=False,
        )
    batch.refresh_from_db()
    assert batch.status == "checked", batch.errors
    assert batch.notes == [
        "The table starts on row 4; rows 1–2 above it were skipped.",
        "“Институција” on rows 5–7 was one merged cell: its value was used for each row.",
        "Row 10 (“Одобрил: ______________ | Потпис: ________”) is a signature line: "
        "it was not imported.",
        "Column A “Р.бр.” is a row number: it was not imported.",
        "Column F “Интерен код” is hidden in the file: it was not imported.",
        # The formula openpyxl left unsaved: LibreOffice calculated it and saved the result.
        "Row 5, column H (“Резултат на посттест”): " + SAVED_NOTE % "80",
        f"“{UNKNOWN}” was read as “{mspdy.name_en}”, as chosen for this file.",
    ]
    client.force_login(ministry)
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    table = _written(page)
    assert table.rows[0][3:] == [
        *("Full name", "Sex", "Profession", "Institution", "Pre-test score", "Post-test score")
    ]
    police, social = "Police officers", "Social workers"
    shown = [row[:2] + row[3:] for row in table.rows[1:]]
    assert shown == [
        ["5", "New", "Ана Петровска", "Female", police, mspdy.name_en, "60.00", "80.00"],
        ["6", "New", "Gëzim Çela", "Male", police, mspdy.name_en, "46.00", "90.00"],
        ["7", "New", "Elena Stojanova", "Female", social, mspdy.name_en, "50.00", "75.00"],
        ["8", "New", "Марко Илиевски", "Male", social, mspdy.name_en, "70.00", "72.50"],
    ]

    with django_capture_on_commit_callbacks(execute=True):
        import_services.import_batch_confirm(batch=batch, by=ministry)
    batch.refresh_from_db()
    assert batch.status == "applied", batch.errors
    stored = training.attendance.select_related(
        "participant__professional_group", "participant__institution"
    ).order_by("participant__full_name")
    # Nothing is stored that the page did not show, and everything it showed is stored.
    assert sorted(_shown(a) for a in stored) == sorted(row[2:] for row in shown)
    assert Participant.objects.count() == people + 4
    assert Institution.objects.count() == institutions


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_a_link_and_fractions_are_refused_and_nothing_is_stored(
    saved: dict[str, bytes], fmt: str, client: Any, demo: Any, run_import: Any
) -> None:
    ministry = demo["demo-ministry"]
    training = _training()
    batch: ImportBatch = run_import(
        "attendance", saved[f"problems.{fmt}"], f"problems.{fmt}", user=ministry, training=training
    )
    assert batch.status == "invalid"
    problems = {(e["row"], e["letter"]): (e["value"], e["message"]) for e in batch.errors}
    assert problems == {
        (3, "D"): ("", LINK_NOTE),
        (4, "F"): ("0.75", "0.75 looks like a fraction: if it means 75 %, type 75."),
    }
    assert not training.attendance.exists()
    client.force_login(ministry)
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert LINK_NOTE in page and "click" not in page
