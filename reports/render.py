"""Turning a report's HTML into a PDF, safely.

WeasyPrint runs in a child process of its own (``python -m reports.render``), with
a limit on its memory (address space) and CPU time and a wall-clock timeout. A render that
runs past them is stopped and reported as :class:`RenderFailed`; the worker that started it
carries on. Inside the child:

- the URL fetcher gives WeasyPrint the project's own static files (under
  :data:`STATIC_BASE_URL`) and ``data:`` URLs, and refuses everything else: ``file://``,
  any network address, any other scheme. It never opens a connection, so there is no
  redirect to follow;
- an audit hook refuses any socket connection, name lookup or new process, as a second wall;
- the environment holds no secret: the child gets HTML in and gives a PDF back.

A long report is cut where its template marks a part (:data:`PART_BREAK`, only where a new
page starts anyway) and its parts render side by side, one child per core
(``REPORT_RENDER_PROCESSES``): WeasyPrint lays out one document on one core. A last child,
started when the first of them is done so that it is ready when the last is (it reads the
parts already written meanwhile), then renders the front matter (cover and contents, whose
page numbers it now knows), joins the parts (pypdf), stamps the footer's "Page 3 of 100" on
every page but the cover, which is the first (the stamp is laid out by the child that wrote
the last part, meanwhile, on the other core: :func:`_stamp_ahead`), merges the parts'
subsets of each font into one and writes the file compactly (:func:`share_font_subsets`,
:func:`write_compact`: no larger than the one-document file by more than 5 %). Bookmarks,
links from the contents and running headers come out as in one document; an archival PDF/A
copy is always rendered as one document, so that its conformance is WeasyPrint's own.

Every report is tagged (PDF/UA-1; the archival copy PDF/A-2a). A joined report keeps one
structure tree: the front matter's tree, with each part's elements added after it in reading
order, their parent-tree keys renumbered, the contents' links added to the structure, and the
stamped page numbers marked as artifacts (:func:`_join_structure`).

The child imports this module without Django, so Django is only imported inside the
functions the parent calls.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import functools
import gc
import io
import json
import logging
import os
import re
import resource
import signal
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, unquote_to_bytes

from weasyprint.urls import URLFetcher, URLFetcherResponse

from reports.choices import PDFA_VARIANT, PDFUA_VARIANT

# A reserved domain (RFC 2606) that can never resolve: relative URLs in a report resolve
# against it, and only its /static/ part means anything, to the fetcher below.
BASE_URL = "https://report.invalid/"
STATIC_BASE_URL = f"{BASE_URL}static/"

# What a report may load from the static files: its stylesheet, fonts and pictures.
STATIC_TYPES = {
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
}
MAX_DATA_URL_BYTES = 5 * 1024 * 1024

EXIT_MEMORY = 3
EXIT_ERROR = 2

# Where a report may be cut into parts (templates/reports/includes/part.html). What people
# type is escaped, so the marker can only come from a template.
PART_BREAK = "<!-- report:part -->"
# Parts render without the footer's page number; the last child stamps it on the joined pages.
NO_PAGE_NUMBER_CSS = "@page { @bottom-right { content: none; } }"
# The page-number stamp: a page with nothing but the footer's number, the same stylesheets and
# page boxes as the report, and no number on the first page (the cover).
STAMP_CSS = (
    "@page { @top-left { content: none; border: 0; } @top-right { content: none; border: 0; }"
    " @bottom-left { content: none; } }"
    " @page :first { @bottom-right { content: none; } }"
    " .page-stamp { break-after: page; height: 0; }"
)
_ANCHOR_NAME = re.compile(r"[A-Za-z0-9_-]+")
_INTERNAL_HREF = re.compile(r'href="#([A-Za-z0-9_-]+)"')
PX_TO_PT = 0.75  # WeasyPrint's positions are CSS pixels; PDF's are points

# Audit events that would reach outside the child: the network, or another program.
_DENIED_EVENTS = frozenset(
    {
        "socket.connect",
        "socket.bind",
        "socket.sendto",
        "socket.sendmsg",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyaddr",
        "urllib.Request",
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.posix_spawn",
        "os.spawn",
        "os.fork",
        "os.forkpty",
    }
)


class URLRefused(ValueError):
    """The report asked for something outside its own static files and data: URLs."""


class SafeURLFetcher(URLFetcher):
    """Gives WeasyPrint the project's own static files and data: URLs, and nothing else."""

    def __init__(self, *, static_roots: Sequence[Path | str]) -> None:
        super().__init__(allow_redirects=False, allowed_protocols=("data", "https"))
        self.static_roots = [Path(root).resolve() for root in static_roots]
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        try:
            if url.startswith("data:"):
                body, content_type = _data_url(url)
                return URLFetcherResponse(url, body, {"Content-Type": content_type})
            path = self.static_path(url)
            if path is None:
                raise URLRefused(f"Reports load only their own static files: {url[:200]}")
        except (URLRefused, ValueError):
            self.refused.append(url[:200])
            raise
        return URLFetcherResponse(
            url, path.read_bytes(), {"Content-Type": STATIC_TYPES[path.suffix.lower()]}
        )

    def static_path(self, url: str) -> Path | None:
        """The static file a URL names, if it is one of the project's own; else None."""
        if not url.startswith(STATIC_BASE_URL):
            return None
        relative = unquote(url[len(STATIC_BASE_URL) :].split("#", 1)[0].split("?", 1)[0])
        if not relative or relative.startswith("/") or "\\" in relative or "\x00" in relative:
            return None
        parts = PurePosixPath(relative).parts
        if any(part in ("", ".", "..") for part in parts):
            return None
        if PurePosixPath(relative).suffix.lower() not in STATIC_TYPES:
            return None
        for root in self.static_roots:
            candidate = root.joinpath(*parts).resolve()
            # resolve() follows links, so a link pointing out of the root is refused here.
            if candidate.is_relative_to(root) and candidate.is_file():
                return candidate
        return None


def _data_url(url: str) -> tuple[bytes, str]:
    header, comma, payload = url[len("data:") :].partition(",")
    if not comma:
        raise URLRefused("A data: URL without data")
    params = header.split(";")
    content_type = params[0].strip() or "text/plain"
    if "base64" in (p.strip().lower() for p in params[1:]):
        try:
            body = base64.b64decode(unquote(payload))
        except ValueError:
            raise URLRefused("A data: URL that is not valid base64") from None
    else:
        body = unquote_to_bytes(payload)
    if len(body) > MAX_DATA_URL_BYTES:
        raise URLRefused("A data: URL larger than a report may hold")
    if not content_type.lower().startswith(("image/", "font/", "text/css", "text/plain")):
        raise URLRefused(f"A data: URL of an unexpected type: {content_type[:60]}")
    return body, content_type


def _tag_header_scopes() -> None:
    """Give every table header cell of the structure tree its ``/Scope`` (Column or Row), from
    its ``scope`` attribute, as PDF/UA asks. WeasyPrint 70 names each header cell for its data
    cells (``/Headers``) but writes no scope; its tree builder is wrapped, once per process.
    """
    from weasyprint.pdf import tags

    original = tags._build_box_tree
    if getattr(original, "with_scopes", False):
        return

    def build(box: Any, parent: Any, *args: Any) -> Any:
        for element in original(box, parent, *args):
            if element.get("S") == "/TH" and box.element is not None and "A" in element:
                scope = box.element.attrib.get("scope", "col")
                element["A"]["Scope"] = "/Row" if scope in ("row", "rowgroup") else "/Column"
            yield element

    build.with_scopes = True  # type: ignore[attr-defined]
    tags._build_box_tree = build


def _svg_text_in_runs() -> None:
    """Draw an SVG text that is placed as a whole (one x, y, dx, dy; no rotate, letter
    spacing, text length or baseline shift) as one run of text, as a browser does, instead of
    letter by letter. WeasyPrint 70 lays out and draws every letter of an SVG text on its own
    (one Pango layout per letter): the charts' labels were half the CPU of writing the results
    framework's part (part 2 of the 101-page bench report: 5.7 s of 9.9 s, profiled). The
    one difference on the page is the font's kerning between letters, which a run applies.
    Any other SVG text is drawn by WeasyPrint's own function. Replaced once per process.
    """
    from weasyprint import svg

    original = svg.TAGS["text"]
    if getattr(original, "in_runs", False):
        return

    def text(drawing: Any, node: Any, font_size: float) -> Any:
        if not _one_run(node):
            return original(drawing, node, font_size)
        return _draw_text_run(drawing, node, font_size)

    text.in_runs = True  # type: ignore[attr-defined]
    # draw_node tells text nodes by comparing with the module's `text`: replace both.
    svg.text = text
    svg.TAGS["text"] = svg.TAGS["tspan"] = text


