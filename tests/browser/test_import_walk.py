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


def test_team_fixes_unknown_names_on_the_check_page_and_the_next_file_needs_none(
    axe_page, live_server, settings, tmp_path
) -> None:
    """A Macedonian list with two professions worded their own way and an institution the
    platform does not know: mapped and added on the check page, imported; the next list from
    the same organiser is read with those choices."""
    from stakeholders.models import Institution

    page = axe_page
    settings.MEDIA_ROOT = tmp_path / "media"
    seed_load()
    demo_load(action=Action.objects.get())
    training = Training.objects.get(title_en=TRAINING)
    headers = ["Р.бр.", "Име и презиме", "Пол", "Професија", "Институција"]

    def upload(rows: list[list[object]], name: str) -> None:
        from tests.imports import files

        path = tmp_path / name
        path.write_bytes(files.xlsx(headers, rows))
        page.goto(f"{live_server.url}/imports/new/attendance/?training={training.pk}")
        page.get_by_label("Spreadsheet").set_input_files(str(path))
        page.get_by_role("button", name="Check the file").click()

    log_in(page, live_server, "demo-admin", DEMO_PASSWORD)
    upload(
        [
            [1, "Ана Петровска", "Ж", "полициски службеник", "МСПДМ"],
            [2, "Марко Илиевски", "М", "социјален работник", "Центар Надеж Куманово"],
            [3, "Gëzim Çela", "M", "полициски службеник", "Центар Надеж Куманово"],
        ],
        "список.xlsx",
    )
    form = page.locator("#unknown-names")
    form.wait_for()
    assert axe_violations(page) == []
    screenshot(page, "import-unknown-names")
    # The closest known professions are already chosen; the institution is added.
    police = form.get_by_label("What “полициски службеник” means")
    assert police.locator("option:checked").inner_text() == "Police officers"
    social = form.get_by_label("What “социјален работник” means")
    assert social.locator("option:checked").inner_text() == "Social workers"
    form.get_by_label("What “Центар Надеж Куманово” means").select_option("new")
    form.get_by_label("Kind, if added").select_option("cso")
    form.get_by_role("button", name="Check again with these names").click()
    page.get_by_text("Checked: ready to import").first.wait_for()
    assert page.locator("#count-new").inner_text() == "3"
    assert "as chosen for this file" in page.locator("#file-notes").inner_text()
    page.get_by_role("button", name="Import these rows").click()
    page.locator("#import-status").filter(has_text="Imported").wait_for()
    added = Institution.objects.get(name_en="Центар Надеж Куманово")
    marko = Attendance.objects.get(training=training, participant__full_name="Марко Илиевски")
    assert marko.participant.institution == added
    assert marko.participant.professional_group.slug == "social-workers"

    # The next list from the same organiser needs no choice.
    upload([[1, "Елена Трајковска", "Ж", "полициски службеник", "Центар Надеж Куманово"]], "2.xlsx")
    page.get_by_text("Checked: ready to import").first.wait_for()
    assert "as chosen for an earlier file from" in page.locator("#file-notes").inner_text()
    assert page.locator("#unknown-names").count() == 0
