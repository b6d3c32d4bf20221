"""The feeds, read back with an independent parser (vobject): who sees what, in which language,
under which UIDs, and in how many queries."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
import vobject
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calendars.choices import PRODID, UID_DOMAIN
from calendars.selectors import personal_entries
from calendars.services import calendar_address_create
from programme.choices import IndicatorKind, MeetingStatus
from programme.models import (
    Action,
    ActionPoint,
    Indicator,
    Meeting,
    MeetingAttendance,
    Outcome,
    ReportingPeriod,
)
from programme.selectors import indicator_values_owed
from programme.services import action_point_share
from recommendations.selectors import updates_owed
from recommendations.services import assignment_set
from stakeholders.models import User
from stakeholders.selectors import persona_for
from tests.test_persona_matrix import World
from trainings.models import Topic, Training
from trainings.permissions import trainings_visible_to
from trainings.services import training_cancel, training_create

pytestmark = pytest.mark.django_db

PERSONAS = ("demo-cso-a", "demo-cso-b", "demo-ministry", "demo-observer", "demo-admin")


def _parse(content: bytes) -> Any:
    calendar = vobject.readOne(content.decode("utf-8"))
    assert calendar.name == "VCALENDAR"
    assert calendar.prodid.value == PRODID
    assert calendar.version.value == "2.0"
    zones = calendar.contents.get("vtimezone", [])
    assert [z.tzid.value for z in zones] == ["Europe/Skopje"]
    return calendar


def _events(calendar: Any) -> dict[str, Any]:
    """The calendar's events by UID, each checked against RFC 5545's requirements."""
    events: dict[str, Any] = {}
    for event in calendar.contents.get("vevent", []):
        uid = event.uid.value
        assert uid.endswith(f"@{UID_DOMAIN}"), uid
        assert uid not in events, f"{uid} twice"
        stamp = event.dtstamp.value
        assert isinstance(stamp, datetime) and stamp.utcoffset().total_seconds() == 0
        assert isinstance(event.last_modified.value, datetime)
        # All-day events: DATE values, the end after the start.
        assert type(event.dtstart.value) is date, uid
        assert type(event.dtend.value) is date, uid
        assert event.dtend.value > event.dtstart.value
        assert event.status.value in ("CONFIRMED", "CANCELLED")
        events[uid] = event
    return events


def _uid(kind: str, pk: object) -> str:
    return f"{kind}-{pk}@{UID_DOMAIN}"


def _feed(user: User) -> tuple[Any, dict[str, Any], bytes]:
    token = calendar_address_create(user=user).token
    response = Client().get(reverse("calendars:feed", kwargs={"token": token}))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = _parse(response.content)
    return calendar, _events(calendar), response.content


def _public() -> tuple[dict[str, Any], bytes, Any]:
    response = Client().get(reverse("calendars:public"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "public" in response["Cache-Control"]
    return _events(_parse(response.content)), response.content, response


def _kind(events: dict[str, Any], kind: str) -> set[str]:
    return {uid for uid in events if uid.startswith(f"{kind}-")}


def _dated_trainings(user: User) -> set[str]:
    """The dated trainings the portal's training list shows the user (its gate)."""
    return {
        _uid("training", pk)
        for pk in trainings_visible_to(user)
        .filter(start_date__isnull=False)
        .values_list("pk", flat=True)
    }


def test_every_feed_parses_with_an_independent_parser(world: World) -> None:
    for persona in PERSONAS:
        _calendar, events, _content = _feed(world.users[persona])
        assert events, f"{persona}'s feed is empty"
        for event in events.values():
            url = event.url.value
            assert url.startswith(settings.PLATFORM_URL + "/"), url
    public, _content, _response = _public()
    assert public


def test_a_cso_feed_holds_nothing_only_another_institution_may_see(world: World) -> None:
    cso_a, cso_b = world.users["demo-cso-a"], world.users["demo-cso-b"]
    _cal, events_a, content_a = _feed(cso_a)
    _cal, events_b, _content = _feed(cso_b)
    training = _uid("training", world.training.pk)
    point = _uid("action-point", world.action_point.pk)
    assert training in events_b and point in events_b
    assert training not in events_a and point not in events_a
    assert world.training.title.encode() not in content_a
    assert b"Map the schools" not in content_a
    # The trainings are exactly the portal's; the action points are their own institution's.
    assert _kind(events_a, "training") == _dated_trainings(cso_a)
    assert _kind(events_b, "training") == _dated_trainings(cso_b)
    owners = ActionPoint.objects.filter(
        pk__in=[int(uid.split("@")[0].rsplit("-", 1)[1]) for uid in _kind(events_a, "action-point")]
    ).values_list("owner_id", flat=True)
    assert set(owners) <= persona_for(cso_a).member_of
    # The meetings: those CSO A attended (meeting 4), none it did not.
    attended = set(
        MeetingAttendance.objects.filter(
            institution_id__in=persona_for(cso_a).member_of, meeting__date__isnull=False
        ).values_list("meeting_id", flat=True)
    )
    assert attended
    assert _kind(events_a, "meeting") == {_uid("meeting", pk) for pk in attended}
    assert _kind(events_b, "meeting") == set()  # CSO B attended no meeting


