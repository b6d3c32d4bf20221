"""The import check's memory: a large file is checked within a bound measured in a child
process, and the embedded mode's jobs, run in a child process, find and write what they do
in-process, in the reader's language.

The jobs run in other processes here, which see only committed rows: these tests run on real
transactions.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import translation

from core.jobs import job_run_in_child, memory_mb
from imports.choices import ImportStatus
from imports.models import ImportBatch
from tests.factories import TrainingFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
# A few MB for CI: 6,000 participants, bordered blank rows down to row 600,000 (2.3 MB,
# ~100 MB unpacked). Before the reader streamed its second reading of the sheet's XML and
# let the rows go as they were planned, its check took ~70 MB above idle; now ~25 MB.
ROWS = 6_000
LAST_ROW = 600_000
PEAK_BOUND_MB = 50


@functools.cache
def _bench() -> ModuleType:
    """scripts/bench_imports.py, whose large file this test checks at a smaller size."""
    spec = importlib.util.spec_from_file_location(
        "bench_imports", ROOT / "scripts/bench_imports.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def world() -> tuple[Any, Any]:
    """The seed's institutions and professions (the file names them), a programme-team
    account and the training the file is a list of."""
    from loaders.seeding import seed_load
    from stakeholders.models import Institution

    seed_load()
    user = UserFactory(programme_team=True)
    training = TrainingFactory(
        title_en="Memory test training",
        title_mk=_bench().LARGE_TITLE,
        organiser=Institution.objects.get(code="mspdy"),
    )
    return user, training


def _batch(data: bytes, *, user: Any, training: Any, name: str, language: str) -> ImportBatch:
    """A batch waiting for its check, as an upload leaves it."""
    batch = ImportBatch(
        kind="attendance",
        training=training,
        original_name=name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        language=language,
        created_by=user,
        source_institution=training.organiser,
    )
    batch.file.save(name, ContentFile(data), save=False)
    batch.save()
    return batch


def test_a_large_file_is_checked_in_a_child_process_within_the_memory_bound(
    world: tuple[Any, Any],
) -> None:
    user, training = world
    # Every row names another training than the one chosen: each is a problem, so the
    # check's memory is the reader's (the people planned, and the preview, are not).
    data = _bench().large_workbook(ROWS, title="Обука за инспектори на трудот", last_row=LAST_ROW)
    assert 1 < len(data) / 1024 / 1024 < 5  # a few MB, as an upload
    batch = _batch(data, user=user, training=training, name="large.xlsx", language="mk")
    before = memory_mb()["rss"]

    run = job_run_in_child("imports.services.import_batch_check", batch_id=batch.pk)

    assert run.ok
    batch.refresh_from_db()
    assert batch.status == ImportStatus.INVALID
    assert (batch.total_rows, batch.error_count, len(batch.errors)) == (ROWS, ROWS, 1_000)
    with translation.override("mk"):
        expected = translation.gettext(
            "This row is of another training; this file is imported into “%(title)s”. "
            "Import each training's rows into that training."
        ) % {"title": training}
    assert batch.errors[0]["row"] == 2
    assert batch.errors[0]["message"] == expected
    assert expected.startswith("Овој ред")
    assert run.idle_mb > 0
    assert 0 < run.peak_mb <= PEAK_BOUND_MB, f"{run.peak_mb:.0f} MB above idle"
    # This process, which stands for the web process, did not grow by the file.
    assert memory_mb()["rss"] - before < 20


def _problem_file(bench: ModuleType, *, sex: str | None = None) -> bytes:
    """Forty participants of the training; with ``sex``, the third one's sex says that."""
    data = bench.large_workbook(40, last_row=41)
    if sex is None:
        return data
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                # Row 4 (the third participant) says "F" (i % 4 == 2): make it unreadable.
                part = part.replace(
                    b'<c r="C4" s="1" t="inlineStr"><is><t>F</t></is></c>',
                    f'<c r="C4" s="1" t="inlineStr"><is><t>{sex}</t></is></c>'.encode(),
                )
            target.writestr(info, part)
    return out.getvalue()


def _outcome(batch: ImportBatch) -> dict[str, Any]:
    batch.refresh_from_db()
    return {
        "status": batch.status,
        "file_error": batch.file_error,
        "failure_reason": batch.failure_reason,
        "errors": batch.errors,
        "notes": batch.notes,
        "preview": batch.preview,
        "counts": (batch.total_rows, batch.new_count, batch.updated_count, batch.error_count),
    }


def test_the_embedded_runner_reports_a_row_problem_as_in_process_in_the_readers_language(
    world: tuple[Any, Any], settings: Any, run_import: Any
) -> None:
    user, training = world
    data = _problem_file(_bench(), sex="Q")

    settings.IMPORT_JOBS_IN_CHILD_PROCESS = False
    in_process = run_import(
        "attendance", data, "list.xlsx", user=user, training=training, language="mk", confirm=False
    )
    settings.IMPORT_JOBS_IN_CHILD_PROCESS = True
    in_child = run_import(
        "attendance", data, "list.xlsx", user=user, training=training, language="mk", confirm=False
    )

    assert in_child.pk != in_process.pk
    found = _outcome(in_child)
    assert found == _outcome(in_process)
    assert found["status"] == ImportStatus.INVALID
    assert [(e["row"], e["letter"], e["value"]) for e in found["errors"]] == [(4, "C", "Q")]
    with translation.override("mk"):
        expected = translation.gettext("Write F or M (Ж or М, жена or маж, femër or mashkull).")
    assert found["errors"][0]["message"] == expected
    assert expected.startswith("Напишете")


def test_the_embedded_runner_imports_a_confirmed_file_in_a_child_process(
    world: tuple[Any, Any], settings: Any, run_import: Any
) -> None:
    from trainings.models import Attendance

    user, training = world
    settings.IMPORT_JOBS_IN_CHILD_PROCESS = True

    batch = run_import(
        "attendance", _problem_file(_bench()), "list.xlsx", user=user, training=training
    )

    assert batch.status == ImportStatus.APPLIED, (batch.errors, batch.failure_reason)
    assert Attendance.objects.filter(training=training).count() == 40
    assert batch.changes["created"]


def test_a_child_that_dies_leaves_the_batch_failed_in_the_readers_language(
    world: tuple[Any, Any], settings: Any
) -> None:
    from imports import services as imports

    user, training = world
    batch = _batch(
        _bench().large_workbook(10, last_row=11),
        user=user,
        training=training,
        name="list.xlsx",
        language="sq",
    )
    # As a child killed mid-check leaves it (the kernel stopping it for its memory): claimed,
    # never finished. This child cannot even start Django: it dies with an exit code too.
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.CHECKING)
    settings.IMPORT_JOBS_IN_CHILD_PROCESS = True
    settings.SETTINGS_MODULE = "config.settings.no_such_module"

    imports.import_check(batch.pk)

    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    with translation.override("sq"):
        expected = translation.gettext(
            "The file could not be checked because of an error on our side. It was kept; "
            "the administrators can look into it."
        )
    assert batch.failure_reason == expected
    assert not expected.startswith("The file")  # Albanian, not the English msgid
