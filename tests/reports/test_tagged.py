"""Every report is a tagged PDF (PDF/UA-1): a structure tree with headings in order, lists,
tables with header cells, figures with their alternative text, the document's language and
title; and its text reads in order. A report joined from parts keeps one whole tree."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from programme.models import Meeting, ReportingPeriod
from reports.choices import ReportKind
from reports.documents import report_html
from reports.models import Report
from reports.render import render_pdf
from tests.reports.conftest import pdf_text, pdf_tool, stored_pdf
from trainings.models import Training

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "mk", "sq"]


def _subject(kind: str) -> dict[str, Any]:
    if kind == ReportKind.COMMITTEE:
        return {"period": ReportingPeriod.objects.get(name="2024 H2")}
    if kind == ReportKind.TRAINING:
        return {"training": Training.objects.filter(attendance__isnull=False).order_by("pk")[0]}
    if kind == ReportKind.MEETING:
        return {"meeting": Meeting.objects.filter(decisions__isnull=False).order_by("number")[0]}
    return {"recommendation": None}  # all fifteen: rendered in parts, with a contents page


def _kids(element: DictionaryObject) -> list[Any]:
    kids = element.get("/K")
    if kids is None:
        return []
    return list(kids) if isinstance(kids, ArrayObject) else [kids]


def structure(reader: PdfReader) -> Iterator[DictionaryObject]:
    """Every structure element, in the tree's (reading) order."""
    root: Any = reader.root_object["/StructTreeRoot"].get_object()
    stack = [kid.get_object() for kid in reversed(_kids(root))]
    while stack:
        element = stack.pop()
        if not isinstance(element, DictionaryObject) or element.get("/Type") == "/OBJR":
            continue
        yield element
        stack.extend(
            kid.get_object()
            for kid in reversed(_kids(element))
            if isinstance(kid, IndirectObject | DictionaryObject)
        )


def unmapped_content(reader: PdfReader) -> list[str]:
    """Marked content a page draws that its entry in the parent tree does not lead to an
    element of that page (what a join that lost the tree, or renumbered it wrong, leaves)."""
    root: Any = reader.root_object["/StructTreeRoot"].get_object()
    nums = root["/ParentTree"].get_object()["/Nums"]
    tree = {int(key): value.get_object() for key, value in zip(nums[::2], nums[1::2], strict=True)}
    problems = []
    for number, page in enumerate(reader.pages):
        contents = page.get_contents()
        data = contents.get_data() if contents is not None else b""
        mcids = [int(m) for m in re.findall(rb"/MCID (\d+)", data)]
        if not mcids:
            continue
        key = page.get("/StructParents")
        elements = tree.get(int(key)) if key is not None else None
        if elements is None or max(mcids) >= len(elements):
            problems.append(f"page {number + 1}: {len(mcids)} marked, not in the parent tree")
            continue
        for element in elements:
            element = element.get_object()
            if element.raw_get("/Pg").idnum != page.indirect_reference.idnum:
                problems.append(f"page {number + 1}: an element of another page")
                break
    return problems


def is_mark(element: DictionaryObject, language: str) -> bool:
    """Whether a figure is one of the cover's visibility marks, named by their alternative
    text (tests/reports/test_report_covers.py checks them), not a chart."""
    with translation.override(language):
        marks = {gettext("Flag of the European Union"), gettext("Council of Europe")}
    return str(element.get("/Alt", "")) in marks


