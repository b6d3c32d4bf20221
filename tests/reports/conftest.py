"""Helpers for the PDF report tests: generate through the real job, read the PDF back."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reports.models import Report
from reports.services import report_request


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    """Every report test keeps its files in a folder of its own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def pdf_text(pdf: bytes | Path, *, layout: bool = False) -> str:
    """The PDF's text as poppler reads it, with every run of white space made one space."""
    data = pdf.read_bytes() if isinstance(pdf, Path) else pdf
    args = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), "-", "-"]
    text = subprocess.run(args, input=data, capture_output=True, check=True).stdout.decode()
    return " ".join(text.split())


def pdf_tool(tool: str, pdf: bytes, *args: str) -> str:
    """pdfinfo or pdffonts on the PDF (they read a file, not standard input)."""
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        return subprocess.run(
            [tool, *args, handle.name], capture_output=True, check=True
        ).stdout.decode()


def page_count(pdf: bytes) -> int:
    match = re.search(r"^Pages:\s+(\d+)$", pdf_tool("pdfinfo", pdf), re.M)
    assert match, "pdfinfo gave no page count"
    return int(match.group(1))


def stored_pdf(report: Report) -> bytes:
    with report.file.open("rb") as handle:
        return handle.read()


@pytest.fixture
def generate(django_capture_on_commit_callbacks: Any) -> Callable[..., Report]:
    """Ask for a report as a user would, and let the job run as the worker would."""

    def make(**kwargs: Any) -> Report:
        with django_capture_on_commit_callbacks(execute=True):
            report = report_request(**kwargs)
        report.refresh_from_db()
        return report

    return make


def render_children() -> list[str]:
    """This test process's render processes still alive (there should never be one after a
    job).

    Only those it started: another checkout's suite, or another worker of this one, may be
    rendering beside it.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if (
            command.startswith(sys.prefix + "/")
            and "reports.render" in command
            and int(entry.name) != os.getpid()
            and _descends_from(int(entry.name), os.getpid())
        ):
            found.append(command)
    return found


def _descends_from(pid: int, ancestor: int) -> bool:
    """Whether process ``pid`` was started, directly or not, by process ``ancestor``."""
    while pid > 1:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        # The command's name is in brackets and may hold spaces: the fields follow the last ")".
        pid = int(stat.rsplit(")", 1)[1].split()[1])
        if pid == ancestor:
            return True
    return False


def in_language(record: Any, field: str, language: str, *, words: int = 6) -> str:
    """The first words of a record's translated text as a report in that language shows it:
    the translation where there is one, else the English original (one run of spaces each)."""
    text = getattr(record, f"{field}_{language}", None) or getattr(record, f"{field}_en")
    return " ".join(str(text).split()[:words])
