"""What keeps the long report's render fast: chart labels drawn as runs of text, not letter by
letter, and the parts shared out by the work they are, not by the length of their HTML."""

from __future__ import annotations

import re
from pathlib import Path

from pypdf import PdfReader

from reports.render import _shares, work_estimate, write_pdf
from tests.reports.conftest import pdf_text

STATIC = Path(__file__).resolve().parents[2] / "static"


def _text_operations(pdf: Path) -> int:
    """How many times the first page shows text (TJ/Tj), in its contents and its forms."""
    page = PdfReader(pdf).pages[0]
    streams = [page.get_contents().get_data()]
    for form in (page["/Resources"].get("/XObject") or {}).values():
        streams.append(form.get_object().get_data())
    return sum(len(re.findall(rb"\bT[Jj]\b", data)) for data in streams)


def _render_svg(tmp_path: Path, body: str) -> Path:
    html = (
        '<!DOCTYPE html><html lang="en"><head><title>Chart</title></head><body>'
        '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="60" role="img">'
        f"<title>Chart</title>{body}</svg></body></html>"
    )
    target = tmp_path / "chart.pdf"
    write_pdf(html=html, target=target, static_roots=[STATIC])
    return target


def test_a_chart_label_is_drawn_as_one_run_of_text(tmp_path: Path) -> None:
    pdf = _render_svg(
        tmp_path,
        '<text x="10" y="20">Skopje referral</text>'
        '<text x="290" y="40" text-anchor="end"><tspan x="290" dy="0">Ohrid</tspan></text>',
    )
    # Letter by letter, this was one text operation per letter (19).
    assert _text_operations(pdf) == 2
    assert pdf_text(pdf.read_bytes()) == "Skopje referral Ohrid"


def test_a_label_placed_letter_by_letter_is_still_drawn_so(tmp_path: Path) -> None:
    pdf = _render_svg(tmp_path, '<text x="10 30 50" y="20" rotate="10">Tet</text>')
    assert _text_operations(pdf) == 3


def test_parts_are_shared_out_by_their_elements_not_their_charts_markup() -> None:
    chart = "<svg>" + '<rect x="1" y="2" width="3" height="4"/>' * 500 + "</svg>"
    charts = f"<section><h2>Results</h2>{chart * 4}</section>"
    table = "<table>" + "<tr><td>cell</td><td>cell</td></tr>" * 400 + "</table>"
    assert len(charts) > len(table) and work_estimate(charts) < work_estimate(table)
    # The front matter, a long chapter of charts, a long table, two short chapters.
    chunks = ["<p>front</p>", charts, table, "<p>one</p>" * 50, "<p>two</p>" * 40]
    # The table is the most work: one process has it alone (by length, the charts would).
    assert _shares([work_estimate(chunk) for chunk in chunks], 2) == [[2], [0, 1, 3, 4]]
    assert _shares([len(chunk) for chunk in chunks], 2) == [[1], [0, 2, 3, 4]]
