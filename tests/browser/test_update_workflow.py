"""A CSO drafts and submits an update, the programme team returns it, the CSO revises,
the team approves it, and the EU observer reads it on the recommendation page."""

from __future__ import annotations

from pathlib import Path

import pytest

from loaders.demo import DEMO_PASSWORD, demo_load
from loaders.seeding import seed_load
from programme.models import Action
from recommendations.choices import UpdateState
from recommendations.models import Evidence, ProgressUpdate, Recommendation
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_update_review_round_trip_in_chromium(page, live_server, tmp_path, settings) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    seed_load()
    demo_load(action=Action.objects.get())
    rec = Recommendation.objects.get(number=14)
    evidence_file = Path(tmp_path / "forum-report.pdf")
    evidence_file.write_bytes(b"%PDF-1.4\n%%EOF\n")

    log_in(page, live_server, "demo-cso-a", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/recommendations/{rec.pk}/")
    page.get_by_role("link", name="Report progress").first.click()
    page.get_by_label("Reporting period").select_option(label="2025 H2")
    page.get_by_label("Implementation status").select_option("in_progress")
    page.get_by_label("What was done").fill("A school forum was held in Kumanovo.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft saved").wait_for()

    page.get_by_role("link", name="Add evidence").click()
    page.get_by_label("Title").fill("Forum report")
    page.get_by_label("File").set_input_files(str(evidence_file))
    page.get_by_role("button", name="Add").click()
    page.get_by_text("Evidence added.").wait_for()
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_text("Submitted for review").wait_for()
    screenshot(page, "update-submitted")

    update = ProgressUpdate.objects.get(recommendation=rec, institution__code="demo-cso-a")
    assert update.state == UpdateState.SUBMITTED
    assert Evidence.objects.filter(update=update, title="Forum report").exists()

    log_in(page, live_server, "demo-admin", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/recommendations/updates/{update.pk}/")
    page.get_by_label("Return for revision").check()
    page.get_by_label("Comment to the institution").fill("How many pupils took part?")
    page.get_by_role("button", name="Record decision").click()
    page.get_by_text("Returned to the institution").wait_for()

    log_in(page, live_server, "demo-cso-a", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="returned, revise").first.click()
    page.get_by_role("note").filter(has_text="How many pupils took part?").wait_for()
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("What was done").fill("A school forum in Kumanovo reached 120 pupils.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_text("Submitted for review").wait_for()

    log_in(page, live_server, "demo-admin", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/recommendations/updates/{update.pk}/")
    page.get_by_label("Approve and lock").check()
    page.get_by_role("button", name="Record decision").click()
    page.get_by_text("Approved. The update is now locked.").wait_for()
    update.refresh_from_db()
    assert update.state == UpdateState.APPROVED
    assert page.get_by_role("button", name="Submit for review").count() == 0

    log_in(page, live_server, "demo-observer", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/recommendations/{rec.pk}/")
    page.get_by_text("A school forum in Kumanovo reached 120 pupils.").first.wait_for()
    screenshot(page, "recommendation-observer")
