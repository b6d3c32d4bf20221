"""axe-core in Chromium on every public page, as an anonymous visitor, in each language: the
pages that follow the switcher (from the persona matrix's anonymous column) and the pages
whose address names their language. Also at a phone's width, and printed."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from publicsite.views import PAGES
from tests.browser.conftest import axe_violations, screenshot
from tests.browser.test_accessibility import portal_pages
from tests.test_persona_matrix import World, world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
def test_no_axe_violations_on_any_public_page(
    axe_page: Any,
    live_server: Any,
    world: World,  # noqa: F811 - the fixture imported above
    language: str,
) -> None:
    page = axe_page
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    # The public site's pages among everything an anonymous visitor may open (the API and
    # the feeds are not pages).
    chosen = [p for p in portal_pages("anonymous", world) if p.startswith("/public/")]
    assert reverse("public:home") in chosen and reverse("public:meetings") in chosen
    in_address = [reverse(f"public:{name}_in", kwargs={"language": language}) for name in PAGES]
    found = []
    for path in [*chosen, *in_address]:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.ok, path
        assert page.locator("html").get_attribute("lang") == language, path
        found += [f"{path}: {v}" for v in axe_violations(page)]
    assert found == [], "\n".join(found)


def test_the_public_pages_fit_a_phone_and_print_without_their_controls(
    chromium: Any,
    live_server: Any,
    world: World,  # noqa: F811
) -> None:
    context = chromium.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        for name in PAGES:
            page.goto(f"{live_server.url}{reverse(f'public:{name}_in', kwargs={'language': 'en'})}")
            # Nothing wider than the screen but the tables, which scroll in their own box.
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name}: {overflow}px wider than a phone"
        screenshot(page, "public-trainings-phone")
        page.emulate_media(media="print")
        assert not page.locator(".public-nav").is_visible()
        assert page.locator(".visibility").is_visible()
        assert page.locator(".print-url").is_visible()
    finally:
        context.close()
