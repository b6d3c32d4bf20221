"""Charts for the PDF reports, drawn as SVG from the figures the report's tables show.

Every label is escaped (``format_html``): names typed by users end up as text, never as
markup. Numbers are written in the active language's format.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
LABEL_WIDTH = 250
ROW = 22
BAR = 14
TOP = 8
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


def _short(label: str, limit: int = 42) -> str:
    """Labels are cut to fit; the table next to the chart gives them in full."""
    return label if len(label) <= limit else f"{label[: limit - 1].rstrip()}…"


def _svg(title: str, height: int, body: SafeString) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}" style="{font}">'
        "<title>{title}</title>{body}</svg>",
        w=WIDTH,
        h=height,
        font=FONT,
        title=title,
        body=body,
    )


def _label(y: float, text: str) -> SafeString:
    return format_html(
        '<text x="{x}" y="{y}" text-anchor="end" fill="{ink}">{text}</text>',
        x=LABEL_WIDTH - 8,
        y=_n(y),
        ink=INK,
        text=_short(text),
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
    for index, (label, value) in enumerate(bars):
        y = TOP + index * ROW
        width = 0.0 if value is None else max(0.0, min(float(value), top)) / top * span
        rows.append(
            format_html(
                '{label}<rect x="{x}" y="{ry}" width="{w}" height="{h}" fill="{c}"/>'
                '<text x="{tx}" y="{ty}" fill="{ink}">{value}{suffix}</text>',
                label=_label(y + BAR - 3, label),
                x=LABEL_WIDTH,
                ry=y,
                w=_n(width),
                h=BAR,
                c=colour,
                tx=_n(LABEL_WIDTH + width + 4),
                ty=y + BAR - 3,
                ink=INK,
                value=_fmt(value, places),
                suffix=suffix if value is not None else "",
            )
        )
    height = TOP + len(bars) * ROW + 6
    line = SafeString("")
    if reference is not None:
        rx = LABEL_WIDTH + min(float(reference), top) / top * span
        line = format_html(
            '<line x1="{x}" y1="2" x2="{x}" y2="{y2}" stroke="{c}" '
            'stroke-width="1.5" stroke-dasharray="4 3"/>',
            x=_n(rx),
            y2=height - 2,
            c=COLOURS["target"],
        )
    axis = format_html(
        '<line x1="{x}" y1="2" x2="{x}" y2="{y2}" stroke="{c}"/>',
        x=LABEL_WIDTH,
        y2=height - 2,
        c=GRID,
    )
    return _svg(title, height, mark_safe(axis + "".join(rows) + line))  # noqa: S308


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
    for index, (label, parts) in enumerate(rows):
        y = TOP + index * ROW
        x = float(LABEL_WIDTH)
        pieces = [_label(y + BAR - 3, label)]
        for part, s in zip(parts, series, strict=True):
            width = float(part) / top * span
            if width > 0:
                pieces.append(
                    format_html(
                        '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{c}"/>',
                        x=_n(x),
                        y=y,
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
                y=y + BAR - 3,
                ink=INK,
                total=_fmt(totals[index]),
            )
        )
        drawn.append(format_html_join("", "{}", ((p,) for p in pieces)))
    legend_y = TOP + len(rows) * ROW + 12
    body = mark_safe("".join(drawn) + _legend(series, legend_y))  # noqa: S308
    return _svg(title, legend_y + 8, body)


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
    for index, (label, first, second) in enumerate(rows):
        y = TOP + index * step
        pieces = [_label(y + BAR + 2, label)]
        for offset, value, s in ((0, first, series[0]), (BAR - 1, second, series[1])):
            width = 0.0 if value is None else float(value) / float(scale_max) * span
            pieces.append(
                format_html(
                    '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{c}"/>'
                    '<text x="{tx}" y="{ty}" fill="{ink}" font-size="9">{v}</text>',
                    x=LABEL_WIDTH,
                    y=y + offset,
                    w=_n(width),
                    h=BAR - 2,
                    c=s.colour,
                    tx=_n(LABEL_WIDTH + width + 4),
                    ty=y + offset + BAR - 4,
                    ink=INK,
                    v=_fmt(value, places),
                )
            )
        drawn.append(format_html_join("", "{}", ((p,) for p in pieces)))
    legend_y = TOP + len(rows) * step + 10
    body = mark_safe("".join(drawn) + _legend(series, legend_y))  # noqa: S308
    return _svg(title, legend_y + 8, body)


def chart_or_nothing(make: Callable[[], SafeString], rows: Sequence[object]) -> SafeString:
    """A chart only when there is something to draw."""
    return make() if rows else SafeString("")
