"""How the reports are laid out, read from WeasyPrint's boxes rather than from the PDF's text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from weasyprint.formatting_structure.boxes import LineBox, TableCellBox, TextBox

from programme.models import Meeting, ReportingPeriod
from reports.choices import ReportKind
from reports.documents import report_html
from reports.render import SafeURLFetcher, _layout
from reports.services import report_request
from trainings.models import Training

pytestmark = pytest.mark.django_db


def _descendants(box: Any) -> Iterator[Any]:
    yield box
    for child in getattr(box, "children", ()):
        yield from _descendants(child)


def heading_lines(html: str) -> Iterator[tuple[str, str]]:
    """(a column heading's text, one of the lines it was laid out in), over every page."""
    document = _layout(html, SafeURLFetcher(static_roots=settings.STATICFILES_DIRS))
    for page in document.pages:
        for box in _descendants(page._page_box):
            if isinstance(box, TableCellBox) and box.element_tag == "th":
                heading = " ".join("".join(box.element.itertext()).split())
                for line in _descendants(box):
                    if isinstance(line, LineBox):
                        text = "".join(t.text for t in _descendants(line) if isinstance(t, TextBox))
                        yield heading, text


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
@pytest.mark.parametrize("kind", list(ReportKind))
def test_no_column_heading_is_broken_inside_a_word(demo, kind, language) -> None:
    """A narrow column's heading ("Вкупно", "Ndryshimi") fits whole words on each line."""
    subjects: dict[str, dict[str, Any]] = {
        ReportKind.COMMITTEE: {"period": ReportingPeriod.objects.get(name="2024 H1")},
        ReportKind.TRAINING: {"training": Training.objects.filter(attendance__isnull=False)[0]},
        ReportKind.RECOMMENDATION: {"recommendation": None},  # all fifteen
        ReportKind.MEETING: {"meeting": Meeting.objects.order_by("number").last()},
    }
    subject = subjects[kind]
    report = report_request(by=demo["demo-admin"], kind=kind, language=language, **subject)
    lines = list(heading_lines(report_html(report=report)))
    assert len(lines) >= 8, "the report has too few table headings to check"
    broken = {
        (heading, line) for heading, line in lines if not set(line.split()) <= set(heading.split())
    }
    assert not broken, broken


def rows_per_page(html: str, table_class: str) -> list[int]:
    """How many body rows of the tables with ``table_class`` each page holds (pages without any
    left out)."""
    document = _layout(html, SafeURLFetcher(static_roots=settings.STATICFILES_DIRS))
    counts = []
    for page in document.pages:
        rows = {
            id(row)
            for table in _descendants(page._page_box)
            if getattr(table, "element_tag", None) == "table"
            and table_class in (table.element.get("class") or "").split()
            for group in _descendants(table)
            if getattr(group, "element_tag", None) == "tbody"
            for row in group.children
            if getattr(row, "element_tag", None) == "tr"
        }
        if rows:
            counts.append(len(rows))
    return counts


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
def test_a_short_free_text_table_is_not_split(demo, language) -> None:
    """The latest demo meeting's record carries in two action points, whose table fell one row
    on each of two pages: a free-text table of two or three rows stays whole."""
    meeting = Meeting.objects.order_by("number").last()
    report = report_request(
        by=demo["demo-admin"], kind=ReportKind.MEETING, language=language, meeting=meeting
    )
    html = report_html(report=report)
    assert html.count('class="action-points freetext carried"') == 1, "the table to check"
    assert rows_per_page(html, "carried") == [2]
