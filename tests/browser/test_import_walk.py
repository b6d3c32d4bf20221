"""In Debian's Chromium: the programme team downloads the template, fills it in, checks the
file, sees the preview, confirms, and finds the people on the training's page."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from imports.models import ImportBatch
from loaders.demo import DEMO_PASSWORD, demo_load
from loaders.seeding import seed_load
from programme.models import Action
from tests.browser.conftest import axe_violations, log_in, screenshot
from trainings.models import Attendance, Training

pytestmark = pytest.mark.django_db(transaction=True)

TRAINING = "Free legal aid for trafficking victims: regional follow-up"


def test_admin_imports_participants_from_the_template(
    axe_page, live_server, settings, tmp_path
) -> None:
    page = axe_page  # Chromium letting axe-core in, to check each page on the way
    settings.MEDIA_ROOT = tmp_path / "media"
    seed_load()
    demo_load(action=Action.objects.get())
    training = Training.objects.get(title_en=TRAINING)

    log_in(page, live_server, "demo-admin", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/trainings/{training.pk}/")
    page.get_by_role("link", name="Import participants from a spreadsheet").click()
    page.get_by_role("heading", name="Import: Participants and attendance of a training").wait_for()
    assert axe_violations(page) == []

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Македонски").click()
    template = tmp_path / "template.xlsx"
    download_info.value.save_as(template)

    book = load_workbook(template)
    data = book.worksheets[0]
    headers = {cell.value.rstrip(" *"): cell.column for cell in data[1] if cell.value}
    rows = [
        {
            "Име и презиме": "Ана Петровска",
            "Пол": "Ж",
            "Институција": "МСПДМ",
            "Датум на согласност": date(2025, 3, 3),
            "Согласност за обработка": "да",
            "Резултат на предтест": 45,
            "Резултат на посттест": 80,
        },
        {
            "Име и презиме": "Gëzim Çela",
            "Пол": "М",
            "Институција": "MSPDY",
            "Резултат на предтест": 50,
            "Резултат на посттест": 75,
        },
    ]
    for number, row in enumerate(rows, start=2):
        for header, value in row.items():
            data.cell(row=number, column=headers[header], value=value)
    filled = tmp_path / "учесници.xlsx"
    out = io.BytesIO()
    book.save(out)
    filled.write_bytes(out.getvalue())

    page.get_by_label("Spreadsheet").set_input_files(str(filled))
    page.get_by_role("button", name="Check the file").click()
    page.get_by_text("Checked: ready to import").first.wait_for()
    preview = page.locator("table.preview")
    assert preview.get_by_text("Ана Петровска").is_visible()
    assert page.locator("#count-new").inner_text() == "2"
    assert Attendance.objects.filter(training=training).count() == 0
    screenshot(page, "import-preview")
    assert axe_violations(page) == []

    page.get_by_role("button", name="Import these rows").click()
    page.locator("#import-status").filter(has_text="Imported").wait_for()
    batch = ImportBatch.objects.get()
    assert batch.status == "applied"

    assert axe_violations(page) == []
    page.goto(f"{live_server.url}/imports/")
    assert axe_violations(page) == []
    page.goto(f"{live_server.url}/trainings/{training.pk}/")
    body = page.locator("main").inner_text()
    assert "Ана Петровска" in body and "Gëzim Çela" in body
    assert Attendance.objects.filter(training=training).count() == 2
