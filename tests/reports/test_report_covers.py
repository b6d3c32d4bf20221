"""Every report's cover carries the programme's visibility: the EU emblem and the Council of
Europe's mark as figures with their alternative text, the funded-by statement and the
disclaimer, in the report's language (the same texts as the public site's, from
templates/includes/visibility.html)."""

from __future__ import annotations

import io
import subprocess
from typing import Any

import pytest
from django.utils import translation
from django.utils.translation import gettext
from pypdf import PdfReader

from programme.models import Meeting, ReportingPeriod
from reports.choices import ReportKind
from tests.reports.conftest import stored_pdf
from tests.reports.test_tagged import structure
from trainings.models import Training

pytestmark = pytest.mark.django_db

FUNDED = "Funded by the European Union and the Council of Europe"
IMPLEMENTED = "Implemented by the Council of Europe"
DISCLAIMER = (
    "This document was produced with the financial support of the European Union and the "
    "Council of Europe. Its contents are the sole responsibility of the author(s). Views "
    "expressed herein can in no way be taken to reflect the official opinion of either the "
    "European Union or the Council of Europe."
)
MARKS = ("Flag of the European Union", "Council of Europe")


def _subject(kind: str) -> dict[str, Any]:
    if kind == ReportKind.COMMITTEE:
        return {"period": ReportingPeriod.objects.get(name="2024 H2")}
    if kind == ReportKind.TRAINING:
        return {"training": Training.objects.filter(attendance__isnull=False).order_by("pk")[0]}
    if kind == ReportKind.MEETING:
        return {"meeting": Meeting.objects.filter(decisions__isnull=False).order_by("number")[0]}
    return {"recommendation": None}  # all fifteen: rendered in parts


def _cover_text(pdf: bytes) -> str:
    """The first page's text as poppler reads it, every run of white space one space."""
    args = ["pdftotext", "-enc", "UTF-8", "-f", "1", "-l", "1", "-", "-"]
    text = subprocess.run(args, input=pdf, capture_output=True, check=True).stdout.decode()
    return " ".join(text.split())


def _cover_figures(pdf: bytes) -> list[str]:
    """The alternative texts of the structure tree's figures drawn on the first page."""
    reader = PdfReader(io.BytesIO(pdf))
    cover = reader.pages[0].indirect_reference
    assert cover is not None
    return [
        str(element.get("/Alt", ""))
        for element in structure(reader)
        if element["/S"] == "/Figure" and element.raw_get("/Pg").idnum == cover.idnum
    ]


def _translated(language: str, *msgids: str) -> list[str]:
    with translation.override(language):
        return [gettext(msgid) for msgid in msgids]


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
@pytest.mark.parametrize("kind", list(ReportKind))
def test_every_report_cover_carries_the_marks_statement_and_disclaimer(
    demo, generate, kind, language
) -> None:
    report = generate(by=demo["demo-admin"], kind=kind, language=language, **_subject(kind))
    assert report.status == "done", report.failure_reason
    pdf = stored_pdf(report)
    cover = _cover_text(pdf)
    funded, implemented, disclaimer = _translated(language, FUNDED, IMPLEMENTED, DISCLAIMER)
    if language != "en":  # the texts are translated, not left in English
        assert funded != FUNDED and disclaimer != DISCLAIMER
    for text in (funded, implemented, disclaimer):
        assert " ".join(text.split()) in cover, text
    # The marks, each a figure of the cover with its name as the alternative text.
    assert _cover_figures(pdf) == _translated(language, *MARKS)


def test_the_archival_copy_carries_them_too(demo, generate) -> None:
    report = generate(
        by=demo["demo-admin"],
        kind=ReportKind.TRAINING,
        language="mk",
        pdfa=True,
        **_subject(ReportKind.TRAINING),
    )
    assert report.status == "done", report.failure_reason
    pdf = stored_pdf(report)
    funded, disclaimer = _translated("mk", FUNDED, DISCLAIMER)
    assert funded in _cover_text(pdf) and " ".join(disclaimer.split()) in _cover_text(pdf)
    assert _cover_figures(pdf) == _translated("mk", *MARKS)
