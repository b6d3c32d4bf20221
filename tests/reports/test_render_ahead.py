"""The render's children start before the report's HTML is made (``render_pdf`` given the
function that makes it), so that their imports are done meanwhile: the same PDF as from the
HTML itself, no child left behind when making the HTML fails or a child has no job."""

from __future__ import annotations

import io
import time

import pytest
from pypdf import PdfReader

from reports.render import PART_BREAK, render_pdf
from tests.reports.conftest import render_children

SHORT = "<html><body><h1>Short</h1><p>One page, no parts.</p></body></html>"


def _with_parts(parts: int) -> str:
    sections = "".join(
        f"{PART_BREAK}<h1>Part {n}</h1>" + "<p>A paragraph of the part.</p>" * 40
        for n in range(parts)
    )
    return f"<html><head></head><body><p>Front</p>{sections}</body></html>"


def _children_soon(count: int) -> list[str]:
    """The render children alive, once ``count`` of them show (a child just started shows
    once it has replaced the copy of this process it began as), or after two seconds."""
    deadline = time.monotonic() + 2
    while len(found := render_children()) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return found


def _text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.parametrize("html", [SHORT, _with_parts(3)], ids=["whole", "in parts"])
def test_the_children_are_started_before_the_html_is_made(html: str) -> None:
    seen_while_making: list[list[str]] = []

    def make() -> str:
        seen_while_making.append(_children_soon(2))
        return html

    ahead = render_pdf(html=make, processes=2, timeout=120)
    given = render_pdf(html=html, processes=2, timeout=120)
    # Two children were already starting while the HTML was made.
    assert len(seen_while_making) == 1
    assert len(seen_while_making[0]) == 2, seen_while_making
    assert ahead.pages == given.pages
    assert _text(ahead.pdf) == _text(given.pdf)
    # The one a short report had no job for ended with the render.
    assert render_children() == []


def test_a_pdfa_copy_starts_one_child_ahead() -> None:
    counted: list[int] = []

    def make() -> str:
        counted.append(len(_children_soon(1)))
        return SHORT

    rendered = render_pdf(html=make, pdfa=True, processes=2, timeout=120)
    assert counted == [1]
    assert rendered.pages == 1
    assert render_children() == []


def test_html_that_cannot_be_made_leaves_no_child_behind() -> None:
    class Unavailable(Exception):
        pass

    def make() -> str:
        raise Unavailable

    with pytest.raises(Unavailable):
        render_pdf(html=make, processes=2, timeout=120)
    assert render_children() == []


def test_the_time_limit_counts_from_the_html() -> None:
    """A slow report to make does not eat the render's time: the limit starts with the HTML."""

    def make() -> str:
        time.sleep(3)
        return SHORT

    rendered = render_pdf(html=make, processes=2, timeout=3)
    assert rendered.pages == 1
    assert rendered.seconds < 3
