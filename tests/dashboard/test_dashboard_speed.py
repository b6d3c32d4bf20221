"""The dashboard under load: what is the same for every reader is kept between
requests, only the tasks a reader sees are written out, the queries do not grow with the rows,
and a change the reader has just made shows on the next dashboard all the same."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from dashboard.selectors import (
    ActionOverview,
    TaskList,
    action_overview,
    dashboard_tasks,
    dashboard_tasks_urgent,
    indicators_glance,
)
from programme.choices import OPEN_ACTION_POINT_STATUSES, ActionPointStatus, IndicatorKind
from programme.models import Action, ActionPoint, Indicator, Meeting, Outcome, ReportingPeriod
from programme.services import (
    action_point_update,
    indicator_value_save,
    indicator_value_submit,
)
from recommendations.choices import ImplementationStatus, UpdateState
from recommendations.models import ProgressUpdate, Recommendation
from recommendations.services import progress_update_create, progress_update_submit
from research.models import Study
from stakeholders.choices import MembershipRole
from stakeholders.models import Institution, User
from stakeholders.services import membership_set
from trainings.choices import TrainingStatus
from trainings.models import Topic, Training
from trainings.services import training_create

pytestmark = pytest.mark.django_db

TEAM = "demo-admin"


def _dashboard(client: Any, query: str = "") -> Any:
    response = client.get("/" + query)
    assert response.status_code == 200
    return response


def _log_training(demo: dict[str, Any], title: str, status: str, day: date) -> Training:
    """A training the ministry logs through the service the training form calls."""
    return training_create(
        by=demo["demo-ministry"],
        action=Action.objects.get(),
        title=title,
        organiser=Institution.objects.get(code="mspdy"),
        topics=[Topic.objects.order_by("pk")[0]],
        status=status,
        start_date=day,
        end_date=day,
    )


def _counted_now(action: Action, until: date | None = None) -> ActionOverview:
    """The headline figures counted straight from the records, as the rule says."""
    trainings = Training.objects.filter(action=action)
    meetings = Meeting.objects.filter(action=action)
    if until is not None:
        trainings = trainings.filter(start_date__lte=until) | trainings.filter(
            status=TrainingStatus.PLANNED
        )
        meetings = meetings.filter(date__lte=until) | meetings.filter(date__isnull=True)
    return ActionOverview(
        action=action,
        recommendations=Recommendation.objects.count(),
        trainings_held=trainings.filter(status=TrainingStatus.HELD).count(),
        trainings_planned=trainings.filter(status=TrainingStatus.PLANNED).count(),
        participants=action_overview(action=action, until=until).participants,
        studies=Study.objects.filter(action=action).count(),
        meetings=meetings.count(),
        open_action_points=ActionPoint.objects.filter(
            meeting__action=action, status__in=OPEN_ACTION_POINT_STATUSES
        ).count(),
    )


def test_the_headline_figures_match_the_records_today_and_at_a_past_day(demo) -> None:
    action = Action.objects.get()
    now = action_overview(action=action)
    assert now == _counted_now(action)
    assert now.trainings_held > 0 and now.open_action_points > 0 and now.meetings > 0
    early = action_overview(action=action, until=date(2024, 6, 30))
    assert early == _counted_now(action, until=date(2024, 6, 30))
    assert early.trainings_held < now.trainings_held


def test_what_the_reader_changes_shows_on_their_next_dashboard(client, demo) -> None:
    """One signed-in session: the dashboard read (and its figures kept), a change made, the
    dashboard read again. Each change is one the dashboard shows."""
    team: User = demo[TEAM]
    client.force_login(team)
    action = Action.objects.get()

    # An update approved on the review page: its task leaves the list, and its
    # recommendation moves from "not yet assessed" to the status the update reports.
    recommendation = (
        Recommendation.objects.filter(assignments__isnull=False)
        .exclude(updates__state=UpdateState.APPROVED)
        .order_by("number")
        .first()
    )
    assert recommendation is not None
    institution = recommendation.assignments.order_by("pk")[0].institution
    period = ReportingPeriod.objects.create(
        action=action,
        name="Speed test period",
        start_date=date(2025, 1, 1),
        end_date=date(2025, 6, 30),
        due_date=date(2025, 7, 15),
    )
    update = progress_update_create(
        recommendation=recommendation,
        institution=institution,
        period=period,
        status=ImplementationStatus.IMPLEMENTED,
        narrative="Done.",
        by=team,
    )
    progress_update_submit(update=update, by=team)
    before = _dashboard(client, "?tasks=all").context
    review_url = f"/recommendations/updates/{update.pk}/"
    assert review_url in {task.url for task in before["tasks"]}
    response = client.post(
        f"/recommendations/updates/{update.pk}/review/", {"decision": "approve", "comment": ""}
    )
    assert response.status_code == 302
    after = _dashboard(client, "?tasks=all").context
    assert review_url not in {task.url for task in after["tasks"]}
    assert after["tasks_total"] == before["tasks_total"] - 1

    def by_status(context: Any) -> dict[str, int]:
        return {bar.label: bar.value for bar in context["glance"].recommendations_by_status}

    assert by_status(after)["Not yet assessed"] == by_status(before)["Not yet assessed"] - 1
    assert by_status(after)["Fully implemented"] == by_status(before)["Fully implemented"] + 1

    # A training planned, a training held, an action point closed: the headline figures.
    before_overview = _dashboard(client).context["overview"]
    today = timezone.localdate()
    _log_training(demo, "Planned next month", TrainingStatus.PLANNED, today + timedelta(30))
    _log_training(demo, "Held last week", TrainingStatus.HELD, today - timedelta(7))
    point = ActionPoint.objects.filter(
        meeting__action=action, status__in=OPEN_ACTION_POINT_STATUSES
    ).first()
    assert point is not None
    action_point_update(
        action_point=point,
        by=team,
        status=ActionPointStatus.DONE,
        progress_note="Done.",
        closed_on=timezone.localdate(),
    )
    page = _dashboard(client)
    overview = page.context["overview"]
    assert overview.trainings_planned == before_overview.trainings_planned + 1
    assert overview.trainings_held == before_overview.trainings_held + 1
    assert overview.open_action_points == before_overview.open_action_points - 1
    assert f"<dd>{overview.open_action_points}</dd>" in page.content.decode()
    assert overview == _counted_now(action)


def test_a_value_approved_on_its_review_page_shows_in_the_indicators_at_a_glance(
    client, demo
) -> None:
    team: User = demo[TEAM]
    client.force_login(team)
    action = Action.objects.get()
    outcome = Outcome.objects.create(action=action, code="R9", title="Referral")
    indicator = Indicator.objects.create(
        outcome=outcome,
        code="R9.1",
        title_en="Shelters applying the referral standard",
        title_mk="Засолништа што го применуваат стандардот за упатување",
        unit="shelters",
        baseline=Decimal(0),
        kind=IndicatorKind.REPORTED,
        responsible=Institution.objects.get(code="demo-cso-b"),
    )
    # The latest period begun: the one the indicators are judged at.
    period = action.periods.filter(start_date__lte=timezone.localdate()).latest("start_date")

    def line(query: str = "") -> Any:
        glance = _dashboard(client, query).context["indicators"]
        (found,) = [row for row in glance.lines if row.code == "R9.1"]
        return found

    assert line().to_date == "—"
    cso = demo["demo-cso-b"]
    value = indicator_value_save(indicator=indicator, period=period, by=cso, actual=Decimal("4.5"))
    indicator_value_submit(value=value, by=cso)
    assert line().to_date == "—"  # submitted, not yet counted
    response = client.post(
        f"/results/values/{value.pk}/review/", {"decision": "approve", "comment": ""}
    )
    assert response.status_code == 302
    assert line().to_date == "4.50"
    # The same kept figures, written out for a Macedonian reader.
    with translation.override("mk"):
        glance = indicators_glance(action=action, today=timezone.localdate())
    (macedonian,) = [row for row in glance.lines if row.code == "R9.1"]
    assert macedonian.to_date == "4,50"
    assert macedonian.title == "Засолништа што го применуваат стандардот за упатување"


def _unrecorded_trainings(demo: dict[str, Any], n: int) -> None:
    """Held trainings without attendance: a task for the ministry's editors and the team."""
    for days in range(1, n + 1):
        _log_training(
            demo,
            f"Unrecorded {days:03d}-{Training.objects.count()}",
            TrainingStatus.HELD,
            timezone.localdate() - timedelta(days=days),
        )


