"""Every permission-checked file download: never kept by a cache, and a file lost from storage
answers 404 with a page that says so, not a server error."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, cast

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.fields.files import FieldFile
from django.test import Client

from imports.models import ImportBatch
from programme.models import Meeting
from recommendations.choices import UpdateState
from recommendations.models import Evidence, ProgressUpdate
from reports.choices import ReportKind, ReportStatus
from reports.models import Report
from research.choices import LanguageVersion
from research.models import Study, StudyVersion
from tests import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _evidence(demo: dict[str, Any]) -> tuple[str, str, FieldFile]:
    update = ProgressUpdate.objects.filter(
        institution__code="demo-cso-a", state=UpdateState.APPROVED
    ).first()
    assert update is not None
    evidence = Evidence.objects.create(
        update=update, title="Workshop report", file=SimpleUploadedFile("r.pdf", PDF)
    )
    return "demo-cso-a", f"/recommendations/evidence/{evidence.pk}/download/", evidence.file


def _study_file(demo: dict[str, Any]) -> tuple[str, str, FieldFile]:
    version = StudyVersion.objects.create(
        study=Study.objects.order_by("pk")[0],
        language=LanguageVersion.ENGLISH,
        file=SimpleUploadedFile("study.pdf", PDF),
        published_on=date(2024, 11, 1),
    )
    return "demo-observer", f"/research/versions/{version.pk}/download/", version.file


def _report(demo: dict[str, Any]) -> tuple[str, str, FieldFile]:
    meeting = Meeting.objects.get(number=3)
    report = Report.objects.create(
        kind=ReportKind.MEETING,
        language="en",
        meeting=meeting,
        parameters={"subject": "3", "slug": "meeting-3"},
        series=f"meeting:meeting-{meeting.pk}:en",
        requested_by=demo["demo-ministry"],
        status=ReportStatus.DONE,
        version=1,
        file=SimpleUploadedFile("report.pdf", PDF),
        sha256=hashlib.sha256(PDF).hexdigest(),
        size=len(PDF),
        pages=1,
    )
    return "demo-cso-b", f"/reports/{report.pk}/download/", report.file


def _import_file(demo: dict[str, Any]) -> tuple[str, str, FieldFile]:
    batch = cast(ImportBatch, factories.ImportBatchFactory(created_by=demo["demo-cso-a"]))
    return "demo-cso-a", f"/imports/{batch.pk}/file/", batch.file


DOWNLOADS: dict[str, Callable[[dict[str, Any]], tuple[str, str, FieldFile]]] = {
    "evidence": _evidence,
    "study file": _study_file,
    "report": _report,
    "import file": _import_file,
}


def _get(client: Client, url: str) -> Any:
    response = client.get(url)
    if response.streaming:
        b"".join(response.streaming_content)
        response.close()
    return response


@pytest.mark.parametrize("kind", DOWNLOADS)
def test_a_download_is_never_kept_by_a_cache(client: Client, demo, kind: str) -> None:
    username, url, _file = DOWNLOADS[kind](demo)
    client.force_login(demo[username])
    response = _get(client, url)
    assert response.status_code == 200
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= directives, response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize("kind", DOWNLOADS)
def test_a_file_missing_from_storage_answers_404_with_a_page_that_says_so(
    client: Client, demo, kind: str, caplog
) -> None:
    username, url, file = DOWNLOADS[kind](demo)
    Path(file.path).unlink()
    client.force_login(demo[username])
    response = client.get(url)
    assert response.status_code == 404
    page = response.content.decode()
    assert "File not available" in page
    assert "cannot be found in the platform's storage" in page
    assert "no-store" in response["Cache-Control"]
    assert any("stored file is missing" in r.getMessage() for r in caplog.records)


def test_the_exports_are_never_kept_by_a_cache_either(client: Client, demo) -> None:
    client.force_login(demo["demo-observer"])
    response = client.get("/exports/institutions.csv")
    assert response.status_code == 200
    assert {"no-store", "private"} <= {d.strip() for d in response["Cache-Control"].split(",")}
