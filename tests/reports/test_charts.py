"""The SVG charts: drawn from the figures, labels escaped, numbers in the reader's language."""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation

from reports.charts import Series, bar_chart, paired_bar_chart, stacked_bar_chart
from reports.documents import css_string


def _widths(svg: str) -> list[float]:
    import re

    return [float(w) for w in re.findall(r'<rect x="[^"]+" y="[^"]+" width="([^"]+)"', svg)]


def test_bars_are_as_long_as_their_values() -> None:
    svg = bar_chart(title="Trainings", bars=[("A", 10), ("B", 5), ("C", 0)])
    long, half, none = _widths(svg)
    assert long == 2 * half
    assert none == 0


def test_labels_typed_by_people_are_escaped() -> None:
    svg = bar_chart(title="<b>t</b>", bars=[('<script>alert(1)</script>"', 3)])
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "&lt;b&gt;t&lt;/b&gt;" in svg
    stacked = stacked_bar_chart(
        title="x", rows=[("<img src=x>", (1, 2, 0))], series=[Series("<i>W</i>", "#000")] * 3
    )
    assert "<img" not in stacked and "<i>" not in stacked


def test_numbers_follow_the_language() -> None:
    with translation.override("mk"):
        svg = paired_bar_chart(
            title="Scores",
            rows=[("All", Decimal("45.5"), Decimal("61.2"))],
            series=(Series("Before", "#111"), Series("After", "#222")),
        )
    assert "45,5" in svg and "61,2" in svg
    with translation.override("en"):
        svg = bar_chart(title="Met", bars=[("1.1.a", Decimal("120.0"))], places=1, suffix=" %")
    assert "120.0 %" in svg


def test_a_missing_value_is_a_dash_not_a_bar() -> None:
    svg = bar_chart(title="Met", bars=[("2.1.a", None)])
    assert "—" in svg
    assert _widths(svg) == [0.0]


def test_css_strings_escape_everything_but_letters_and_digits() -> None:
    assert css_string("Страница") == '"Страница"'
    hostile = css_string('Page"; } body { background: url(http://x) } /*')
    assert '"' not in hostile[1:-1]
    assert "(" not in hostile and "}" not in hostile and "/" not in hostile