def _one_run(node: Any) -> bool:
    """Whether an SVG text or tspan is placed as a whole (see _svg_text_in_runs)."""
    from weasyprint.svg.utils import normalize

    if node.tag not in ("text", "tspan") or not node.text or "\n" in node.text:
        return False
    if any(
        node.get(name) is not None
        for name in (
            "rotate",
            "textLength",
            "letter-spacing",
            "display-anchor",
            "dominant-baseline",
            "alignment-baseline",
        )
    ):
        return False
    if node.get("direction") not in (None, "ltr"):
        return False
    return all(
        len(normalize(node.attrib[name]).strip().split(" ")) == 1
        for name in ("x", "y", "dx", "dy")
        if name in node.attrib
    )


def _draw_text_run(drawing: Any, node: Any, font_size: float) -> None:
    """WeasyPrint's SVG text function (weasyprint/svg/text.py) for one run: the same style,
    position, bounding box and drawing, with the whole text as its one "letter"."""
    from math import inf

    from weasyprint.css.properties import INITIAL_VALUES
    from weasyprint.draw.text import draw_emojis, draw_first_line
    from weasyprint.matrix import Matrix
    from weasyprint.svg.bounding_box import extend_bounding_box
    from weasyprint.svg.text import Style, TextBox
    from weasyprint.svg.utils import normalize, size
    from weasyprint.text.line_break import split_first_line

    style = Style()
    style.update(INITIAL_VALUES)
    style.font_config = drawing.font_config
    style["font_family"] = [
        font.strip("\"'") for font in node.get("font-family", "sans-serif").split(",")
    ]
    style["font_style"] = node.get("font-style", "normal")
    style["font_size"] = font_size
    if node.get("direction") == "ltr":
        style["direction"] = "ltr"
    weight = node.get("font-weight", 400)
    if weight == "normal":
        style["font_weight"] = 400
    elif weight == "bold":
        style["font_weight"] = 700
    else:
        try:
            style["font_weight"] = int(weight)
        except ValueError:
            style["font_weight"] = 400

    def first(name: str, reference: float) -> float | None:
        if name not in node.attrib:
            return None
        return float(size(normalize(node.attrib[name]).strip(), font_size, reference))

    x, y = first("x", drawing.inner_width), first("y", drawing.inner_height)
    dx, dy = first("dx", drawing.inner_width), first("dy", drawing.inner_height)
    layout, _, _, width, height, baseline = split_first_line(
        node.text, style, drawing.context, inf, 0
    )
    # As WeasyPrint places its first letter (a position of 0 keeps the shift, as there).
    if x:
        drawing.cursor_d_position[0] = 0
    if y:
        drawing.cursor_d_position[1] = 0
    drawing.cursor_d_position[0] += dx or 0
    drawing.cursor_d_position[1] += dy or 0
    x = drawing.cursor_position[0] if x is None else x
    y = drawing.cursor_position[1] if y is None else y
    drawing.cursor_position = x + width, y
    x_position = x + drawing.cursor_d_position[0]
    y_position = y + drawing.cursor_d_position[1]
    node.text_bounding_box = extend_bounding_box(
        node.text_bounding_box,
        (
            (x_position, y_position - baseline),
            (x_position + width, y_position - baseline + height),
        ),
    )

    drawing.stream.push_state()
    fill, stroke = drawing.set_graphical_state(node, font_size)
    drawing.stream.begin_text()
    layout.reactivate(style)
    drawing.fill_stroke(fill, stroke, text=True)
    text_box = TextBox(layout, style)
    text_box.baseline = baseline
    emojis = draw_first_line(
        drawing.stream, text_box, "none", "none", Matrix(a=1, d=-1, e=x_position, f=y_position)
    )
    drawing.stream.end_text()
    drawing.stream.pop_state()
    draw_emojis(drawing.stream, style, x, y, emojis)


def write_pdf(
    *,
    html: str,
    target: Path,
    static_roots: Sequence[Path | str],
    pdf_variant: str | None = PDFUA_VARIANT,
    fetcher: SafeURLFetcher | None = None,
) -> int:
    """Lay out the HTML and write the PDF; returns the number of pages.

    Runs in the child process; tests call it directly to watch the fetcher at work.
    """
    fetcher = fetcher or SafeURLFetcher(static_roots=static_roots)
    _tag_header_scopes()
    _svg_text_in_runs()
    document = _layout(html, fetcher)
    document.write_pdf(target, pdf_variant=pdf_variant)
    return len(document.pages)


def _layout(html: str, fetcher: SafeURLFetcher, font_config: Any = None) -> Any:
    from weasyprint import HTML

    return HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render(font_config=font_config)


# --- The parent's side ------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedPdf:
    pdf: bytes
    pages: int
    seconds: float
    # The most the render processes held at once (for parts side by side, an upper bound).
    peak_memory_kb: int
    refused: list[str] = field(default_factory=list)
    processes: int = 1  # how many rendered parts side by side (1: one document)
    cpu_seconds: float = 0.0  # the render processes' CPU time, together
    # The joining child's CPU time once every part was written (what follows the last part).
    join_cpu_seconds: float = 0.0


class RenderFailed(Exception):
    """The render was stopped or broke; ``reason`` says which, for the job's status."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason  # "timeout", "memory" or "error"
        self.detail = detail


@dataclass(frozen=True)
class ReportParts:
    """A report's HTML cut at its part breaks: the front matter first, then the parts."""

    prefix: str  # the document up to and including <body>
    chunks: list[str]

    def document(self, chunk: str, css: str) -> str:
        """One chunk as a document of its own, with the report's head and this extra CSS."""
        head, _, body = self.prefix.partition("</head>")
        return f"{head}<style>{css}</style></head>{body}{chunk}</body></html>"


def report_parts(html: str) -> ReportParts | None:
    """The report's parts, or None for a report with no part break."""
    body = re.search(r"<body\b[^>]*>", html)
    end = html.rfind("</body>")
    if PART_BREAK not in html or body is None or end < body.end():
        return None
    if "</head>" not in html[: body.start()]:
        return None
    return ReportParts(prefix=html[: body.end()], chunks=html[body.end() : end].split(PART_BREAK))