@pytest.mark.parametrize("username", [TEAM, "demo-ministry", "demo-cso-a"])
def test_the_most_urgent_tasks_are_the_first_of_the_whole_list(demo, username) -> None:
    _unrecorded_trainings(demo, 20)
    user = demo[username]
    everything = dashboard_tasks(user=user)
    for limit in (1, 5, 15):
        assert dashboard_tasks_urgent(user=user, limit=limit) == TaskList(
            tasks=everything[:limit], total=len(everything)
        )
    assert dashboard_tasks_urgent(user=user, limit=None) == TaskList(
        tasks=everything, total=len(everything)
    )


def _submitted_updates(n: int) -> None:
    """``n`` more updates waiting for the programme team's review, each in a period of its own."""
    recommendation = Recommendation.objects.order_by("number")[0]
    institution = Institution.objects.get(code="mspdy")
    action = Action.objects.get()
    start = ReportingPeriod.objects.count()
    for i in range(start, start + n):
        period = ReportingPeriod.objects.create(
            action=action,
            name=f"Queue period {i}",
            start_date=date(2010, 1, 1) + timedelta(days=i),
            end_date=date(2010, 1, 1) + timedelta(days=i),
            due_date=date(2010, 2, 1) + timedelta(days=i),
        )
        ProgressUpdate.objects.create(
            recommendation=recommendation,
            institution=institution,
            period=period,
            status=ImplementationStatus.IN_PROGRESS,
            narrative="Waiting for review.",
            state=UpdateState.SUBMITTED,
        )


