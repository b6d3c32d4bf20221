"""Reports hold whatever people type: 300-character addresses, assessments of 2,000 words, a
meeting attended by 40 institutions. Every report still renders, and no text is drawn outside
its page (nor over the page's right margin)."""

from __future__ import annotations

import html
import re
import subprocess
import tempfile
from datetime import date
from typing import Any

import pytest

from programme.choices import MeetingStatus
from programme.models import Action, Meeting, ReportingPeriod
from recommendations.choices import UpdateState
from recommendations.models import ProgressUpdate, Recommendation
from reports.choices import ReportKind
from tests.factories import (
    ActionPointFactory,
    DecisionFactory,
    EvidenceFactory,
    InstitutionFactory,
    MeetingAttendanceFactory,
)
from tests.reports.conftest import pdf_text, stored_pdf
from trainings.models import Training

pytestmark = pytest.mark.django_db

# 300 characters without a space: where an address cannot break, it runs off the page.
LONG_URL = ("https://example.org/evidence/" + "a-long-path-segment-0123456789/" * 10)[:300]
WORDS = ["the", "ministry", "reported", "that", "coordination", "improved", "across", "the"]
WORDS += ["regional", "offices"]
WORD = re.compile(
    r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">(.*?)</word>'
)
MM_TO_PT = 72 / 25.4
RIGHT_MARGIN_PT = 17 * MM_TO_PT  # report.css: @page margin


def essay(words: int) -> str:
    """A generated assessment of that many words, with a long address in every paragraph."""
    paragraphs = []
    for start in range(0, words, 250):
        body = " ".join(WORDS[i % len(WORDS)] for i in range(start, min(start + 250, words)))
        paragraphs.append(f"{body} {LONG_URL}")
    return "\n\n".join(paragraphs)


def words_outside(pdf: bytes) -> list[str]:
    """Words drawn outside their page's box or into its right margin (pdftotext -bbox)."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        out = subprocess.run(
            ["pdftotext", "-bbox", "-enc", "UTF-8", handle.name, "-"],
            capture_output=True,
            check=True,
        ).stdout.decode()
    outside = []
    for number, page in enumerate(re.findall(r"<page (.*?)</page>", out, re.S), start=1):
        size = re.match(r'width="([\d.]+)" height="([\d.]+)"', page)
        assert size, "pdftotext gave no page size"
        width, height = float(size[1]), float(size[2])
        for x1, y1, x2, y2, word in re.findall(WORD, page):
            left, top, right, bottom = map(float, (x1, y1, x2, y2))
            if (
                left < 0
                or top < 0
                or bottom > height
                or right > width - RIGHT_MARGIN_PT + 2  # a rounding's worth of slack
            ):
                outside.append(f"page {number}: {html.unescape(word)[:40]} at {right:.0f}")
    return outside


@pytest.fixture
def crowded(demo) -> dict[str, Any]:
    """The demo set with long texts typed into it, and a meeting of 40 institutions."""
    long_text = essay(2000)
    numbers = sorted(
        set(
            ProgressUpdate.objects.filter(state=UpdateState.APPROVED).values_list(
                "recommendation__number", flat=True
            )
        )
    )[:2]
    assert numbers, "the demo set has no approved update"
    recommendation = Recommendation.objects.get(number=numbers[0])
    approved = ProgressUpdate.objects.filter(
        state=UpdateState.APPROVED, recommendation__number__in=numbers
    )
    approved.update(narrative=long_text)
    EvidenceFactory(
        update=approved.filter(recommendation=recommendation).first(),
        title="Evidence" + "-" * 20 + "x" * 150,
        url=LONG_URL[:200],  # the longest address a link may hold
    )
    meeting = Meeting.objects.create(
        action=Action.objects.get(),
        number=90,
        status=MeetingStatus.HELD,
        date=date(2025, 6, 30),
        place="Skopje",
        purpose=essay(300),
        agenda=LONG_URL,
    )
    for n in range(40):
        MeetingAttendanceFactory(
            meeting=meeting,
            institution=InstitutionFactory(
                name=f"Generated institution number {n} for inter-agency coordination"
            ),
            representatives="Generated representative, head of unit\nGenerated deputy",
        )
    for n in range(1, 4):
        DecisionFactory(meeting=meeting, number=n, text=essay(400))
        ActionPointFactory(meeting=meeting, description=f"Publish the guidance at {LONG_URL}")
    training = Training.objects.filter(attendance__isnull=False).order_by("pk")[0]
    # In English only: a report in any language shows it (the demo's own has translations).
    Training.objects.filter(pk=training.pk).update(
        methodology_en=essay(600), methodology_mk="", methodology_sq=""
    )
    return {"meeting": meeting, "training": training, "recommendation": recommendation}


@pytest.mark.parametrize("language", ["en", "mk"])
def test_reports_with_long_texts_keep_every_word_on_the_page(
    demo, generate, crowded, language
) -> None:
    subjects = {
        ReportKind.COMMITTEE: {"period": ReportingPeriod.objects.get(name="2025 H1")},
        ReportKind.RECOMMENDATION: {"recommendation": crowded["recommendation"]},
        ReportKind.TRAINING: {"training": crowded["training"]},
        ReportKind.MEETING: {"meeting": crowded["meeting"]},
    }
    for kind, subject in subjects.items():
        report = generate(by=demo["demo-admin"], kind=kind, language=language, **subject)
        assert report.status == "done", (kind, report.failure_reason)
        pdf = stored_pdf(report)
        assert words_outside(pdf) == [], kind
        text = pdf_text(pdf)
        if kind == ReportKind.MEETING:
            assert "Generated institution number 39" in text
            assert text.count("Generated representative") == 40
        else:
            # The whole of the long text is there: its last words and its address.
            assert text.count("regional offices") >= 1, kind
