"""The programme team records steering-committee meetings in the portal and prepares the next.

Built on the seed and demo set: meeting 3 (seed, with the demo's action points) and the
demo's meeting 4, which the recording tests take away so that they record meeting 4 anew.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from core.history import history_model
from programme.choices import ActionPointStatus, MeetingStatus
from programme.models import ActionPoint, Decision, Meeting, ReportingPeriod
from programme.services import action_point_update
from recommendations.models import Recommendation
from stakeholders.models import Institution, User

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MOI_TEXT = "Nominate police officers"  # meeting 3, MoI, open since 2024
CSO_A_TEXT = "Propose CSO speakers"  # meeting 3, Demo CSO A, in progress


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _point(text: str) -> ActionPoint:
    return ActionPoint.objects.get(description__startswith=text)


def _row(html: str, text: str) -> str:
    """The table row that holds ``text``."""
    rows = [r for r in re.findall(r"<tr>.*?</tr>", html, flags=re.S) if text in r]
    assert len(rows) == 1, f"{len(rows)} rows hold {text!r}"
    return rows[0]


def _inst(code: str) -> Institution:
    return Institution.objects.get(code=code)


def _ok(response: Any) -> None:
    errors = re.findall(r'class="error"[^>]*>(.*?)</div>', response.content.decode(), re.S)
    assert response.status_code == 302, errors or response.status_code


def _record_meeting_four(admin: User) -> Meeting:
    """As the programme team would after the meeting: its facts, who came, two decisions and
    two action points; meeting 3's point for Demo CSO A was closed before it met."""
    Meeting.objects.filter(number=4).delete()  # the demo's; recorded here through the pages
    action_point_update(
        action_point=_point(CSO_A_TEXT),
        by=admin,
        status=ActionPointStatus.DONE,
        progress_note="Speakers proposed.",
        closed_on=date(2025, 2, 10),
    )
    client = _client(admin)
    _ok(
        client.post(
            reverse("programme:meeting_create"),
            {
                "number": "4",
                "status": "held",
                "date": "2025-03-20",
                "place": "Skopje",
                "format": "hybrid",
                "purpose": "Review the 2024 plan.",
                "agenda": "1. Results of 2024",
                "minutes": "The committee met.",
            },
        )
    )
    meeting = Meeting.objects.get(number=4)
    _ok(
        client.post(
            reverse("programme:meeting_attendance", args=[meeting.pk]),
            {
                "attendance-TOTAL_FORMS": "3",
                "attendance-INITIAL_FORMS": "0",
                "attendance-0-institution": str(_inst("moi").pk),
                "attendance-0-representatives": "Head of the anti-trafficking unit",
                "attendance-1-institution": str(_inst("demo-cso-a").pk),
                "attendance-1-representatives": "Programme co-ordinator",
                "attendance-2-institution": "",
            },
        )
    )
    recommendation = Recommendation.objects.get(number=7)
    for number, text in [
        ("1", "The 2025 calendar gives priority to online recruitment."),
        ("2", "Shelters are visited before the next meeting."),
    ]:
        data: dict[str, Any] = {"number": number, "text": text}
        if number == "1":
            data["recommendations"] = [str(recommendation.pk)]
        _ok(client.post(reverse("programme:meeting_decision_add", args=[meeting.pk]), data))
    first = meeting.decisions.get(number=1)
    for description, owner, due, decision in [
        ("Circulate the 2025 calendar to the focal points", "coe", "2025-04-30", first.pk),
        ("Arrange the shelter visits", "demo-cso-a", "2099-06-30", ""),
    ]:
        _ok(
            client.post(
                reverse("programme:action_point_add", args=[meeting.pk]),
                {
                    "description": description,
                    "owner": str(_inst(owner).pk),
                    "due_date": due,
                    "decision": str(decision),
                },
            )
        )
    return meeting


def test_programme_team_records_meeting_four(demo) -> None:
    admin = demo["demo-admin"]
    meeting = _record_meeting_four(admin)
    assert meeting.status == MeetingStatus.HELD and meeting.format == "hybrid"
    page = _client(demo["demo-observer"]).get(
        reverse("programme:meeting_detail", args=[meeting.pk])
    )
    html = page.content.decode()
    assert "Head of the anti-trafficking unit" in html and "Programme co-ordinator" in html
    assert "online recruitment" in html and "Shelters are visited" in html
    assert "Hybrid" in html
    # Three action points on its page: the two it raised, and meeting 3's still open.
    raised, carried = html.split("Action points carried in from earlier meetings", 1)
    assert "Circulate the 2025 calendar" in raised and "Arrange the shelter visits" in raised
    assert MOI_TEXT in carried
    assert CSO_A_TEXT not in carried  # closed before meeting 4 met
    assert _point(MOI_TEXT).meeting.number == 3  # it stays raised where it was
    # The observer only reads: no link to change anything.
    assert reverse("programme:meeting_edit", args=[meeting.pk]) not in html
    assert "Add an action point" not in html
    # The owner's editors report progress on the point raised for them.
    shelter = _point("Arrange the shelter visits")
    assert shelter.decision is None
    assert _point("Circulate the 2025").decision == meeting.decisions.get(number=1)
    edit = reverse("programme:action_point_edit", args=[shelter.pk])
    assert _client(demo["demo-cso-a"]).get(edit).status_code == 200
    assert _client(demo["demo-cso-b"]).get(edit).status_code == 403


