"""A long report renders its parts side by side and joins them: the same pages, page numbers,
contents, bookmarks and links as one document, within the same limits."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from programme.models import ReportingPeriod
from reports.choices import ReportKind
from reports.documents import report_html
from reports.models import Report
from reports.render import (
    PART_BREAK,
    RenderFailed,
    _shares,
    render_pdf,
    report_parts,
)
from tests.reports.conftest import render_children


def _pages_text(pdf: bytes) -> list[str]:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-layout", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return text.split("\f")


def _pages_pixels(pdf: bytes, folder: Path, name: str) -> list[bytes]:
    subprocess.run(
        ["pdftoppm", "-r", "30", "-gray", "-", str(folder / name)], input=pdf, check=True
    )
    return [path.read_bytes() for path in sorted(folder.glob(f"{name}-*.pgm"))]


def _outline(reader: PdfReader) -> list[tuple[int, str, int | None]]:
    found: list[tuple[int, str, int | None]] = []

    def walk(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return found


def _link_targets(reader: PdfReader, page: int) -> list[int | None]:
    """The pages the links on one page lead to, named destinations resolved."""
    targets = []
    for annotation in reader.pages[page].get("/Annots") or []:
        link = annotation.get_object()
        destination = link["/Dest"]
        if isinstance(destination, str):
            destination = reader.named_destinations[destination]
            targets.append(reader.get_destination_page_number(destination))
        else:
            targets.append(reader.get_page_number(destination[0]))
    return sorted(targets, key=lambda target: -1 if target is None else target)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "language"),
    [(ReportKind.COMMITTEE, "mk"), (ReportKind.RECOMMENDATION, "sq")],
)
def test_a_report_in_parts_is_page_for_page_the_report_in_one_piece(
    demo, kind, language, tmp_path
) -> None:
    report = Report(
        kind=kind,
        language=language,
        period=ReportingPeriod.objects.get(name="2025 H1"),
        requested_by=demo["demo-admin"],
        version=3,
    )
    html = report_html(report=report)
    parts = report_parts(html)
    assert parts is not None and len(parts.chunks) >= 3

    whole = render_pdf(html=html, processes=1, timeout=120)
    joined = render_pdf(html=html, processes=2, timeout=120)
    assert (whole.processes, joined.processes) == (1, 2)
    assert joined.pages == whole.pages == len(PdfReader(io.BytesIO(joined.pdf)).pages)

    # Every page reads and looks the same: running header and footer, "Page 3 of 13" (in
    # the report's language), the contents' page numbers, the cover without a number.
    pages = _pages_text(whole.pdf)
    assert _pages_text(joined.pdf) == pages
    assert pages[whole.pages - 1].split()[-1] == str(whole.pages)  # "… 13 of 13"
    assert _pages_pixels(joined.pdf, tmp_path, "joined") == _pages_pixels(
        whole.pdf, tmp_path, "whole"
    )

    one, parted = PdfReader(io.BytesIO(whole.pdf)), PdfReader(io.BytesIO(joined.pdf))
    assert _outline(parted) == _outline(one) and len(_outline(one)) > 3
    for page in range(min(3, whole.pages)):
        assert _link_targets(parted, page) == _link_targets(one, page)
    if kind == ReportKind.COMMITTEE:  # the contents, on page 2, lead to the seven sections
        assert len(set(_link_targets(parted, 1))) == 7
    assert parted.metadata.title == one.metadata.title
    assert parted.root_object["/Lang"] == one.root_object["/Lang"] == language


def test_report_parts_cuts_only_where_the_template_marks_it() -> None:
    html = (
        "<!DOCTYPE html><html><head><title>t</title></head><body class='report'>"
        f"<section>front</section>{PART_BREAK}<h1>One</h1>{PART_BREAK}<h1>Two</h1></body></html>"
    )
    parts = report_parts(html)
    assert parts is not None
    assert parts.chunks == ["<section>front</section>", "<h1>One</h1>", "<h1>Two</h1>"]
    document = parts.document(parts.chunks[1], "p { color: red }")
    assert document.startswith("<!DOCTYPE html><html><head><title>t</title><style>p { color: red }")
    assert document.endswith("<body class='report'><h1>One</h1></body></html>")
    assert report_parts(html.replace(PART_BREAK, "")) is None
    # Typed text is escaped before it reaches the HTML, so it cannot cut a report.
    assert report_parts("<html><head></head><body>&lt;!-- report:part --&gt;</body></html>") is None


def test_parts_go_largest_first_to_the_least_busy_process() -> None:
    assert _shares([100, 10, 60, 50, 5], 2) == [[0, 1, 4], [2, 3]]
    assert _shares([3, 2], 4) == [[0], [1]]  # never an idle process
    assert _shares([7], 1) == [[0]]


def _long_report(parts: int, rows: int) -> str:
    cells = "".join(
        f"<tr><td>{i}</td><td>Participant number {i}</td><td>Skopje</td></tr>" for i in range(rows)
    )
    sections = "".join(f"{PART_BREAK}<h1>Part</h1><table>{cells}</table>" for _ in range(parts))
    return f"<html><head></head><body><p>Front</p>{sections}</body></html>"


def test_a_render_in_parts_past_its_time_limit_stops_every_process() -> None:
    with pytest.raises(RenderFailed) as stopped:
        render_pdf(html=_long_report(parts=3, rows=4000), timeout=2, processes=2)
    assert stopped.value.reason == "timeout"
    assert render_children() == []


def test_a_part_past_its_memory_limit_fails_the_render_and_stops_the_others() -> None:
    html = _long_report(parts=1, rows=8000).replace(
        "</body>", f"{PART_BREAK}<h1>Small</h1><p>A short part</p></body>"
    )
    with pytest.raises(RenderFailed) as stopped:
        render_pdf(html=html, timeout=120, memory_mb=200, processes=2)
    assert stopped.value.reason == "memory", stopped.value.detail
    assert render_children() == []


def test_a_render_reports_its_own_memory_not_that_of_the_worker_that_started_it() -> None:
    """Linux carries a process's peak memory (ru_maxrss) over to the programs it starts."""
    ballast = bytearray(400 * 1024 * 1024)  # the worker's peak: at least 400 MB
    ballast[::4096] = b"x" * len(ballast[::4096])  # touch every page, so that it is resident
    rendered = render_pdf(html="<html><body><p>Short</p></body></html>", timeout=60)
    del ballast
    assert 10_000 < rendered.peak_memory_kb < 300_000
