from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from programme.choices import ActionPointStatus
from programme.models import Action, ActionPoint, Decision, Meeting
from programme.services import action_point_share, action_point_update
from stakeholders.models import Institution, User

pytestmark = pytest.mark.django_db

PERSONAS = ["demo-admin", "demo-observer", "demo-ministry", "demo-cso-a", "demo-cso-b"]
DONE_TEXT = "Share the list of social workers"  # meeting 3, MSPDY, closed in 2024
MOI_TEXT = "Nominate police officers"  # meeting 3, MoI, open
CSO_A_TEXT = "Propose CSO speakers"  # meeting 3, Demo CSO A, in progress
COE_TEXT = "Circulate the 2025 training calendar"  # meeting 4, CoE, open


def _point(text: str) -> ActionPoint:
    return ActionPoint.objects.get(description__startswith=text)


def _snapshot(point: ActionPoint) -> tuple[object, ...]:
    point.refresh_from_db()
    return (
        point.status,
        point.progress_note,
        point.closed_on,
        point.owner_id,
        point.description,
        point.meeting_id,
        point.due_date,
    )


def _edit_url(point: ActionPoint) -> str:
    return f"/action-points/{point.pk}/edit/"


def _form(point: ActionPoint, **values: object) -> dict[str, object]:
    data: dict[str, object] = {
        "status": point.status,
        "progress_note": point.progress_note,
        "closed_on": point.closed_on.isoformat() if point.closed_on else "",
        "seen_at": point.updated_at.isoformat(),
    }
    data.update(values)
    return data


