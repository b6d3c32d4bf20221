"""The documented backup and restore, run for real: dump, restore into a new database, compare."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from django.db import connection

from recommendations.models import Recommendation
from tests.test_deployment import ROOT, database_url_for_tests

pytestmark = pytest.mark.django_db(transaction=True)


def _run(script: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "scripts" / script), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def empty_database() -> Iterator[str]:
    """A new, empty database on the test server; dropped afterwards."""
    name = f"restore_{uuid.uuid4().hex[:10]}"
    params = connection.get_connection_params()
    with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = database_url_for_tests().replace(f"/{connection.settings_dict['NAME']}", f"/{name}", 1)
    yield url
    with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_restores_into_a_new_database_with_identical_rows(
    demo, tmp_path: Path, empty_database: str
) -> None:
    media = tmp_path / "media"
    (media / "evidence").mkdir(parents=True)
    (media / "evidence" / "report.pdf").write_bytes(b"%PDF-1.4 evidence")
    source_url = database_url_for_tests()

    made = _run(
        "backup", str(tmp_path / "backups"), DATABASE_URL=source_url, DJANGO_MEDIA_ROOT=str(media)
    )
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.strip().splitlines()[-1])
    manifest = (backup / "manifest.txt").read_text()
    assert "rows recommendations_recommendation 15" in manifest

    restored_media = tmp_path / "restored-media"
    restored = _run(
        "restore", str(backup), DATABASE_URL=empty_database, DJANGO_MEDIA_ROOT=str(restored_media)
    )
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "row counts identical" in restored.stdout
    assert (restored_media / "evidence" / "report.pdf").read_bytes() == b"%PDF-1.4 evidence"

    # Independently of the script's own check: the same text comes back.
    params = connection.get_connection_params()
    name = urlsplit(empty_database).path.lstrip("/")
    with psycopg.connect(**{**params, "dbname": name}) as copy:
        text = copy.execute(
            "SELECT text_en FROM recommendations_recommendation WHERE number = 15"
        ).fetchone()
    assert text is not None and text[0] == Recommendation.objects.get(number=15).text_en


def test_restore_refuses_a_database_that_is_not_empty(demo, tmp_path: Path) -> None:
    made = _run("backup", str(tmp_path), DATABASE_URL=database_url_for_tests())
    assert made.returncode == 0, made.stderr
    backup = made.stdout.strip().splitlines()[-1]
    refused = _run("restore", backup, DATABASE_URL=database_url_for_tests())
    assert refused.returncode != 0
    assert "the target database is not empty" in refused.stderr


def test_restore_refuses_a_damaged_backup(demo, tmp_path: Path, empty_database: str) -> None:
    made = _run("backup", str(tmp_path), DATABASE_URL=database_url_for_tests())
    backup = Path(made.stdout.strip().splitlines()[-1])
    with (backup / "database.dump").open("r+b") as dump:
        dump.seek(200)
        dump.write(b"\x00" * 16)
    refused = _run("restore", str(backup), DATABASE_URL=empty_database)
    assert refused.returncode != 0
    assert "does not match its checksum" in refused.stderr
