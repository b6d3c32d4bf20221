"""axe-core in Chromium on every portal page each role can open, in each language.

The pages come from the persona matrix: every URL whose GET the role may open, so a new page
is checked as soon as it has a rule there (the public pages among them; the content
translations page for the programme team, and again below in the states the walk does not
reach). The rules are WCAG 2.1 A and AA.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from loaders.demo import DEMO_PASSWORD
from recommendations.models import Recommendation
from tests.browser.conftest import axe_violations, log_in
from tests.downloads import DOWNLOADS
from tests.test_persona_matrix import OK, RULES, World, world  # noqa: F401 - the fixture
from trainings.models import Training

pytestmark = pytest.mark.django_db(transaction=True)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

NOT_PAGES = {"health", "logout", "set_language", "login"}  # no page, or not a portal page
# Public pages in the language their address names, not the reader's: walked anonymously in
# every language by tests/browser/test_public_pages.py.
NOT_PAGES |= {
    f"public:{p}_in"
    for p in ("home", "results", "trainings", "research", "recommendations", "meetings")
}


def portal_pages(persona: str, w: World) -> list[str]:
    return [
        reverse(name, kwargs=rule.kwargs(w))
        for name, rule in sorted(RULES.items())
        if name not in NOT_PAGES | DOWNLOADS and rule.get[persona] == OK
    ]


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
@pytest.mark.parametrize(
    "persona", ["demo-cso-a", "demo-cso-b", "demo-ministry", "demo-observer", "demo-admin"]
)
def test_no_axe_violations_on_any_page(
    axe_page: Any,
    live_server: Any,
    world: World,  # noqa: F811 - the fixture imported above
    persona: str,
    language: str,
) -> None:
    page = axe_page
    page.goto(f"{live_server.url}/accounts/login/")
    found = [f"login page: {v}" for v in axe_violations(page)]
    log_in(page, live_server, persona, DEMO_PASSWORD)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    pages = portal_pages(persona, world)
    assert len(pages) > 10
    for path in pages:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.ok, path
        assert page.locator("html").get_attribute("lang") == language, path
        found += [f"{path}: {v}" for v in axe_violations(page)]
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
def test_no_axe_violations_on_the_translations_page_in_each_of_its_states(
    axe_page: Any,
    live_server: Any,
    demo: dict[str, Any],
    language: str,
) -> None:
    """The content translations page (core.translation_work) as the programme team meets it:
    listing records that lack a language, and answering a workbook it cannot read with the
    table of problems."""
    Recommendation.objects.filter(number=3).update(text_sq="")
    Training.objects.filter(pk=Training.objects.order_by("pk")[0].pk).update(title_mk="")
    page = axe_page
    log_in(page, live_server, "demo-admin", DEMO_PASSWORD)
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    path = reverse("core:translations")
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None and response.ok
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("#missing-heading ~ .table-wrap table").count() >= 2
    found = [f"listing: {v}" for v in axe_violations(page)]

    upload = page.locator("form.stacked")
    upload.locator("input[type=file]").set_input_files(
        files=[{"name": "translations.xlsx", "mimeType": XLSX, "buffer": b"not a workbook"}]
    )
    upload.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#offline-heading ~ .table-wrap table").count() == 1
    found += [f"problems: {v}" for v in axe_violations(page)]
    assert found == [], "\n".join(found)
