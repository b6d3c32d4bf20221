"""Safe by construction: typed markup prints as text, and a report loads nothing from outside.

A listener on 127.0.0.1 counts every connection made to it while reports render: there must
be none. The metadata address 169.254.169.254 is never contacted by these tests: the fetcher
refuses it before any connection, which the refusal list shows.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

from programme.models import ReportingPeriod
from recommendations.models import Recommendation
from recommendations.services import (
    progress_update_approve,
    progress_update_create,
    progress_update_submit,
)
from reports.choices import ReportKind, ReportStatus
from reports.render import (
    STATIC_BASE_URL,
    SafeURLFetcher,
    URLRefused,
    render_pdf,
)
from stakeholders.models import Institution
from tests.reports.conftest import pdf_text, stored_pdf

METADATA = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"


@dataclass
class Listener:
    port: int
    connections: list[str] = field(default_factory=list)


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A TCP server on the loopback address that records whoever connects."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    found = Listener(port=server.getsockname()[1])
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, address = server.accept()
            except TimeoutError:
                continue
            found.connections.append(f"{address}")
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield found
    stop.set()
    thread.join(timeout=2)
    server.close()


def _hostile(port: int) -> str:
    return (
        '<img src="file:///etc/passwd"> '
        f'<div style="background: url(http://127.0.0.1:{port}/pixel.png)">x</div> '
        f'<style>@import url("{METADATA}");</style> '
        '<script>document.title = "pwned"</script>'
    )


# --- The fetcher itself --------------------------------------------------------------------


@pytest.fixture
def fetcher() -> SafeURLFetcher:
    return SafeURLFetcher(static_roots=settings.STATICFILES_DIRS)


def test_fetcher_gives_the_report_stylesheet_and_fonts(fetcher) -> None:
    css = fetcher.fetch(f"{STATIC_BASE_URL}css/print/report.css")
    assert css.content_type == "text/css"
    assert b"@font-face" in css.read()
    font = fetcher.fetch(f"{STATIC_BASE_URL}fonts/NotoSans-Regular.ttf")
    assert font.read()[:4] == b"\x00\x01\x00\x00"


def test_fetcher_gives_data_urls(fetcher) -> None:
    response = fetcher.fetch("data:image/svg+xml;base64,PHN2Zy8+")
    assert response.read() == b"<svg/>"
    assert fetcher.fetch("data:text/plain,hello%20there").read() == b"hello there"


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        f"file://{settings.BASE_DIR}/static/css/print/report.css",  # even our own, by file:
        "http://127.0.0.1:9/x.png",
        METADATA,
        "https://example.org/font.ttf",
        "ftp://example.org/x.css",
        f"{STATIC_BASE_URL}../../etc/passwd",
        f"{STATIC_BASE_URL}%2e%2e/%2e%2e/etc/passwd",
        f"{STATIC_BASE_URL}css/..%2f..%2fconfig/settings/base.py",
        f"{STATIC_BASE_URL}/etc/passwd",
        f"{STATIC_BASE_URL}favicon.svg%00.css",
        f"{STATIC_BASE_URL}css/site.css\\..\\..\\x.css",
        f"{STATIC_BASE_URL}../config/settings/base.py",
        "https://report.invalid/media-not-public/evidence/2026/file.pdf",
        "https://report.invalid.example.org/static/css/print/report.css",
        "data:application/x-sh,rm%20-rf",
    ],
)
def test_fetcher_refuses_everything_else(fetcher, url) -> None:
    with pytest.raises(URLRefused):
        fetcher.fetch(url)
    assert fetcher.refused


def test_fetcher_refuses_a_link_out_of_the_static_files(tmp_path) -> None:
    root = tmp_path / "static"
    root.mkdir()
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    (root / "escape.css").symlink_to(secret)
    (root / "own.css").write_text("p { margin: 0 }")
    fetcher = SafeURLFetcher(static_roots=[root])
    assert fetcher.fetch(f"{STATIC_BASE_URL}own.css").read() == b"p { margin: 0 }"
    with pytest.raises(URLRefused):
        fetcher.fetch(f"{STATIC_BASE_URL}escape.css")


def test_files_of_other_types_in_the_static_folder_are_refused(fetcher) -> None:
    """Only stylesheets, fonts and pictures: the licence text is there, but not for reports."""
    assert (Path(settings.STATICFILES_DIRS[0]) / "fonts" / "OFL.txt").is_file()
    with pytest.raises(URLRefused):
        fetcher.fetch(f"{STATIC_BASE_URL}fonts/OFL.txt")


# --- Whole renders ------------------------------------------------------------------------


def test_raw_markup_rendered_as_is_still_fetches_nothing(listener) -> None:
    """Even HTML that was never escaped cannot make the renderer reach anything."""
    port = listener.port
    html = f"""<html><head>
      <link rel="stylesheet" href="http://127.0.0.1:{port}/evil.css">
      <style>@import url("{METADATA}");
        body {{ background: url(http://127.0.0.1:{port}/bg.png) }}</style>
    </head><body>
      <p>Visible text</p>
      <img src="file:///etc/passwd">
      <img src="http://127.0.0.1:{port}/img.png">
      <img src="{STATIC_BASE_URL}../../../../etc/passwd">
      <object data="http://127.0.0.1:{port}/object"></object>
      <embed src="http://127.0.0.1:{port}/embed">
      <iframe src="http://127.0.0.1:{port}/frame"></iframe>
      <svg><image href="http://127.0.0.1:{port}/svg.png" width="10" height="10"/></svg>
      <div style="background-image: url({METADATA})">metadata</div>
    </body></html>"""
    rendered = render_pdf(html=html, timeout=60)
    assert listener.connections == []
    assert "Visible text" in pdf_text(rendered.pdf)
    assert "root:x:0:0" not in pdf_text(rendered.pdf)
    refused = " ".join(rendered.refused)
    for asked in (
        f"http://127.0.0.1:{port}/evil.css",
        f"http://127.0.0.1:{port}/img.png",
        f"http://127.0.0.1:{port}/bg.png",
        "file:///etc/passwd",
        METADATA,
    ):
        assert asked in refused, f"{asked} was not asked for and refused"


def test_the_render_process_cannot_open_a_connection(listener) -> None:
    """The second wall: the render process refuses sockets and new programs outright."""
    code = (
        "import socket, subprocess, sys\n"
        "from reports.render import _deny\n"
        "sys.addaudithook(_deny)\n"
        "for attempt in (\n"
        f"    lambda: socket.create_connection(('127.0.0.1', {listener.port}), timeout=2),\n"
        "    lambda: socket.getaddrinfo('example.org', 80),\n"
        "    lambda: subprocess.run(['true']),\n"
        "):\n"
        "    try:\n"
        "        attempt()\n"
        "    except PermissionError:\n"
        "        print('refused')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.split() == ["refused", "refused", "refused"]
    assert listener.connections == []


@pytest.mark.django_db
def test_typed_markup_in_a_progress_update_prints_literally_and_nothing_is_fetched(
    demo, generate, listener
) -> None:
    hostile = _hostile(listener.port)
    ministry = demo["demo-ministry"]
    update = progress_update_create(
        recommendation=Recommendation.objects.get(number=9),
        institution=Institution.objects.get(code="mspdy"),
        period=ReportingPeriod.objects.get(name="2024 H2"),
        status="in_progress",
        narrative=hostile,
        by=ministry,
    )
    progress_update_submit(update=update, by=ministry)
    progress_update_approve(update=update, by=demo["demo-admin"])

    reports = [
        generate(
            by=demo["demo-admin"],
            kind=ReportKind.COMMITTEE,
            language="en",
            period=ReportingPeriod.objects.get(name="2024 H2"),
        ),
        generate(
            by=ministry,
            kind=ReportKind.RECOMMENDATION,
            language="sq",
            recommendation=Recommendation.objects.get(number=9),
        ),
    ]
    for report in reports:
        assert report.status == ReportStatus.DONE, report.failure_reason
        text = pdf_text(stored_pdf(report))
        # Long words wrap in a table cell: compare the characters, not where lines break.
        printed = "".join(text.split())
        for part in (
            '<img src="file:///etc/passwd">',
            f'<div style="background: url(http://127.0.0.1:{listener.port}/pixel.png)">x</div>',
            f'<style>@import url("{METADATA}");</style>',
            '<script>document.title = "pwned"</script>',
        ):
            assert "".join(part.split()) in printed, part
        assert "root:x:0:0" not in text
    assert listener.connections == []