def test_a_long_review_queue_costs_no_more_queries_and_shows_its_total(client, demo) -> None:
    client.force_login(demo[TEAM])

    def queries() -> tuple[int, int]:
        """The queries of a dashboard counted afresh, then of one read as kept."""
        cache.clear()
        with CaptureQueriesContext(connection) as cold:
            _dashboard(client)
        with CaptureQueriesContext(connection) as warm:
            _dashboard(client)
        return len(cold), len(warm)

    _submitted_updates(5)
    queries()  # the first request fills per-process caches (content types)
    few = queries()
    _submitted_updates(60)
    many = queries()
    assert many == few
    cold, warm = many
    # Read as kept, the page asks only for what is the reader's own (session, account,
    # memberships, the latest report they may open) and the header's counts.
    assert warm <= cold - 8
    response = _dashboard(client)
    total = response.context["tasks_total"]
    assert total > 65 and len(response.context["tasks"]) == 15
    assert f"Show all {total} tasks" in response.content.decode()
    assert len(_dashboard(client, "?tasks=all").context["tasks"]) == total


def _task_titles(client: Any) -> str:
    return "\n".join(task.title for task in _dashboard(client).context["tasks"])


def test_kept_tasks_follow_a_renamed_institution_and_a_changed_role(client, demo) -> None:
    """The tasks are kept per reader; a change to what they name or to what the reader may
    do shows on the next dashboard."""
    cso_b = demo["demo-cso-b"]
    client.force_login(cso_b)
    assert "(Demo CSO B): returned, revise" in _task_titles(client)
    institution = Institution.objects.get(code="demo-cso-b")
    institution.short_name = "CSO Bee"
    institution.save()  # as the admin saves it
    titles = _task_titles(client)
    assert "(CSO Bee): returned, revise" in titles and "(Demo CSO B)" not in titles
    membership_set(user=cso_b, institution=institution, role=MembershipRole.VIEWER)
    assert _task_titles(client) == ""  # a viewer edits nothing, so nothing waits for them
