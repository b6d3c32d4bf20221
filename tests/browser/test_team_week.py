"""The programme team's week in Chromium: it records steering-committee meeting 4 (attendance,
two decisions, action points, one carried over from meeting 3), prepares meeting 5, which
carries the open points, and reviews three submitted updates from the queue: two approved at
once, one returned with a comment that reaches the CSO's notifications and email."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from core.models import OutboxEmail
from loaders.demo import DEMO_PASSWORD, demo_load
from loaders.seeding import seed_load
from notifications.choices import NotificationKind
from notifications.models import Notification
from programme.choices import ActionPointStatus, MeetingFormat, MeetingStatus
from programme.models import Action, ActionPoint, Meeting
from programme.selectors import action_points_carried_into
from recommendations.choices import UpdateState
from recommendations.models import ProgressUpdate
from recommendations.services import progress_update_submit
from stakeholders.models import Institution, User
from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

DECISIONS = [
    "The 2025 training calendar gives priority to online recruitment.",
    "The civic forums continue in Kumanovo and Tetovo in 2025.",
]
CALENDAR = "Circulate the 2025 training calendar to all focal points"
SCHOOLS = "Send the list of schools for the workshops on false job advertisements"
SPEAKERS_NOTE = "Two speakers were proposed at meeting 4; the third follows in May."
RETURN_COMMENT = "Name the two schools in Tetovo & attach the attendance lists."


def _demo() -> Action:
    seed_load()
    action = Action.objects.get()
    demo_load(action=action)
    return action


def _exactly(label: str) -> re.Pattern[str]:
    """A field's label, whole: a required field's ends in an asterisk."""
    return re.compile(rf"^\s*{re.escape(label)}(\s*\*)?\s*$")


def _institution(code: str) -> Institution:
    return Institution.objects.get(code=code)


def test_team_records_meeting_4_and_prepares_meeting_5(page: Any, live_server: Any) -> None:
    action = _demo()
    # The week begins before meeting 4 is recorded: the demo's own record of it goes.
    Meeting.objects.filter(action=action, number=4).delete()
    third = Meeting.objects.get(action=action, number=3)
    police = ActionPoint.objects.get(meeting=third, owner__code="moi")
    speakers = ActionPoint.objects.get(meeting=third, owner__code="demo-cso-a")
    assert police.is_open and speakers.is_open
    base = live_server.url

    log_in(page, live_server, "demo-admin", DEMO_PASSWORD)
    # Before the meeting the police nominated their officers: meeting 3's point is done.
    page.goto(f"{base}/meetings/{third.pk}/")
    page.get_by_role("link", name="Update Nominate police officers").click()
    page.get_by_label(_exactly("Status")).select_option(ActionPointStatus.DONE)
    page.get_by_label("Closed on").fill("2025-03-14")
    page.get_by_label("Progress note").fill("Twelve officers were nominated.")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Action point updated.").wait_for()

    # Meeting 4 is recorded as held.
    page.goto(f"{base}/meetings/")
    page.get_by_role("link", name="Record a meeting").click()
    expect(page.get_by_label("Number")).to_have_value("4")
    page.get_by_label(_exactly("Held")).check()
    page.get_by_label(_exactly("Date")).fill("2025-03-20")
    page.get_by_label("Place").fill("Skopje")
    page.get_by_label("Hybrid (in person and online)").check()
    page.get_by_label("Purpose (English)").fill(
        "Review the 2024 plan and agree the 2025 training calendar."
    )
    page.get_by_label(_exactly("Minutes (English)")).fill(
        "The committee reviewed the 2024 results."
    )
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Meeting recorded.").wait_for()
    meeting = Meeting.objects.get(action=action, number=4)
    assert page.url == f"{base}/meetings/{meeting.pk}/"

    attending = [
        ("eu-delegation", "Programme manager"),
        ("moi", "Head of the anti-trafficking unit\nNational rapporteur"),
        ("demo-cso-a", "Executive director"),
    ]
    page.get_by_role("link", name="Edit the attendance").click()
    for row, (code, representatives) in enumerate(attending, start=1):
        group = page.get_by_role("group", name=f"Institution {row}", exact=True)
        group.get_by_label(_exactly("Institution")).select_option(label=str(_institution(code)))
        group.get_by_label(_exactly("Representatives (English)")).fill(representatives)
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Attendance saved.").wait_for()

    for text in DECISIONS:
        page.get_by_role("link", name="Add a decision").click()
        page.get_by_label(_exactly("Text (English)")).fill(text)
        page.get_by_role("button", name="Save").click()
        page.get_by_text("Decision recorded.").wait_for()

    for description, owner, due, decision in [
        (CALENDAR, "coe", "2025-04-30", 1),
        (SCHOOLS, "demo-cso-a", "2025-05-31", 2),
    ]:
        page.get_by_role("link", name="Add an action point").click()
        page.get_by_label("Description").fill(description)
        page.get_by_label("Owner").select_option(label=str(_institution(owner)))
        page.get_by_label("Due date").fill(due)
        page.get_by_label(_exactly("Decision")).select_option(
            label=f"4.{decision} {DECISIONS[decision - 1]}"
        )
        page.get_by_role("button", name="Save").click()
        page.get_by_text("Action point added.").wait_for()

    # Meeting 3's open point is carried into meeting 4, which records its progress.
    carried = page.get_by_role("table", name="Action points carried in from earlier meetings")
    expect(carried.get_by_role("row")).to_have_count(2)  # the header and one point
    expect(carried).to_contain_text("Propose CSO speakers")
    expect(carried).not_to_contain_text("Nominate police officers")
    carried.get_by_role("link", name="Update Propose CSO speakers").click()
    page.get_by_label("Progress note").fill(SPEAKERS_NOTE)
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Action point updated.").wait_for()

    page.goto(f"{base}/meetings/{meeting.pk}/")
    page.get_by_role("heading", name="Steering-committee meeting 4").wait_for()
    raised = page.get_by_role("table", name="Action points raised at this meeting")
    expect(raised.get_by_role("row")).to_have_count(3)
    expect(raised).to_contain_text(CALENDAR)
    expect(raised).to_contain_text(SCHOOLS)
    expect(carried).to_contain_text(SPEAKERS_NOTE)
    decisions = page.locator("ol.decisions > li")
    expect(decisions).to_have_count(2)
    for text in DECISIONS:
        expect(decisions.filter(has_text=text)).to_have_count(1)
    expect(page.get_by_role("listitem").filter(has_text="National rapporteur")).to_have_count(1)
    screenshot(page, "team-week-meeting-4")

    meeting.refresh_from_db()
    assert (meeting.status, meeting.date, meeting.place, meeting.format) == (
        MeetingStatus.HELD,
        date(2025, 3, 20),
        "Skopje",
        MeetingFormat.HYBRID,
    )
    assert sorted(
        (a.institution.code, "\n".join(a.representatives.splitlines()))  # a form sends CRLF
        for a in meeting.attendance.select_related("institution")
    ) == sorted(attending)
    assert [(d.number, d.text) for d in meeting.decisions.order_by("number")] == list(
        enumerate(DECISIONS, start=1)
    )
    assert sorted(
        (p.description, p.owner.code, p.decision.number if p.decision else None, p.status)
        for p in meeting.action_points.select_related("owner", "decision")
    ) == [
        (CALENDAR, "coe", 1, ActionPointStatus.OPEN),
        (SCHOOLS, "demo-cso-a", 2, ActionPointStatus.OPEN),
    ]
    assert action_points_carried_into(meeting=meeting) == [speakers]
    police.refresh_from_db()
    speakers.refresh_from_db()
    assert (police.status, police.closed_on) == (ActionPointStatus.DONE, date(2025, 3, 14))
    assert (speakers.status, speakers.progress_note) == (
        ActionPointStatus.IN_PROGRESS,
        SPEAKERS_NOTE,
    )

    # Meeting 5 is prepared; it carries every point still open, from meetings 3 and 4.
    page.get_by_role("link", name="Prepare the next meeting").click()
    page.get_by_role("heading", name="3 open action points are carried").wait_for()
    to_carry = page.get_by_role("table", name="Open action points the next meeting carries")
    expect(to_carry.get_by_role("row")).to_have_count(4)
    expect(to_carry).not_to_contain_text("Nominate police officers")
    expect(page.locator(".agenda-draft")).to_contain_text(
        "2. Open action points from earlier meetings (3)"
    )
    screenshot(page, "team-week-prepare-meeting-5")
    page.get_by_role("button", name="Create meeting 5").click()
    page.get_by_text("Meeting 5 is prepared.").wait_for()
    page.get_by_role("heading", name="Steering-committee meeting 5").wait_for()
    carried_5 = page.get_by_role("table", name="Action points carried in from earlier meetings")
    expect(carried_5.get_by_role("row")).to_have_count(4)
    for text in ("Propose CSO speakers", CALENDAR, SCHOOLS):
        expect(carried_5.get_by_role("row").filter(has_text=text)).to_have_count(1)
    expect(carried_5).not_to_contain_text("Nominate police officers")
    expect(carried_5.get_by_role("row").filter(has_text=CALENDAR)).to_contain_text("Meeting 4")
    expect(carried_5.get_by_role("row").filter(has_text="Propose CSO")).to_contain_text("Meeting 3")
    screenshot(page, "team-week-meeting-5")

    fifth = Meeting.objects.get(action=action, number=5)
    assert (fifth.status, fifth.date) == (MeetingStatus.PLANNED, None)
    assert page.url == f"{base}/meetings/{fifth.pk}/"
    assert {p.description for p in action_points_carried_into(meeting=fifth)} == {
        speakers.description,
        CALENDAR,
        SCHOOLS,
    }
    assert CALENDAR in fifth.agenda and police.description not in fifth.agenda


def _queue_row(page: Any, update: ProgressUpdate) -> Any:
    name = re.compile(rf"Progress update on recommendation {update.recommendation.number}\b")
    return (
        page.get_by_role("row")
        .filter(has_text=name)
        .filter(has_text=update.institution.label)
        .filter(has_text=update.period.name)
    )


def test_team_reviews_three_updates_from_the_queue(page: Any, live_server: Any) -> None:
    _demo()
    cso = User.objects.get(username="demo-cso-a")
    # The demo has two updates waiting; demo-cso-a submits its draft as the third.
    draft = ProgressUpdate.objects.get(
        institution__code="demo-cso-a", recommendation__number=7, state=UpdateState.DRAFT
    )
    progress_update_submit(update=draft, by=cso)
    waiting = list(
        ProgressUpdate.objects.filter(state=UpdateState.SUBMITTED)
        .select_related("recommendation", "institution", "period")
        .order_by("recommendation__number")
    )
    approve = [u for u in waiting if u.pk != draft.pk]
    assert len(approve) == 2 and len(waiting) == 3
    assert cso.email
    mail.outbox.clear()
    base = live_server.url

    log_in(page, live_server, "demo-admin", DEMO_PASSWORD)
    page.goto(f"{base}/recommendations/review/")
    page.get_by_role("heading", name="Review queue").wait_for()
    for update in waiting:
        expect(_queue_row(page, update)).to_have_count(1)
    for update in approve:
        _queue_row(page, update).get_by_label("Choose to approve").check()
    page.get_by_role("button", name="Approve the chosen items…").click()

    page.get_by_role("heading", name="Approve the chosen items").wait_for()
    chosen = page.get_by_role("table", name="2 items to approve")
    expect(chosen.get_by_role("row")).to_have_count(3)
    for update in approve:
        expect(_queue_row(chosen, update)).to_have_count(1)
    expect(_queue_row(chosen, draft)).to_have_count(0)
    screenshot(page, "team-week-approve-two")
    page.get_by_role("button", name="Approve 2 items").click()
    page.get_by_text("2 items approved.").wait_for()
    for update in approve:
        expect(_queue_row(page, update)).to_have_count(0)
        update.refresh_from_db()
        assert update.state == UpdateState.APPROVED

    row = _queue_row(page, draft)
    row.get_by_role("link", name="Open").click()
    page.get_by_label("Return for revision").check()
    page.get_by_label("Comment to the institution").fill(RETURN_COMMENT)
    page.get_by_role("button", name="Record decision").click()
    page.get_by_text("Returned to the institution").wait_for()
    screenshot(page, "team-week-returned")
    draft.refresh_from_db()
    assert (draft.state, draft.reviewer_comment) == (UpdateState.RETURNED, RETURN_COMMENT)
    notice = Notification.objects.get(recipient=cso, kind=NotificationKind.UPDATE_RETURNED)
    assert notice.params["comment"] == RETURN_COMMENT

    # The email went out at once (demo-cso-a chose immediate email) with the comment.
    email = OutboxEmail.objects.get(recipient=cso, key=f"notification:{notice.pk}")
    assert f"Reviewer's comment: “{RETURN_COMMENT}”" in email.body_text
    sent = [m for m in mail.outbox if m.to == [cso.email]]
    assert len(sent) == 1
    assert f"Reviewer's comment: “{RETURN_COMMENT}”" in sent[0].body

    log_in(page, live_server, "demo-cso-a", DEMO_PASSWORD)
    page.goto(f"{base}/notifications/")
    item = page.get_by_role("listitem").filter(has_text=f"Reviewer's comment: “{RETURN_COMMENT}”")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("returned for revision")
    screenshot(page, "team-week-cso-notification")
