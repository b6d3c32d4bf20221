"""Reported indicator values in people's notifications and on their dashboard: the programme
team hears of a value to review, the institution of its review; each finds what waits for it
among its tasks, and the reminders ask for what is not reported yet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from dashboard.selectors import dashboard_tasks
from notifications.choices import NotificationKind, ReminderStage
from notifications.models import Notification
from notifications.reminders import reminders_run
from programme import services
from programme.choices import IndicatorKind
from programme.models import Action, Indicator, IndicatorValue, ReportingPeriod
from programme.signals import indicator_value_reviewed, indicator_value_submitted
from stakeholders.choices import MembershipRole
from stakeholders.models import Institution, User
from stakeholders.services import membership_set
from tests import factories

pytestmark = pytest.mark.django_db


@dataclass
class World:
    action: Action
    period: ReportingPeriod
    institution: Institution
    indicator: Indicator  # reported by the institution
    focal_point: User
    editor: User
    viewer: User  # a read-only member: enters nothing, is told nothing
    outsider: User  # an editor of another institution
    team: User  # the programme team
    team_colleague: User


@pytest.fixture
def w() -> World:
    today = timezone.localdate()
    action = factories.ActionFactory.create()
    period = factories.ReportingPeriodFactory.create(
        action=action,
        name="Open period",
        start_date=today - timedelta(days=60),
        end_date=today - timedelta(days=1),
        due_date=today + timedelta(days=10),
    )
    institution = factories.InstitutionFactory.create(short_name="MLSP")
    other = factories.InstitutionFactory.create(short_name="MoI")
    people = {
        name: factories.UserFactory.create(username=name, preferred_language="en")
        for name in ("focal", "editor", "viewer", "outsider")
    }
    membership_set(user=people["focal"], institution=institution, role=MembershipRole.FOCAL_POINT)
    membership_set(user=people["editor"], institution=institution, role=MembershipRole.EDITOR)
    membership_set(user=people["viewer"], institution=institution, role=MembershipRole.VIEWER)
    membership_set(user=people["outsider"], institution=other, role=MembershipRole.EDITOR)
    return World(
        action=action,
        period=period,
        institution=institution,
        indicator=_indicator(action, "R.1", institution),
        focal_point=people["focal"],
        editor=people["editor"],
        viewer=people["viewer"],
        outsider=people["outsider"],
        team=factories.UserFactory.create(username="team", programme_team=True),
        team_colleague=factories.UserFactory.create(username="colleague", programme_team=True),
    )


def _indicator(action: Action, code: str, responsible: Institution | None) -> Indicator:
    return factories.IndicatorFactory.create(
        outcome=factories.OutcomeFactory.create(action=action),
        code=code,
        kind=IndicatorKind.REPORTED,
        responsible=responsible,
    )


def _draft(w: World, indicator: Indicator | None = None, by: User | None = None) -> IndicatorValue:
    return services.indicator_value_save(
        indicator=indicator or w.indicator, period=w.period, by=by or w.editor, actual=Decimal(4)
    )


def _submitted(
    w: World, indicator: Indicator | None = None, by: User | None = None
) -> IndicatorValue:
    return services.indicator_value_submit(value=_draft(w, indicator, by), by=by or w.editor)


def _told(value: IndicatorValue, kind: str) -> set[str]:
    return set(
        Notification.objects.filter(
            kind=kind, url=reverse("programme:value_detail", args=[value.pk])
        ).values_list("recipient__username", flat=True)
    )


# --- Notifications ----------------------------------------------------------------------------


def test_a_submitted_value_tells_the_programme_team_with_a_link_to_it(w: World) -> None:
    value = _submitted(w)
    assert _told(value, NotificationKind.VALUE_SUBMITTED) == {"team", "colleague"}
    notice = Notification.objects.get(recipient=w.team, kind=NotificationKind.VALUE_SUBMITTED)
    with translation.override("en"):
        assert notice.text == "MLSP submitted the value of indicator R.1 (Open period) for review."
        assert notice.get_kind_display() == "Indicator value to review"


def test_a_team_member_who_submits_is_not_told_of_their_own_value(w: World) -> None:
    teams = _indicator(w.action, "T.1", None)
    value = _submitted(w, indicator=teams, by=w.team)
    assert _told(value, NotificationKind.VALUE_SUBMITTED) == {"colleague"}
    notice = Notification.objects.get(recipient=w.team_colleague)
    with translation.override("en"):
        assert notice.text == "The value of indicator T.1 (Open period) was submitted for review."


def test_returned_and_approved_values_tell_the_institutions_editors(w: World) -> None:
    value = _submitted(w)
    services.indicator_value_return(value=value, by=w.team, comment="Which shelters?")
    assert _told(value, NotificationKind.VALUE_RETURNED) == {"focal", "editor"}
    returned = Notification.objects.get(recipient=w.editor, kind=NotificationKind.VALUE_RETURNED)
    with translation.override("en"):
        assert returned.text == (
            "The value of indicator R.1 (Open period) reported by MLSP was returned for revision."
        )

    services.indicator_value_submit(value=value, by=w.editor)
    services.indicator_value_approve(value=value, by=w.team)
    assert _told(value, NotificationKind.VALUE_APPROVED) == {"focal", "editor"}
    # The resubmission is news to the team again.
    assert (
        Notification.objects.filter(
            recipient=w.team_colleague, kind=NotificationKind.VALUE_SUBMITTED
        ).count()
        == 2
    )


def test_a_value_the_team_enters_tells_whoever_created_it_of_its_review(w: World) -> None:
    teams = _indicator(w.action, "T.1", None)
    value = _submitted(w, indicator=teams, by=w.team)
    services.indicator_value_approve(value=value, by=w.team_colleague)
    assert _told(value, NotificationKind.VALUE_APPROVED) == {"team"}
    notice = Notification.objects.get(recipient=w.team, kind=NotificationKind.VALUE_APPROVED)
    with translation.override("en"):
        assert notice.text == "The value of indicator T.1 (Open period) was approved."


def test_the_same_step_told_twice_notifies_once(w: World) -> None:
    value = _submitted(w)
    indicator_value_submitted.send(sender=IndicatorValue, value=value, by=w.editor)
    assert Notification.objects.filter(kind=NotificationKind.VALUE_SUBMITTED).count() == 2
    value = services.indicator_value_approve(value=value, by=w.team)
    indicator_value_reviewed.send(sender=IndicatorValue, value=value, by=w.team)
    assert Notification.objects.filter(kind=NotificationKind.VALUE_APPROVED).count() == 2


# --- The dashboard ----------------------------------------------------------------------------


def _value_tasks(user: User) -> list[tuple[str, str, str]]:
    with translation.override("en"):
        return [(t.kind, t.title, t.url) for t in dashboard_tasks(user=user) if "value" in t.kind]


def test_the_institution_sees_its_values_to_report_finish_and_revise(w: World) -> None:
    mine = reverse("programme:value_mine")
    assert _value_tasks(w.editor) == [
        ("value_due", "Value of indicator R.1 for Open period (MLSP)", mine)
    ]
    assert _value_tasks(w.viewer) == [] and _value_tasks(w.outsider) == []

    value = _draft(w)
    page = reverse("programme:value_detail", args=[value.pk])
    assert _value_tasks(w.focal_point) == [
        ("value_draft", "Finish and submit your draft value of indicator R.1 (Open period)", page)
    ]
    services.indicator_value_submit(value=value, by=w.editor)
    assert _value_tasks(w.editor) == []
    services.indicator_value_return(value=value, by=w.team, comment="Which shelters?")
    assert _value_tasks(w.editor) == [
        ("value_returned", "Indicator R.1, Open period (MLSP): returned, revise", page)
    ]


def test_the_programme_team_sees_values_to_review_and_those_it_enters(w: World) -> None:
    _indicator(w.action, "T.1", None)
    value = _submitted(w)
    page = reverse("programme:value_detail", args=[value.pk])
    tasks = _value_tasks(w.team)
    assert ("value_review", "Review MLSP's value of indicator R.1 (Open period)", page) in tasks
    assert (
        "value_due",
        "Value of indicator T.1 for Open period (programme team)",
        reverse("programme:value_mine"),
    ) in tasks
    assert not any("R.1" in title for kind, title, _url in tasks if kind != "value_review")
    assert [kind for kind, _t, _u in _value_tasks(w.editor)] == []
    services.indicator_value_approve(value=value, by=w.team)
    assert [k for k, _t, _u in _value_tasks(w.team)] == ["value_due"]


def test_value_tasks_are_listed_with_the_others_by_due_date(client: Client, w: World) -> None:
    today = timezone.localdate()
    factories.ActionPointFactory.create(owner=w.institution, due_date=today + timedelta(days=3))
    factories.ActionPointFactory.create(owner=w.institution, due_date=today + timedelta(days=30))
    client.force_login(w.editor)
    response = client.get(reverse("dashboard:dashboard"))
    tasks = response.context["tasks"]
    assert [t.kind for t in tasks] == ["action_point", "value_due", "action_point"]
    page = response.content.decode()
    assert f'<a href="{reverse("programme:value_mine")}">Value of indicator R.1' in page


def test_the_dashboard_tasks_run_the_same_queries_for_one_value_or_many(w: World) -> None:
    def count(user: User) -> tuple[int, list[str]]:
        fresh = User.objects.get(pk=user.pk)  # its persona worked out again, as in a request
        with CaptureQueriesContext(connection) as queries:
            kinds = [t.kind for t in dashboard_tasks(user=fresh) if "value" in t.kind]
        return len(queries), kinds

    _submitted(w)
    editor_one, editor_kinds = count(w.editor)
    team_one, team_kinds = count(w.team)
    assert editor_kinds == [] and team_kinds == ["value_review"]
    for n in range(5):
        indicator = _indicator(w.action, f"R.{n + 2}", w.institution)
        if n % 2:
            _submitted(w, indicator=indicator)
        else:
            _draft(w, indicator=indicator)
    editor_many, editor_kinds = count(w.editor)
    team_many, team_kinds = count(w.team)
    assert editor_kinds == ["value_draft"] * 3
    assert team_kinds == ["value_review"] * 3
    assert (editor_many, team_many) == (editor_one, team_one)


# --- The reminders ----------------------------------------------------------------------------


def test_the_reminders_ask_the_institution_for_values_not_reported_once(w: World) -> None:
    second = _indicator(w.action, "R.2", w.institution)
    returned = _submitted(w, indicator=second)
    services.indicator_value_return(value=returned, by=w.team, comment="Which shelters?")
    reminders_run()
    notices = Notification.objects.filter(kind=NotificationKind.VALUE_DUE)
    assert {(n.recipient.username, n.stage) for n in notices} == {
        ("focal", ReminderStage.BEFORE),
        ("editor", ReminderStage.BEFORE),
    }
    notice = notices.get(recipient=w.editor)
    assert notice.url == reverse("programme:value_mine")
    with translation.override("en"):
        assert notice.text.startswith("Indicator values for Open period are due on ")
        assert notice.text.endswith(": MLSP, indicators R.1.")
    assert reminders_run() == 0
    reminders_run(today=w.period.due_date + timedelta(days=20))
    escalated = Notification.objects.get(kind=NotificationKind.VALUE_DUE, recipient=w.team)
    assert escalated.stage == ReminderStage.ESCALATED
