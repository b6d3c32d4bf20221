"""What planning a large attendance list is spared, without changing what it finds:
records of new people made only when written, each repeated cell read once, the preview's
cells made only for the rows a batch shows, the cycle collector paused meanwhile."""

from __future__ import annotations

import gc
from datetime import date
from typing import Any

import pytest
from django.utils import translation

from core.imports import Plan, collector_paused, resource_class
from core.spreadsheets import Sheet, SheetRow
from stakeholders.choices import Sex
from trainings.models import Participant, Training

pytestmark = pytest.mark.django_db

TRAINING = "Free legal aid for trafficking victims: regional follow-up"  # MSPDY's, nobody yet
HEADERS = ["Full name", "Sex", "Institution", "Email", "Pre-test score", "Consent to processing"]


def _row(i: int, *, sex: Any = "Ж", score: Any = 50, consent: Any = "не") -> list[Any]:
    return [f"Лице Број {i}", sex, "MSPDY", f"person{i}@example.org", score, consent]


def _plan(demo: dict[str, Any], rows: list[list[Any]], **kwargs: Any) -> tuple[Any, Plan]:
    resource = resource_class("attendance")(
        user=demo["demo-ministry"], training=Training.objects.get(title_en=TRAINING)
    )
    sheet = Sheet(
        headers=list(HEADERS),
        rows=[SheetRow(i + 2, cells) for i, cells in enumerate(rows)],
        file_format="xlsx",
    )
    return resource, resource.plan(sheet, **kwargs)


def _participants_in_memory() -> int:
    # type(), not isinstance(): a lazy object left by another test would be evaluated.
    return sum(1 for o in gc.get_objects() if type(o) is Participant)


def test_planning_new_people_makes_no_records_of_them(demo: dict[str, Any]) -> None:
    before = _participants_in_memory()
    resource, plan = _plan(demo, [_row(i) for i in range(300)])

    assert not plan.errors
    assert plan.count("new") == 300
    # The plan and the planner (kept for the write) hold what the rule compares, not records.
    assert _participants_in_memory() - before == 0
    assert resource.planner is not None


def test_the_same_new_person_twice_is_still_one_person(demo: dict[str, Any]) -> None:
    _resource, plan = _plan(demo, [_row(1), _row(2), _row(1)])

    assert [(e.row, e.message) for e in plan.errors] == [(4, "The same record as row 2.")]


def test_a_repeated_bad_cell_is_reported_on_every_row(demo: dict[str, Any]) -> None:
    _resource, plan = _plan(demo, [_row(1, sex="?"), _row(2, sex="?"), _row(3)])

    assert [(e.row, e.letter) for e in plan.errors] == [(2, "B"), (3, "B")]


def test_cells_equal_to_python_but_not_to_a_widget_are_read_apart(demo: dict[str, Any]) -> None:
    # 1, 1.0 and True are one key to a dict; the score column takes the numbers only.
    rows = [_row(1, score=1), _row(2, score=1.0), _row(3, score=True)]

    _resource, plan = _plan(demo, rows)

    assert [(e.row, e.letter, e.message) for e in plan.errors] == [(4, "E", "Not a number.")]


def test_only_the_rows_a_batch_shows_get_the_preview_cells(
    demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("core.imports.PREVIEW_ROWS", 2)

    _resource, plan = _plan(demo, [_row(i) for i in range(4)])

    assert plan.count("new") == 4 and len(plan.rows) == 4  # an import keeps every row
    assert [bool(r.cells) for r in plan.rows] == [True, True, False, False]
    assert plan.rows[0].cells[:2] == ["Лице Број 0", "Female"]


def test_labels_found_while_planning_do_not_outlive_the_plan(demo: dict[str, Any]) -> None:
    with translation.override("en"):
        resource, plan = _plan(demo, [_row(1)])
    assert plan.rows[0].cells[1] == "Female"

    with translation.override("mk"):
        assert resource.show("sex", Sex.FEMALE) == translation.gettext("Female")
        assert resource.show("sex", Sex.FEMALE) != "Female"


def test_the_collector_is_paused_only_while_rows_are_planned(demo: dict[str, Any]) -> None:
    seen: list[bool] = []
    resource = resource_class("attendance")(
        user=demo["demo-ministry"], training=Training.objects.get(title_en=TRAINING)
    )
    plan_row = resource.plan_row

    def watched(number: int, values: dict[str, Any]) -> Any:
        seen.append(gc.isenabled())
        return plan_row(number, values)

    resource.plan_row = watched  # type: ignore[method-assign]
    sheet = Sheet(headers=list(HEADERS), rows=[SheetRow(2, _row(1))], file_format="xlsx")

    plan = resource.plan(sheet)

    assert not plan.errors and seen == [False]
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()


def test_a_consent_date_in_the_future_is_still_refused(demo: dict[str, Any]) -> None:
    rows = [[*_row(1, consent="да"), date(2999, 1, 1)]]
    resource = resource_class("attendance")(
        user=demo["demo-ministry"], training=Training.objects.get(title_en=TRAINING)
    )
    sheet = Sheet(
        headers=[*HEADERS, "Consent date"],
        rows=[SheetRow(2, cells) for cells in rows],
        file_format="xlsx",
    )

    plan = resource.plan(sheet)

    assert [(e.row, e.message) for e in plan.errors] == [(2, "The date cannot be in the future.")]
