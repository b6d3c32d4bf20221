"""A CSO enters its indicator's value for a period and submits it, the programme team returns
it, the CSO corrects it (withdrawing it once, on second thought) and resubmits it, the team
approves it; another CSO's request answers 404 and the EU observer reads it, changing nothing.
The pages are looked at 360 px wide too."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from loaders.demo import DEMO_PASSWORD, demo_load
from loaders.seeding import seed_load
from programme.choices import IndicatorKind, ValueState
from programme.models import Action, Indicator, IndicatorValue, Outcome, ReportingPeriod
from stakeholders.models import Institution
from tests.browser.conftest import log_in, screenshot
from tests.browser.test_layout import MIN_TARGET, OVERFLOW, PHONE, SMALL_TARGETS

pytestmark = pytest.mark.django_db(transaction=True)


def _fits_a_phone(page: Any, name: str) -> list[str]:
    """What is wrong with the current page at 360 px: sideways scrolling, small controls."""
    page.set_viewport_size(PHONE)
    screenshot(page, f"indicator-value-{name}-360")
    scroll_width, client_width = page.evaluate(OVERFLOW)
    problems = [f"{name}: {t}" for t in page.evaluate(SMALL_TARGETS, MIN_TARGET)]
    if scroll_width > client_width + 1:
        problems.append(f"{name}: {scroll_width} px wide in a {client_width} px window")
    page.set_viewport_size({"width": 1280, "height": 900})
    return problems


def test_indicator_value_review_round_trip_in_chromium(
    page: Any, live_server: Any, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    seed_load()
    action = Action.objects.get()
    demo_load(action=action)
    indicator = Indicator.objects.create(
        outcome=Outcome.objects.create(action=action, code="B", title="Shelters"),
        code="B.1",
        title="Social workers trained in the referral standard",
        unit="persons",
        baseline=0,
        by_sex=True,
        kind=IndicatorKind.REPORTED,
        responsible=Institution.objects.get(code="demo-cso-b"),
    )
    period = ReportingPeriod.objects.get(name="2026 H1")
    IndicatorValue.objects.create(indicator=indicator, period=period, target=Decimal(15))
    evidence_file = tmp_path / "attendance.pdf"
    evidence_file.write_bytes(b"%PDF-1.4\n%%EOF\n")
    problems: list[str] = []

    # The responsible institution enters the value, with its evidence, and submits it.
    log_in(page, live_server, "demo-cso-b", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/results/mine/")
    problems += _fits_a_phone(page, "mine")
    page.get_by_role("link", name="Report B.1, 2026 H1").click()
    problems += _fits_a_phone(page, "form")
    page.get_by_label("Value reached").fill("12")
    page.get_by_label(re.compile("^Women")).fill("7")
    page.get_by_label(re.compile("^Men")).fill("4")
    page.get_by_label("Other or not stated").fill("0")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("add up to 11, not 12").first.wait_for()
    page.get_by_label("Other or not stated").fill("1")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft saved").wait_for()
    page.get_by_role("link", name="Add evidence").click()
    page.get_by_label("Title").fill("Attendance sheets")
    page.get_by_label("File").set_input_files(str(evidence_file))
    page.get_by_role("button", name="Add").click()
    page.get_by_text("Evidence added.").wait_for()
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_text("Submitted for review").wait_for()
    value = IndicatorValue.objects.get(indicator=indicator, period=period)
    assert (value.state, value.actual, value.target) == (ValueState.SUBMITTED, 12, 15)
    detail = f"{live_server.url}/results/values/{value.pk}/"

    # Another CSO does not know it exists.
    log_in(page, live_server, "demo-cso-a", DEMO_PASSWORD)
    response = page.goto(detail)
    assert response is not None and response.status == 404

    # The programme team returns it with a comment.
    log_in(page, live_server, "demo-admin", DEMO_PASSWORD)
    page.goto(detail)
    page.get_by_label("Return for revision").check()
    page.get_by_label("Comment to the institution").fill("Which districts did they come from?")
    page.get_by_role("button", name="Record decision").click()
    page.get_by_text("Returned to the institution").wait_for()

    # The CSO corrects it and resubmits; withdraws it to add a file, and submits it again.
    log_in(page, live_server, "demo-cso-b", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/results/mine/")
    page.get_by_role("link", name="Edit B.1, 2026 H1").click()
    page.get_by_role("note").filter(has_text="Which districts did they come from?").wait_for()
    page.get_by_label("Value reached").fill("13")
    page.get_by_label("Other or not stated").fill("2")
    page.get_by_label("Note").fill("Kumanovo and Tetovo.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_text("Submitted for review").wait_for()
    page.get_by_role("link", name="Withdraw").click()
    page.get_by_role("heading", name="Withdraw this value?").wait_for()
    page.get_by_role("button", name="Withdraw").click()
    page.get_by_text("Withdrawn: the value is a draft again.").wait_for()
    page.get_by_role("link", name="Remove Attendance sheets").click()
    page.get_by_role("button", name="Remove").click()
    page.get_by_text("Evidence removed.").wait_for()
    page.get_by_role("link", name="Add evidence").click()
    page.get_by_label("Title").fill("Attendance sheets, both districts")
    page.get_by_label("File").set_input_files(str(evidence_file))
    page.get_by_role("button", name="Add").click()
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_text("Submitted for review").wait_for()
    problems += _fits_a_phone(page, "detail")

    # The programme team approves it: now it counts.
    log_in(page, live_server, "demo-admin", DEMO_PASSWORD)
    page.goto(detail)
    page.get_by_label("Approve: the value counts").check()
    page.get_by_role("button", name="Record decision").click()
    page.get_by_text("Approved. The value now counts in the results.").wait_for()
    value.refresh_from_db()
    assert (value.state, value.actual, value.actual_other) == (ValueState.APPROVED, 13, 2)
    assert [(t.from_state, t.to_state) for t in value.transitions.all()] == [
        ("draft", "submitted"),
        ("submitted", "returned"),
        ("returned", "submitted"),
        ("submitted", "draft"),
        ("draft", "submitted"),
        ("submitted", "approved"),
    ]
    history = page.get_by_role("list").filter(has_text="evidence removed: Attendance sheets")
    history.wait_for()
    screenshot(page, "indicator-value-approved")

    # The observer reads it and is offered nothing to change.
    log_in(page, live_server, "demo-observer", DEMO_PASSWORD)
    response = page.goto(detail)
    assert response is not None and response.ok
    page.get_by_text("Kumanovo and Tetovo.").wait_for()
    for control in ("Submit for review", "Withdraw", "Record decision", "Return for revision"):
        assert page.get_by_role("button", name=control).count() == 0, control
        assert page.get_by_role("link", name=control).count() == 0, control
    assert problems == [], "\n".join(problems)
