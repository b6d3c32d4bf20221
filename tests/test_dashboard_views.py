"""The dashboard every role lands on, and search across the records each may see."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dashboard.selectors import programme_glance
from programme.models import Action, ReportingPeriod
from recommendations.choices import UpdateState
from recommendations.models import ProgressUpdate, Recommendation
from stakeholders.choices import Sex
from stakeholders.models import Institution, User
from trainings.choices import TrainingStatus
from trainings.models import Attendance, Participant, Topic, Training
from trainings.services import training_create

pytestmark = pytest.mark.django_db


def _tasks(client, user) -> str:
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return "\n".join(task.title for task in response.context["tasks"])


@pytest.fixture
def open_period() -> ReportingPeriod:
    """A period collecting updates now, so the tasks do not depend on today's date."""
    today = timezone.localdate()
    return ReportingPeriod.objects.create(
        action=Action.objects.get(),
        name="Current period",
        start_date=today - timedelta(days=60),
        end_date=today - timedelta(days=1),
        due_date=today + timedelta(days=14),
    )


def test_each_role_sees_its_own_tasks(client, demo, open_period) -> None:
    cso_a = _tasks(client, demo["demo-cso-a"])
    assert "Finish and submit your draft on recommendation 7" in cso_a
    assert "Action point: Propose CSO speakers for the civic forums" in cso_a
    # Invited to report on 14, CSO A may report but owes nothing (the reminders agree).
    assert "recommendation 14 for Current period" not in cso_a
    assert "recommendation 10" not in cso_a  # CSO B's returned update is not CSO A's task

    cso_b = _tasks(client, demo["demo-cso-b"])
    assert "Recommendation 10, 2025 H1 (Demo CSO B): returned, revise" in cso_b
    assert "recommendation 7 " not in cso_b

    ministry = _tasks(client, demo["demo-ministry"])
    assert "Progress update on recommendation 8 for Current period (MSPDY)" in ministry
    assert "Review" not in ministry

    team = _tasks(client, demo["demo-admin"])
    assert "Review MSPDY's update on recommendation 8" in team
    assert (
        "Review MoI's update on recommendation 12" in team or "update on recommendation 12" in team
    )

    assert _tasks(client, demo["demo-observer"]) == ""


def test_a_submitted_update_leaves_the_due_list_and_a_draft_stays_on_it(
    client, demo, open_period
) -> None:
    ministry = Institution.objects.get(code="mspdy")
    rec = Recommendation.objects.get(number=9)
    update = ProgressUpdate.objects.create(
        recommendation=rec,
        institution=ministry,
        period=open_period,
        status="in_progress",
        narrative="Drafted",
    )
    assert "draft on recommendation 9 (Current period)" in _tasks(client, demo["demo-ministry"])
    update.state = UpdateState.SUBMITTED
    update.save()
    after = _tasks(client, demo["demo-ministry"])
    assert "recommendation 9 (Current period)" not in after
    assert "recommendation 9 for Current period" not in after


def test_a_held_training_without_attendance_is_a_task_for_its_organiser(client, demo) -> None:
    from tests.factories import AttendanceFactory

    training = training_create(
        by=demo["demo-ministry"],
        action=Action.objects.get(),
        title="Held yesterday, nobody recorded",
        organiser=Institution.objects.get(code="mspdy"),
        topics=[Topic.objects.order_by("pk")[0]],
        status=TrainingStatus.HELD,
        start_date=timezone.localdate() - timedelta(days=1),
        end_date=timezone.localdate() - timedelta(days=1),
    )
    assert "Complete the training record: Held yesterday" in _tasks(client, demo["demo-ministry"])
    assert "Held yesterday" not in _tasks(client, demo["demo-cso-a"])
    AttendanceFactory(training=training)
    assert "Held yesterday" not in _tasks(client, demo["demo-ministry"])


def test_the_glance_figures_match_the_records(client, demo) -> None:
    action = Action.objects.get()
    glance = programme_glance(action=action)
    held = Attendance.objects.filter(training__status=TrainingStatus.HELD)
    people = Participant.objects.filter(attendance__in=held).distinct()
    assert glance.participants == people.count() > 0
    assert glance.trainings_held == Training.objects.filter(status=TrainingStatus.HELD).count()
    by_sex = {bar.label: bar.value for bar in glance.participants_by_sex}
    assert by_sex["Female"] == people.filter(sex=Sex.FEMALE).count()
    assert by_sex["Male"] == people.filter(sex=Sex.MALE).count()
    assert sum(total for _g, _w, _m, total in glance.participants_by_group) >= people.count()
    statuses = {bar.label: bar.value for bar in glance.recommendations_by_status}
    assert sum(statuses.values()) == 15

    client.force_login(demo["demo-observer"])
    page = client.get("/").content.decode()
    assert "Participants by target group and sex" in page
    assert f"<dd>{people.count()}</dd>" in page