def _child_environment(home: str) -> dict[str, str]:
    """Only what fonts and locale need: no database URL, no secret key."""
    env = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": home}
    for name in ("PATH", "TMPDIR", "XDG_CACHE_HOME", "FONTCONFIG_PATH", "FONTCONFIG_FILE"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def render_pdf(
    *,
    html: str | Callable[[], str],
    pdfa: bool = False,
    timeout: float | None = None,
    memory_mb: int | None = None,
    static_roots: Sequence[Path | str] | None = None,
    processes: int | None = None,
) -> RenderedPdf:
    """Render in child processes within the time and memory limits (settings by default).

    A report with parts renders them side by side in up to ``processes`` children
    (``REPORT_RENDER_PROCESSES``); a report without, or a PDF/A copy, in one.

    ``html`` may be the function that makes it: the children are started first, so that
    their imports (half a second each) are done while the report's HTML is made. The limits
    count from when the HTML is there.
    """
    from django.conf import settings

    processes = int(processes if processes is not None else settings.REPORT_RENDER_PROCESSES)
    with tempfile.TemporaryDirectory(prefix="report-render-") as workdir:
        renderer = _Renderer(
            workdir=Path(workdir),
            cwd=Path(settings.BASE_DIR),
            static_roots=[str(r) for r in (static_roots or settings.STATICFILES_DIRS)],
            timeout=float(timeout if timeout is not None else settings.REPORT_RENDER_TIMEOUT),
            memory_mb=int(memory_mb if memory_mb is not None else settings.REPORT_RENDER_MEMORY_MB),
        )
        try:
            ready = [renderer.start() for _ in range(1 if pdfa or processes < 2 else processes)]
            if callable(html):
                html = html()
                renderer.started = time.monotonic()
            parts = None if pdfa or processes < 2 else report_parts(html)
            if parts is None or len(parts.chunks) < 3:  # the front matter and two parts
                return renderer.whole(
                    html, pdf_variant=PDFA_VARIANT if pdfa else PDFUA_VARIANT, child=ready[0]
                )
            return renderer.in_parts(parts, children=ready)
        finally:
            renderer.stop()


@dataclass
class _Child:
    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path


class _Renderer:
    """Starts the render children, hands them their jobs and waits for them, to one deadline."""

    def __init__(
        self, *, workdir: Path, cwd: Path, static_roots: list[str], timeout: float, memory_mb: int
    ) -> None:
        self.workdir = workdir
        self.cwd = cwd
        self.static_roots = static_roots
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.started = time.monotonic()
        self.children: list[_Child] = []

    def start(self) -> _Child:
        """A child started ahead of its job (``whole`` or ``parts``, said by the job), its
        imports done while the parent makes the HTML."""
        return self._start("whole")

    def whole(self, html: str, *, pdf_variant: str | None, child: _Child) -> RenderedPdf:
        output = self.workdir / "report.pdf"
        self._send(
            child,
            {"mode": "whole", "html": html, "output": str(output), "pdf_variant": pdf_variant},
        )
        result = self._result(child)
        return self._rendered(
            output,
            result,
            peak_kb=result["peak_memory_kb"],
            processes=1,
            cpu_seconds=result["cpu_seconds"],
        )

    def in_parts(self, parts: ReportParts, *, children: Sequence[_Child]) -> RenderedPdf:
        documents: list[dict[str, Any]] = [
            {"html": parts.document(chunk, NO_PAGE_NUMBER_CSS), "output": str(self._path(i))}
            for i, chunk in enumerate(parts.chunks)
        ]
        # The front matter is laid out here only to know its length: the last child lays it
        # out again with the contents' page numbers and writes it.
        documents[0]["layout_only"] = True
        sizes = [work_estimate(chunk) for chunk in parts.chunks]
        shares = _shares(
            sizes, min(len(children), len(documents)), head_start=finish_head_start(sizes[1:])
        )
        layouts = [_layout_path(document["output"]) for document in documents]
        stamp_html = parts.document("", STAMP_CSS)
        workers = list(children[: len(shares)])
        for idle in children[len(shares) :]:
            self._dismiss(idle)
        for worker, share in zip(workers, shares, strict=True):
            self._send(
                worker,
                {
                    "mode": "parts",
                    "documents": [documents[i] for i in share],
                    "stamp": {"html": stamp_html, "layouts": layouts, "folder": str(self.workdir)},
                },
            )
        # The joining child starts when the first of them is done, so that it is ready when
        # the last is: started with them, its imports (some 70 MB) sat beside every part's
        # layout, at their peak. It reads the parts already written while the others work,
        # and lays out the front matter as soon as every part is laid out (`layouts`), while
        # the last part is still being written (_finish).
        self._wait_for_any(workers)
        beside = [worker.process.poll() is None for worker in workers]
        finisher = self._start("finish")
        output = self.workdir / "report.pdf"
        self._send(
            finisher,
            {
                "front": documents[0]["html"],
                "parts": [{"output": documents[i]["output"]} for i in range(1, len(documents))],
                "stamp": stamp_html,
                "stamp_folder": str(self.workdir),
                "output": str(output),
                "layouts": layouts,
                "wait_seconds": max(self.timeout - (time.monotonic() - self.started), 0),
            },
        )
        refused: list[str] = []
        peaks: list[int] = []
        cpu_seconds = 0.0
        for worker in workers:
            result = self._result(worker)
            refused += result["refused"]
            peaks.append(result["peak_memory_kb"])
            cpu_seconds += result["cpu_seconds"]
        result = self._result(finisher)
        # An upper bound of what the children held at once: the parts' children together; the
        # joining child, as large as it was when every part's child had ended, beside those
        # still at work when it started; then the joining child alone.
        beside_kb = sum(peak for peak, working in zip(peaks, beside, strict=True) if working)
        peak_kb = max(sum(peaks), beside_kb + result["beside_memory_kb"], result["peak_memory_kb"])
        return self._rendered(
            output,
            {**result, "refused": refused + result["refused"]},
            peak_kb=peak_kb,
            processes=len(workers),
            cpu_seconds=cpu_seconds + result["cpu_seconds"],
            join_cpu_seconds=result["join_cpu_seconds"],
        )

    def _wait_for_any(self, children: Sequence[_Child]) -> None:
        """Until one of the children has ended (or the render's time is up)."""
        while all(child.process.poll() is None for child in children):
            if time.monotonic() - self.started > self.timeout:
                # stop() kills every child; nothing of the render is left running.
                raise RenderFailed("timeout", f"stopped after {self.timeout:g} s")
            time.sleep(0.01)

    def _dismiss(self, child: _Child) -> None:
        """Tell a child started ahead that there is no job for it: it ends at once."""
        if child.process.stdin and not child.process.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                child.process.stdin.close()

    def stop(self) -> None:
        """Stop every child still running (after a failure or a timeout)."""
        for child in self.children:
            if child.process.poll() is None:
                child.process.kill()
            child.process.wait()
            if child.process.stdin and not child.process.stdin.closed:
                child.process.stdin.close()

    def _path(self, index: int) -> Path:
        return self.workdir / f"part-{index}.pdf"

    def _start(self, mode: str) -> _Child:
        number = len(self.children)
        stdout, stderr = self.workdir / f"{number}.out", self.workdir / f"{number}.err"
        command = [
            sys.executable,
            "-E",
            "-s",
            "-m",
            "reports.render",
            "--mode",
            mode,
            "--memory-mb",
            str(self.memory_mb),
            "--cpu-seconds",
            str(int(self.timeout) + 1),
        ]
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                command,
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=err,
                cwd=self.cwd,
                env=_child_environment(str(self.workdir)),
            )
        child = _Child(process=process, stdout=stdout, stderr=stderr)
        self.children.append(child)
        return child

    def _send(self, child: _Child, job: dict[str, Any]) -> None:
        """Write the job where the child will read it, and tell the child where."""
        path = self.workdir / f"job-{self.children.index(child)}.json"
        path.write_text(json.dumps({**job, "static_roots": self.static_roots}))
        stdin = child.process.stdin
        if stdin is None:  # every child is started with a pipe
            raise RenderFailed("error", "the renderer has no input")
        try:
            stdin.write(f"{path}\n".encode())
            stdin.close()
        except BrokenPipeError:
            pass  # the child is gone already; _result says why

    def _result(self, child: _Child) -> dict[str, Any]:
        left = self.timeout - (time.monotonic() - self.started)
        try:
            returncode = child.process.wait(timeout=max(left, 0))
        except subprocess.TimeoutExpired:
            # stop() kills it and every other child; nothing of the render is left running.
            raise RenderFailed("timeout", f"stopped after {self.timeout:g} s") from None
        # The whole of what it said (bounded): a MemoryError may start a long chained traceback.
        stderr = child.stderr.read_bytes()[-65536:].decode(errors="replace")
        if returncode != 0:
            raise _failure(returncode, stderr, memory_mb=self.memory_mb)
        try:
            result: dict[str, Any] = json.loads(child.stdout.read_bytes().decode() or "{}")
        except ValueError as exc:
            raise RenderFailed("error", f"the renderer gave no result: {exc}") from exc
        return result

    def _rendered(
        self,
        output: Path,
        result: dict[str, Any],
        *,
        peak_kb: int,
        processes: int,
        cpu_seconds: float,
        join_cpu_seconds: float = 0.0,
    ) -> RenderedPdf:
        try:
            pdf = output.read_bytes()
        except OSError as exc:
            raise RenderFailed("error", f"the renderer gave no PDF: {exc}") from exc
        if not pdf.startswith(b"%PDF-"):
            raise RenderFailed("error", "the renderer's output is not a PDF")
        return RenderedPdf(
            pdf=pdf,
            pages=int(result.get("pages", 0)),
            seconds=time.monotonic() - self.started,
            peak_memory_kb=int(peak_kb),
            refused=list(result.get("refused", [])),
            processes=processes,
            cpu_seconds=cpu_seconds,
            join_cpu_seconds=join_cpu_seconds,
        )


_SVG = re.compile(r"<svg\b.*?</svg>", re.S)
# What laying out and writing a document costs before its first element, in elements.
DOCUMENT_WORK = 200
# The joining child's imports, and its reading of a part against laying out and writing it.
FINISH_START_WORK = 1100
FINISH_READ_SHARE = 8


