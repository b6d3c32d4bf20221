"""In Debian's Chromium: a ministry's focal point checks a file, reads what will be written,
leaves one row out by its checkbox, and imports the others."""

from __future__ import annotations

from typing import Any

import pytest

from imports.models import ImportBatch
from loaders.demo import DEMO_PASSWORD, demo_load
from loaders.seeding import seed_load
from programme.models import Action
from tests.browser.conftest import axe_violations, log_in
from tests.imports import files
from trainings.models import Attendance, Training

pytestmark = pytest.mark.django_db(transaction=True)

TRAINING = "Free legal aid for trafficking victims: regional follow-up"
HEADERS = ["Full name", "Sex", "Institution", "Consent to processing", "Consent date"]
HEADERS += ["Pre-test score"]


def test_a_row_left_out_by_its_checkbox_is_not_imported(
    axe_page, live_server, settings, tmp_path
) -> None:
    page = axe_page
    settings.MEDIA_ROOT = tmp_path / "media"
    seed_load()
    demo_load(action=Action.objects.get())
    training = Training.objects.get(title_en=TRAINING)
    rows: list[list[Any]] = [
        ["Ана Петровска", "Ж", "МСПДМ", "да", "31.3.2025", "60 %"],
        ["Марко Илиевски", "М", "MSPDY", "да", "1.4.2025", 45],
    ]
    filled = tmp_path / "people.xlsx"
    filled.write_bytes(files.xlsx(HEADERS, rows))

    log_in(page, live_server, "demo-ministry", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/imports/new/attendance/?training={training.pk}")
    page.get_by_label("Spreadsheet").set_input_files(str(filled))
    page.get_by_role("button", name="Check the file").click()
    page.get_by_text("Checked: ready to import").first.wait_for()
    table = page.get_by_role("table", name="What will be written")
    assert table.get_by_role("cell", name="60.00", exact=True).is_visible()
    assert table.get_by_role("cell", name="31.03.2025", exact=True).is_visible()
    assert axe_violations(page) == []

    page.get_by_label("Leave out row 3").check()
    page.get_by_role("button", name="Import these rows").click()
    page.locator("#import-status").filter(has_text="Imported").wait_for()
    assert page.locator("#rows-left-out").inner_text() == "Row 3 was left out at your choice."
    assert ImportBatch.objects.get().excluded_rows == [3]
    names = Attendance.objects.filter(training=training).values_list(
        "participant__full_name", flat=True
    )
    assert list(names) == ["Ана Петровска"]
    assert axe_violations(page) == []