def _add_trainings(n: int, by: User) -> None:
    """Held trainings the ministry organised, each with permissions as the portal grants them."""
    topic = Topic.objects.order_by("pk")[0]
    ministry = Institution.objects.get(code="mspdy")
    for i in range(n):
        training_create(
            by=by,
            action=Action.objects.get(),
            title=f"Bulk training {i}-{Training.objects.count()}",
            organiser=ministry,
            topics=[topic],
            status=TrainingStatus.HELD,
            start_date=date(2026, 3, 2),
            end_date=date(2026, 3, 2),
        )


@pytest.mark.parametrize("username", ["demo-admin", "demo-ministry"])
def test_dashboard_and_search_queries_do_not_grow_with_rows(client, demo, username) -> None:
    client.force_login(demo[username])

    def counts() -> tuple[int, int]:
        cache.clear()  # the glance counted afresh each time: its queries are what may grow
        with CaptureQueriesContext(connection) as dashboard:
            assert client.get("/").status_code == 200
        with CaptureQueriesContext(connection) as found:
            response = client.get("/search/?q=Bulk training")
            assert response.status_code == 200
        return len(dashboard), len(found)

    _add_trainings(10, demo["demo-ministry"])
    counts()  # the first request fills per-process caches (content types)
    ten = counts()
    _add_trainings(190, demo["demo-ministry"])
    two_hundred = counts()
    assert ten == two_hundred
    assert len(client.get("/search/?q=Bulk training").context["page_obj"].object_list) > 10


def test_search_needs_two_letters_and_finds_each_kind(client, demo) -> None:
    client.force_login(demo["demo-observer"])
    short = client.get("/search/?q=a")
    assert short.status_code == 200 and short.context["too_short"]
    page = client.get("/search/?q=Kumanovo").content.decode()
    assert "Kumanovo" in page
    found = client.get("/search/?q=Skopje").context["page_obj"].object_list
    kinds = {hit.kind for hit in found}
    assert {"Training", "Meeting"} <= kinds


def test_the_dashboard_lists_the_most_urgent_tasks_and_links_to_all(client, demo) -> None:
    ministry = demo["demo-ministry"]
    for days in range(1, 21):
        training_create(
            by=ministry,
            action=Action.objects.get(),
            title=f"Unrecorded training {days:02d} days ago",
            organiser=Institution.objects.get(code="mspdy"),
            topics=[Topic.objects.order_by("pk")[0]],
            status=TrainingStatus.HELD,
            start_date=timezone.localdate() - timedelta(days=days),
            end_date=timezone.localdate() - timedelta(days=days),
        )
    client.force_login(ministry)
    everything = client.get("/?tasks=all").context["tasks"]
    total = len(everything)
    assert total > 20
    assert [t.due for t in everything] == sorted(t.due or date.max for t in everything)
    response = client.get("/")
    shown = response.context["tasks"]
    assert shown == everything[:15]
    page = response.content.decode()
    assert f"The most urgent of your {total} tasks." in page
    assert f'href="?tasks=all#tasks-heading">Show all {total} tasks</a>' in page
    assert "Show the most urgent only" in client.get("/?tasks=all").content.decode()


def test_the_dashboard_and_the_reminders_ask_to_complete_the_same_trainings(demo) -> None:
    """Held without attendance, or past its end and still planned: the dashboard lists them for
    the organiser's editors and the reminders remind them, by one rule; a training with its
    attendance recorded is in neither."""
    from dashboard.selectors import dashboard_tasks
    from notifications.models import Notification
    from notifications.reminders import reminders_run
    from tests.factories import AttendanceFactory

    yesterday = timezone.localdate() - timedelta(days=1)

    def logged(title: str, status: str) -> Training:
        return training_create(
            by=demo["demo-ministry"],
            action=Action.objects.get(),
            title=title,
            organiser=Institution.objects.get(code="mspdy"),
            topics=[Topic.objects.order_by("pk")[0]],
            status=status,
            start_date=yesterday,
            end_date=yesterday,
        )

    held = logged("Held, nobody recorded", TrainingStatus.HELD)
    late = logged("Past its day, still planned", TrainingStatus.PLANNED)
    done = logged("Held and recorded", TrainingStatus.HELD)
    AttendanceFactory(training=done)
    ours = {f"/trainings/{t.pk}/" for t in (held, late, done)}
    editor = demo["demo-ministry"]
    listed = {t.url for t in dashboard_tasks(user=editor) if t.kind == "training"} & ours
    reminders_run(today=timezone.localdate())
    reminded = {
        n.url for n in Notification.objects.filter(recipient=editor, kind="training_record")
    } & ours
    assert listed == reminded == {f"/trainings/{held.pk}/", f"/trainings/{late.pk}/"}
