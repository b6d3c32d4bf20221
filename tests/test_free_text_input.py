"""Text typed into a search or filter box never breaks a page: a NUL byte (which PostgreSQL
refuses in any text) or another control character is dropped, and the search still runs."""

from __future__ import annotations

import pytest
from django.test import Client

from dashboard.search import search

pytestmark = pytest.mark.django_db

# Every page with a free-text box, and its parameter.
SEARCH_BOXES = [
    "/search/?q={}",
    "/institutions/?q={}",
    "/trainings/?q={}",
    "/recommendations/?q={}",
]
HOSTILE = ["%00", "Skopje%00", "%00%00%01%1F", "Tra%00ining", "%ED%A0%80", "%EF%BF%BF"]


@pytest.mark.parametrize("url", SEARCH_BOXES)
@pytest.mark.parametrize("typed", HOSTILE)
def test_a_nul_or_control_character_in_a_search_box_does_not_break_the_page(
    client: Client, demo, url: str, typed: str
) -> None:
    client.force_login(demo["demo-cso-a"])
    response = client.get(url.format(typed))
    assert response.status_code == 200


def test_the_search_finds_what_the_text_around_the_nul_names(client: Client, demo) -> None:
    client.force_login(demo["demo-observer"])
    plain = client.get("/search/?q=Skopje")
    with_nul = client.get("/search/?q=Skop%00je%00")
    assert len(plain.context["page_obj"].object_list) > 0
    assert with_nul.context["page_obj"].object_list == plain.context["page_obj"].object_list
    assert search(user=demo["demo-observer"], q="\x00Skopje\x00") == search(
        user=demo["demo-observer"], q="Skopje"
    )


def test_the_list_filters_match_as_if_the_nul_were_not_there(client: Client, demo) -> None:
    client.force_login(demo["demo-observer"])
    for url in ("/institutions/?q={}", "/trainings/?q={}", "/recommendations/?q={}"):
        plain = client.get(url.format("Demo" if "institutions" in url else "traff"))
        with_nul = client.get(url.format("De%00mo" if "institutions" in url else "tr%00aff"))
        rows = list(plain.context["page_obj"].object_list)
        assert rows, url
        assert list(with_nul.context["page_obj"].object_list) == rows, url


def test_the_admin_search_box_takes_a_nul_too(admin_client) -> None:
    for url in ("/admin/stakeholders/institution/", "/admin/trainings/participant/"):
        assert admin_client.get(url, {"q": "Skopje\x00"}).status_code == 200


def test_search_text_drops_control_characters_and_bounds_the_length() -> None:
    from core.portal import SEARCH_MAX_CHARS, search_text

    assert search_text("  Sko\x00pje \t\n ") == "Skopje"
    assert search_text("Sko\tpje") == "Sko pje"
    assert search_text("\x00\x01\x1f\x7f\x9f") == ""
    assert search_text("\ud800 text \ufffe") == "text"
    assert search_text("Охрид Shkup") == "Охрид Shkup"
    assert len(search_text("x" * 10_000)) == SEARCH_MAX_CHARS
    assert search_text(None) == ""
