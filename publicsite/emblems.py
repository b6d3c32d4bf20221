"""The visibility marks in static/visibility/, drawn from the published geometry.

The European flag, as the EU's graphic specification describes it: a blue rectangle (reflex
blue, #003399) one and a half times as wide as it is high; twelve gold stars (#FFDD00) on an
invisible circle centred where the diagonals meet, its radius a third of the height; each
star's five points on a circle whose radius is an eighteenth of the height; every star
upright (one point straight up), at the positions of the hours on a clock face.

The Council of Europe uses the same flag. Its mark here is that flag with the organisation's
name in English and French beside it: a stand-in drawn from the flag, not the CoE's logo,
which replaces it once the team has the official files (docs/public-site.md).

``python -m publicsite.emblems`` writes the files; tests/publicsite/test_visibility.py checks
that the shipped files are what this module draws.
"""

from __future__ import annotations

import math
from pathlib import Path

BLUE = "#003399"
GOLD = "#FFDD00"
HEIGHT = 540  # any height: every length below is a fraction of it
WIDTH = HEIGHT * 3 // 2
STATIC = Path(__file__).resolve().parent.parent / "static" / "visibility"
EU_FILE = STATIC / "eu-emblem.svg"
COE_FILE = STATIC / "coe-mark.svg"


def _number(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def star_points(cx: float, cy: float, radius: float) -> list[tuple[float, float]]:
    """The ten corners of an upright five-pointed star whose points lie on ``radius``.

    The inner corners are where the lines joining the points cross: at ``radius`` times
    cos 72° / cos 36° from the centre.
    """
    inner = radius * math.cos(math.radians(72)) / math.cos(math.radians(36))
    points = []
    for i in range(10):
        angle = math.radians(-90 + 36 * i)
        r = radius if i % 2 == 0 else inner
        points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
    return points


def star_centres(cx: float, cy: float, radius: float) -> list[tuple[float, float]]:
    """Twelve positions on a circle, as the hours of a clock face (twelve o'clock first)."""
    return [
        (
            cx + radius * math.cos(math.radians(-90 + 30 * hour)),
            cy + radius * math.sin(math.radians(-90 + 30 * hour)),
        )
        for hour in range(12)
    ]


def _stars(x: float, y: float, height: float) -> list[str]:
    cx, cy = x + height * 3 / 4, y + height / 2
    polygons = []
    for sx, sy in star_centres(cx, cy, height / 3):
        corners = " ".join(
            f"{_number(px)},{_number(py)}" for px, py in star_points(sx, sy, height / 18)
        )
        polygons.append(f'  <polygon points="{corners}"/>')
    return polygons


def eu_flag_svg() -> str:
    """The European flag, 3:2."""
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'width="{WIDTH}" height="{HEIGHT}">',
            f'  <rect width="{WIDTH}" height="{HEIGHT}" fill="{BLUE}"/>',
            f'  <g fill="{GOLD}">',
            *("  " + p for p in _stars(0, 0, HEIGHT)),
            "  </g>",
            "</svg>",
            "",
        ]
    )


def coe_mark_svg() -> str:
    """The flag with "COUNCIL OF EUROPE / CONSEIL DE L'EUROPE" beside it."""
    height = 200
    width = height * 3 // 2
    total = 1000
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {total} {height}" '
            f'width="{total}" height="{height}">',
            f'  <rect width="{width}" height="{height}" fill="{BLUE}"/>',
            f'  <g fill="{GOLD}">',
            *("  " + p for p in _stars(0, 0, height)),
            "  </g>",
            f'  <g fill="{BLUE}" font-family="Arial, Helvetica, \'DejaVu Sans\', sans-serif" '
            'font-size="46" font-weight="700">',
            f'    <text x="{width + 30}" y="88">COUNCIL OF EUROPE</text>',
            f'    <text x="{width + 30}" y="150">CONSEIL DE L\'EUROPE</text>',
            "  </g>",
            "</svg>",
            "",
        ]
    )


def emblems_write() -> None:
    STATIC.mkdir(parents=True, exist_ok=True)
    EU_FILE.write_text(eu_flag_svg(), encoding="utf-8")
    COE_FILE.write_text(coe_mark_svg(), encoding="utf-8")


if __name__ == "__main__":
    emblems_write()
