"""The main pages at phone width (360 px) and laptop width (1280 px): full-page screenshots to
look at, and two checks at 360 px — nothing makes the page scroll sideways, and every control
is at least 24 × 24 CSS pixels (WCAG 2.2's minimum target size; links inside running text
are exempt, as WCAG allows)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from loaders.demo import DEMO_PASSWORD
from programme.models import Indicator
from programme.permissions import meetings_visible_to
from recommendations.models import Recommendation
from tests.browser.conftest import log_in, screenshot
from trainings.permissions import trainings_visible_to

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 900}
MIN_TARGET = 24

OVERFLOW = "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"

# Visible controls smaller than the minimum, except links inside running text.
SMALL_TARGETS = """(min) => {
  const interactive = 'a[href], button, input:not([type=hidden]), select, textarea, summary,'
    + ' [tabindex]:not([tabindex="-1"])';
  const inRunningText = (el) => {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    let block = el.parentElement;
    while (block && getComputedStyle(block).display === 'inline') block = block.parentElement;
    const texts = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    for (let node = texts.nextNode(); node; node = texts.nextNode()) {
      if (node.textContent.trim() && !node.parentElement.closest('a, button, label, select'))
        return true;
    }
    return false;
  };
  const found = [];
  for (const el of document.querySelectorAll(interactive)) {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || s.visibility === 'hidden') continue;
    if (el.closest('.visually-hidden') || r.right < 0) continue;  // not on screen until focused
    if ((r.width >= min - 0.5 && r.height >= min - 0.5) || inRunningText(el)) continue;
    const name = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '');
    found.push(`${el.tagName.toLowerCase()} "${name.trim().slice(0, 40)}" `
      + `${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  return found;
}"""


def main_pages(username: str, demo: dict[str, Any]) -> dict[str, str]:
    user = demo[username]
    rec = Recommendation.objects.get(number=14)  # assigned to Demo CSO A
    training = trainings_visible_to(user).order_by("start_date", "pk").first()
    meeting = meetings_visible_to(user).order_by("date", "pk").first()
    indicator = Indicator.objects.order_by("outcome__code", "code").first()
    assert training is not None and meeting is not None and indicator is not None
    return {
        "dashboard": reverse("dashboard:dashboard"),
        "recommendations": reverse("recommendations:list"),
        "recommendation": reverse("recommendations:detail", args=[rec.pk]),
        "update-form": reverse("recommendations:update_create", args=[rec.pk]),
        "trainings": reverse("trainings:list"),
        "training": reverse("trainings:detail", args=[training.pk]),
        "meeting": reverse("programme:meeting_detail", args=[meeting.pk]),
        "imports": reverse("imports:import_list"),
        "reports": reverse("reports:report_list"),
        "results": reverse("programme:results_framework"),
        "iptt": reverse("programme:results_iptt"),
        "indicator": reverse("programme:results_indicator", args=[indicator.pk]),
    }


@pytest.mark.parametrize("username", ["demo-cso-a", "demo-admin"])
def test_main_pages_fit_a_phone_and_a_laptop(page, live_server, demo, username) -> None:
    pages = main_pages(username, demo)
    log_in(page, live_server, username, DEMO_PASSWORD)
    problems: list[str] = []
    for viewport in (PHONE, LAPTOP):
        page.set_viewport_size(viewport)
        for name, path in pages.items():
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.ok, path
            screenshot(page, f"layout-{username}-{name}-{viewport['width']}")
            if viewport is not PHONE:
                continue
            scroll_width, client_width = page.evaluate(OVERFLOW)
            if scroll_width > client_width + 1:
                problems.append(f"{path}: {scroll_width} px wide in a {client_width} px window")
            problems += [f"{path}: {t}" for t in page.evaluate(SMALL_TARGETS, MIN_TARGET)]
    assert problems == [], "\n".join(problems)
