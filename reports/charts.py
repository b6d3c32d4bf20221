"""Charts for the PDF reports, drawn as SVG from the figures the report's tables show.

Every label is escaped (``format_html``): names typed by users end up as text, never as
markup. Numbers are written in the active language's format.

Each chart draws its title above the bars and wraps long labels over as many lines as they need
(none is cut). Its ``<title>`` is the PDF's alternative text for the figure: the chart's title
and every figure it draws, so that a screen reader gives what the eye sees.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
LABEL_WIDTH = 250
ROW = 22
BAR = 14
LINE = 12  # a label's line height
LABEL_CHARACTERS = 40  # what fits in LABEL_WIDTH at the chart's font size
TITLE = 24  # the height of the chart's title, drawn above the bars
TOP = 8 + TITLE
FONT = "font-family: 'Report Sans'; font-size: 10px"

INK = "#1d2733"
GRID = "#c8ced6"
COLOURS = {
    "primary": "#0b4f9c",
    "women": "#a33f73",
    "men": "#2f6fb0",
    "other": "#7d8793",
    "before": "#9aa9bb",
    "after": "#0b4f9c",
    "target": "#b33a1b",
}

Number = int | float | Decimal
T = TypeVar("T")


@dataclass(frozen=True)
class Series:
    label: str
    colour: str


def _fmt(value: Number | None, places: int = 0) -> str:
    if value is None:
        return "—"
    return number_format(value, decimal_pos=places)


def _n(value: float) -> str:
    """A coordinate, to a tenth of a unit."""
    return f"{value:.1f}"


def _lines(label: str) -> list[str]:
    """A label over as many lines as it needs; a word longer than a line is broken."""
    return textwrap.wrap(label, LABEL_CHARACTERS, break_long_words=True) or [""]


def _row_height(label: str, least: int = ROW) -> int:
    return max(least, len(_lines(label)) * LINE + ROW - LINE)


def _svg(title: str, height: float, body: SafeString, *, alt: str) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}" style="{font}">'
        "<title>{alt}</title>"
        '<text x="0" y="15" fill="{ink}" font-size="12" font-weight="bold">{title}</text>'
        "{body}</svg>",
        w=WIDTH,
        h=_n(height),
        font=FONT,
        alt=alt,
        ink=INK,
        title=title,
        body=body,
    )


def _alt(title: str, items: Sequence[str]) -> str:
    """The figure's alternative text: its title, then each label with its figures."""
    return f"{title}. " + "; ".join(items) + "." if items else f"{title}."


def _label(y: float, text: str) -> SafeString:
    """The label of the row whose first line's baseline is at ``y``."""
    lines = _lines(text)
    return format_html(
        '<text x="{x}" y="{y}" text-anchor="end" fill="{ink}">{spans}</text>',
        x=LABEL_WIDTH - 8,
        y=_n(y),
        ink=INK,
        spans=format_html_join(
            "",
            '<tspan x="{}" dy="{}">{}</tspan>',
            ((LABEL_WIDTH - 8, 0 if i == 0 else LINE, line) for i, line in enumerate(lines)),
        ),
    )


def _legend(series: Sequence[Series], y: float) -> SafeString:
    items = []
    x = LABEL_WIDTH
    for s in series:
        items.append(
            format_html(
                '<rect x="{x}" y="{ry}" width="10" height="10" fill="{c}"/>'
                '<text x="{tx}" y="{ty}" fill="{ink}">{label}</text>',
                x=x,
                ry=_n(y - 9),
                c=s.colour,
                tx=x + 14,
                ty=_n(y),
                ink=INK,
                label=s.label,
            )
        )
        x += 24 + 7 * len(s.label)
    return mark_safe("".join(items))  # noqa: S308 - each item built with format_html


def bar_chart(
    *,
    title: str,
    bars: Sequence[tuple[str, Number | None]],
    colour: str = COLOURS["primary"],
    places: int = 0,
    suffix: str = "",
    scale_max: Number | None = None,
    reference: Number | None = None,
) -> SafeString:
    """Horizontal bars, one per label, each with its value written at its end.

    ``reference`` draws a marked line, such as the 100 % of a target.
    """
    values = [float(v) for _l, v in bars if v is not None]
    top = float(scale_max) if scale_max else max([*values, float(reference or 0), 1.0])
    span = WIDTH - LABEL_WIDTH - 60
    rows = []
    y = float(TOP)
    for label, value in bars:
        width = 0.0 if value is None else max(0.0, min(float(value), top)) / top * span
        rows.append(
            format_html(
                '{label}<rect x="{x}" y="{ry}" width="{w}" height="{h}" fill="{c}"/>'
                '<text x="{tx}" y="{ty}" fill="{ink}">{value}{suffix}</text>',
                label=_label(y + BAR - 3, label),
                x=LABEL_WIDTH,
                ry=_n(y),
                w=_n(width),
                h=BAR,
                c=colour,
                tx=_n(LABEL_WIDTH + width + 4),
                ty=_n(y + BAR - 3),
                ink=INK,
                value=_fmt(value, places),
                suffix=suffix if value is not None else "",
            )
        )
        y += _row_height(label)
    height = y + 6
    line = SafeString("")
    if reference is not None:
        rx = LABEL_WIDTH + min(float(reference), top) / top * span
        line = format_html(
            '<line x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" stroke="{c}" '
            'stroke-width="1.5" stroke-dasharray="4 3"/>',
            x=_n(rx),
            y1=TOP - 6,
            y2=_n(height - 2),
            c=COLOURS["target"],
        )
    axis = format_html(
        '<line x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" stroke="{c}"/>',
        y1=TOP - 6,
        x=LABEL_WIDTH,
        y2=_n(height - 2),
        c=GRID,
    )
    alt = _alt(
        title,
        [f"{label}: {_fmt(v, places)}{suffix if v is not None else ''}" for label, v in bars],
    )
    return _svg(title, height, mark_safe(axis + "".join(rows) + line), alt=alt)  # noqa: S308


