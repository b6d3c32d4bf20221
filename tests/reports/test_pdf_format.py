"""The archival PDF/A variant and the document's metadata."""

from __future__ import annotations

import re
import zlib

import pytest

from programme.models import ReportingPeriod
from reports.choices import ReportKind
from tests.reports.conftest import pdf_tool, stored_pdf

pytestmark = pytest.mark.django_db


def _inflated(pdf: bytes) -> bytes:
    """The PDF with its compressed streams (object streams too) inflated, to search in."""
    parts = [pdf]
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            parts.append(zlib.decompress(stream))
        except zlib.error:
            continue
    return b"\n".join(parts)


def test_the_archival_variant_is_pdf_a_2a_and_the_everyday_one_is_not(demo, generate) -> None:
    period = ReportingPeriod.objects.get(name="2024 H2")
    archival = generate(
        by=demo["demo-admin"], kind=ReportKind.COMMITTEE, language="mk", period=period, pdfa=True
    )
    everyday = generate(
        by=demo["demo-admin"], kind=ReportKind.COMMITTEE, language="mk", period=period
    )
    pdf = stored_pdf(archival)
    xmp = pdf_tool("pdfinfo", pdf, "-meta")
    # XMP may write the identification as attributes or as elements.
    assert re.search(r'pdfaid:part(="|>)2\b', xmp), xmp
    # Level A (accessible): tagged, as every report is (tests/reports/test_tagged.py).
    assert re.search(r'pdfaid:conformance(="|>)A\b', xmp), xmp
    objects = _inflated(pdf)
    assert b"/GTS_PDFA1" in objects  # the output intent, with its colour profile
    assert b"/DestOutputProfile" in objects
    fonts = pdf_tool("pdffonts", pdf).splitlines()[2:]
    assert fonts and all(" yes yes yes " in f"{line} " for line in fonts)
    assert "pdfaid" not in pdf_tool("pdfinfo", stored_pdf(everyday), "-meta")
    assert archival.download_name.endswith("-pdfa.pdf")


def test_the_pdf_says_what_it_is_in_its_own_language(demo, generate) -> None:
    period = ReportingPeriod.objects.get(name="2024 H2")
    report = generate(
        by=demo["demo-admin"], kind=ReportKind.COMMITTEE, language="sq", period=period
    )
    info = pdf_tool("pdfinfo", stored_pdf(report))
    assert "Raport për progresin për Komitetin Drejtues – 2024 H2" in info
    assert "Këshilli i Evropës" in info  # the author: the implementing organisation
    assert "A4" in info