def assert_tagged(pdf: bytes, *, language: str, title: str) -> list[DictionaryObject]:
    """The checks every report passes; returns its structure elements."""
    reader = PdfReader(io.BytesIO(pdf))
    catalog: Any = reader.root_object
    assert "/StructTreeRoot" in catalog
    assert bool(catalog["/MarkInfo"]["/Marked"])
    assert catalog["/Lang"] == language
    assert bool(catalog["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata is not None and reader.metadata.title == title
    elements = list(structure(reader))
    tags = [str(e["/S"]) for e in elements]

    headings = [int(tag[2]) for tag in tags if re.fullmatch(r"/H[1-6]", tag)]
    assert headings and headings[0] == 1
    skips = [(a, b) for a, b in pairwise(headings) if b > a + 1]
    assert not skips, f"headings skip a level: {skips} in {headings}"

    assert "/Table" in tags and "/TH" in tags and "/TD" in tags
    header_ids = {str(e["/ID"]) for e in elements if e["/S"] == "/TH" and "/ID" in e}
    assert header_ids, "no header cell is named for its data cells"
    scopes = {str(e["/A"].get("/Scope")) for e in elements if e["/S"] == "/TH"}
    assert scopes <= {"/Column", "/Row"}, f"a header cell without its scope: {scopes}"
    for cell in (e for e in elements if e["/S"] == "/TD"):
        assert set(map(str, cell["/A"].get("/Headers", []))) <= header_ids

    assert "/L" in tags and "/LI" in tags  # the facts and lists are lists
    for figure in (e for e in elements if e["/S"] == "/Figure" and not is_mark(e, language)):
        alt = str(figure.get("/Alt", ""))
        # The chart's title and its figures: "…: Not started: 2; Planned: 3; …"
        assert len(alt) > 20 and re.search(r"\d", alt), alt
    assert unmapped_content(reader) == []
    return elements


def _in_order(text: str, expected: list[str]) -> None:
    at = 0
    for wanted in expected:
        found = text.find(wanted, at)
        assert found >= 0, f"{wanted!r} is not after position {at} in the text"
        at = found + len(wanted)


def _expected_text(kind: str, language: str) -> list[str]:
    with translation.override(language):
        if kind == ReportKind.COMMITTEE:
            return [
                gettext("Contents"),
                f"1. {gettext('The action at a glance')}",
                f"2. {gettext('Results framework')}",
                f"5. {gettext('The recommendations and their assessments')}",
                f"7. {gettext('About the figures')}",
                gettext("No participant is named in this report."),
            ]
        if kind == ReportKind.RECOMMENDATION:
            return [
                gettext("Contents"),
                gettext("Overview"),
                gettext("Recommendation %(n)s") % {"n": 1},
                gettext("Institutions and their assessments"),
                gettext("Recommendation %(n)s") % {"n": 15},
            ]
        if kind == ReportKind.TRAINING:
            return [gettext("Results"), gettext("Participants"), gettext("Evaluation")]
        return [
            gettext("Attendance"),
            gettext("Decisions"),
            gettext("Action points raised at the meeting"),
            gettext("Approval of the record"),
            gettext("Signature"),
        ]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", list(ReportKind))
def test_every_report_is_a_tagged_pdf_that_reads_in_order(demo, generate, kind, language) -> None:
    report = generate(by=demo["demo-admin"], kind=kind, language=language, **_subject(kind))
    assert report.status == "done", report.failure_reason
    pdf = stored_pdf(report)
    # The title the document gives itself, in its language.
    title = re.search(r"<title>(.*?)</title>", report_html(report=report), re.S)
    assert title is not None
    elements = assert_tagged(pdf, language=language, title=html.unescape(title.group(1)))
    if kind in (ReportKind.COMMITTEE, ReportKind.TRAINING, ReportKind.RECOMMENDATION):
        charts = [e for e in elements if e["/S"] == "/Figure" and not is_mark(e, language)]
        assert charts, "the charts are not figures"
    _in_order(pdf_text(pdf), _expected_text(kind, language))
    assert re.search(r"pdfuaid:part(=\"|>)1\b", pdf_tool("pdfinfo", pdf, "-meta"))


def test_a_report_joined_from_parts_keeps_one_structure_tree(demo) -> None:
    """The same report, in one piece and in parts: the same elements in the same order, and
    the contents' links part of the tree."""
    report = Report(
        kind=ReportKind.COMMITTEE,
        language="mk",
        period=ReportingPeriod.objects.get(name="2025 H1"),
        requested_by=demo["demo-admin"],
        version=2,
    )
    source = report_html(report=report)
    whole = render_pdf(html=source, processes=1, timeout=120)
    joined = render_pdf(html=source, processes=2, timeout=120)
    assert (whole.processes, joined.processes) == (1, 2)
    metadata = PdfReader(io.BytesIO(whole.pdf)).metadata
    assert metadata is not None
    title = str(metadata.title)
    one = assert_tagged(whole.pdf, language="mk", title=title)
    parted = assert_tagged(joined.pdf, language="mk", title=title)
    assert [e["/S"] for e in parted] == [e["/S"] for e in one]
    reader = PdfReader(io.BytesIO(joined.pdf))
    contents_links = [
        annotation.get_object()
        for annotation in reader.pages[1].get("/Annots") or []
        if annotation.get_object()["/Subtype"] == "/Link"
    ]
    assert contents_links and all("/StructParent" in link for link in contents_links)
    # Each says where it leads, for a screen reader: the contents entry's words.
    assert all(str(link.get("/Contents", "")).strip() for link in contents_links)
    # Every page number stamped on the joined pages is an artifact, outside the tree.
    stamped = reader.pages[-1].get_contents()
    assert stamped is not None and b"/Artifact BMC" in stamped.get_data()


def test_the_archival_copy_is_pdf_a_2a_with_the_same_tags(demo, generate) -> None:
    report = generate(
        by=demo["demo-admin"],
        kind=ReportKind.MEETING,
        language="sq",
        pdfa=True,
        **_subject(ReportKind.MEETING),
    )
    pdf = stored_pdf(report)
    xmp = pdf_tool("pdfinfo", pdf, "-meta")
    assert re.search(r"pdfaid:part(=\"|>)2\b", xmp) and re.search(
        r"pdfaid:conformance(=\"|>)A\b", xmp
    ), xmp
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata is not None
    assert_tagged(pdf, language="sq", title=str(reader.metadata.title))