def test_preparing_meeting_five_carries_the_open_points(demo) -> None:
    admin = demo["demo-admin"]
    _record_meeting_four(admin)
    client = _client(admin)
    url = reverse("programme:meeting_prepare")
    page = client.get(url).content.decode()
    assert "Create meeting 5" in page
    for text in (MOI_TEXT, "Circulate the 2025 calendar", "Arrange the shelter visits"):
        assert text in page
    assert CSO_A_TEXT not in page
    before = set(ActionPoint.objects.values_list("pk", "meeting_id"))

    response = client.post(url)

    fifth = Meeting.objects.get(number=5)
    assert response["Location"] == reverse("programme:meeting_detail", args=[fifth.pk])
    assert fifth.status == MeetingStatus.PLANNED and fifth.date is None
    # Nothing is copied or moved: every point stays raised at its own meeting.
    assert set(ActionPoint.objects.values_list("pk", "meeting_id")) == before
    assert MOI_TEXT in fifth.agenda and "Arrange the shelter visits" in fifth.agenda
    assert "Any other business" in fifth.agenda
    html = client.get(response["Location"]).content.decode()
    carried = html.split("Action points carried in from earlier meetings", 1)[1]
    for text in (MOI_TEXT, "Circulate the 2025 calendar", "Arrange the shelter visits"):
        assert text in carried
    assert "Planned" in html
    # While meeting 5 is planned, preparing again creates nothing.
    assert "still planned" in client.get(url).content.decode()
    client.post(url)
    assert not Meeting.objects.filter(number=6).exists()


def test_the_agenda_names_the_latest_periods_results(demo) -> None:
    client = _client(demo["demo-admin"])
    client.post(reverse("programme:meeting_prepare"))
    agenda = Meeting.objects.get(number=5).agenda
    current = (
        ReportingPeriod.objects.filter(start_date__lte=timezone.localdate())
        .order_by("-start_date")
        .first()
    )
    assert current is not None
    assert f"3. Results for {current.name}" in agenda
    assert "Indicators behind their target" in agenda or "Indicator values still owed" in agenda
    assert "overdue" in agenda  # meeting 3's police nominations were due in 2024


def test_a_held_meeting_needs_its_date(demo) -> None:
    client = _client(demo["demo-admin"])
    data = {"number": "7", "status": "held", "date": "", "place": "Tetovo", "format": "online"}
    response = client.post(reverse("programme:meeting_create"), data)
    assert response.status_code == 200
    assert "Give the date the meeting was held." in response.content.decode()
    assert not Meeting.objects.filter(number=7).exists()
    # Planned, it needs none; once held, it does.
    _ok(client.post(reverse("programme:meeting_create"), {**data, "status": "planned"}))
    planned = Meeting.objects.get(number=7)
    edit = reverse("programme:meeting_edit", args=[planned.pk])
    assert "Give the date" in client.post(edit, data).content.decode()
    planned.refresh_from_db()
    assert planned.status == MeetingStatus.PLANNED
    _ok(client.post(edit, {**data, "date": "2026-11-05"}))
    with pytest.raises(ValidationError):
        Meeting(action=planned.action, number=8, status=MeetingStatus.HELD).full_clean()


def test_overdue_action_points_are_marked_on_the_meeting_page(demo) -> None:
    meeting = Meeting.objects.get(number=3)
    ActionPoint.objects.create(
        meeting=meeting,
        description="Translate the referral guidelines",
        owner=_inst("moi"),
        due_date=timezone.localdate() + timedelta(days=30),
    )
    html = (
        _client(demo["demo-ministry"])
        .get(reverse("programme:meeting_detail", args=[meeting.pk]))
        .content.decode()
    )
    assert "Overdue" in _row(html, MOI_TEXT)  # open, due in 2024
    assert "Overdue" not in _row(html, "Share the list of social workers")  # done
    assert "Overdue" not in _row(html, "Translate the referral guidelines")  # not due yet