def stacked_bar_chart(
    *,
    title: str,
    rows: Sequence[tuple[str, Sequence[Number]]],
    series: Sequence[Series],
) -> SafeString:
    """Horizontal bars split into parts (women and men, say), the total at the end."""
    totals = [float(sum(parts)) for _l, parts in rows]
    top = max([*totals, 1.0])
    span = WIDTH - LABEL_WIDTH - 60
    drawn = []
    y = float(TOP)
    for index, (label, parts) in enumerate(rows):
        x = float(LABEL_WIDTH)
        pieces = [_label(y + BAR - 3, label)]
        for part, s in zip(parts, series, strict=True):
            width = float(part) / top * span
            if width > 0:
                pieces.append(
                    format_html(
                        '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{c}"/>',
                        x=_n(x),
                        y=_n(y),
                        w=_n(width),
                        h=BAR,
                        c=s.colour,
                    )
                )
            x += width
        pieces.append(
            format_html(
                '<text x="{x}" y="{y}" fill="{ink}">{total}</text>',
                x=_n(x + 4),
                y=_n(y + BAR - 3),
                ink=INK,
                total=_fmt(totals[index]),
            )
        )
        drawn.append(format_html_join("", "{}", ((p,) for p in pieces)))
        y += _row_height(label)
    legend_y = y + 12
    body = mark_safe("".join(drawn) + _legend(series, legend_y))  # noqa: S308
    alt = _alt(
        title,
        [
            f"{label}: {_fmt(totals[i])} ("
            + ", ".join(f"{s.label} {_fmt(part)}" for part, s in zip(parts, series, strict=True))
            + ")"
            for i, (label, parts) in enumerate(rows)
        ],
    )
    return _svg(title, legend_y + 8, body, alt=alt)


def paired_bar_chart(
    *,
    title: str,
    rows: Sequence[tuple[str, Number | None, Number | None]],
    series: tuple[Series, Series],
    scale_max: Number = 100,
    places: int = 1,
) -> SafeString:
    """Two bars per label (before and after, say), each with its value."""
    span = WIDTH - LABEL_WIDTH - 60
    pair = 2 * BAR - 2
    step = pair + 10
    drawn = []
    y = float(TOP)
    for label, first, second in rows:
        pieces = [_label(y + BAR + 2, label)]
        for offset, value, s in ((0, first, series[0]), (BAR - 1, second, series[1])):
            width = 0.0 if value is None else float(value) / float(scale_max) * span
            pieces.append(
                format_html(
                    '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{c}"/>'
                    '<text x="{tx}" y="{ty}" fill="{ink}" font-size="9">{v}</text>',
                    x=LABEL_WIDTH,
                    y=_n(y + offset),
                    w=_n(width),
                    h=BAR - 2,
                    c=s.colour,
                    tx=_n(LABEL_WIDTH + width + 4),
                    ty=_n(y + offset + BAR - 4),
                    ink=INK,
                    v=_fmt(value, places),
                )
            )
        drawn.append(format_html_join("", "{}", ((p,) for p in pieces)))
        y += _row_height(label, step)
    legend_y = y + 10
    body = mark_safe("".join(drawn) + _legend(series, legend_y))  # noqa: S308
    alt = _alt(
        title,
        [
            f"{label}: {series[0].label} {_fmt(first, places)}, "
            f"{series[1].label} {_fmt(second, places)}"
            for label, first, second in rows
        ],
    )
    return _svg(title, legend_y + 8, body, alt=alt)


def chart_parts(rows: Sequence[T], *, most: int) -> list[Sequence[T]]:
    """Rows ``(label, ...)`` cut into charts each as tall as ``most`` one-line rows at most,
    so that each fits a page however many lines its labels wrap to."""
    budget = most * ROW
    parts: list[Sequence[T]] = []
    start, used = 0, 0
    for index, row in enumerate(rows):
        height = _row_height(str(row[0]))  # type: ignore[index]
        if index > start and used + height > budget:
            parts.append(rows[start:index])
            start, used = index, 0
        used += height
    if start < len(rows):
        parts.append(rows[start:])
    return parts


def chart_or_nothing(make: Callable[[], SafeString], rows: Sequence[object]) -> SafeString:
    """A chart only when there is something to draw."""
    return make() if rows else SafeString("")