def test_what_an_institution_owes_is_in_its_feed_only(world: World) -> None:
    """On each period's due date, CSO B's feed holds what ``updates_owed`` and
    ``indicator_values_owed`` say it owes, and CSO A's holds nothing of it."""
    # The demo only invites the CSOs to report; made responsible, CSO B owes updates.
    assignment_set(recommendation=world.rec_for_b, institution=world.cso_b)
    found = set()
    for period in ReportingPeriod.objects.order_by("start_date"):
        today = period.due_date
        owed = {
            f"updates-due-{o.period.pk}-{o.institution.pk}@{UID_DOMAIN}"
            for o in updates_owed(today=today, institution_ids=[world.cso_b.pk])
        } | {
            f"values-due-{o.period.pk}-{world.cso_b.pk}@{UID_DOMAIN}"
            for o in indicator_values_owed(today=today, institution_ids=[world.cso_b.pk])
        }
        mine = {e.uid for e in personal_entries(user=world.users["demo-cso-b"], today=today)}
        theirs = {e.uid for e in personal_entries(user=world.users["demo-cso-a"], today=today)}
        assert owed <= mine
        assert {uid for uid in mine if "-due-" in uid} == owed
        assert not {uid for uid in theirs if uid.endswith(f"-{world.cso_b.pk}@{UID_DOMAIN}")}
        found |= owed
    assert {uid.split("-due-")[0] for uid in found} == {"updates", "values"}


def test_the_observer_and_the_team_see_what_the_portal_shows_them(world: World) -> None:
    dated_meetings = {
        _uid("meeting", pk)
        for pk in Meeting.objects.filter(date__isnull=False).values_list("pk", flat=True)
    }
    for persona in ("demo-observer", "demo-admin"):
        user = world.users[persona]
        _cal, events, _content = _feed(user)
        assert _kind(events, "training") == _dated_trainings(user)
        assert _kind(events, "meeting") == dated_meetings
    # Both read every training.
    assert _dated_trainings(world.users["demo-observer"]) == {
        _uid("training", pk)
        for pk in Training.objects.filter(start_date__isnull=False).values_list("pk", flat=True)
    }


def test_a_planned_meeting_reaches_the_committee_before_attendance_is_taken(world: World) -> None:
    action = Meeting.objects.get(number=4).action
    planned = Meeting.objects.create(
        action=action, number=9, status=MeetingStatus.PLANNED, date=date(2027, 2, 1)
    )
    _cal, events_a, _content = _feed(world.users["demo-cso-a"])
    _cal, events_b, _content = _feed(world.users["demo-cso-b"])
    assert _uid("meeting", planned.pk) in events_a  # CSO A sat on the committee
    assert _uid("meeting", planned.pk) not in events_b


def _an_hour_ago() -> datetime:
    """A record's last change, far enough back for a new one to show in LAST-MODIFIED
    (whole seconds)."""
    return timezone.now() - timedelta(hours=1)


def test_uids_stay_and_a_cancelled_training_is_cancelled(world: World) -> None:
    cso_b = world.users["demo-cso-b"]
    uid = _uid("training", world.training.pk)
    Training.objects.filter(pk=world.training.pk).update(updated_at=_an_hour_ago())
    _cal, before, _content = _feed(cso_b)
    public_before, _content, _response = _public()
    assert before[uid].status.value == "CONFIRMED"
    training_cancel(training=world.training, by=cso_b, reason="The trainer fell ill")
    _cal, after, _content = _feed(cso_b)
    public_after, public_content, _response = _public()
    assert set(after) == set(before)
    assert after[uid].status.value == "CANCELLED"
    assert after[uid].last_modified.value > before[uid].last_modified.value
    assert "The trainer fell ill" in after[uid].description.value
    assert public_after[uid].status.value == "CANCELLED"
    assert set(public_after) == set(public_before)
    assert b"fell ill" not in public_content


def test_editing_a_meeting_keeps_its_uid(world: World) -> None:
    cso_a = world.users["demo-cso-a"]
    meeting = Meeting.objects.get(number=4)
    uid = _uid("meeting", meeting.pk)
    Meeting.objects.filter(pk=meeting.pk).update(updated_at=_an_hour_ago())
    _cal, before, _content = _feed(cso_a)
    meeting.place = "Ohrid"
    meeting.save()
    _cal, after, _content = _feed(cso_a)
    assert set(after) == set(before)
    assert after[uid].location.value == "Ohrid"
    assert after[uid].last_modified.value > before[uid].last_modified.value
    assert after[uid].url.value == settings.PLATFORM_URL + reverse(
        "programme:meeting_detail", args=[meeting.pk]
    )


@pytest.mark.parametrize(
    ("language", "title", "calendar"),
    [
        ("mk", "Состанок 4 на Управниот одбор", "Скопје"),
        ("sq", "Mbledhja 4 e Komitetit Drejtues", "Shkup"),
    ],
)
def test_the_feed_is_in_the_users_language(
    world: World, language: str, title: str, calendar: str
) -> None:
    cso_a = world.users["demo-cso-a"]
    cso_a.preferred_language = language
    cso_a.save()
    _cal, events, _content = _feed(cso_a)
    meeting = events[_uid("meeting", Meeting.objects.get(number=4).pk)]
    assert meeting.summary.value == title
    assert meeting.summary.params["LANGUAGE"] == [language]
    assert meeting.location.value == calendar  # the place in the reader's language


