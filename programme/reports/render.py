"""Turning a report's HTML into a PDF, safely.

WeasyPrint runs in a child process of its own (``python -m programme.reports.render``), with
a limit on its memory (address space) and CPU time and a wall-clock timeout. A render that
runs past them is stopped and reported as :class:`RenderFailed`; the worker that started it
carries on. Inside the child:

- the URL fetcher gives WeasyPrint the project's own static files (under
  :data:`STATIC_BASE_URL`) and ``data:`` URLs, and refuses everything else: ``file://``,
  any network address, any other scheme. It never opens a connection, so there is no
  redirect to follow;
- an audit hook refuses any socket connection, name lookup or new process, as a second wall;
- the environment holds no secret: the child gets HTML in and gives a PDF back.

The child imports this module without Django, so Django is only imported inside the
functions the parent calls.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, unquote_to_bytes

from weasyprint.urls import URLFetcher, URLFetcherResponse

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


def write_pdf(
    *,
    html: str,
    target: Path,
    static_roots: Sequence[Path | str],
    pdf_variant: str | None = None,
    fetcher: SafeURLFetcher | None = None,
) -> int:
    """Lay out the HTML and write the PDF; returns the number of pages.

    Runs in the child process; tests call it directly to watch the fetcher at work.
    """
    from weasyprint import HTML

    fetcher = fetcher or SafeURLFetcher(static_roots=static_roots)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render()
    document.write_pdf(target, pdf_variant=pdf_variant)
    return len(document.pages)


# --- The parent's side ------------------------------------------------------------------------


@dataclass(frozen=True)
class RenderedPdf:
    pdf: bytes
    pages: int
    seconds: float
    peak_memory_kb: int
    refused: list[str] = field(default_factory=list)


class RenderFailed(Exception):
    """The render was stopped or broke; ``reason`` says which, for the job's status."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason  # "timeout", "memory" or "error"
        self.detail = detail


def _child_environment(home: str) -> dict[str, str]:
    """Only what fonts and locale need: no database URL, no secret key."""
    env = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": home}
    for name in ("PATH", "TMPDIR", "XDG_CACHE_HOME", "FONTCONFIG_PATH", "FONTCONFIG_FILE"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def render_pdf(
    *,
    html: str,
    pdfa: bool = False,
    timeout: float | None = None,
    memory_mb: int | None = None,
    static_roots: Sequence[Path | str] | None = None,
) -> RenderedPdf:
    """Render in a child process within the time and memory limits (settings by default)."""
    from django.conf import settings

    from programme.reports.choices import PDFA_VARIANT

    timeout = float(timeout if timeout is not None else settings.REPORT_RENDER_TIMEOUT)
    memory_mb = int(memory_mb if memory_mb is not None else settings.REPORT_RENDER_MEMORY_MB)
    roots = [str(r) for r in (static_roots or settings.STATICFILES_DIRS)]
    with tempfile.TemporaryDirectory(prefix="report-render-") as workdir:
        output = Path(workdir) / "report.pdf"
        job = {
            "html": html,
            "output": str(output),
            "static_roots": roots,
            "pdf_variant": PDFA_VARIANT if pdfa else None,
        }
        command = [
            sys.executable,
            "-E",
            "-s",
            "-m",
            "programme.reports.render",
            "--memory-mb",
            str(memory_mb),
            "--cpu-seconds",
            str(int(timeout) + 1),
        ]
        started = time.monotonic()
        try:
            completed = subprocess.run(  # noqa: S603 - our own interpreter and module
                command,
                input=json.dumps(job).encode(),
                capture_output=True,
                timeout=timeout,
                cwd=settings.BASE_DIR,
                env=_child_environment(workdir),
                check=False,
            )
        except subprocess.TimeoutExpired:
            # run() has killed the child already; nothing of it is left running.
            raise RenderFailed("timeout", f"stopped after {timeout:g} s") from None
        seconds = time.monotonic() - started
        stderr = completed.stderr.decode(errors="replace")[-2000:]
        if completed.returncode != 0:
            raise _failure(completed.returncode, stderr, memory_mb=memory_mb)
        try:
            meta = json.loads(completed.stdout.decode() or "{}")
            pdf = output.read_bytes()
        except (ValueError, OSError) as exc:
            raise RenderFailed("error", f"the renderer gave no PDF: {exc}") from exc
    if not pdf.startswith(b"%PDF-"):
        raise RenderFailed("error", "the renderer's output is not a PDF")
    return RenderedPdf(
        pdf=pdf,
        pages=int(meta.get("pages", 0)),
        seconds=seconds,
        peak_memory_kb=int(meta.get("peak_memory_kb", 0)),
        refused=list(meta.get("refused", [])),
    )


def _failure(returncode: int, stderr: str, *, memory_mb: int) -> RenderFailed:
    if returncode == EXIT_MEMORY or "MemoryError" in stderr:
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render one report (reads a JSON job on stdin).")
    parser.add_argument("--memory-mb", type=int, required=True)
    parser.add_argument("--cpu-seconds", type=int, required=True)
    args = parser.parse_args(argv)
    _limit(memory_mb=args.memory_mb, cpu_seconds=args.cpu_seconds)
    job = json.loads(sys.stdin.buffer.read())
    # Imported before the hook goes in: loading the native libraries is not the report's doing.
    import weasyprint  # noqa: F401

    sys.addaudithook(_deny)
    fetcher = SafeURLFetcher(static_roots=job["static_roots"])
    try:
        pages = write_pdf(
            html=job["html"],
            target=Path(job["output"]),
            static_roots=job["static_roots"],
            pdf_variant=job["pdf_variant"],
            fetcher=fetcher,
        )
    except MemoryError:
        os._exit(EXIT_MEMORY)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stdout.write(
        json.dumps({"pages": pages, "peak_memory_kb": peak, "refused": fetcher.refused})
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
