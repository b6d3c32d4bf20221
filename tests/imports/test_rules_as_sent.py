"""Files as officials send them: what the check page says the file became, the columns and
rows that are plainly not data, scores written as percentages or fractions, consent dates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from core.imports import resource_class
from core.spreadsheets import CellNote, Sheet, SheetRow
from imports import services as import_services
from tests.imports import files
from trainings.models import Attendance, Training

pytestmark = pytest.mark.django_db

TRAINING = "Free legal aid for trafficking victims: regional follow-up"  # MSPDY's, nobody yet
HEADERS = ["Full name", "Sex", "Institution", "Pre-test score", "Post-test score"]


def _training() -> Training:
    return Training.objects.get(title_en=TRAINING)


def _attendance(training: Training) -> dict[str, Attendance]:
    return {a.participant.full_name: a for a in training.attendance.select_related("participant")}


def _import(run_import: Any, demo: Any, headers: list[Any], rows: Any, **kw: Any) -> Any:
    return run_import(
        "attendance",
        files.xlsx(headers, rows),
        "list.xlsx",
        user=demo["demo-ministry"],
        training=_training(),
        **kw,
    )


# --- 1. The check page tells what the file became ------------------------------------------------


def _sent_sheet() -> Sheet:
    """A sheet as the reader gives it for a form with a title block above the table."""
    return Sheet(
        headers=HEADERS,
        rows=[
            SheetRow(4, ["Ана Петровска", "Ж", "МСПДМ", 40, 80]),
            SheetRow(5, ["Gëzim Çela", "M", "MSPDY", 50, 70]),
        ],
        file_format="xlsx",
        header_row=3,
        notes=["Rows 1 to 2 above the table (a title) were read past."],
        cell_notes=[
            CellNote(4, 4, "The cell shows 80 but holds 79.6."),
            CellNote(5, 3, "The cell is a formula whose result is an error.", blocking=True),
        ],
    )


def test_the_readers_notes_reach_the_check_page(
    client, demo, run_import, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    monkeypatch.setattr(import_services, "read_sheet", lambda *a, **kw: _sent_sheet())
    batch = _import(run_import, demo, HEADERS, [])
    assert batch.status == "invalid"
    assert batch.notes == [
        "Rows 1 to 2 above the table (a title) were read past.",
        "Row 4, column E (“Post-test score”): The cell shows 80 but holds 79.6.",
    ]
    blocking = [e for e in batch.errors if e["row"] == 5 and e["letter"] == "D"]
    assert [(e["column"], e["value"], e["message"]) for e in blocking] == [
        ("Pre-test score", "50", "The cell is a formula whose result is an error.")
    ]
    client.force_login(demo["demo-ministry"])
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "About the file" in page and 'id="file-notes"' in page
    assert "Rows 1 to 2 above the table (a title) were read past." in page
    assert "Row 4, column E (“Post-test score”): The cell shows 80 but holds 79.6." in page
    assert "The cell is a formula whose result is an error." in page


def test_a_column_of_formulas_gives_a_few_remarks_and_a_count(
    run_import, demo, monkeypatch
) -> None:
    rows = [SheetRow(n, [f"Person {n}", "F", "MSPDY", 40, 80]) for n in range(2, 32)]
    sheet = Sheet(
        headers=HEADERS,
        rows=rows,
        file_format="xlsx",
        cell_notes=[CellNote(row.number, 4, "A formula.") for row in rows],
    )
    monkeypatch.setattr(import_services, "read_sheet", lambda *a, **kw: sheet)
    batch = _import(run_import, demo, HEADERS, [])
    remarks = [n for n in batch.notes if n.endswith("A formula.")]
    assert remarks[0] == "Row 2, column E (“Post-test score”): A formula."
    assert len(remarks) == 20
    assert batch.notes[-1] == "And 10 more cells like these."


def test_a_file_without_notes_shows_no_about_section(client, demo, run_import) -> None:
    batch = _import(run_import, demo, HEADERS, [["Ана Петровска", "Ж", "МСПДМ", 40, 80]])
    assert batch.status == "applied" and batch.notes == []
    client.force_login(demo["demo-ministry"])
    assert "About the file" not in client.get(f"/imports/{batch.pk}/").content.decode()


# --- 2. No silent drops of columns ----------------------------------------------------------------


def test_row_numbers_empty_and_hidden_columns_are_listed_not_refused(run_import, demo) -> None:
    headers = ["Р.бр.", "Full name", "Sex", "", "Institution", "Pre-test score"]
    rows = [
        [1, "Ана Петровска", "Ж", None, "МСПДМ", 40],
        [2, "Марко Илиевски", "М", None, "МСПДМ", 50],
    ]
    batch = _import(run_import, demo, headers, rows)
    assert batch.status == "applied", batch.errors
    assert batch.new_count == 2
    assert batch.notes == [
        "Column A “Р.бр.” is a row number: it was not imported.",
        "Column D has no header and no data: it was left out.",
    ]


@pytest.mark.parametrize("header", ["Бр.", "No.", "Nr.", "#", "Ред. бр.", "Nr. rendor"])
def test_every_way_of_numbering_rows_is_known(demo, header) -> None:
    sheet = Sheet(
        headers=[header, "Full name", "Sex"],
        rows=[SheetRow(2, ["1.", "Ана Петровска", "Ж"])],
        file_format="csv",
    )
    resource = resource_class("attendance")(user=demo["demo-ministry"], training=_training())
    plan = resource.plan(sheet)
    assert plan.errors == []
    assert plan.notes == [f"Column A “{header}” is a row number: it was not imported."]


def test_a_numbered_column_holding_words_is_still_refused(demo) -> None:
    sheet = Sheet(
        headers=["No.", "Full name", "Sex"],
        rows=[SheetRow(2, ["see annex", "Ана Петровска", "Ж"])],
        file_format="csv",
    )
    resource = resource_class("attendance")(user=demo["demo-ministry"], training=_training())
    messages = [e.message for e in resource.plan(sheet).errors]
    assert len(messages) == 1 and messages[0].startswith("Unknown columns: A “No.”")


def test_hidden_columns_are_named_and_only_the_templates_are_read(demo) -> None:
    sheet = Sheet(
        headers=["Full name", "Sex", "Internal code", "Institution"],
        rows=[SheetRow(2, ["Ана Петровска", "Ж", "X-17", "МСПДМ"])],
        file_format="xlsx",
        hidden_columns=[2, 3],
    )
    resource = resource_class("attendance")(user=demo["demo-ministry"], training=_training())
    plan = resource.plan(sheet)
    assert plan.errors == []
    assert plan.notes == [
        "Column C “Internal code” is hidden in the file: it was not imported.",
        "Column D “Institution” is hidden in the file; it was imported.",
    ]
    assert plan.rows[0].data.institution_id is not None


def test_columns_with_data_the_import_cannot_place_are_still_problems(demo) -> None:
    sheet = Sheet(
        headers=["Full name", "Shoe size", "", "Institution"],
        rows=[SheetRow(4, ["Ана Петровска", "38", "Ж", "МСПДМ"])],
        file_format="xlsx",
        header_row=3,
    )
    resource = resource_class("attendance")(user=demo["demo-ministry"], training=_training())
    errors = resource.plan(sheet).errors
    messages = {e.letter: e.message for e in errors}
    unknown, missing = (e.message for e in errors if not e.letter)
    assert unknown.startswith("Unknown columns: B “Shoe size”.")
    assert unknown.endswith("The header row is row 3.")
    assert "“Pre-test score”" in unknown  # the columns the import takes are named
    assert missing.startswith("Missing columns: “Sex”.")
    assert missing.endswith("The header row is row 3.")
    assert messages["C"].startswith("Column C has no header but holds data.")
    assert [e.value for e in errors if e.letter == "C"] == ["Ж"]


def test_a_header_in_the_first_row_says_nothing_of_where_it_is(demo) -> None:
    sheet = Sheet(
        headers=["Full name", "Shoe size"],
        rows=[SheetRow(2, ["Ана Петровска", "38"])],
        file_format="xlsx",
    )
    resource = resource_class("attendance")(user=demo["demo-ministry"], training=_training())
    assert not any("header row" in e.message for e in resource.plan(sheet).errors)


# --- 3. Trailing rows that are not data ----------------------------------------------------------


def test_totals_signatures_and_notes_after_the_table_are_skipped_and_listed(
    run_import, demo
) -> None:
    rows = [
        ["Ана Петровска", "Ж", "МСПДМ", 40, 80],
        ["Gëzim Çela", "M", "MSPDY", 50, 70],
        [],
        ["Вкупно", None, None, 90, 150],
        ["Напомена: листата ја подготви секретаријатот.", None, None, None, None],
        ["Одобрил: ______________", None, "Nënshkrimi: ________"],
        [None, "____________"],
    ]
    batch = _import(run_import, demo, HEADERS, rows)
    assert batch.status == "applied", batch.errors
    assert (batch.total_rows, batch.new_count) == (2, 2)
    assert set(_attendance(_training())) == {"Ана Петровска", "Gëzim Çela"}
    assert batch.notes == [
        "Row 5 (“Вкупно | 90 | 150”) is a total: it was not imported.",
        "Row 6 (“Напомена: листата ја подготви секретаријатот.”) is a note, not a record: "
        "it was not imported.",
        "Row 7 (“Одобрил: ______________ | Nënshkrimi: ________”) is a signature line: "
        "it was not imported.",
        "Row 8 (“____________”) is a signature line: it was not imported.",
    ]


@pytest.mark.parametrize(
    "last", [["Total:", None, None, "2"], ["Approved by", "", "Ana"], ["Potpis"], ["Gjithsej"]]
)
def test_each_language_of_trailing_rows_is_known(demo, last) -> None:
    sheet = Sheet(
        headers=HEADERS,
        rows=[SheetRow(2, ["Ана Петровска", "Ж", "МСПДМ", 40, 80]), SheetRow(3, last)],
        file_format="csv",
    )
    resource = resource_class("attendance")(user=demo["demo-ministry"], training=_training())
    plan = resource.plan(sheet)
    assert plan.errors == [] and plan.total == 1 and len(plan.rows) == 1
    assert len(plan.notes) == 1 and plan.notes[0].startswith("Row 3 (")


def test_rows_that_look_like_signatures_in_the_table_are_still_rows(run_import, demo) -> None:
    rows = [
        ["Ана Петровска", "Ж", "МСПДМ", 40, 80],
        ["Одобрил: ______"],
        ["Gëzim Çela", "M", "MSPDY", 50, 70],
        ["Марко Илиевски"],  # a person left half filled in is a problem, not a note
    ]
    batch = _import(run_import, demo, HEADERS, rows)
    assert batch.status == "invalid"
    assert {(e["row"], e["letter"]) for e in batch.errors} == {(3, "B"), (5, "B")}
    assert batch.notes == []
    assert Attendance.objects.filter(training=_training()).count() == 0


# --- 4. Numbers mean what they show ---------------------------------------------------------------


def test_scores_written_as_percentages_are_read_as_such(run_import, demo) -> None:
    rows = [
        ["Ана Петровска", "Ж", "МСПДМ", "60%", "60 %"],
        ["Gëzim Çela", "M", "MSPDY", "60,5 %", "0,5 %"],
        ["Марко Илиевски", "М", "МСПДМ", 0, 1],
    ]
    batch = _import(run_import, demo, HEADERS, rows)
    assert batch.status == "applied", batch.errors
    people = _attendance(_training())
    assert (people["Ана Петровска"].pre_score, people["Ана Петровска"].post_score) == (
        Decimal(60),
        Decimal(60),
    )
    assert people["Gëzim Çela"].pre_score == Decimal("60.5")
    assert people["Gëzim Çela"].post_score == Decimal("0.5")  # a per cent sign says so
    assert (people["Марко Илиевски"].pre_score, people["Марко Илиевски"].post_score) == (0, 1)


def test_a_fraction_in_a_score_column_is_asked_about_not_stored(run_import, demo) -> None:
    rows = [
        ["Ана Петровска", "Ж", "МСПДМ", 0.8, "0,75"],
        ["Gëzim Çela", "M", "MSPDY", 45, 0.805],
    ]
    batch = _import(run_import, demo, HEADERS, rows)
    assert batch.status == "invalid"
    messages = {(e["row"], e["letter"]): e["message"] for e in batch.errors}
    assert messages == {
        (2, "D"): "0.8 looks like a fraction: if it means 80 %, type 80.",
        (2, "E"): "0,75 looks like a fraction: if it means 75 %, type 75.",
        (3, "E"): "0.805 looks like a fraction: if it means 80.5 %, type 80.5.",
    }
    assert Attendance.objects.filter(training=_training()).count() == 0


# --- 5. Consent ---------------------------------------------------------------------------------


def test_a_consent_date_without_consent_is_a_problem_not_dropped(run_import, demo) -> None:
    headers = ["Full name", "Sex", "Consent to processing", "Consent date"]
    rows = [
        ["Ана Петровска", "Ж", "да", date(2025, 3, 3)],
        ["Марко Илиевски", "М", "не", date(2025, 3, 3)],
        ["Gëzim Çela", "M", "", "04.03.2025"],
        ["Drita Osmani", "F", "jo", None],
    ]
    batch = _import(run_import, demo, headers, rows)
    assert batch.status == "invalid"
    assert {(e["row"], e["letter"], e["column"]) for e in batch.errors} == {
        (3, "D", "Consent date"),
        (4, "D", "Consent date"),
    }
    assert all("consent is not “yes”" in e["message"] for e in batch.errors)


def test_a_consent_date_in_a_file_without_a_consent_column_is_a_problem(run_import, demo) -> None:
    batch = _import(
        run_import, demo, ["Full name", "Sex", "Consent date"], [["Ана Петровска", "Ж", "3.3.2025"]]
    )
    assert batch.status == "invalid"
    assert [(e["row"], e["letter"], e["value"]) for e in batch.errors] == [(2, "C", "3.3.2025")]
