"""The visibility marks in static/visibility/: the European flag's published geometry."""

from __future__ import annotations

import math
import re

from defusedxml import ElementTree as ET

from publicsite.emblems import (
    BLUE,
    COE_FILE,
    EU_FILE,
    GOLD,
    coe_mark_svg,
    eu_flag_svg,
    star_centres,
    star_points,
)

SVG = "{http://www.w3.org/2000/svg}"


def test_the_shipped_files_are_what_the_module_draws() -> None:
    assert EU_FILE.read_text(encoding="utf-8") == eu_flag_svg()
    assert COE_FILE.read_text(encoding="utf-8") == coe_mark_svg()


def test_the_flag_is_three_by_two_reflex_blue_with_twelve_gold_stars() -> None:
    root = ET.fromstring(eu_flag_svg())
    _, _, width, height = (float(v) for v in root.attrib["viewBox"].split())
    assert width / height == 1.5
    rect = root.find(f"{SVG}rect")
    assert rect is not None and rect.attrib["fill"] == BLUE
    group = root.find(f"{SVG}g")
    assert group is not None and group.attrib["fill"] == GOLD
    stars = group.findall(f"{SVG}polygon")
    assert len(stars) == 12
    centre = (width / 2, height / 2)
    for star in stars:
        points = [
            tuple(float(n) for n in pair.split(","))
            for pair in re.split(r"\s+", star.attrib["points"].strip())
        ]
        assert len(points) == 10
        middle = (sum(p[0] for p in points[::2]) / 5, sum(p[1] for p in points[::2]) / 5)
        # On a circle a third of the height round the centre of the flag...
        assert math.isclose(math.dist(middle, centre), height / 3, abs_tol=0.01)
        # ...each point an eighteenth of the height from the star's centre, the first straight up.
        for p in points[::2]:
            assert math.isclose(math.dist(p, middle), height / 18, abs_tol=0.01)
        assert math.isclose(points[0][0], middle[0], abs_tol=0.01) and points[0][1] < middle[1]


def test_stars_stand_at_the_hours_of_a_clock() -> None:
    centres = star_centres(0, 0, 1)
    assert math.isclose(centres[0][0], 0, abs_tol=1e-9) and math.isclose(centres[0][1], -1)
    assert math.isclose(centres[3][0], 1) and math.isclose(centres[6][1], 1)
    # A regular star: its inner corners where the lines joining its points cross.
    points = star_points(0, 0, 1)
    inner = math.dist(points[1], (0, 0))
    assert math.isclose(inner, math.cos(math.radians(72)) / math.cos(math.radians(36)))


def test_the_council_of_europe_mark_names_it_in_english_and_french() -> None:
    root = ET.fromstring(coe_mark_svg())
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["COUNCIL OF EUROPE", "CONSEIL DE L'EUROPE"]
    assert len(root.findall(f"{SVG}g/{SVG}polygon")) == 12