def test_minutes_file_is_checked_and_downloaded_by_those_signed_in(
    demo, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    meeting = Meeting.objects.get(number=4)
    admin = _client(demo["demo-admin"])
    edit = reverse("programme:meeting_edit", args=[meeting.pk])
    data = {
        "number": "4",
        "status": "held",
        "date": "2025-03-20",
        "place": "Skopje",
        "format": "in_person",
        "minutes": meeting.minutes,
    }
    fake = SimpleUploadedFile("minutes.pdf", b"not a pdf at all")
    refused = admin.post(edit, {**data, "minutes_file": fake})
    assert "does not match its name" in refused.content.decode()
    meeting.refresh_from_db()
    assert not meeting.minutes_file

    _ok(admin.post(edit, {**data, "minutes_file": SimpleUploadedFile("signed.pdf", PDF)}))
    download = reverse("programme:meeting_minutes_download", args=[meeting.pk])
    assert (
        download
        in admin.get(reverse("programme:meeting_detail", args=[meeting.pk])).content.decode()
    )
    response = _client(demo["demo-cso-b"]).get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert "minutes-meeting-4.pdf" in response["Content-Disposition"]
    anonymous = Client().get(download)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    # A meeting without a file has nothing to download.
    third = Meeting.objects.get(number=3)
    url = reverse("programme:meeting_minutes_download", args=[third.pk])
    assert admin.get(url).status_code == 404


def test_removing_a_decision_asks_first_and_is_kept_in_the_history(demo) -> None:
    admin = demo["demo-admin"]
    client = _client(admin)
    decision = Decision.objects.get(meeting__number=4, number=1)
    url = reverse("programme:meeting_decision_remove", args=[decision.pk])
    page = client.get(url).content.decode()
    assert "Remove decision 1?" in page and "Circulate the 2025 training calendar" in page
    assert Decision.objects.filter(pk=decision.pk).exists()

    client.post(url)

    assert not Decision.objects.filter(pk=decision.pk).exists()
    removed = history_model(Decision).objects.get(id=decision.pk, history_type="-")
    assert removed.history_user == admin
    point = ActionPoint.objects.get(description__startswith="Circulate the 2025 training")
    assert point.decision is None  # the action point stays, without the link


def test_removing_an_action_point_asks_first_and_is_kept_in_the_history(demo) -> None:
    admin = demo["demo-admin"]
    client = _client(admin)
    point = ActionPoint.objects.get(description__startswith="Circulate the 2025 training")
    url = reverse("programme:action_point_remove", args=[point.pk])
    assert "Remove this action point?" in client.get(url).content.decode()
    assert ActionPoint.objects.filter(pk=point.pk).exists()
    _ok(client.post(url))
    assert not ActionPoint.objects.filter(pk=point.pk).exists()
    removed = history_model(ActionPoint).objects.get(id=point.pk, history_type="-")
    assert removed.history_user == admin


def test_the_team_corrects_an_action_point_and_its_new_owner_reports_on_it(demo) -> None:
    point = _point(MOI_TEXT)
    client = _client(demo["demo-admin"])
    _ok(
        client.post(
            reverse("programme:action_point_revise", args=[point.pk]),
            {"description": point.description, "owner": str(_inst("demo-cso-b").pk)},
        )
    )
    edit = reverse("programme:action_point_edit", args=[point.pk])
    assert _client(demo["demo-cso-b"]).get(edit).status_code == 200
    assert _client(demo["demo-ministry"]).get(edit).status_code == 403


def test_pickers_name_meetings_and_periods_with_their_dates(demo) -> None:
    meeting = Meeting.objects.get(number=4)
    assert meeting.date is not None
    assert str(meeting) == (
        f"Steering Committee meeting 4, Skopje, {date_format(meeting.date, 'DATE_FORMAT')}"
    )
    assert str(Meeting.objects.get(number=3)) == "Steering Committee meeting 3, Skopje"
    client = _client(demo["demo-admin"])
    # The report request form lists meetings by that name...
    page = client.get(reverse("reports:report_request") + "?kind=meeting")
    assert str(meeting) in page.content.decode()
    # ...and periods with their dates.
    period = ReportingPeriod.objects.get(name="2026 H1")
    start = date_format(period.start_date, "SHORT_DATE_FORMAT")
    assert (
        period.label == f"2026 H1 ({start} – {date_format(period.end_date, 'SHORT_DATE_FORMAT')})"
    )
    page = client.get(reverse("reports:report_request") + "?kind=committee")
    assert period.label in page.content.decode()


def test_progress_on_a_carried_point_returns_to_the_meeting_it_was_reported_from(demo) -> None:
    fourth = _record_meeting_four(demo["demo-admin"])
    point = _point(MOI_TEXT)  # raised at meeting 3, carried into meeting 4
    client = _client(demo["demo-admin"])
    page = client.get(reverse("programme:meeting_detail", args=[fourth.pk])).content.decode()
    edit = reverse("programme:action_point_edit", args=[point.pk]) + f"?from={fourth.pk}"
    assert f'href="{edit}"' in page
    assert (
        reverse("programme:meeting_detail", args=[fourth.pk]) in client.get(edit).content.decode()
    )
    response = client.post(
        edit,
        {
            "status": ActionPointStatus.IN_PROGRESS,
            "progress_note": "Two officers nominated.",
            "seen_at": point.updated_at.isoformat(),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("programme:meeting_detail", args=[fourth.pk])
    assert _point(MOI_TEXT).progress_note == "Two officers nominated."
    # Without the page it came from, back to the meeting that raised the point.
    plain = reverse("programme:action_point_edit", args=[point.pk])
    assert client.get(plain).context["back_to"] == point.meeting_id
