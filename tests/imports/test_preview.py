"""The check page's "What will be written": every new or changed row with its values as they
will be stored, changed cells marked, and rows the importer chooses to leave out."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest

from imports.models import ImportBatch
from imports.services import import_batch_rollback
from tests.imports import files
from trainings.models import Attendance, Training

pytestmark = pytest.mark.django_db

TRAINING = "Free legal aid for trafficking victims: regional follow-up"  # MSPDY's, nobody yet
HEADERS = ["Full name", "Sex", "Institution", "Consent to processing", "Consent date"]
HEADERS += ["Pre-test score", "Post-test score"]
MSPDY = "Ministry of Social Protection, Demography and Youth"


def _training() -> Training:
    return Training.objects.get(title_en=TRAINING)


class _Table(HTMLParser):
    """The rows of the table captioned "What will be written": each cell's text, and the
    classes of its cells."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = self.in_caption = self.in_cell = False
        self.caption = ""
        self.rows: list[list[str]] = []
        self.classes: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and "written" in (found.get("class") or ""):
            self.inside = True
        elif self.inside and tag == "caption":
            self.in_caption = True
        elif self.inside and tag == "tr":
            self.rows.append([])
            self.classes.append([])
        elif self.inside and tag in ("td", "th"):
            self.in_cell = True
            self.rows[-1].append("")
            self.classes[-1].append(found.get("class") or "")
        elif self.in_cell and tag == "input" and found.get("type") == "checkbox":
            self.rows[-1][-1] += "[x]" if "checked" in found else "[ ]"

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.inside = False
        elif tag == "caption":
            self.in_caption = False
        elif tag in ("td", "th"):
            self.in_cell = False
            if self.inside:
                self.rows[-1][-1] = " ".join(self.rows[-1][-1].split())

    def handle_data(self, data: str) -> None:
        if self.in_caption:
            self.caption += data
        elif self.in_cell:
            self.rows[-1][-1] += data


def _written(page: str) -> _Table:
    table = _Table()
    table.feed(page)
    return table


def _check(run_import: Any, demo: Any, rows: list[list[Any]], confirm: bool = False) -> ImportBatch:
    batch: ImportBatch = run_import(
        "attendance",
        files.xlsx(HEADERS, rows),
        "people.xlsx",
        user=demo["demo-ministry"],
        training=_training(),
        confirm=confirm,
    )
    return batch


def test_the_preview_shows_each_value_as_it_will_be_stored(client, demo, run_import) -> None:
    batch = _check(
        run_import, demo, [["Ана Петровска", "Ж", "МСПДМ", "да", "31.3.2025", "60 %", "80,5"]]
    )
    assert batch.status == "checked", batch.errors
    client.force_login(demo["demo-ministry"])
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    table = _written(page)
    assert table.caption.strip() == "What will be written"
    assert table.rows[0] == ["Row", "Result", "Leave out", *HEADERS]
    assert table.rows[1] == [
        "2",
        "New",
        "[ ] Leave out row 2",
        "Ана Петровска",
        "Female",
        MSPDY,
        "yes",
        "31.03.2025",
        "60.00",
        "80.50",
    ]
    assert "60 %" not in page and "МСПДМ" not in page
    assert '<th scope="row">2</th>' in page


def test_changed_cells_are_marked_with_what_they_were(client, demo, run_import) -> None:
    rows: list[list[Any]] = [
        ["Ана Петровска", "Ж", "MSPDY", "да", "3.3.2025", 45, 80],
        ["Марко Илиевски", "М", "MSPDY", "да", "3.3.2025", 40, 70],
    ]
    assert _check(run_import, demo, rows, confirm=True).status == "applied"
    rows[0][6] = "95 %"
    batch = _check(run_import, demo, rows)
    assert (batch.updated_count, batch.unchanged_count) == (1, 1)
    client.force_login(demo["demo-ministry"])
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    table = _written(page)
    [_header, changed] = table.rows  # the unchanged row is counted, not listed
    assert changed[:2] == ["2", "Changed"]
    assert changed[-2:] == ["45.00", "95.00 80.00 changed, was 80.00"]
    assert table.classes[1][-1] == "changed" and "changed" not in table.classes[1][-2]
    assert "1 row changes nothing and is not listed." in page
    assert "Марко Илиевски" not in page


def test_rows_left_out_are_not_imported_and_the_page_says_so(
    client, demo, run_import, django_capture_on_commit_callbacks
) -> None:
    names = ["Ана Петровска", "Марко Илиевски", "Gëzim Çela", "Elena Stojanova"]
    rows = [[name, "Ж", "MSPDY", "да", "3.3.2025", 50, 60] for name in names]
    batch = _check(run_import, demo, rows)
    client.force_login(demo["demo-ministry"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/imports/{batch.pk}/confirm/",
            {"action": "import", "shown": ["2", "3", "4", "5"], "leave_out": ["3", "5"]},
        )
    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.excluded_rows) == ("applied", [3, 5])
    training = _training()
    imported = Attendance.objects.filter(training=training)
    assert sorted(imported.values_list("participant__full_name", flat=True)) == sorted(
        [names[0], names[2]]
    )
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "Rows 3, 5 were left out at your choice." in page
    table = _written(page)
    assert [row[1] for row in table.rows[1:]] == ["New", "New (left out)", "New", "New (left out)"]
    import_batch_rollback(batch=batch, by=demo["demo-admin"])
    assert not imported.exists()


def test_a_choice_of_rows_made_on_one_page_is_kept_when_importing_from_another(
    client, demo, run_import, django_capture_on_commit_callbacks
) -> None:
    names = ["Ана Петровска", "Марко Илиевски", "Gëzim Çela"]
    batch = _check(run_import, demo, [[n, "Ж", "MSPDY", "да", "3.3.2025", 50, 60] for n in names])
    client.force_login(demo["demo-ministry"])
    kept = client.post(
        f"/imports/{batch.pk}/confirm/",
        {"action": "save", "page": "1", "shown": ["2", "3"], "leave_out": ["3"]},
    )
    assert kept["Location"] == f"/imports/{batch.pk}/?page=1#preview"
    batch.refresh_from_db()
    assert (batch.status, batch.excluded_rows) == ("checked", [3])
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert "Row 3 will be left out." in page
    assert _written(page).rows[2][2] == "[x] Leave out row 3"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{batch.pk}/confirm/", {"shown": ["4"], "leave_out": ["9"]})
    batch.refresh_from_db()
    assert (batch.status, batch.excluded_rows) == ("applied", [3])  # row 9 is not listed
    assert Attendance.objects.filter(training=_training()).count() == 2


def test_only_who_may_import_the_batch_chooses_rows_or_confirms(client, demo, run_import) -> None:
    rows = [["Ана Петровска", "Ж", "MSPDY", "да", "3.3.2025", 50, 60]]
    batch = _check(run_import, demo, rows)
    url = f"/imports/{batch.pk}/confirm/"
    choice = {"action": "save", "shown": ["2"], "leave_out": ["2"]}
    assert client.post(url, choice)["Location"].startswith("/accounts/login/")
    for outsider in ("demo-observer", "demo-cso-a"):
        client.force_login(demo[outsider])
        assert client.post(url, choice).status_code == 404
        assert client.post(url, {"shown": ["2"]}).status_code == 404
    batch.refresh_from_db()
    assert (batch.status, batch.excluded_rows) == ("checked", [])
    client.force_login(demo["demo-ministry"])
    assert client.post(url, choice).status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.excluded_rows) == ("checked", [2])
