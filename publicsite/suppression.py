"""Small-number suppression: no figure about fewer than 11 people is published, and no hidden
figure can be worked back from the figures shown beside it.

A table is a set of cells and the sums that tie them together (each row's women, men and
others add up to its total; each column adds up to its total row). :func:`suppress` hides
every cell below :data:`THRESHOLD` ("fewer than 11"), then, while any hidden cell can still be
computed from the shown cells by the table's sums (solved as a system of linear equations,
not only one line at a time), hides the smallest shown cell of a sum that holds it
("withheld"). A zero is below the threshold too: it is a figure about people as much as a one.

It is the one function every public table calls; ``cell_determined`` is how the tests and the
acceptance crawl check a table from the outside.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Generic, TypeVar

from django.utils.translation import gettext_lazy as _

THRESHOLD = 11

K = TypeVar("K", bound=Hashable)

SMALL = "small"  # below the threshold
WITHHELD = "withheld"  # hidden so that a small cell cannot be worked back


@dataclass(frozen=True)
class Cell:
    """A figure as published: its value, or why it is hidden."""

    value: int
    hidden: str = ""  # "", SMALL or WITHHELD

    @property
    def shown(self) -> bool:
        return not self.hidden

    def __str__(self) -> str:
        if self.hidden == SMALL:
            return str(_("fewer than 11"))
        if self.hidden == WITHHELD:
            return str(_("withheld"))
        return str(self.value)


@dataclass(frozen=True)
class Sum(Generic[K]):
    """The cells ``parts`` add up to the cell ``total``."""

    parts: Sequence[K]
    total: K


def _rank(rows: list[list[Fraction]]) -> int:
    """The rank of a small matrix, by Gaussian elimination over the rationals."""
    matrix = [row[:] for row in rows if any(row)]
    rank = 0
    columns = len(matrix[0]) if matrix else 0
    for column in range(columns):
        pivot = next((i for i in range(rank, len(matrix)) if matrix[i][column]), None)
        if pivot is None:
            continue
        matrix[rank], matrix[pivot] = matrix[pivot], matrix[rank]
        lead = matrix[rank][column]
        for i in range(len(matrix)):
            if i != rank and matrix[i][column]:
                factor = matrix[i][column] / lead
                matrix[i] = [a - factor * b for a, b in zip(matrix[i], matrix[rank], strict=True)]
        rank += 1
    return rank


def cells_determined(hidden: set[K], sums: Sequence[Sum[K]]) -> set[K]:
    """The hidden cells whose value follows from the shown ones through the sums.

    Each sum is an equation; the shown cells are constants, the hidden ones unknowns. An
    unknown is determined exactly when its unit vector lies in the row space of the
    equations' coefficients over the unknowns.
    """
    unknowns = sorted(hidden, key=repr)
    if not unknowns:
        return set()
    index = {key: i for i, key in enumerate(unknowns)}
    equations: list[list[Fraction]] = []
    for s in sums:
        row = [Fraction(0)] * len(unknowns)
        for part in s.parts:
            if part in index:
                row[index[part]] += 1
        if s.total in index:
            row[index[s.total]] -= 1
        if any(row):
            equations.append(row)
    if not equations:
        return set()
    base = _rank(equations)
    found = set()
    for key, i in index.items():
        unit = [Fraction(0)] * len(unknowns)
        unit[i] = Fraction(1)
        if _rank([*equations, unit]) == base:
            found.add(key)
    return found


def cell_determined(key: K, hidden: set[K], sums: Sequence[Sum[K]]) -> bool:
    """Whether the hidden cell ``key`` can be worked back from the shown cells."""
    return key in cells_determined(hidden, sums)


def suppress(values: Mapping[K, int], sums: Sequence[Sum[K]] = ()) -> dict[K, Cell]:
    """The cells of a table as they may be published (see the module's docstring)."""
    hidden: dict[K, str] = {key: SMALL for key, value in values.items() if value < THRESHOLD}
    while True:
        exposed = cells_determined(set(hidden), sums)
        if not exposed:
            break
        key = min(exposed, key=repr)
        holding = [s for s in sums if key in s.parts or key == s.total]
        # Hide the smallest shown figure of a sum that holds the exposed cell: a part
        # before the total, so the totals people look for stay shown where they can.
        candidates = [
            (part not in s.parts, values[part], repr(part), part)
            for s in holding
            for part in (*s.parts, s.total)
            if part not in hidden
        ]
        if not candidates:  # cannot happen: a determined cell shares a sum with a shown one
            break
        hidden[min(candidates)[3]] = WITHHELD
    return {key: Cell(value=value, hidden=hidden.get(key, "")) for key, value in values.items()}


def suppress_one(value: int) -> Cell:
    """A figure that no sum ties to another (a training's participants)."""
    return suppress({0: value})[0]