def test_the_public_calendar_names_no_one(world: World) -> None:
    Training.objects.filter(pk=world.training.pk).update(venue="Youth centre, 2nd floor")
    events, content, _response = _public()
    uid = _uid("training", world.training.pk)
    assert events[uid].summary.value == world.training.title
    assert events[uid].location.value == "Kumanovo"
    assert _kind(events, "meeting") == {
        _uid("meeting", pk)
        for pk in Meeting.objects.filter(date__isnull=False).values_list("pk", flat=True)
    }
    assert not _kind(events, "action-point") | _kind(events, "updates-due")
    for event in events.values():
        assert "description" not in event.contents
        assert "url" not in event.contents
    for text in (b"Youth centre", world.cso_b.name.encode(), b"articipant"):
        assert text not in content


def _feed_queries(url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert Client().get(url).status_code == 200
    return len(queries)


def test_a_feed_takes_the_same_number_of_queries_however_many_events(world: World) -> None:
    cso_b, admin = world.users["demo-cso-b"], world.users["demo-admin"]
    urls = [
        reverse("calendars:feed", kwargs={"token": calendar_address_create(user=u).token})
        for u in (cso_b, admin)
    ] + [reverse("calendars:public")]
    for url in urls:
        _feed_queries(url)  # the first fetch notes the address's use; later ones do not
    before = [_feed_queries(url) for url in urls]
    action = Meeting.objects.get(number=4).action
    topic = Topic.objects.order_by("pk")[0]
    for n in range(5):
        training_create(
            by=cso_b,
            action=action,
            title=f"Outreach session {n}",
            organiser=world.cso_b,
            topics=[topic],
            start_date=date(2026, 10, n + 1),
            city="Tetovo",
        )
        meeting = Meeting.objects.create(action=action, number=20 + n, date=date(2026, 9, n + 1))
        MeetingAttendance.objects.create(meeting=meeting, institution=world.cso_b)
        action_point_share(
            action_point=ActionPoint.objects.create(
                meeting=meeting,
                owner=world.cso_b,
                description=f"Task {n}",
                due_date=date(2026, 11, n + 1),
            )
        )
    after = [_feed_queries(url) for url in urls]
    assert after == before
    _cal, events, _content = _feed(cso_b)
    assert len(_kind(events, "meeting")) == 5


def test_one_meeting_or_training_to_download(client: Client, world: World) -> None:
    meeting = Meeting.objects.get(number=4)
    client.force_login(world.users["demo-cso-a"])
    response = client.get(reverse("calendars:meeting_ics", args=[meeting.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="meeting-4.ics"'
    assert "private" in response["Cache-Control"]
    assert set(_events(_parse(response.content))) == {_uid("meeting", meeting.pk)}
    page = client.get(reverse("programme:meeting_detail", args=[meeting.pk]))
    assert reverse("calendars:meeting_ics", args=[meeting.pk]).encode() in page.content
    # CSO B's training is not CSO A's to see, as its page is not.
    training_ics = reverse("calendars:training_ics", args=[world.training.pk])
    assert client.get(training_ics).status_code == 404
    client.force_login(world.users["demo-cso-b"])
    response = client.get(training_ics)
    assert response.status_code == 200
    assert set(_events(_parse(response.content))) == {_uid("training", world.training.pk)}
    page = client.get(reverse("trainings:detail", args=[world.training.pk]))
    assert training_ics.encode() in page.content


def test_a_meeting_without_a_date_has_nothing_to_download(client: Client, world: World) -> None:
    action = Meeting.objects.get(number=4).action
    planned = Meeting.objects.create(action=action, number=9, status=MeetingStatus.PLANNED)
    client.force_login(world.users["demo-cso-a"])
    assert client.get(reverse("calendars:meeting_ics", args=[planned.pk])).status_code == 404
    page = client.get(reverse("programme:meeting_detail", args=[planned.pk]))
    assert reverse("calendars:meeting_ics", args=[planned.pk]).encode() not in page.content


def test_the_programme_team_sees_the_values_it_enters(world: World) -> None:
    """A reported indicator without a responsible institution is the team's to enter."""
    outcome = Outcome.objects.create(action=Action.objects.get(), code="T", title="Co-ordination")
    Indicator.objects.create(
        outcome=outcome,
        code="T.1",
        title="Referral meetings held",
        unit="meetings",
        baseline=0,
        kind=IndicatorKind.REPORTED,
    )
    today = date(2026, 7, 1)
    team = f"values-due-{world.period.pk}-team@{UID_DOMAIN}"
    assert team in {e.uid for e in personal_entries(user=world.users["demo-admin"], today=today)}
    for persona in ("demo-cso-a", "demo-observer"):
        assert team not in {e.uid for e in personal_entries(user=world.users[persona], today=today)}
