"""A ministry focal point logs a training, adds its participants one by one and by pasting
rows from a spreadsheet, records pre/post scores, and sees the figures on the training."""

from __future__ import annotations

from decimal import Decimal

import pytest

from loaders.demo import DEMO_PASSWORD, demo_load
from loaders.seeding import seed_load
from programme.models import Action
from stakeholders.choices import Sex
from tests.browser.conftest import log_in, screenshot
from trainings.models import Attendance, Training

pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "Foster families caring for child victims: Kumanovo"


def test_ministry_logs_a_training_with_participants_and_scores(page, live_server) -> None:
    seed_load()
    demo_load(action=Action.objects.get())

    log_in(page, live_server, "demo-ministry", DEMO_PASSWORD)
    page.get_by_role("link", name="Trainings").first.click()
    page.get_by_role("link", name="Log a training").click()
    page.get_by_label("Title (English)").fill(TITLE)
    page.get_by_label("Capacity building for foster homes for child trafficking victims").check()
    page.get_by_label("Social workers").check()
    page.get_by_label("Status").select_option("held")
    page.get_by_label("Start date").fill("2026-10-06")
    page.get_by_label("End date").fill("2026-10-07")
    page.get_by_role("textbox", name="City").fill("Kumanovo")
    page.get_by_role("button", name="Log the training").click()
    page.get_by_role("heading", name=TITLE).wait_for()

    training = Training.objects.get(title_en=TITLE)
    assert training.organiser.code == "mspdy"

    # One participant through the form, with Cyrillic in the name.
    page.get_by_role("link", name="Add a participant").first.click()
    page.get_by_label("Full name").fill("Ана Петровска")
    page.get_by_label("Female").check()
    page.get_by_label("Pre-test score").fill("55")
    page.get_by_label("Post-test score").fill("80")
    page.get_by_role("button", name="Add", exact=True).click()
    page.get_by_role("heading", name=TITLE).wait_for()

    # Two more pasted from a spreadsheet: tab-separated, Macedonian sex letters.
    page.get_by_role("link", name="Paste participants").click()
    page.get_by_label("Rows from a spreadsheet").fill(
        "Марко Илиевски\tМ\tSocial workers\tMSPDY\t\t40\t70\n"
        "Drita Osmani\tF\tSocial workers\tMSPDY\tdrita@example.org\t60\t90\n"
    )
    page.get_by_role("button", name="Check and add").click()
    page.get_by_role("heading", name=TITLE).wait_for()

    # Correct one score afterwards.
    page.get_by_role("link", name="Edit scores").click()
    row = page.get_by_role("row").filter(has_text="Марко Илиевски")
    row.get_by_role("spinbutton").last.fill("75")
    page.get_by_role("button", name="Save scores").click()
    page.get_by_role("heading", name=TITLE).wait_for()
    screenshot(page, "training-ministry")

    attendance = {
        a.participant.full_name: a
        for a in Attendance.objects.filter(training=training).select_related("participant")
    }
    assert sorted(attendance) == ["Drita Osmani", "Ана Петровска", "Марко Илиевски"]
    assert attendance["Марко Илиевски"].participant.sex == Sex.MALE
    assert attendance["Марко Илиевски"].post_score == Decimal(75)
    assert attendance["Drita Osmani"].pre_score == Decimal(60)
    assert attendance["Ана Петровска"].post_score == Decimal(80)

    # The training page shows the people and the change in scores.
    body = page.locator("main").inner_text()
    for name in attendance:
        assert name in body
