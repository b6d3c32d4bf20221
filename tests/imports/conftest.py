from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from imports import services as imports
from imports.models import ImportBatch


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def run_import(django_capture_on_commit_callbacks: Any) -> Callable[..., ImportBatch]:
    """Upload a file as a user, run the check job, and (``confirm``) the import job: the
    services and jobs the pages use, with the jobs run as the queue would run them."""

    def run(
        kind: str,
        data: bytes,
        name: str,
        *,
        user: Any,
        training: Any = None,
        confirm: bool = True,
        encoding: str = "",
        language: str = "en",
    ) -> ImportBatch:
        with translation.override(language):
            with django_capture_on_commit_callbacks(execute=True):
                batch = imports.import_batch_create(
                    kind=kind,
                    upload=SimpleUploadedFile(name, data),
                    by=user,
                    training=training,
                    encoding=encoding,
                )
            batch.refresh_from_db()
            if confirm and batch.status == "checked":
                with django_capture_on_commit_callbacks(execute=True):
                    imports.import_batch_confirm(batch=batch, by=user)
                batch.refresh_from_db()
        return batch

    return run
