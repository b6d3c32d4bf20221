"""A CSV export stays safe whichever separator the reader's spreadsheet takes.

LibreOffice in Macedonian and Albanian splits columns at ";", English Excel at ",". A cell
holding one of them must neither be cut into cells nor leave a cell that starts a formula, read
either way.
"""

from __future__ import annotations

import csv
import io

import pytest

from core.spreadsheets import (
    FORMULA_STARTS,
    neutralise,
    unneutralise,
    write_csv,
    write_xlsx,
)
from imports.services import export_file
from tests import factories

pytestmark = pytest.mark.django_db

HOSTILE = [
    "Workshop held;=1+1;",
    "Workshop held,=1+1,",
    "Skopje;@SUM(A1:A9)",
    "Tetovo,+cmd|' /C calc'!A0",
    "Ohrid;-2+3",
    'first line\n=HYPERLINK("http://evil.example")',
]


def _read(content: bytes, delimiter: str) -> list[list[str]]:
    text = content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _assert_no_formula_either_way(content: bytes) -> None:
    for delimiter in (";", ","):
        for row in _read(content, delimiter):
            for value in row:
                assert not value.startswith(FORMULA_STARTS), (delimiter, value)


@pytest.mark.parametrize("file_delimiter", [",", ";"])
@pytest.mark.parametrize("value", HOSTILE)
def test_a_formula_after_a_separator_inside_a_cell_is_neutralised_and_the_cell_quoted(
    file_delimiter: str, value: str
) -> None:
    content = write_csv(["Note"], [[value]], delimiter=file_delimiter)
    # The cell is quoted, so a reader with either separator keeps it whole...
    for delimiter in (";", ","):
        assert _read(content, delimiter)[1] == [neutralise(value)], delimiter
    # ...and no part of it starts a formula even for a reader that cuts it.
    _assert_no_formula_either_way(content)
    raw_cells = content.decode("utf-8-sig").split("\r\n", 1)[1].rstrip("\r\n")
    for cut in ";,\n":
        for piece in raw_cells.replace('"', "").split(cut):
            assert not piece.startswith(FORMULA_STARTS), piece


def test_a_neutralised_cell_reads_back_as_what_was_exported() -> None:
    for value in [*HOSTILE, "=1+1", "plain text; with, separators"]:
        assert unneutralise(neutralise(value)) == value
        assert neutralise(neutralise(value)) == neutralise(value)


def test_xlsx_cells_are_neutralised_the_same_way() -> None:
    from openpyxl import load_workbook

    content = write_xlsx(["Note"], [["Workshop held;=1+1;"]], title="t")
    cell = load_workbook(io.BytesIO(content)).worksheets[0]["A2"]
    assert cell.data_type == "s"
    assert cell.value == "Workshop held;'=1+1;"


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
def test_the_portal_export_is_safe_with_either_separator(demo, language) -> None:
    from django.utils import translation

    factories.InstitutionFactory(name_en="Workshop held;=1+1;", short_name_en="A,=2+2")
    with translation.override(language):
        content = export_file(kind="institutions", fmt="csv", user=demo["demo-observer"]).content
    _assert_no_formula_either_way(content)
    text = content.decode("utf-8-sig")
    assert '"Workshop held;\'=1+1;"' in text
    assert '"A,\'=2+2"' in text
