"""Small-number suppression (publicsite/suppression.py): one function, tested on its own."""

from __future__ import annotations

from itertools import product
from typing import Any

from django.utils import translation

from publicsite.suppression import (
    SMALL,
    WITHHELD,
    Cell,
    Sum,
    cell_determined,
    cells_determined,
    suppress,
    suppress_one,
)

ROW = [Sum(parts=["women", "men", "other"], total="total")]


def _row(women: int, men: int, other: int) -> dict[str, Cell]:
    return suppress({"women": women, "men": men, "other": other, "total": women + men + other}, ROW)


def _hidden(cells: dict[Any, Cell]) -> set[Any]:
    return {key for key, cell in cells.items() if cell.hidden}


def test_figures_from_eleven_up_are_shown() -> None:
    cells = _row(20, 15, 11)
    assert _hidden(cells) == set()
    assert [str(c) for c in cells.values()] == ["20", "15", "11", "46"]


def test_a_figure_below_eleven_says_fewer_than_eleven() -> None:
    assert suppress_one(10).hidden == SMALL
    assert suppress_one(11).shown
    with translation.override("en"):
        assert str(suppress_one(3)) == "fewer than 11"
    with translation.override("mk"):
        assert str(suppress_one(3)) != ""


def test_zero_is_below_eleven_too() -> None:
    assert suppress_one(0).hidden == SMALL


def test_one_small_cell_beside_a_total_takes_a_complementary_cell_with_it() -> None:
    cells = _row(30, 25, 4)
    assert cells["other"].hidden == SMALL
    # The smallest other part goes with it, so the total still shows.
    assert cells["men"].hidden == WITHHELD
    assert cells["women"].shown and cells["total"].shown
    assert not cells_determined(_hidden(cells), ROW)


def test_a_small_total_hides_the_whole_row() -> None:
    cells = _row(3, 4, 0)
    assert _hidden(cells) == {"women", "men", "other", "total"}


def test_two_small_parts_protect_each_other() -> None:
    cells = _row(30, 5, 2)
    assert cells["men"].hidden == SMALL and cells["other"].hidden == SMALL
    assert cells["women"].shown and cells["total"].shown


def test_a_part_is_found_from_its_total_by_the_checker() -> None:
    assert cell_determined("men", {"men"}, ROW)
    assert not cell_determined("men", {"men", "other"}, ROW)


def test_a_two_way_table_is_protected_across_rows_and_columns() -> None:
    """Rows are groups, columns women/men; a total row and total column tie them together.
    A cell hidden in a row with another hidden cell may still be worked back down its column:
    the checker solves the whole system, and suppression keeps going until it cannot."""
    data = {"police": (40, 3), "social": (25, 30), "judges": (12, 14)}
    values: dict[tuple[str, str], int] = {}
    for group, (women, men) in data.items():
        values[(group, "women")], values[(group, "men")] = women, men
        values[(group, "total")] = women + men
    for column in ("women", "men", "total"):
        values[("all", column)] = sum(values[(g, column)] for g in data)
    rows = [*data, "all"]
    sums = [Sum(parts=[(r, "women"), (r, "men")], total=(r, "total")) for r in rows] + [
        Sum(parts=[(g, c) for g in data], total=("all", c)) for c in ("women", "men", "total")
    ]
    cells = suppress(values, sums)
    hidden = _hidden(cells)
    assert cells[("police", "men")].hidden == SMALL
    assert len(hidden) >= 4  # a row partner and a column partner, and theirs
    assert not cells_determined(hidden, sums)
    # Shown figures are the true ones, and none below 11.
    for key, cell in cells.items():
        if cell.shown:
            assert cell.value == values[key] and cell.value >= 11


def test_no_small_cell_of_any_row_can_be_worked_back() -> None:
    """Every row of women, men and others from a grid of values: hidden stays hidden."""
    for women, men, other in product((0, 1, 5, 10, 11, 12, 30), repeat=3):
        cells = _row(women, men, other)
        hidden = _hidden(cells)
        assert not cells_determined(hidden, ROW), (women, men, other)
        assert all(c.value >= 11 for c in cells.values() if c.shown), (women, men, other)