def work_estimate(chunk: str) -> int:
    """About how much work a part is to lay out and write: its elements outside its charts.
    The length of its HTML was a poor guide: a chart's markup is long and quick to draw (the
    101-page bench report's results framework, 283 KB with 16 charts, took 3.3 s of CPU; its
    recommendations, 209 KB, 3.9 s), while the elements are within a fifth of the CPU each
    costs (0.28-0.40 ms)."""
    return DOCUMENT_WORK + _SVG.sub("", chunk).count("<")


def finish_head_start(sizes: Sequence[int]) -> int:
    """The joining child's work before it can join the last part, in work_estimate's unit.

    It starts when the first part's child is done, on the core that child leaves: its imports
    (0.35 s of CPU, some 1,100 elements' worth), then it reads each part written (about an
    eighth of what laying out and writing the part cost). Shared out evenly (the parts'
    children 4.9 s and 4.2 s of CPU on the 101-page bench report), the joining child was
    still reading when the last part was laid out, and everything it did after came after
    both children. Giving the first child that much less work (5.4 s and 3.8 s) has the
    joining child ready about when the last part's layout is.
    """
    return FINISH_START_WORK + sum(sizes) // FINISH_READ_SHARE


def _shares(sizes: Sequence[int], count: int, *, head_start: int = 0) -> list[list[int]]:
    """The documents shared out among ``count`` children, the largest first to the least busy.

    One child may be given ``head_start`` less work than the others (the joining child's start
    and reading, which follow the first child to finish on its core: see finish_head_start).
    """
    shares: list[list[int]] = [[] for _ in range(count)]
    loads = [0] * count
    if count > 1:
        loads[-1] = head_start
    for index in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        least = loads.index(min(loads))
        shares[least].append(index)
        loads[least] += sizes[index]
    for share in shares:
        # A head start larger than the work: the child still gets the smallest part, so that
        # the parts are still laid out side by side.
        busiest = max(shares, key=len)
        if not share and len(busiest) > 1:
            smallest = min(busiest, key=lambda i: sizes[i])
            busiest.remove(smallest)
            share.append(smallest)
    return [sorted(share) for share in shares if share]


# How Python and the native libraries under WeasyPrint say they could not get memory.
OUT_OF_MEMORY = ("MemoryError", "Cannot allocate memory", "out of memory", "NO_MEMORY")


def _failure(returncode: int, stderr: str, *, memory_mb: int) -> RenderFailed:
    if returncode == EXIT_MEMORY or any(sign in stderr for sign in OUT_OF_MEMORY):
        return RenderFailed("memory", f"more than {memory_mb} MB needed")
    if returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return RenderFailed("timeout", f"CPU time limit reached ({stderr[-200:]})")
    if returncode in (-signal.SIGABRT, -signal.SIGSEGV, -signal.SIGBUS, -signal.SIGTRAP):
        # Native code that cannot get memory (GLib, HarfBuzz) aborts instead of raising.
        return RenderFailed("memory", f"the renderer stopped with signal {-returncode}")
    return RenderFailed("error", stderr.strip().splitlines()[-1] if stderr.strip() else "")


# --- The child's side -------------------------------------------------------------------------


def _deny(event: str, args: tuple[Any, ...]) -> None:
    if event in _DENIED_EVENTS:
        raise PermissionError(f"Reports render without network or other programs ({event})")


def _limit(*, memory_mb: int, cpu_seconds: int) -> None:
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _anchors(document: Any) -> dict[str, list[float]]:
    """Each anchor's page (0-based) and place (CSS pixels from the page's top left)."""
    found: dict[str, list[float]] = {}
    for index, page in enumerate(document.pages):
        for name, (x, y, _x2, _y2) in page.anchors.items():
            found.setdefault(name, [index, x, y])
    return found


def _render_whole(job: dict[str, Any], fetcher: SafeURLFetcher) -> dict[str, Any]:
    pages = write_pdf(
        html=job["html"],
        target=Path(job["output"]),
        static_roots=job["static_roots"],
        pdf_variant=job["pdf_variant"],
        fetcher=fetcher,
    )
    return {"pages": pages}


def _render_parts(job: dict[str, Any], fetcher: SafeURLFetcher) -> dict[str, Any]:
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()  # loaded once for all this child's parts
    _tag_header_scopes()
    _svg_text_in_runs()
    done = []
    for number, part in enumerate(job["documents"]):
        if number:
            # A laid-out part is full of reference cycles, and the child's collector is off
            # (main): without a collection between parts, each part this child laid out
            # stayed until it ended, and its peak was the sum of its parts, not the largest.
            gc.collect()
        document = _layout(part["html"], fetcher, fonts)
        laid_out = {"pages": len(document.pages), "anchors": _anchors(document)}
        # For the joining child, before the part is written: it lays out the front matter
        # while the last part is written.
        _write_whole(Path(_layout_path(part["output"])), json.dumps(laid_out).encode())
        if not part.get("layout_only"):
            # Written under another name and renamed: the last child reads each part as soon
            # as its file is there (_finish), and so never sees half a file.
            writing = f"{part['output']}.writing"
            document.write_pdf(writing, pdf_variant=PDFUA_VARIANT)
            os.replace(writing, part["output"])
        done.append(laid_out)
        del document  # so that the next collection frees it
    if job.get("stamp"):
        _stamp_ahead(job["stamp"], fetcher, fonts)
    return {"documents": done}


def _stamp_path(folder: str, total: int) -> Path:
    """Where the page-number stamp of a report of ``total`` pages is written."""
    return Path(folder) / f"stamp-{total}.pdf"


def _stamp_pdf(html: str, total: int, fetcher: SafeURLFetcher, fonts: Any) -> bytes:
    """The page-number stamp: ``total`` pages with nothing but the footer's number."""
    stamp = _layout(
        html.replace("</body>", '<div class="page-stamp"></div>' * total + "</body>", 1),
        fetcher,
        fonts,
    )
    data: bytes = stamp.write_pdf()
    return data


def _stamp_ahead(job: dict[str, Any], fetcher: SafeURLFetcher, fonts: Any) -> None:
    """Lay out the page-number stamp for the joining child, if every part is laid out (then
    this child wrote the last part, or the other children are done): the joining child
    lays out the front matter and joins the parts meanwhile, on the other core (the stamp
    was 0.3 s of its CPU after the last part of the 101-page report). The number of pages
    counts the front matter as first laid out; if its page numbers lengthen it, the joining
    child lays out a stamp of its own."""
    layouts = [Path(path) for path in job["layouts"]]
    if not all(path.exists() for path in layouts):
        return  # another child has parts still to lay out: it will
    total = sum(int(json.loads(path.read_text())["pages"]) for path in layouts)
    gc.collect()  # the last part laid out, before the stamp is (see _render_parts)
    _write_whole(_stamp_path(job["folder"], total), _stamp_pdf(job["html"], total, fetcher, fonts))


def _layout_path(output: str) -> str:
    """Where a part's child writes what it laid out (pages and anchors) for the joining child."""
    return f"{output}.layout"


def _write_whole(path: Path, data: bytes) -> None:
    """Write under another name and rename: the joining child never reads half a file. (Two
    children may write the same stamp at once: each under a name of its own.)"""
    writing = path.with_name(f"{path.name}.{os.getpid()}.writing")
    writing.write_bytes(data)
    os.replace(writing, path)


def contents_css(numbers: dict[str, int]) -> str:
    """The contents' page numbers, for a front matter laid out without the parts it names."""
    return "".join(
        f'.toc a[href="#{name}"]::after {{ content: leader(". ") "{number}"; }}'
        for name, number in numbers.items()
        if _ANCHOR_NAME.fullmatch(name)
    )