# --- anonymous -------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_and_changes_nothing(client, demo) -> None:
    point = _point(CSO_A_TEXT)
    before = _snapshot(point)
    meeting = Meeting.objects.get(number=4)
    for url in ("/meetings/", f"/meetings/{meeting.pk}/", _edit_url(point)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    response = client.post(
        _edit_url(point), _form(point, status="done", closed_on=date.today().isoformat())
    )
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert _snapshot(point) == before


# --- list and detail ---------------------------------------------------------------------


@pytest.mark.parametrize("username", PERSONAS)
def test_every_persona_reads_meetings(client, demo, username) -> None:
    client.force_login(demo[username])
    response = client.get("/meetings/")
    assert response.status_code == 200
    for meeting in Meeting.objects.all():
        assert f"/meetings/{meeting.pk}/".encode() in response.content
        assert client.get(f"/meetings/{meeting.pk}/").status_code == 200


def test_list_counts_decisions_and_open_action_points(client, demo) -> None:
    client.force_login(demo["demo-cso-a"])
    response = client.get("/meetings/")
    rows = {m.number: m for m in response.context["page_obj"]}
    assert (rows[3].decision_count, rows[3].open_action_point_count) == (3, 2)
    assert (rows[4].decision_count, rows[4].open_action_point_count) == (1, 1)


def test_list_filters_by_year_and_place(client, demo) -> None:
    client.force_login(demo["demo-cso-a"])
    Meeting.objects.create(
        action=Action.objects.get(), number=5, date=date(2026, 3, 1), place="Ohrid"
    )
    numbers = lambda r: [m.number for m in r.context["page_obj"]]  # noqa: E731
    assert numbers(client.get("/meetings/", {"year": "2025"})) == [4]
    assert numbers(client.get("/meetings/", {"place": "Ohrid"})) == [5]
    assert numbers(client.get("/meetings/", {"place": "Skopje"})) == [4, 3]
    # A year nobody met in is not a choice: the form says so and the filter is ignored.
    response = client.get("/meetings/", {"year": "1999"})
    assert response.status_code == 200
    assert response.context["filter"].form.errors


def test_meeting_4_shows_carried_in_action_points_but_not_the_closed_one(client, demo) -> None:
    client.force_login(demo["demo-observer"])
    meeting = Meeting.objects.get(number=4)
    response = client.get(f"/meetings/{meeting.pk}/")
    record = response.context["record"]
    assert [p.description[:20] for p in record.carried_in] == [
        MOI_TEXT[:20],
        CSO_A_TEXT[:20],
    ]
    assert [p.description[:20] for p in record.action_points] == [COE_TEXT[:20]]
    content = response.content.decode()
    assert DONE_TEXT not in content
    carried = content.split("Action points carried in from earlier meetings", 2)[2]
    assert MOI_TEXT in carried and CSO_A_TEXT in carried and COE_TEXT not in carried
    # Decisions with their recommendations, attendance, agenda and minutes are all shown.
    assert "/recommendations/7/" in content and "/recommendations/10/" in content
    assert "Demo Association for Victim Support" in content
    assert "Training calendar 2025" in content and "Demo minutes" in content


def test_meeting_3_lists_its_own_action_points_and_nothing_carried_in(client, demo) -> None:
    client.force_login(demo["demo-ministry"])
    meeting = Meeting.objects.get(number=3)
    record = client.get(f"/meetings/{meeting.pk}/").context["record"]
    assert len(record.action_points) == 3 and record.carried_in == []


@pytest.mark.parametrize(
    ("username", "editable"),
    [
        ("demo-admin", {MOI_TEXT, CSO_A_TEXT, COE_TEXT}),
        ("demo-cso-a", {CSO_A_TEXT}),
        ("demo-cso-b", set()),
        ("demo-observer", set()),
        ("demo-ministry", set()),
    ],
)
def test_update_link_only_where_the_user_may(client, demo, username, editable) -> None:
    client.force_login(demo[username])
    meeting = Meeting.objects.get(number=4)
    content = client.get(f"/meetings/{meeting.pk}/").content.decode()
    for text in (MOI_TEXT, CSO_A_TEXT, COE_TEXT):
        assert (_edit_url(_point(text)) in content) == (text in editable), text


def test_unknown_meeting_is_404(client, demo) -> None:
    client.force_login(demo["demo-admin"])
    assert client.get("/meetings/999999/").status_code == 404


# --- action point edit ---------------------------------------------------------------------


def test_owner_focal_point_updates_progress(client, demo) -> None:
    point = _point(CSO_A_TEXT)
    client.force_login(demo["demo-cso-a"])
    assert client.get(_edit_url(point)).status_code == 200
    closed = date.today()
    response = client.post(
        _edit_url(point),
        _form(point, status="done", progress_note="  Three speakers proposed. ", closed_on=closed),
    )
    assert response.status_code == 302
    assert response["Location"] == f"/meetings/{point.meeting_id}/"
    point.refresh_from_db()
    assert (point.status, point.progress_note, point.closed_on) == (
        ActionPointStatus.DONE,
        "Three speakers proposed.",
        closed,
    )


def test_programme_team_updates_any_action_point(client, demo) -> None:
    point = _point(MOI_TEXT)
    client.force_login(demo["demo-admin"])
    response = client.post(_edit_url(point), _form(point, status="in_progress"))
    assert response.status_code == 302
    point.refresh_from_db()
    assert point.status == ActionPointStatus.IN_PROGRESS


def test_tampering_with_owner_description_or_meeting_is_ignored(client, demo) -> None:
    point = _point(CSO_A_TEXT)
    other = Institution.objects.get(code="demo-cso-b")
    meeting_4 = Meeting.objects.get(number=4)
    client.force_login(demo["demo-cso-a"])
    response = client.post(
        _edit_url(point),
        _form(
            point,
            status="in_progress",
            progress_note="Speakers contacted.",
            owner=other.pk,
            description="Something else entirely",
            meeting=meeting_4.pk,
            due_date="2030-01-01",
        ),
    )
    assert response.status_code == 302
    point.refresh_from_db()
    assert point.owner.code == "demo-cso-a"
    assert point.description.startswith(CSO_A_TEXT)
    assert point.meeting.number == 3 and point.due_date == date(2024, 6, 30)
    assert point.progress_note == "Speakers contacted."


@pytest.mark.parametrize(
    ("username", "text"),
    [
        ("demo-cso-b", CSO_A_TEXT),  # another institution's action point
        ("demo-observer", CSO_A_TEXT),  # reads everything, changes nothing
        ("demo-ministry", MOI_TEXT),  # a ministry, but not the owner
        ("demo-cso-a", COE_TEXT),
    ],
)
def test_others_are_refused_with_403_and_nothing_changes(client, demo, username, text) -> None:
    point = _point(text)
    before = _snapshot(point)
    client.force_login(demo[username])
    assert client.get(_edit_url(point)).status_code == 403
    response = client.post(
        _edit_url(point),
        _form(point, status="cancelled", closed_on=date.today().isoformat(), progress_note="x"),
    )
    assert response.status_code == 403
    assert _snapshot(point) == before


def test_a_viewer_of_the_owner_institution_may_not_update(client, demo) -> None:
    from stakeholders.choices import MembershipRole
    from stakeholders.services import membership_set

    viewer = User.objects.create(username="viewer-a", email="viewer-a@example.org")
    membership_set(
        user=viewer,
        institution=Institution.objects.get(code="demo-cso-a"),
        role=MembershipRole.VIEWER,
    )
    point = _point(CSO_A_TEXT)
    before = _snapshot(point)
    client.force_login(viewer)
    assert client.post(_edit_url(point), _form(point, status="open")).status_code == 403
    assert _snapshot(point) == before


def test_unknown_action_point_is_404(client, demo) -> None:
    client.force_login(demo["demo-admin"])
    assert client.get("/action-points/999999/edit/").status_code == 404


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"status": "done", "closed_on": ""}, "Give the date the action point was closed."),
        (
            {"status": "open", "closed_on": "2025-01-10"},
            "An open action point has no closing date.",
        ),
        ({"status": "done", "closed_on": "not a date"}, "Enter a valid date."),
        ({"status": "finished"}, "Select a valid choice."),
        ({"status": ""}, "This field is required."),
        (
            {"status": "done", "closed_on": (date.today() + timedelta(days=3)).isoformat()},
            "The closing date cannot be in the future.",
        ),
    ],
)
def test_bad_input_is_explained_and_nothing_is_saved(client, demo, values, message) -> None:
    point = _point(CSO_A_TEXT)
    before = _snapshot(point)
    client.force_login(demo["demo-cso-a"])
    response = client.post(_edit_url(point), _form(point, progress_note="kept", **values))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert b"kept" in response.content  # what the person typed is still in the form
    assert _snapshot(point) == before


