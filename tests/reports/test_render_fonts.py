"""A report joined from parts carries one subset of each font, as one document does, and is no
larger than the one-document file by more than 5 % (tests/reports/test_parts.py checks that
its pages draw the same text and pixels)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fontTools import subset
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from programme.models import ReportingPeriod
from reports.choices import ReportKind
from reports.documents import report_html
from reports.models import Report
from reports.render import _merge_programs, render_pdf

FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"


def _font_programs(pdf: bytes) -> dict[str, set[int]]:
    """Each font's name and the embedded programs (object numbers) its dictionaries use."""
    reader = PdfReader(io.BytesIO(pdf))
    found: dict[str, set[int]] = {}
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font") or {}
        for font in fonts.values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            program = descendant["/FontDescriptor"].get_object().raw_get("/FontFile2")
            found.setdefault(str(font["/BaseFont"]), set()).add(program.idnum)
    return found


@pytest.mark.django_db
def test_a_joined_report_shares_one_subset_of_each_font(demo) -> None:
    report = Report(
        kind=ReportKind.COMMITTEE,
        language="mk",
        period=ReportingPeriod.objects.get(name="2025 H1"),
        requested_by=demo["demo-admin"],
    )
    source = report_html(report=report)
    whole = render_pdf(html=source, processes=1, timeout=120)
    joined = render_pdf(html=source, processes=2, timeout=120)
    assert joined.processes == 2
    programs = _font_programs(joined.pdf)
    assert programs.keys() == _font_programs(whole.pdf).keys()
    assert all(len(numbers) == 1 for numbers in programs.values()), programs
    assert len(joined.pdf) <= 1.05 * len(whole.pdf), (len(joined.pdf), len(whole.pdf))


def _subset(font: Path, text: str) -> tuple[bytes, set[int]]:
    """A subset of the font as WeasyPrint makes one (each glyph keeps its number), and the
    numbers of the glyphs it holds."""
    whole = TTFont(font)
    glyphs = {whole.getBestCmap()[ord(ch)] for ch in text}
    options = subset.Options(retain_gids=True, notdef_outline=True, hinting=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(glyphs=sorted(glyphs))
    subsetter.subset(whole)
    out = io.BytesIO()
    whole.save(out)
    order = TTFont(font).getGlyphOrder()
    return out.getvalue(), {order.index(name) for name in glyphs}


def _outlines(program: bytes) -> tuple[dict[int, bytes], dict[int, int]]:
    font = TTFont(io.BytesIO(program))
    glyf, order = font["glyf"], font.getGlyphOrder()
    outlines = {gid: glyf[name].compile(glyf) for gid, name in enumerate(order)}
    return outlines, {gid: font["hmtx"][name][0] for gid, name in enumerate(order)}


def test_the_subsets_merge_into_one_with_every_glyph_and_width() -> None:
    regular = FONTS / "NotoSans-Regular.ttf"
    first, first_glyphs = _subset(regular, "Skopje 2025")
    second, second_glyphs = _subset(regular, "Тетово, Shkup")
    both, _ = _subset(regular, "Skopje 2025Тетово, Shkup")
    merged = _merge_programs([first, second])
    assert merged is not None
    outlines, advances = _outlines(merged)
    expected, expected_advances = _outlines(both)
    for glyph in first_glyphs | second_glyphs:
        assert outlines[glyph] == expected[glyph]
        assert advances[glyph] == expected_advances[glyph] > 0
    # Every glyph drawn has its outline: all but the space.
    assert sum(1 for glyph in first_glyphs | second_glyphs if not outlines[glyph]) == 1
    assert not (first_glyphs >= second_glyphs or second_glyphs >= first_glyphs)


def test_subsets_of_different_fonts_are_not_merged() -> None:
    # The bold "S" is not the regular one, at the same glyph number.
    regular, _ = _subset(FONTS / "NotoSans-Regular.ttf", "Skopje")
    bold, _ = _subset(FONTS / "NotoSans-Bold.ttf", "Skopje")
    assert _merge_programs([regular, bold]) is None
