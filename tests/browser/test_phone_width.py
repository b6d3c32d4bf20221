"""A programme officer on a 360 px phone: the menu folds into one "Menu" control that opens,
and the dashboard, a training and its scores page fit the screen, the tables read as one card
per row with every column (Completed, File) named and on screen."""

from __future__ import annotations

import pytest
from django.urls import reverse

from loaders.demo import DEMO_PASSWORD
from programme.models import Meeting
from reports.choices import ReportStatus
from tests import factories
from tests.browser.conftest import log_in, screenshot
from trainings.models import Training

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 900}
SCROLL_WIDTH = "() => document.documentElement.scrollWidth"
# Every labelled cell of the page's stacked tables lies inside the window.
CELLS_OFF_SCREEN = """() => [...document.querySelectorAll('table.reflow td[data-label]')]
  .filter((td) => { const r = td.getBoundingClientRect();
                    return r.width > 0 && (r.left < 0 || r.right > innerWidth + 1); })
  .map((td) => td.dataset.label)"""


def test_pages_fit_a_phone_and_the_menu_opens(page, live_server, demo) -> None:
    training = Training.objects.filter(attendance__isnull=False).distinct().order_by("pk").first()
    assert training is not None
    # A finished report, so the reports table has a row with its "File" (the download).
    factories.ReportFactory.create(
        requested_by=demo["demo-admin"],
        status=ReportStatus.DONE,
        version=1,
        file="reports/meeting-record.pdf",
        sha256="0" * 64,
        pages=4,
    )
    pages = {
        "dashboard": reverse("dashboard:dashboard"),
        "training": reverse("trainings:detail", args=[training.pk]),
        "scores": reverse("trainings:attendance_edit", args=[training.pk]),
        "reports": reverse("reports:report_list"),
        # The programme team's week: the review queue, a meeting, the register, a person.
        "review-queue": reverse("recommendations:review_queue"),
        "meeting": reverse("programme:meeting_detail", args=[Meeting.objects.latest("number").pk]),
        "meeting-form": reverse("programme:meeting_create"),
        "register": reverse("trainings:people"),
        "person": reverse("trainings:person", args=[training.attendance.first().participant_id]),
    }
    log_in(page, live_server, "demo-admin", DEMO_PASSWORD)
    page.set_viewport_size(PHONE)
    for name, path in pages.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.ok, path
        screenshot(page, f"phone-{name}")
        assert page.evaluate(SCROLL_WIDTH) <= PHONE["width"], name
        assert page.evaluate(CELLS_OFF_SCREEN) == [], name

    # The scores page is stacked: one card per participant, "Completed" on screen in it.
    page.goto(f"{live_server.url}{pages['scores']}")
    completed = page.locator('table.scores td[data-label="Completed"]').first
    assert completed.is_visible()
    assert completed.evaluate("(td) => getComputedStyle(td).display") != "table-cell"
    assert completed.locator("input[type=checkbox]").is_visible()

    # Saving says so in a box at the top of the page's content, which takes the focus.
    page.get_by_role("button", name="Save scores").click()
    page.wait_for_url(f"{live_server.url}{pages['training']}")
    box = page.locator("main #messages .message-success[role=status]")
    assert box.inner_text().split() == ["Done:", "Scores", "saved."]
    assert page.evaluate("() => document.activeElement.id") == "messages"
    screenshot(page, "phone-message")

    page.goto(f"{live_server.url}{pages['reports']}")
    download = page.locator('table.reflow td[data-label="File"]').get_by_role("link")
    assert download.first.is_visible()

    # The menu: one control, the links behind it until it is opened.
    menu = page.locator("nav.site-nav details.menu")
    summary = menu.locator("summary")
    assert summary.is_visible() and summary.inner_text().strip() == "Menu"
    reports_link = page.locator("nav.site-nav").get_by_role("link", name="Reports")
    assert not reports_link.is_visible()
    summary.click()
    assert menu.evaluate("(d) => d.open")
    assert reports_link.is_visible()
    screenshot(page, "phone-menu-open")
    reports_link.click()
    page.wait_for_url(f"{live_server.url}{pages['reports']}")

    # Wide, the control is gone and the links show as a row, as before.
    page.set_viewport_size(LAPTOP)
    page.goto(f"{live_server.url}{pages['dashboard']}")
    assert not page.locator("nav.site-nav summary").is_visible()
    assert page.locator("nav.site-nav").get_by_role("link", name="Reports").is_visible()
