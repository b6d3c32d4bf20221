"""A CSO focal point reports progress with the keyboard alone: skip link, log in, find the
recommendation, fill the form, get an error, correct it, save. Every element that takes the
focus on the way shows where the focus is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from loaders.demo import DEMO_PASSWORD
from recommendations.choices import UpdateState
from recommendations.models import ProgressUpdate, Recommendation
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

NARRATIVE = "Two school forums on safe recruitment, in Tetovo and Gostivar."

# What the focused element is, and whether a focus indicator is drawn round it.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const r = el.getBoundingClientRect();
  const ring = s.outlineStyle === "none" ? 0
    : Math.max(0, parseFloat(s.outlineOffset)) + parseFloat(s.outlineWidth);
  const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    href: el.getAttribute("href") || "",
    text: (label || el.getAttribute("aria-label") || el.innerText || el.value || "").trim(),
    ring: (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none",
    // The element and its ring, which reaches past it by the outline's offset and width.
    visible: r.width > 0 && r.height > 0 && r.left - ring >= -1 && r.top - ring >= -1
      && r.right + ring <= innerWidth + 1 && r.bottom + ring <= innerHeight + 1,
    rect: [r.left, r.top, r.right, r.bottom].map(Math.round),
  };
}"""

Focus = dict[str, Any]


def focused(page: Any) -> Focus:
    info = page.evaluate(FOCUSED)
    assert info is not None, "the focus was lost (on the page body)"
    return info


def shows_focus(info: Focus) -> None:
    assert info["ring"], f"no visible focus indicator on {info}"
    assert info["visible"], f"the focused element is not on screen: {info}"


def press(page: Any, key: str) -> Focus:
    """Press a key that moves the focus; the newly focused element must show it."""
    page.keyboard.press(key)
    info = focused(page)
    shows_focus(info)
    return info


def tab_to(page: Any, wanted: Callable[[Focus], bool], *, limit: int = 120) -> Focus:
    """Tab until the focus reaches what `wanted` accepts, checking every stop on the way."""
    seen: list[str] = []
    for _ in range(limit):
        info = press(page, "Tab")
        if wanted(info):
            return info
        seen.append(f"{info['tag']} {info['text'][:40]!r}")
    raise AssertionError("never reached; the focus went to: " + " → ".join(seen))


def wait_for_path(page: Any, path: str) -> None:
    # After the skip link the address ends in #main, which a redirect keeps.
    page.wait_for_url(lambda url: urlsplit(url).path == path)


def named(text: str, tag: str | None = None) -> Callable[[Focus], bool]:
    return lambda i: i["text"].startswith(text) and (tag is None or i["tag"] == tag)


def test_cso_reports_progress_with_the_keyboard_only(page, live_server, demo) -> None:
    rec = Recommendation.objects.get(number=10)
    page.goto(f"{live_server.url}/accounts/login/")

    # The first Tab reaches the skip link, shown on screen; Enter moves the focus to main.
    skip = press(page, "Tab")
    assert skip["tag"] == "a" and skip["text"] == "Skip to main content", skip
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"

    # Log in: the first Tab from main is the username.
    assert press(page, "Tab")["text"] == "Username"
    page.keyboard.type("demo-cso-b")
    assert press(page, "Tab")["text"] == "Password"
    page.keyboard.type(DEMO_PASSWORD)
    assert press(page, "Tab")["text"] == "Log in"
    page.keyboard.press("Enter")
    wait_for_path(page, "/")

    # From the dashboard through the main menu to the recommendation.
    tab_to(page, named("Recommendations", "a"))
    page.keyboard.press("Enter")
    wait_for_path(page, "/recommendations/")
    tab_to(page, lambda i: i["href"] == f"/recommendations/{rec.pk}/")
    page.keyboard.press("Enter")
    wait_for_path(page, f"/recommendations/{rec.pk}/")
    tab_to(page, named("Report progress", "a"))
    page.keyboard.press("Enter")
    wait_for_path(page, f"/recommendations/{rec.pk}/report/")

    # The form, with "What was done" left empty: an error.
    tab_to(page, named("Reporting for", "select"))
    assert press(page, "Tab")["text"].startswith("Reporting period")
    page.keyboard.press("ArrowDown")  # it starts blank: the first period is chosen
    status = press(page, "Tab")
    assert status["text"].startswith("Implementation status"), status
    page.keyboard.press("ArrowDown")  # a closed select takes the next option
    chosen_status = page.evaluate("() => document.activeElement.value")
    assert press(page, "Tab")["text"].startswith("What was done")
    tab_to(page, named("Save draft", "button"))
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # The page comes back with the focus on the summary of the problems. Its `autofocus` is
    # applied at the browser's next rendering opportunity, which on a busy machine can come
    # after the load event: wait for the focus to land (or fail after five seconds).
    page.wait_for_function(
        "() => document.activeElement && document.activeElement !== document.body", timeout=5000
    )
    summary = focused(page)
    assert summary["id"] == "form-errors", summary
    shows_focus(summary)
    assert "What was done" in summary["text"]
    screenshot(page, "keyboard-walk-error")
    # The field says it is wrong, and which message explains why.
    narrative = page.locator("#id_narrative")
    assert narrative.get_attribute("aria-invalid") == "true"
    described_by = (narrative.get_attribute("aria-describedby") or "").split()
    messages = [page.locator(f"#{i}").inner_text() for i in described_by]
    assert any("This field is required" in m for m in messages), messages
    # What was chosen before the error is kept.
    assert page.locator("#id_status").input_value() == chosen_status

    # The summary's link leads to the field; type the text there and save.
    link = press(page, "Tab")
    assert link["tag"] == "a" and link["href"] == "#id_narrative", link
    page.keyboard.press("Enter")
    field = focused(page)
    assert field["id"] == "id_narrative", field
    shows_focus(field)
    page.keyboard.type(NARRATIVE)
    tab_to(page, named("Save draft", "button"))
    page.keyboard.press("Space")
    page.get_by_text("Draft saved").wait_for()
    screenshot(page, "keyboard-walk-saved")

    update = ProgressUpdate.objects.get(recommendation=rec, narrative=NARRATIVE)
    assert update.institution.code == "demo-cso-b"
    assert update.state == UpdateState.DRAFT
    assert update.status == chosen_status