def _finish(job: dict[str, Any], fetcher: SafeURLFetcher) -> dict[str, Any]:
    """Lay out the front matter with its page numbers, join the parts, stamp page numbers."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.annotations import Link
    from pypdf.generic import Fit, TextStringObject
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    _tag_header_scopes()
    _svg_text_in_runs()
    readers: dict[int, Any] = {}
    layouts = [Path(path) for path in job["layouts"]]
    # Waiting for the last layouts, it lays out the front matter once as it is: the first
    # layout in a process loads the fonts and styles (0.3 s of the 0.4 s the front matter
    # took after the last layout, on the 101-page report); the second is then quick.
    _read_parts_until(
        job,
        readers,
        lambda: all(path.exists() for path in layouts),
        idle=lambda: _layout(job["front"], fetcher, fonts),
    )
    front_laid_out, *parts_laid_out = (json.loads(path.read_text()) for path in layouts)
    job = {
        **job,
        "parts": [{**p, **d} for p, d in zip(job["parts"], parts_laid_out, strict=True)],
    }
    named = set(_INTERNAL_HREF.findall(job["front"]))
    front_pages = front_laid_out["pages"]
    for _attempt in range(3):
        # Where each anchor lands once the parts follow the front matter: page (1-based), x, y.
        places: dict[str, tuple[int, float, float]] = {}
        first = front_pages + 1
        for part in job["parts"]:
            for name, (index, x, y) in part["anchors"].items():
                places.setdefault(name, (first + int(index), x, y))
            first += part["pages"]
        numbers = {name: places[name][0] for name in sorted(named) if name in places}
        front = _layout(
            job["front"].replace("</head>", f"<style>{contents_css(numbers)}</style></head>", 1),
            fetcher,
            fonts,
        )
        if len(front.pages) == front_pages:
            break
        front_pages = len(front.pages)  # the numbers moved the parts: lay it out again
    else:
        raise RuntimeError("The front matter's length does not settle")

    total = front_pages + sum(part["pages"] for part in job["parts"])
    # The stamp: the child that wrote the last part lays it out after it (_stamp_ahead) while
    # this one joins the parts, unless the front matter's page numbers lengthened it.
    stamp_ahead = front_pages == front_laid_out["pages"]
    stamp_path = _stamp_path(job["stamp_folder"], total)
    writer = PdfWriter(clone_from=io.BytesIO(front.write_pdf(pdf_variant=PDFUA_VARIANT)))
    # All of the above while the last part was being written; now every part is there.
    paths = [Path(part["output"]) for part in job["parts"]]
    _read_parts_until(job, readers, lambda: all(path.exists() for path in paths))
    beside_kb = _memory_kb("VmHWM")  # what it held beside the children still at work
    joined_from = time.process_time()
    structure = _Structure(writer)
    for number, part in enumerate(job["parts"]):
        reader = readers.get(number) or PdfReader(part["output"])
        first = len(writer.pages)
        writer.append(reader)
        structure.adopt(reader, writer.pages[first:])
    if len(writer.pages) != total:
        raise RuntimeError("The parts' pages are not those they laid out")
    if stamp_ahead:
        _read_parts_until(job, readers, stamp_path.exists)
        stamp_pdf = stamp_path.read_bytes()
    else:
        stamp_pdf = _stamp_pdf(job["stamp"], total, fetcher, fonts)
    # A writer of its own, so that its pages may be given new contents (_as_artifact).
    stamps = PdfWriter(clone_from=io.BytesIO(stamp_pdf))
    for page, numbered in zip(writer.pages, stamps.pages, strict=True):
        _as_artifact(numbered)
        page.merge_page(numbered)
        page.compress_content_streams(level=9)  # as WeasyPrint compresses its own
    # The contents' links: WeasyPrint left out those to anchors it did not see.
    for index, page in enumerate(front.pages):
        height = float(writer.pages[index].mediabox.height)
        unlinked = structure.links_without_annotation(writer.pages[index])
        element, previous_target = None, None
        for kind, target, (x1, y1, x2, y2), box in page.links:
            if kind != "internal" or target not in places:
                continue
            number, x, y = places[target]
            link = Link(
                rect=(x1 * PX_TO_PT, height - y2 * PX_TO_PT, x2 * PX_TO_PT, height - y1 * PX_TO_PT),
                border=[0, 0, 0],
                target_page_index=number - 1,
                fit=Fit.xyz(left=x * PX_TO_PT, top=height - y * PX_TO_PT),
            )
            # What the link says, for a screen reader (PDF/UA: a link's alternate description).
            words = "".join(box.element.itertext()).split() if box.element is not None else []
            link[_name("/Contents")] = TextStringObject(" ".join(words) or target)
            added = writer.add_annotation(page_number=index, annotation=link)
            # One element per contents entry; an entry over two lines, or its page number
            # drawn by ::after, is a second link to the same target, of the same element.
            if target != previous_target:
                element = unlinked.pop(0) if unlinked else None
            if element is not None:
                structure.link(element, added, writer.pages[index])
            previous_target = target
    share_font_subsets(writer)
    write_compact(writer, Path(job["output"]))
    return {
        "pages": total,
        "beside_memory_kb": beside_kb,
        "join_cpu_seconds": time.process_time() - joined_from,
    }


def _read_parts_until(
    job: dict[str, Any],
    readers: dict[int, Any],
    done: Callable[[], bool],
    idle: Callable[[], Any] | None = None,
) -> None:
    """Read each part that is written, while the other children still work, until done()
    (into readers: by part, every object already read); the first time there is nothing to
    read, do idle() (once)."""
    from pypdf import PdfReader

    deadline = time.monotonic() + float(job["wait_seconds"])
    while not done():
        waiting = [
            number
            for number, part in enumerate(job["parts"])
            if number not in readers and Path(part["output"]).exists()
        ]
        for number in waiting[:1]:  # then look for the list again
            reader = PdfReader(job["parts"][number]["output"])
            # Every object now, while a core is free, not object by object in the join.
            for idnum in [*reader.xref_objStm, *reader.xref.get(0, {})]:
                reader.get_object(idnum)
            readers[number] = reader
        if not waiting:
            if idle is not None:
                idle()
                idle = None
                continue
            if time.monotonic() > deadline:
                raise RuntimeError("The parts did not come")
            time.sleep(0.005)


# --- One set of font subsets, and a compact file, for a joined report ------------------------
#
# Each part is a PDF of its own, with its own subset of every font it uses: joined, the report
# would carry a subset of Noto Sans per part (and its widths and text map). WeasyPrint keeps
# each glyph's number from the whole font in its subsets (HarfBuzz's "retain GIDs"), so the
# subsets of one font are pieces of the same numbering: merged glyph by glyph they make the
# one subset a one-document render would have made, and every part's text still points at
# the right glyphs. pypdf then writes every object on its own, uncompressed; the structure
# tree alone is thousands of small objects, so the joined file is written as WeasyPrint writes
# its own: the small objects packed into compressed object streams, with a cross-reference
# stream, and only what the document still uses.

_BFCHAR_BLOCK = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_BFCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>")
OBJECTS_PER_STREAM = 50_000  # one stream for a long report, as WeasyPrint writes: smallest


def share_font_subsets(writer: Any) -> int:
    """Make the subsets of each font one subset that every part's text uses; returns how
    many fonts had more than one subset and were merged.

    A font whose subsets differ in any glyph they share, or that is not a TrueType font
    with the identity encoding WeasyPrint writes, is left as it is: correct, only larger.
    """
    from pypdf.generic import DictionaryObject

    groups: dict[str, list[Any]] = {}
    for obj in writer._objects:
        if isinstance(obj, DictionaryObject) and obj.get("/Subtype") == "/Type0":
            groups.setdefault(str(obj.get("/BaseFont")), []).append(obj)
    merged = 0
    for fonts in groups.values():
        descendants = {id(f["/DescendantFonts"][0].get_object()): f for f in fonts}
        if len(descendants) > 1 and _merge_font(writer, fonts):
            merged += 1
    return merged


def _merge_font(writer: Any, fonts: list[Any]) -> bool:
    from pypdf.generic import ArrayObject, DecodedStreamObject, FloatObject, NumberObject

    cids: list[Any] = []
    for font in fonts:
        cid = font["/DescendantFonts"][0].get_object()
        descriptor = cid["/FontDescriptor"].get_object()
        if (
            font.get("/Encoding") != "/Identity-H"
            or cid.get("/Subtype") != "/CIDFontType2"
            or cid.get("/CIDToGIDMap") != "/Identity"
            or "/FontFile2" not in descriptor
            or "/CIDSet" in descriptor
        ):
            return False
        if all(cid is not seen for seen in cids):
            cids.append(cid)
    programs: dict[int, bytes] = {}
    for cid in cids:
        file = cid["/FontDescriptor"].get_object()["/FontFile2"].get_object()
        programs.setdefault(id(file), file.get_data())
    program = _merge_programs(list(programs.values()))
    widths: dict[int, Any] = {}
    to_unicode: dict[int, bytes] = {}
    for cid in cids:
        for glyph, width in _widths(cid.get("/W", [])).items():
            if widths.setdefault(glyph, width) != width:
                return False
    for font in fonts:
        text_map = font.get("/ToUnicode")
        data = text_map.get_object().get_data() if text_map is not None else b""
        if b"beginbfrange" in data:
            return False
        for block in _BFCHAR_BLOCK.findall(data):
            for glyph, text in _BFCHAR.findall(block):
                to_unicode.setdefault(int(glyph, 16), text)
    if program is None:
        return False

    file = DecodedStreamObject()
    file.set_data(program)
    file = file.flate_encode()
    file[_name("/Length1")] = NumberObject(len(program))
    cid = cids[0]
    descriptor = cid["/FontDescriptor"].get_object()
    descriptor[_name("/FontFile2")] = writer._add_object(file)
    boxes = [c["/FontDescriptor"].get_object()["/FontBBox"] for c in cids]
    descriptor[_name("/FontBBox")] = ArrayObject(
        FloatObject(pick(float(box[i]) for box in boxes))
        for i, pick in enumerate((min, min, max, max))
    )
    cid[_name("/W")] = _widths_array(widths)
    text_map = DecodedStreamObject()
    text_map.set_data(_to_unicode_cmap(to_unicode))
    text_map_ref = writer._add_object(text_map.flate_encode())
    for font in fonts:
        font[_name("/DescendantFonts")] = ArrayObject([cid.indirect_reference])
        font[_name("/ToUnicode")] = text_map_ref
    return True


def _merge_programs(programs: list[bytes]) -> bytes | None:
    """One TrueType program holding every glyph of the subsets (all numbered as the whole
    font numbers them), or None if two subsets disagree about a glyph they both hold.

    Glyphs and metrics are copied as bytes, by number: read through fontTools' objects, the
    subsets of a long report took a second, mostly naming every glyph of every subset.
    """
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.tables.DefaultTable import DefaultTable

    fonts = [TTFont(io.BytesIO(program), lazy=True, recalcBBoxes=False) for program in programs]
    count = max(font["maxp"].numGlyphs for font in fonts)
    glyphs: list[bytes] = [b""] * count
    metrics: list[tuple[int, int]] = [(0, 0)] * count
    for font in fonts:
        number = font["maxp"].numGlyphs
        # Names by number, the same in every subset, before the character map is read (a
        # subset names its glyphs from its own map, which differs between subsets).
        font.setGlyphOrder([".notdef", *(f"glyph{i:05d}" for i in range(1, number))])
        loca = _offsets(font.reader["loca"], long=bool(font["head"].indexToLocFormat))
        glyf = font.reader["glyf"]
        for glyph, (advance, bearing) in enumerate(
            _horizontal_metrics(font.reader["hmtx"], font["hhea"].numberOfHMetrics, number)
        ):
            outline = glyf[loca[glyph] : loca[glyph + 1]]
            if outline:
                if glyphs[glyph] and glyphs[glyph].rstrip(b"\0") != outline.rstrip(b"\0"):
                    return None
                glyphs[glyph] = outline
            if (advance and not metrics[glyph][0]) or (outline and metrics[glyph] == (0, 0)):
                metrics[glyph] = (advance, bearing)

    base = max(fonts, key=lambda font: font["maxp"].numGlyphs)
    offsets, at = [], 0
    for index, outline in enumerate(glyphs):
        glyphs[index] = outline + b"\0" * (-len(outline) % 4)
        offsets.append(at)
        at += len(glyphs[index])
    offsets.append(at)
    for tag, data in (
        ("glyf", b"".join(glyphs)),
        ("loca", struct.pack(f">{len(offsets)}I", *offsets)),
        ("hmtx", b"".join(struct.pack(">Hh", *metric) for metric in metrics)),
    ):
        table = DefaultTable(tag)
        table.data = data
        base[tag] = table
    head, hhea, maxp = base["head"], base["hhea"], base["maxp"]
    head.indexToLocFormat = 1
    hhea.numberOfHMetrics = count
    hhea.advanceWidthMax = max(advance for advance, _ in metrics)
    for font in fonts:
        for table, fields, pick in (
            (head, ("xMin", "yMin"), min),
            (head, ("xMax", "yMax"), max),
            (hhea, ("xMaxExtent",), max),
            (maxp, _MAXP_FIELDS, max),
        ):
            for name in fields:
                if hasattr(table, name):
                    mine = getattr(table, name)
                    setattr(table, name, pick(mine, getattr(font[table.tableTag], name)))
        if font is not base and "cmap" in font and "cmap" in base:
            for subtable in base["cmap"].tables:
                found = font["cmap"].getcmap(subtable.platformID, subtable.platEncID)
                if found is not None:
                    subtable.cmap = {**found.cmap, **subtable.cmap}
    out = io.BytesIO()
    base.save(out)
    return out.getvalue()


_MAXP_FIELDS = (
    "maxPoints",
    "maxContours",
    "maxCompositePoints",
    "maxCompositeContours",
    "maxComponentElements",
    "maxComponentDepth",
    "maxSizeOfInstructions",
)


def _offsets(loca: bytes, *, long: bool) -> list[int]:
    """A loca table's glyph offsets (the short form holds halves)."""
    if long:
        return list(struct.unpack(f">{len(loca) // 4}I", loca[: len(loca) // 4 * 4]))
    return [2 * half for half in struct.unpack(f">{len(loca) // 2}H", loca[: len(loca) // 2 * 2])]


def _horizontal_metrics(hmtx: bytes, long_metrics: int, count: int) -> list[tuple[int, int]]:
    """Each glyph's advance and left side bearing; glyphs past the long metrics keep the last
    advance."""
    pairs = list(struct.iter_unpack(">Hh", hmtx[: long_metrics * 4]))
    rest = count - long_metrics
    bearings = struct.unpack(f">{rest}h", hmtx[long_metrics * 4 : long_metrics * 4 + rest * 2])
    last = pairs[-1][0] if pairs else 0
    return [*pairs, *((last, bearing) for bearing in bearings)]


def _widths(array: Any) -> dict[int, Any]:
    """A CID font's /W array as glyph → width (both of its forms: a list, or a range)."""
    found: dict[int, Any] = {}
    items = list(array)
    at = 0
    while at < len(items):
        first = int(items[at])
        following = items[at + 1]
        if isinstance(following, list):
            for offset, width in enumerate(following):
                found[first + offset] = width
            at += 2
        else:
            for glyph in range(first, int(following) + 1):
                found[glyph] = items[at + 2]
            at += 3
    return found


def _widths_array(widths: dict[int, Any]) -> Any:
    from pypdf.generic import ArrayObject, NumberObject

    array = ArrayObject()
    run: Any = None
    for glyph in sorted(widths):
        if glyph - 1 not in widths:
            run = ArrayObject()
            array += [NumberObject(glyph), run]
        run.append(widths[glyph])
    return array


def _to_unicode_cmap(mapping: dict[int, bytes]) -> bytes:
    """A ToUnicode CMap as WeasyPrint writes it: glyph → text, a hundred to a block."""
    lines = [
        b"/CIDInit /ProcSet findresource begin",
        b"12 dict begin",
        b"begincmap",
        b"/CIDSystemInfo",
        b"<< /Registry (Adobe)",
        b"/Ordering (UCS)",
        b"/Supplement 0",
        b">> def",
        b"/CMapName /Adobe-Identity-UCS def",
        b"/CMapType 2 def",
        b"1 begincodespacerange",
        b"<0000> <ffff>",
        b"endcodespacerange",
    ]
    items = sorted(mapping.items())
    for start in range(0, len(items), 100):
        batch = items[start : start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines += [b"<%04x> <%s>" % (glyph, text) for glyph, text in batch]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


def write_compact(writer: Any, target: Path) -> None:
    """Write the joined PDF with its small objects in compressed object streams and a
    cross-reference stream (PDF 1.5), leaving out every object nothing refers to any more
    (the fonts' subsets that share_font_subsets replaced)."""
    import zlib

    from pypdf.generic import DictionaryObject, IndirectObject, StreamObject

    # pypdf writes a file only one object at a time; this uses its writer's own parts (the
    # objects, the trailer's entries, its last step before writing): check on an upgrade.
    writer._resolve_links()
    trailer: dict[str, Any] = {"/Root": writer.root_object.indirect_reference}
    if writer._info is not None:
        trailer["/Info"] = writer._info.indirect_reference
    used: dict[int, Any] = {}
    stack: list[Any] = list(trailer.values())
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if item.pdf is not writer:
                raise RuntimeError("The joined report refers to an object of another PDF")
            if item.idnum in used:
                continue
            used[item.idnum] = writer._objects[item.idnum - 1]
            item = used[item.idnum]
        if isinstance(item, DictionaryObject):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)

    serialized = _Serializer()
    out = io.BytesIO()
    # Object and cross-reference streams are PDF 1.5 (the parts are 1.7, as WeasyPrint writes).
    header = max(writer.pdf_header, "%PDF-1.5")
    out.write(header.encode() + b"\n%\xe2\xe3\xcf\xd3\n")
    entries: dict[int, tuple[int, int, int]] = {}  # number: (type, offset or stream, index)
    packed: list[tuple[int, bytes]] = []
    for number in sorted(used):
        obj = used[number]
        if isinstance(obj, StreamObject):
            if "/Filter" not in obj and obj.get("/Type") != "/Metadata":
                obj = obj.flate_encode()
            entries[number] = (1, out.tell(), 0)
            out.write(b"%d 0 obj\n" % number)
            obj.write_to_stream(out)
            out.write(b"\nendobj\n")
        else:
            packed.append((number, serialized(obj)))
    next_number = max(used, default=0) + 1
    for start in range(0, len(packed), OBJECTS_PER_STREAM):
        batch = packed[start : start + OBJECTS_PER_STREAM]
        offsets, bodies, at = [], [], 0
        for index, (number, body) in enumerate(batch):
            entries[number] = (2, next_number, index)
            offsets.append(b"%d %d" % (number, at))
            bodies.append(body)
            at += len(body) + 1
        head = b" ".join(offsets) + b"\n"
        data = zlib.compress(head + b"\n".join(bodies) + b"\n", 9)  # as WeasyPrint does
        entries[next_number] = (1, out.tell(), 0)
        out.write(
            b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\n"
            b"stream\n" % (next_number, len(batch), len(head), len(data))
        )
        out.write(data + b"\nendstream\nendobj\n")
        next_number += 1
    xref_number, size = next_number, next_number + 1
    entries[xref_number] = (1, out.tell(), 0)
    rows = b"".join(
        struct.pack(">BIH", *entries.get(number, (0, 0, 0 if number else 65535)))
        for number in range(size)
    )
    data = zlib.compress(rows)
    references = b"".join(b" %s %d 0 R" % (key.encode(), ref.idnum) for key, ref in trailer.items())
    identifier = b""
    if writer._ID is not None:
        buffer = io.BytesIO()
        writer._ID.write_to_stream(buffer)
        identifier = b" /ID " + buffer.getvalue()
    out.write(
        b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2]%s%s /Filter /FlateDecode /Length %d >>\n"
        b"stream\n" % (xref_number, size, references, identifier, len(data))
    )
    out.write(data + b"\nendstream\nendobj\n")
    out.write(b"startxref\n%d\n%%%%EOF\n" % entries[xref_number][1])
    target.write_bytes(out.getvalue())


class _Serializer:
    """An object's bytes as pypdf writes them, with less work per object: pypdf writes each
    name and number afresh, character by character, through a stream (writing the 101-page
    report took 0.76 s of the joining child's CPU, 0.5 s with this). Names and numbers
    repeat (the structure tree's /S, /P, /K, /Pg ...), so their bytes are kept; a type this
    does not know is written by pypdf itself. tests/reports/test_join_objects.py holds it to
    pypdf's bytes."""

    def __init__(self) -> None:
        from pypdf import PageObject
        from pypdf.generic import (
            ArrayObject,
            DictionaryObject,
            FloatObject,
            IndirectObject,
            NameObject,
            NumberObject,
            RectangleObject,
            TextStringObject,
            TreeObject,
        )

        self.names: dict[str, bytes] = {}
        self.numbers: dict[Any, bytes] = {}
        self.writers: dict[type, Any] = {
            DictionaryObject: self._dictionary,
            PageObject: self._dictionary,
            TreeObject: self._dictionary,
            ArrayObject: self._array,
            RectangleObject: self._array,
            NameObject: self._name,
            NumberObject: self._number,
            FloatObject: self._number,
            IndirectObject: self._reference,
            TextStringObject: self._text,
        }

    def __call__(self, obj: Any) -> bytes:
        parts: list[bytes] = []
        self._write(obj, parts)
        return b"".join(parts)

    def _write(self, obj: Any, parts: list[bytes]) -> None:
        writer = self.writers.get(type(obj))
        if writer is None:
            written = io.BytesIO()
            obj.write_to_stream(written)
            parts.append(written.getvalue())
        else:
            writer(obj, parts)

    def _dictionary(self, obj: Any, parts: list[bytes]) -> None:
        parts.append(b"<<\n")
        for key, value in obj.items():
            if len(key) > 2 and key[1] == "%" and key[-1] == "%":
                continue  # as pypdf: a key it keeps for itself
            self._name(key, parts)
            parts.append(b" ")
            self._write(value, parts)
            parts.append(b"\n")
        parts.append(b">>")

    def _array(self, obj: Any, parts: list[bytes]) -> None:
        parts.append(b"[")
        for item in obj:
            parts.append(b" ")
            self._write(item, parts)
        parts.append(b" ]")

    def _name(self, obj: Any, parts: list[bytes]) -> None:
        data = self.names.get(obj)
        if data is None:
            data = self.names[obj] = obj.renumber()
        parts.append(data)

    def _number(self, obj: Any, parts: list[bytes]) -> None:
        key = (type(obj), obj)  # 1 and 1.0 are equal, and written differently
        data = self.numbers.get(key)
        if data is None:
            data = self.numbers[key] = repr(obj).encode()
        parts.append(data)

    def _reference(self, obj: Any, parts: list[bytes]) -> None:
        parts.append(b"%d %d R" % (obj.idnum, obj.generation))

    def _text(self, obj: Any, parts: list[bytes]) -> None:
        escaped = b"".join(map(_STRING_BYTES.__getitem__, obj.get_encoded_bytes()))
        parts.append(b"(" + escaped + b")")


# A string's bytes as pypdf writes them: letters, digits and spaces as they are, every other
# byte as an octal escape.
_STRING_BYTES = [
    bytes([byte]) if bytes([byte]).isalnum() or byte == 0x20 else b"\\%03o" % byte
    for byte in range(256)
]


class _Structure:
    """The joined report's one structure tree: the front matter's, grown by each part's."""

    def __init__(self, writer: Any) -> None:
        from pypdf.generic import (
            ArrayObject,
            DictionaryObject,
            IndirectObject,
            NameObject,
            NumberObject,
        )

        self.writer = writer
        root = writer.root_object["/StructTreeRoot"].get_object()
        self.document = root["/K"][0].get_object()
        self.kids: Any = self.document["/K"]
        parent_tree = root["/ParentTree"].get_object()
        if "/Nums" not in parent_tree:
            parent_tree[NameObject("/Nums")] = ArrayObject()
        self.nums: Any = parent_tree["/Nums"]
        keys = [int(key) for key in self.nums[::2]]
        self.next_key = max(keys, default=-1) + 1
        root[NameObject("/ParentTreeNextKey")] = NumberObject(self.next_key)
        self.root = root
        # The front matter's own elements, before any part's: the contents' links are there.
        self.front_kids = list(self.kids)
        self.containers = (ArrayObject, DictionaryObject, IndirectObject)
        self.scalars = _scalars()

    def adopt(self, reader: Any, pages: Sequence[Any]) -> None:
        """Add a part's structure after what is there, its keys moved past those in use.

        The part's pages and annotations were cloned by the append before this: cloning the
        elements now makes their page and annotation references point to those clones.
        """
        from pypdf.generic import NumberObject

        part_root = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
        part_document = part_root["/K"][0].get_object()
        offset = self.next_key
        translated = self.writer._id_translated.setdefault(id(reader), {"PreventGC": reader})
        for kid in part_document["/K"]:
            reference = self._clone(kid, translated)
            self.kids.append(reference)
            _set_parents(reference.get_object(), self.document.indirect_reference)
        nums = part_root["/ParentTree"].get_object()["/Nums"]
        for key, value in zip(nums[::2], nums[1::2], strict=True):
            self.nums.append(NumberObject(int(key) + offset))
            # A page's array of elements, or an annotation's element: already cloned above.
            self.nums.append(self._clone(value, translated))
            self.next_key = max(self.next_key, int(key) + offset + 1)
        for page, original in zip(pages, reader.pages, strict=True):
            # The append leaves the page's key out: it is the original's, moved.
            if "/StructParents" in original:
                page[_name("/StructParents")] = NumberObject(
                    int(original["/StructParents"]) + offset
                )
            for annotation in page.get("/Annots") or []:
                annotation = annotation.get_object()
                if "/StructParent" in annotation:
                    annotation[_name("/StructParent")] = NumberObject(
                        int(annotation["/StructParent"]) + offset
                    )
        self.root[_name("/ParentTreeNextKey")] = NumberObject(self.next_key)

    def _clone(self, value: Any, translated: dict[Any, Any]) -> Any:
        """A part's structure (less its elements' /P) in the writer, as pypdf's clone makes
        it (objects in the same order, so the same file), with less work per object: its
        clone was 0.4 s of the 101-page report's join, after the last part, for some 30,000
        elements. What the append cloned already (pages, annotations) is not cloned again;
        an object other than a dictionary or an array, pypdf clones."""
        # Bound once (__init__): an import here ran for each of some 190,000 values.
        ArrayObject, DictionaryObject, IndirectObject = self.containers
        kind = type(value)
        if kind is IndirectObject:
            known = translated.get(value.idnum)
            if known is not None:
                return IndirectObject(known, 0, self.writer)
            target = value.get_object()
            if type(target) is not DictionaryObject:
                return value.clone(self.writer, ignore_fields=("/P",))
            copy = DictionaryObject()
            reference = self.writer._add_object(copy)
            translated[value.idnum] = reference.idnum
            self._fill(copy, target, translated)
            return reference
        if kind is DictionaryObject:
            copy = DictionaryObject()
            self._fill(copy, value, translated)
            return copy
        if kind is ArrayObject:
            return ArrayObject([self._clone(item, translated) for item in value])
        if kind in self.scalars:
            return value  # not changed by anyone: shared, as the writer writes it alike
        return value.clone(self.writer, ignore_fields=("/P",))

    def _fill(self, copy: Any, source: Any, translated: dict[Any, Any]) -> None:
        for key, item in source.items():
            if key != "/P":  # _set_parents gives each element its parent in the report
                copy[key] = self._clone(item, translated)

    def links_without_annotation(self, page: Any) -> list[Any]:
        """The page's link elements that have no annotation (the contents' links, whose
        targets the front matter did not hold when it was laid out), in reading order."""
        found: list[Any] = []
        page_ref = page.indirect_reference

        def walk(element: Any) -> None:
            kids = element.get("/K")
            if element.get("/S") == "/Link" and element.get("/Pg") == page_ref:
                if not any(_is_objr(kid) for kid in kids or []):
                    found.append(element)
                return
            for kid in kids if isinstance(kids, list) else []:
                kid = kid.get_object() if hasattr(kid, "get_object") else kid
                if isinstance(kid, dict) and kid.get("/Type") == "/StructElem":
                    walk(kid)

        # Only the front matter's elements: the parts' elements are on the parts' pages (walking
        # them too took 0.04 s of the joining child's CPU, after the last part).
        for kid in self.front_kids:
            kid = kid.get_object() if hasattr(kid, "get_object") else kid
            if isinstance(kid, dict) and kid.get("/Type") == "/StructElem":
                walk(kid)
        return found

    def link(self, element: Any, annotation: Any, page: Any) -> None:
        """Make a link annotation part of its link element, as WeasyPrint does."""
        from pypdf.generic import DictionaryObject, NumberObject

        annotation = annotation.get_object()
        reference = DictionaryObject(
            {
                _name("/Type"): _name("/OBJR"),
                _name("/Obj"): annotation.indirect_reference,
                _name("/Pg"): page.indirect_reference,
            }
        )
        element["/K"].append(self.writer._add_object(reference))
        annotation[_name("/StructParent")] = NumberObject(self.next_key)
        self.nums.append(NumberObject(self.next_key))
        self.nums.append(element.indirect_reference)
        self.next_key += 1
        self.root[_name("/ParentTreeNextKey")] = NumberObject(self.next_key)


@functools.cache
def _scalars() -> frozenset[type]:
    """pypdf's types of a value that is neither a container nor a reference."""
    from pypdf.generic import (
        BooleanObject,
        ByteStringObject,
        FloatObject,
        NameObject,
        NullObject,
        NumberObject,
        TextStringObject,
    )

    return frozenset(
        (
            BooleanObject,
            ByteStringObject,
            FloatObject,
            NameObject,
            NullObject,
            NumberObject,
            TextStringObject,
        )
    )


def _name(text: str) -> Any:
    from pypdf.generic import NameObject

    return NameObject(text)


def _is_objr(kid: Any) -> bool:
    kid = kid.get_object() if hasattr(kid, "get_object") else kid
    return isinstance(kid, dict) and kid.get("/Type") == "/OBJR"


def _set_parents(element: Any, parent: Any) -> None:
    """Give every element of a cloned subtree its parent again (the clone left /P out)."""
    stack = [(element, parent)]
    key = _name("/P")  # once: _name imports
    while stack:
        node, up = stack.pop()
        node[key] = up
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids]:
            kid = kid.get_object() if hasattr(kid, "get_object") else kid
            if isinstance(kid, dict) and kid.get("/Type") == "/StructElem":
                stack.append((kid, node.indirect_reference))


def _as_artifact(page: Any) -> None:
    """Mark what a page draws as an artifact (the stamped page number): not the report's
    text, so that a tagged PDF holds no content outside its structure tree."""
    from pypdf.generic import ContentStream

    content = page.get_contents()
    if content is None:
        return
    stream = ContentStream(None, None)
    stream.set_data(b"/Artifact BMC\n" + content.get_data() + b"\nEMC\n")
    page.replace_contents(stream)


MODES = {"whole": _render_whole, "parts": _render_parts, "finish": _finish}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Render a report, or parts of one (reads a job file's path on stdin)."
    )
    parser.add_argument("--mode", choices=sorted(MODES), default="whole")
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    args = parser.parse_args(argv)
    _limit(memory_mb=args.memory_mb, cpu_seconds=args.cpu_seconds)
    # Imported before the job arrives, and before the hook goes in: loading the native
    # libraries is not the report's doing.
    import weasyprint  # noqa: F401

    if args.mode == "finish":
        import pypdf  # noqa: F401
    # One render, in a process that ends after it and has a memory limit: the cyclic garbage
    # collector's passes over WeasyPrint's many thousand boxes took a third of the time and
    # freed almost nothing (100 pages: 10.1 s to 7.0 s CPU, 284 MB to 290 MB peak).
    # Reference counting still frees what is no longer used.
    gc.disable()
    # What the imports made lives as long as the child: a collection between two parts
    # (_render_parts) looks only at what the render made since.
    gc.freeze()
    job_path = sys.stdin.readline().strip()
    if not job_path:
        return EXIT_ERROR  # the parent gave up, or had no job for a child started ahead
    idle = _memory_kb("VmRSS")
    job = json.loads(Path(job_path).read_text())
    # A child started ahead of its job learns from the job what it is to do.
    mode = job.get("mode", args.mode)
    if mode in ("parts", "finish"):
        logging.getLogger("weasyprint").addFilter(_ContentsLinks())
    sys.addaudithook(_deny)
    fetcher = SafeURLFetcher(static_roots=job["static_roots"])
    try:
        result = MODES[mode](job, fetcher)
    except MemoryError:
        os._exit(EXIT_MEMORY)
    except Exception:
        if _near_memory_limit(args.memory_mb):
            # Native code that cannot get memory may fail without saying so ("SystemError:
            # error return without exception set"); this close to the limit, it was memory.
            traceback.print_exc()
            os._exit(EXIT_MEMORY)
        raise
    peak = _peak_memory_kb()
    sys.stdout.write(
        json.dumps(
            {
                **result,
                "idle_memory_kb": idle,
                "peak_memory_kb": peak,
                "refused": fetcher.refused,
                "cpu_seconds": time.process_time(),
            }
        )
    )
    return 0


def _near_memory_limit(memory_mb: int) -> bool:
    """Whether this process's address space came within a fifth of its limit."""
    return _memory_kb("VmPeak") >= memory_mb * 1024 * 0.8


def _memory_kb(field: str) -> int:
    """A figure of /proc/self/status, in kB (Linux; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _peak_memory_kb() -> int:
    """This process's peak resident memory. getrusage's ru_maxrss would not do: Linux carries
    it over from the parent through exec, so a child started by a large worker would report
    the worker's peak."""
    return _memory_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class _ContentsLinks(logging.Filter):
    """The front matter's links to the parts are made after it is laid out: not an error.
    (Laid out alone, the front matter and the parts miss each other's anchors.)"""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("No anchor #")


if __name__ == "__main__":
    sys.exit(main())
