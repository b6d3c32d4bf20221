"""The page benchmark's inventory (scripts/bench_pages.py --all-pages) follows the persona
matrix: every portal URL is timed, or named with the reason it is not."""

from __future__ import annotations

import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
sys.path.insert(0, str(SCRIPTS))

import bench_pages  # noqa: E402

from tests.test_persona_matrix import RULES  # noqa: E402


def test_every_portal_url_is_timed_or_named_as_skipped() -> None:
    inventory = bench_pages.page_inventory(RULES)
    assert [name for name, what in inventory.items() if what == "unaccounted for"] == []


def test_a_url_the_benchmark_names_is_still_a_portal_url() -> None:
    named = bench_pages.ALL_PAGES.keys() | bench_pages.ALREADY_TIMED | bench_pages.SKIPPED.keys()
    assert named - RULES.keys() == set()


def test_no_url_is_both_timed_and_skipped() -> None:
    timed = bench_pages.ALL_PAGES.keys() | bench_pages.ALREADY_TIMED
    assert timed & bench_pages.SKIPPED.keys() == set()
    assert bench_pages.ALL_PAGES.keys() & bench_pages.ALREADY_TIMED == set()


def test_a_new_url_shows_as_unaccounted_for() -> None:
    rules = {**RULES, "trainings:brand_new_page": RULES["trainings:detail"]}
    assert bench_pages.page_inventory(rules)["trainings:brand_new_page"] == "unaccounted for"


def test_a_post_only_url_is_skipped_without_being_listed() -> None:
    inventory = bench_pages.page_inventory(RULES)
    assert inventory["trainings:attendance_remove"] == "timed"
    assert inventory["recommendations:update_submit"] == "POST only"
    assert inventory["public:home"].startswith("the public site")
