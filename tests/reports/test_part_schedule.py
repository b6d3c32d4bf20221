"""The parts' children are given unequal work on purpose: the joining child starts on the core of
the first child to finish, and its start and reading of the parts should end when the last
part's layout does, not after it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from weasyprint.text.fonts import FontConfiguration

from reports.render import (
    FINISH_READ_SHARE,
    FINISH_START_WORK,
    NO_PAGE_NUMBER_CSS,
    STAMP_CSS,
    SafeURLFetcher,
    _finish,
    _render_parts,
    _shares,
    _stamp_ahead,
    _stamp_path,
    finish_head_start,
)
from tests.reports.conftest import pdf_text


def _work(sizes: list[int], share: list[int]) -> int:
    return sum(sizes[index] for index in share)


def test_one_child_is_given_the_joining_childs_head_start_less_work() -> None:
    sizes = [300, 9800, 8900, 2200, 1200, 900, 300, 200]  # as the 101-page bench report
    even = _shares(sizes, 2)
    ahead = _shares(sizes, 2, head_start=4000)
    assert sorted(index for share in ahead for index in share) == list(range(len(sizes)))
    gap = abs(_work(sizes, even[0]) - _work(sizes, even[1]))
    light, heavy = sorted(_work(sizes, share) for share in ahead)
    # Evenly shared, the two children are within the smallest part or so of each other;
    # with the head start, the lighter one has about that much less to do.
    assert gap <= 1000
    assert 4000 - 1000 <= heavy - light <= 4000 + 1000


def test_a_head_start_never_leaves_a_child_idle_or_changes_one_childs_share() -> None:
    assert _shares([100, 90], 2, head_start=10_000) == [[0], [1]]
    assert _shares([100, 10, 60], 1, head_start=10_000) == [[0, 1, 2]]
    assert _shares([100, 10, 60, 50, 5], 2, head_start=0) == _shares([100, 10, 60, 50, 5], 2)


def test_the_head_start_is_the_joining_childs_start_and_an_eighth_of_the_parts() -> None:
    assert finish_head_start([]) == FINISH_START_WORK
    assert finish_head_start([8000, 800]) == FINISH_START_WORK + 8800 // FINISH_READ_SHARE
    assert finish_head_start([16_000]) > finish_head_start([8000])


# A report's head as the stamp needs it: the footer's page number, none on the cover.
HEAD = (
    '<html lang="mk"><head><title>Извештај</title><style>'
    '@page { size: A6; @bottom-right { content: counter(page) " / " counter(pages); } }'
    "</style></head><body>"
)
PART = (
    '<h1 id="part-{n}">Дел {n}</h1><table><caption>Обуки</caption>'
    "<thead><tr><th>Број</th></tr></thead><tbody>{rows}</tbody></table>"
)


def _stamp_job(tmp_path: Path, layouts: list[Path]) -> dict[str, Any]:
    return {
        "html": f"{HEAD}<style>{STAMP_CSS}</style></body></html>",
        "layouts": [str(path) for path in layouts],
        "folder": str(tmp_path),
    }


def test_the_child_that_lays_out_the_last_part_lays_out_the_stamp(tmp_path: Path) -> None:
    fetcher = SafeURLFetcher(static_roots=[])
    fonts = FontConfiguration()
    layouts = [tmp_path / "part-0.pdf.layout", tmp_path / "part-1.pdf.layout"]
    layouts[0].write_text(json.dumps({"pages": 1, "anchors": {}}))
    # Another child still has a part to lay out: no stamp yet.
    _stamp_ahead(_stamp_job(tmp_path, layouts), fetcher, fonts)
    assert not list(tmp_path.glob("stamp-*"))

    layouts[1].write_text(json.dumps({"pages": 3, "anchors": {}}))
    _stamp_ahead(_stamp_job(tmp_path, layouts), fetcher, fonts)
    stamp = _stamp_path(str(tmp_path), 4)
    assert [path.name for path in tmp_path.glob("stamp-*")] == [stamp.name]
    assert len(PdfReader(stamp).pages) == 4
    # The cover has no number; the other pages theirs, of four.
    assert pdf_text(stamp.read_bytes()) == "2/4 3/4 4/4"


def test_the_joining_child_stamps_itself_when_the_contents_lengthen_the_front_matter(
    tmp_path: Path,
) -> None:
    rows = "".join(f"<tr><td>{i}</td></tr>" for i in range(40))
    contents = "".join(f'<p><a href="#part-{n}">Дел {n}</a></p>' for n in (1, 2))
    front = f"{HEAD}<h1>Содржина</h1>{contents}</body></html>"
    documents: list[dict[str, Any]] = [
        {"html": front, "output": str(tmp_path / "part-0.pdf"), "layout_only": True},
        *(
            {
                "html": f"{HEAD}<style>{NO_PAGE_NUMBER_CSS}</style>"
                f"{PART.format(n=n, rows=rows)}</body></html>",
                "output": str(tmp_path / f"part-{n}.pdf"),
            }
            for n in (1, 2)
        ),
    ]
    layouts = [tmp_path / f"part-{n}.pdf.layout" for n in range(3)]
    fetcher = SafeURLFetcher(static_roots=[])
    stamp_html = f"{HEAD}<style>{STAMP_CSS}</style></body></html>"
    _render_parts(
        {"documents": documents, "stamp": _stamp_job(tmp_path, layouts)},
        fetcher,
    )
    laid_out = [json.loads(path.read_text())["pages"] for path in layouts]
    assert list(tmp_path.glob("stamp-*")) == [_stamp_path(str(tmp_path), sum(laid_out))]
    # As if the contents' page numbers had made the front matter a page shorter when it was
    # first laid out: the stamp made ahead counts one page too few, and is not used.
    layouts[0].write_text(json.dumps({"pages": laid_out[0] - 1, "anchors": {}}))
    _stamp_path(str(tmp_path), sum(laid_out)).unlink()
    _stamp_ahead(_stamp_job(tmp_path, layouts), fetcher, FontConfiguration())
    result = _finish(
        {
            "front": front,
            "parts": [{"output": documents[n]["output"]} for n in (1, 2)],
            "stamp": stamp_html,
            "stamp_folder": str(tmp_path),
            "output": str(tmp_path / "report.pdf"),
            "layouts": [str(path) for path in layouts],
            "wait_seconds": 30,
            "static_roots": [],
        },
        fetcher,
    )
    total = sum(laid_out)
    assert result["pages"] == total
    pages = PdfReader(tmp_path / "report.pdf").pages
    assert len(pages) == total
    text = pdf_text(tmp_path / "report.pdf")
    assert [f"{number}/{total}" in text for number in range(2, total + 1)] == [True] * (total - 1)
    assert f"/{total - 1}" not in text
