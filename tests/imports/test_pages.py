"""The import pages: upload, preview, confirm, follow the job, roll back; who may do what."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from imports.models import ImportBatch
from tests.imports import files
from trainings.models import Attendance, Training

pytestmark = pytest.mark.django_db

TRAINING = "Free legal aid for trafficking victims: regional follow-up"
HEADERS = ["Full name", "Sex", "Institution", "Pre-test score", "Post-test score"]
ROWS = [["Ана Петровска", "Ж", "МСПДМ", 40, 80], ["Gëzim Çela", "M", "MSPDY", 50, 70]]


def _training() -> Training:
    return Training.objects.get(title_en=TRAINING)


def _upload(client, captured, training, rows=ROWS, name="p.xlsx"):
    with captured(execute=True):
        return client.post(
            f"/imports/new/attendance/?training={training.pk}",
            {
                "training": training.pk,
                "file": SimpleUploadedFile(name, files.xlsx(HEADERS, rows)),
                "encoding": "",
            },
        )


def test_upload_preview_confirm_and_see_the_rows(client, demo, django_capture_on_commit_callbacks):
    client.force_login(demo["demo-ministry"])
    training = _training()
    page = client.get(f"/imports/new/attendance/?training={training.pk}")
    assert page.status_code == 200
    assert "Full name" in page.content.decode()
    response = _upload(client, django_capture_on_commit_callbacks, training)
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/{batch.pk}/"
    detail = client.get(response["Location"]).content.decode()
    assert "Checked: ready to import" in detail
    assert "Ана Петровска" in detail and "Gëzim Çela" in detail
    assert Attendance.objects.filter(training=training).count() == 0  # only previewed
    status = client.get(f"/imports/{batch.pk}/status/").json()
    assert status == {
        "status": "checked",
        "label": "Checked: ready to import",
        "active": False,
        "processed": 2,
        "total": 2,
        "percent": 100,
    }
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{batch.pk}/confirm/")
    batch.refresh_from_db()
    assert batch.status == "applied"
    assert batch.created_by == batch.applied_by == demo["demo-ministry"]
    assert Attendance.objects.filter(training=training).count() == 2
    page = client.get(f"/trainings/{training.pk}/").content.decode()
    assert "Ана Петровска" in page
    original = client.get(f"/imports/{batch.pk}/file/")
    assert original.status_code == 200
    import io

    from openpyxl import load_workbook

    content = b"".join(original.streaming_content)  # read to the end, the client closes it
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [HEADERS, *ROWS]
    assert original["Content-Disposition"] == f'attachment; filename="import-{batch.pk}.xlsx"'
    listing = client.get("/imports/").content.decode()
    assert "p.xlsx" in listing


def test_a_job_in_progress_shows_a_progress_bar(client, demo) -> None:
    client.force_login(demo["demo-ministry"])
    batch = ImportBatch.objects.create(
        kind="attendance",
        training=_training(),
        original_name="big.xlsx",
        status="checking",
        total_rows=5000,
        processed_rows=1250,
        created_by=demo["demo-ministry"],
        file="imports/x.xlsx",
    )
    page = client.get(f"/imports/{batch.pk}/").content.decode()
    assert 'max="100" value="25"' in page
    assert "js/import-progress.js" in page
    assert f'data-status-url="/imports/{batch.pk}/status/"' in page
    assert client.get(f"/imports/{batch.pk}/status/").json()["percent"] == 25


def test_the_check_job_reports_progress_as_it_goes(run_import, demo, monkeypatch) -> None:
    from imports import services as imports

    seen: list[tuple[int, int]] = []
    real = imports._progress_saver

    def spy(batch):
        save = real(batch)

        def record(done, total):
            seen.append((done, total))
            save(done, total)

        return record

    monkeypatch.setattr(imports, "_progress_saver", spy)
    rows = [[f"Person {i}", "F", "MSPDY", 50, 60] for i in range(1200)]
    batch = run_import(
        "attendance",
        files.xlsx(HEADERS, rows),
        "big.xlsx",
        user=demo["demo-ministry"],
        training=_training(),
        confirm=False,
    )
    assert batch.status == "checked"
    assert seen[0] == (250, 1200) and seen[-1] == (1200, 1200)
    assert batch.preview[0]["action"] == "new"


def test_who_may_use_the_import_pages(client, demo, run_import) -> None:
    training = _training()
    batch = run_import(
        "attendance",
        files.xlsx(HEADERS, ROWS),
        "p.xlsx",
        user=demo["demo-ministry"],
        training=training,
    )
    urls = {
        "list": "/imports/",
        "start": "/imports/new/attendance/",
        "template": "/imports/template/attendance/mk.xlsx",
        "detail": f"/imports/{batch.pk}/",
        "status": f"/imports/{batch.pk}/status/",
        "file": f"/imports/{batch.pk}/file/",
    }
    for url in urls.values():
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(demo["demo-observer"])
    assert client.get(urls["list"]).status_code == 200
    assert client.get(urls["start"]).status_code == 403
    assert client.get(urls["template"]).status_code == 403
    assert client.get(urls["detail"]).status_code == 404  # someone else's batch
    assert client.get("/imports/new/nothing/").status_code == 404
    client.force_login(demo["demo-cso-a"])
    assert client.get(urls["detail"]).status_code == 404
    assert client.get(f"/imports/new/attendance/?training={training.pk}").status_code == 404
    assert client.post(f"/imports/{batch.pk}/rollback/").status_code == 404
    client.force_login(demo["demo-ministry"])
    assert client.get(urls["detail"]).status_code == 200
    assert client.post(f"/imports/{batch.pk}/rollback/").status_code == 403  # team only
    assert client.get(urls["template"]).status_code == 200
    assert client.get("/imports/new/institutions/").status_code == 403
    client.force_login(demo["demo-admin"])
    assert client.get(urls["detail"]).status_code == 200
    page = client.get(urls["detail"]).content.decode()
    assert "Roll back this import" in page
    response = client.post(f"/imports/{batch.pk}/rollback/")
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "rolled_back"
    assert Attendance.objects.filter(training=training).count() == 0


def test_the_template_has_instructions_headers_and_drop_downs(client, demo) -> None:
    client.force_login(demo["demo-ministry"])
    for language, sheet_name, header in (
        ("en", "Data", "Full name *"),
        ("mk", "Податоци", "Име и презиме *"),
        ("sq", "Të dhënat", "Emri dhe mbiemri *"),
    ):
        response = client.get(f"/imports/template/attendance/{language}.xlsx")
        assert response.status_code == 200
        book = load_workbook(io.BytesIO(response.content))
        data, instructions, lists = book.worksheets
        assert data.title == sheet_name
        assert data["A1"].value == header
        assert lists.sheet_state == "hidden"
        validations = {str(v.sqref): v.formula1 for v in data.data_validations.dataValidation}
        assert "B2:B1001" in validations  # sex
        sexes = [c.value for c in lists["B"][1:4]]
        assert len(sexes) == 3
        text = " ".join(str(c.value) for row in instructions.iter_rows() for c in row if c.value)
        assert header.rstrip(" *") in text
    # A filled-in template imports as it is.
    from core.imports import resource_class
    from core.spreadsheets import read_sheet

    response = client.get("/imports/template/attendance/mk.xlsx")
    sheet = read_sheet(
        response.content, filename="t.xlsx", is_header=resource_class("attendance").recognises
    )
    assert sheet.name == "Податоци"


def test_an_uncertain_encoding_is_asked_for_on_the_page(
    client, demo, django_capture_on_commit_callbacks
):
    client.force_login(demo["demo-ministry"])
    training = _training()
    data = b"Full name;Sex\r\n" + bytes([0xC0, 0xC1, 0xC2, 0x20, 0xC3]) + b";F\r\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/imports/new/attendance/?training={training.pk}",
            {"training": training.pk, "file": SimpleUploadedFile("p.csv", data), "encoding": ""},
        )
    page = client.get(response["Location"]).content.decode()
    assert "encoding cannot be told for sure" in page
    assert "Windows-1251 (Cyrillic)" in page and "АБВ Г" in page
    batch = ImportBatch.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{batch.pk}/recheck/", {"encoding": "cp1251"})
    batch.refresh_from_db()
    assert batch.status == "checked", (batch.file_error, batch.errors)
    assert batch.preview[0]["label"] == "АБВ Г"


def test_the_admin_offers_import_and_export(admin_client, demo) -> None:
    client = admin_client
    page = client.get("/admin/trainings/attendance/").content.decode()
    assert "/admin/trainings/attendance/import/" in page
    assert "/admin/trainings/attendance/export/" in page
    response = client.get("/admin/trainings/attendance/import/")
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:import_start", args=["attendance"])
    assert client.get("/admin/imports/importbatch/").status_code == 200