def test_cannot_close_before_the_meeting_that_raised_it(client, demo) -> None:
    point = _point(COE_TEXT)  # meeting 4 met on 2025-03-20
    before = _snapshot(point)
    client.force_login(demo["demo-admin"])
    response = client.post(_edit_url(point), _form(point, status="done", closed_on="2025-03-01"))
    assert response.status_code == 200
    assert "cannot close before the meeting" in response.content.decode()
    assert _snapshot(point) == before


def test_a_stale_form_posted_twice_does_not_overwrite(client, demo) -> None:
    point = _point(CSO_A_TEXT)
    client.force_login(demo["demo-cso-a"])
    stale = _form(point, progress_note="First report.")
    assert client.post(_edit_url(point), stale).status_code == 302
    second = dict(stale, progress_note="Second, older report.")
    response = client.post(_edit_url(point), second)
    assert response.status_code == 200
    assert "changed after you opened the form" in response.content.decode()
    point.refresh_from_db()
    assert point.progress_note == "First report."
    # Saving again from the page that showed the warning is a deliberate choice: it works.
    again = dict(second, seen_at=response.context["form"]["seen_at"].value())
    assert client.post(_edit_url(point), again).status_code == 302
    point.refresh_from_db()
    assert point.progress_note == "Second, older report."


# --- the service -------------------------------------------------------------------------


def test_service_keeps_closing_date_rules(demo) -> None:
    point = _point(MOI_TEXT)
    admin = demo["demo-admin"]
    with pytest.raises(ValidationError) as err:
        action_point_update(
            action_point=point, by=admin, status="done", progress_note="", closed_on=None
        )
    assert "closed_on" in err.value.message_dict
    with pytest.raises(ValidationError):
        action_point_update(
            action_point=point,
            by=admin,
            status="open",
            progress_note="",
            closed_on=date(2025, 1, 1),
        )
    updated = action_point_update(
        action_point=point,
        by=admin,
        status="cancelled",
        progress_note=" Not needed. ",
        closed_on=date(2025, 1, 1),
    )
    assert (updated.status, updated.progress_note) == ("cancelled", "Not needed.")
    assert updated.owner.code == "moi"
    reopened = action_point_update(
        action_point=point, by=admin, status="open", progress_note="", closed_on=None
    )
    assert reopened.closed_on is None


# --- query counts ------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _add_meetings(n: int) -> None:
    action = Action.objects.get()
    owner = Institution.objects.get(code="demo-cso-a")
    start = Meeting.objects.order_by("-number").first().number + 1
    for number in range(start, start + n):
        meeting = Meeting.objects.create(
            action=action,
            number=number,
            date=date(2026, 1, 1) + timedelta(days=number),
            place=f"Place {number % 7}",
        )
        decision = Decision.objects.create(meeting=meeting, number=1, text_en="Agreed.")
        point = ActionPoint.objects.create(
            meeting=meeting, decision=decision, owner=owner, description=f"Task {number}"
        )
        action_point_share(action_point=point)


@pytest.mark.parametrize("username", ["demo-cso-a", "demo-admin"])
def test_meeting_list_runs_the_same_queries_for_10_and_200_meetings(client, demo, username) -> None:
    client.force_login(demo[username])
    _add_meetings(10 - Meeting.objects.count())
    urls = ["/meetings/", "/meetings/?page=2&place=Place+1&year=2026"]
    small = [_queries(client, url) for url in urls]
    _add_meetings(190)
    assert Meeting.objects.count() == 200
    assert [_queries(client, url) for url in urls] == small


def _add_points(meeting: Meeting, n: int) -> None:
    owners = list(Institution.objects.filter(code__in=["demo-cso-a", "moi", "mspdy"]))
    for i in range(n):
        point = ActionPoint.objects.create(
            meeting=meeting,
            owner=owners[i % len(owners)],
            description=f"Follow-up {i}",
            due_date=timezone.localdate(),
        )
        action_point_share(action_point=point)


@pytest.mark.parametrize("username", ["demo-cso-a", "demo-observer"])
def test_meeting_detail_runs_the_same_queries_for_10_and_200_action_points(
    client, demo, username
) -> None:
    client.force_login(demo[username])
    third = Meeting.objects.get(number=3)
    fourth = Meeting.objects.get(number=4)
    url = f"/meetings/{fourth.pk}/"
    _add_points(third, 5)
    _add_points(fourth, 5)
    small = _queries(client, url)
    _add_points(third, 95)
    _add_points(fourth, 95)
    assert _queries(client, url) == small
