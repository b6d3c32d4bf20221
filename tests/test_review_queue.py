"""The review queue (the programme team's one list of what waits for review), approving several
items at once, the way back to the queue from an item, returning with a comment that reaches
the institution, and "My institution's updates"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from core.models import OutboxEmail
from notifications import services as notification_services
from notifications.choices import Frequency
from programme import services as programme_services
from programme.choices import IndicatorKind, ValueState
from programme.models import Indicator, IndicatorValue, ReportingPeriod
from recommendations import services
from recommendations.choices import AssignmentKind, UpdateState
from recommendations.models import ProgressUpdate, Recommendation
from stakeholders.choices import MembershipRole
from stakeholders.models import Institution, User
from stakeholders.services import membership_set
from tests import factories

pytestmark = pytest.mark.django_db

QUEUE = reverse("recommendations:review_queue")
APPROVE = reverse("recommendations:review_approve")
MINE = reverse("recommendations:my_updates")


@dataclass
class World:
    period: ReportingPeriod  # open: due in ten days
    earlier: ReportingPeriod
    mlsp: Institution
    moi: Institution
    rec1: Recommendation  # MLSP and MoI are responsible
    rec2: Recommendation  # MLSP is responsible
    indicator: Indicator  # reported by MLSP
    editor: User  # MLSP
    viewer: User  # MLSP, reads only
    moi_editor: User
    team: User
    nobody: User  # a member of no institution


@pytest.fixture
def w() -> World:
    today = timezone.localdate()
    action = factories.ActionFactory.create()
    period = factories.ReportingPeriodFactory.create(
        action=action,
        name="2026 H2",
        start_date=today - timedelta(days=60),
        end_date=today - timedelta(days=1),
        due_date=today + timedelta(days=10),
    )
    earlier = factories.ReportingPeriodFactory.create(
        action=action,
        name="2026 H1",
        start_date=today - timedelta(days=240),
        end_date=today - timedelta(days=61),
        due_date=today - timedelta(days=50),
    )
    mlsp = factories.InstitutionFactory.create(name="Ministry of Social Policy", short_name="MLSP")
    moi = factories.InstitutionFactory.create(name="Ministry of Interior", short_name="MoI")
    rec1 = factories.RecommendationFactory.create(number=41)
    rec2 = factories.RecommendationFactory.create(number=42)
    for rec, inst in ((rec1, mlsp), (rec1, moi), (rec2, mlsp)):
        services.assignment_set(
            recommendation=rec, institution=inst, kind=AssignmentKind.RESPONSIBLE
        )
    people = {
        name: factories.UserFactory.create(username=name, preferred_language="en")
        for name in ("editor", "viewer", "moi_editor", "nobody")
    }
    membership_set(user=people["editor"], institution=mlsp, role=MembershipRole.EDITOR)
    membership_set(user=people["viewer"], institution=mlsp, role=MembershipRole.VIEWER)
    membership_set(user=people["moi_editor"], institution=moi, role=MembershipRole.EDITOR)
    indicator = factories.IndicatorFactory.create(
        outcome=factories.OutcomeFactory.create(action=action),
        code="R.1",
        kind=IndicatorKind.REPORTED,
        responsible=mlsp,
    )
    return World(
        period=period,
        earlier=earlier,
        mlsp=mlsp,
        moi=moi,
        rec1=rec1,
        rec2=rec2,
        indicator=indicator,
        team=factories.UserFactory.create(
            username="team", programme_team=True, preferred_language="en"
        ),
        **people,
    )


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _ago(days: int) -> Any:
    """``days`` days ago in the platform's calendar (the queue counts calendar days), at noon
    or now if sooner: the same count whatever the hour the test runs (an hour before "now"
    was the day before between midnight and one o'clock)."""
    day = timezone.localdate() - timedelta(days=days)
    return min(timezone.make_aware(datetime.combine(day, time(12))), timezone.now())


def _update(
    w: World,
    rec: Recommendation,
    inst: Institution,
    *,
    period: ReportingPeriod | None = None,
    days_ago: int | None = None,
) -> ProgressUpdate:
    """A draft update; submitted ``days_ago`` days ago when given."""
    update = services.progress_update_create(
        recommendation=rec,
        institution=inst,
        period=period or w.period,
        status="in_progress",
        narrative=f"Work on {rec.number} by {inst.label}.",
        by=None,
    )
    if days_ago is not None:
        update = services.progress_update_submit(update=update, by=None)
        ProgressUpdate.objects.filter(pk=update.pk).update(submitted_at=_ago(days_ago))
        update.refresh_from_db()
    return update


def _value(w: World, *, days_ago: int, period: ReportingPeriod | None = None) -> IndicatorValue:
    value = programme_services.indicator_value_save(
        indicator=w.indicator, period=period or w.period, by=w.editor, actual=Decimal(4)
    )
    value = programme_services.indicator_value_submit(value=value, by=w.editor)
    IndicatorValue.objects.filter(pk=value.pk).update(submitted_at=_ago(days_ago))
    value.refresh_from_db()
    return value


def _keys(response: Any) -> list[str]:
    return [item.key for item in response.context["items"]]


# --- The queue --------------------------------------------------------------------------------


def test_the_queue_lists_updates_and_values_in_one_list_the_oldest_first(w: World) -> None:
    newest = _update(w, w.rec1, w.mlsp, days_ago=3)
    value = _value(w, days_ago=10)
    oldest = _update(w, w.rec1, w.moi, days_ago=20)
    _update(w, w.rec2, w.mlsp)  # a draft waits for nobody
    returned = _update(w, w.rec2, w.mlsp, period=w.earlier, days_ago=30)
    services.progress_update_return(update=returned, by=w.team, comment="Name the schools.")

    response = _login(w.team).get(QUEUE)
    assert response.status_code == 200
    assert _keys(response) == [f"update:{oldest.pk}", f"value:{value.pk}", f"update:{newest.pk}"]
    page = response.content.decode()
    assert "3 items waiting for review" in page
    assert "Progress update on recommendation 41" in page and "Value of indicator R.1" in page
    assert "waiting 20 days" in page and "waiting 3 days" in page
    assert reverse("recommendations:update_detail", args=[oldest.pk]) in page
    assert reverse("programme:value_detail", args=[value.pk]) in page
    assert reverse("programme:value_review", args=[value.pk]) in page


def test_the_queue_filters_by_institution_recommendation_period_waiting_and_kind(
    w: World,
) -> None:
    mlsp_new = _update(w, w.rec1, w.mlsp, days_ago=3)
    moi_old = _update(w, w.rec1, w.moi, days_ago=20)
    mlsp_rec2 = _update(w, w.rec2, w.mlsp, period=w.earlier, days_ago=40)
    value = _value(w, days_ago=10)
    team = _login(w.team)

    def shown(**params: str | int) -> list[str]:
        return _keys(team.get(QUEUE, params))

    assert shown(institution=w.mlsp.pk) == [
        f"update:{mlsp_rec2.pk}",
        f"value:{value.pk}",
        f"update:{mlsp_new.pk}",
    ]
    # Indicator values answer to no recommendation.
    assert shown(recommendation=w.rec1.pk) == [f"update:{moi_old.pk}", f"update:{mlsp_new.pk}"]
    assert shown(recommendation=w.rec1.pk, kind="value") == []
    assert shown(period=w.earlier.pk) == [f"update:{mlsp_rec2.pk}"]
    assert shown(waiting=14) == [f"update:{mlsp_rec2.pk}", f"update:{moi_old.pk}"]
    assert shown(waiting=7, kind="value") == [f"value:{value.pk}"]
    assert shown(kind="update", waiting=30) == [f"update:{mlsp_rec2.pk}"]
    empty = team.get(QUEUE, {"waiting": "30", "kind": "value"}).content.decode()
    assert "Nothing is waiting for review." in empty


def test_only_the_programme_team_opens_the_queue(w: World) -> None:
    for user in (w.editor, w.viewer, w.nobody):
        client = _login(user)
        assert client.get(QUEUE).status_code == 403
        assert client.get(reverse("recommendations:review_next")).status_code == 403
    assert Client().get(QUEUE).status_code == 302


def _many_waiting(count: int) -> None:
    for n in range(count):
        if n % 2:
            factories.ProgressUpdateFactory.create(
                state=UpdateState.SUBMITTED, submitted_at=_ago(n)
            )
        else:
            factories.IndicatorValueFactory.create(
                indicator__kind=IndicatorKind.REPORTED,
                indicator__responsible=factories.InstitutionFactory.create(),
                state=ValueState.SUBMITTED,
                submitted_at=_ago(n),
            )


def _queries_for_queue(client: Client) -> int:
    client.get(QUEUE)  # the session and the persona, once
    with CaptureQueriesContext(connection) as queries:
        response = client.get(QUEUE)
    assert response.status_code == 200
    return len(queries)


def test_the_queue_costs_the_same_queries_for_3_rows_as_for_30(w: World) -> None:
    team = _login(w.team)
    _many_waiting(3)
    few = _queries_for_queue(team)
    _many_waiting(27)
    assert len(team.get(QUEUE).context["items"]) == 25  # a page
    assert _queries_for_queue(team) == few


def test_the_header_offers_the_queue_with_its_count_to_the_team_only(w: World) -> None:
    _update(w, w.rec1, w.mlsp, days_ago=3)
    _value(w, days_ago=5)
    page = _login(w.team).get(reverse("dashboard:dashboard")).content.decode()
    assert re.search(r'href="/recommendations/review/"[^>]*>Review queue \(2<span', page)
    editor_page = _login(w.editor).get(reverse("dashboard:dashboard")).content.decode()
    assert QUEUE not in editor_page
    assert f'href="{MINE}"' in editor_page
    assert f'href="{MINE}"' not in _login(w.nobody).get(MINE).content.decode()


# --- Approving several at once ----------------------------------------------------------------


def test_approving_several_lists_exactly_the_chosen_ones_then_approves_them(w: World) -> None:
    chosen = _update(w, w.rec1, w.mlsp, days_ago=3)
    value = _value(w, days_ago=10)
    left = _update(w, w.rec1, w.moi, days_ago=20)
    team = _login(w.team)
    items = [f"update:{chosen.pk}", f"value:{value.pk}"]

    confirm = team.get(APPROVE, {"item": items})
    assert confirm.status_code == 200
    assert [i.key for i in confirm.context["waiting"]] == items
    page = confirm.content.decode()
    assert "2 items to approve" in page and "Approve 2 items" in page
    assert reverse("recommendations:update_detail", args=[left.pk]) not in page
    chosen.refresh_from_db()
    assert chosen.state == UpdateState.SUBMITTED  # asking changes nothing

    done = team.post(APPROVE, {"item": items}, follow=True)
    assert "2 items approved." in done.content.decode()
    chosen.refresh_from_db()
    value.refresh_from_db()
    left.refresh_from_db()
    assert (chosen.state, value.state, left.state) == ("approved", "approved", "submitted")
    assert chosen.reviewed_by == w.team and value.reviewed_by == w.team
    assert _keys(done) == [f"update:{left.pk}"]


def test_an_item_that_stopped_waiting_is_reported_not_skipped(w: World) -> None:
    update = _update(w, w.rec1, w.mlsp, days_ago=3)
    value = _value(w, days_ago=10)
    approved = _update(w, w.rec2, w.mlsp, days_ago=4)
    services.progress_update_approve(update=approved, by=w.team)
    team = _login(w.team)
    items = [f"update:{update.pk}", f"value:{value.pk}", f"update:{approved.pk}"]

    confirm = team.get(APPROVE, {"item": items}).content.decode()
    assert "These items no longer wait for review and will not be approved:" in confirm
    assert "Update of MLSP on recommendation 42</a>: Approved" in confirm
    assert "Approve 2 items" in confirm

    # Meanwhile the institution withdraws its value.
    programme_services.indicator_value_withdraw(value=value, by=w.editor)
    done = team.post(APPROVE, {"item": items[:2]}, follow=True).content.decode()
    assert "1 item approved." in done
    assert (
        "Not approved: Value of indicator R.1 (2026 H2). Only a submitted value can be approved."
        in done
    )
    update.refresh_from_db()
    value.refresh_from_db()
    assert update.state == UpdateState.APPROVED and value.state == ValueState.DRAFT


def test_choosing_nothing_or_a_forged_item_approves_nothing(w: World) -> None:
    update = _update(w, w.rec1, w.mlsp, days_ago=3)
    team = _login(w.team)
    nothing = team.get(APPROVE, follow=True).content.decode()
    assert "Choose at least one item to approve." in nothing
    forged = team.post(APPROVE, {"item": [f"update:{update.pk}", "training:1"]}, follow=True)
    assert "The list of chosen items is not valid." in forged.content.decode()
    update.refresh_from_db()
    assert update.state == UpdateState.SUBMITTED
    assert _login(w.editor).post(APPROVE, {"item": [f"update:{update.pk}"]}).status_code == 403
    update.refresh_from_db()
    assert update.state == UpdateState.SUBMITTED


# --- From one item back to the queue ----------------------------------------------------------


def test_after_acting_on_one_item_the_reviewer_goes_back_or_on_to_the_next(w: World) -> None:
    first = _update(w, w.rec1, w.moi, days_ago=20)
    value = _value(w, days_ago=10)
    team = _login(w.team)
    nxt = reverse("recommendations:review_next")

    approved = team.post(
        reverse("recommendations:update_review", args=[first.pk]),
        {"decision": "approve"},
        follow=True,
    ).content.decode()
    assert "Approved. The update is now locked." in approved
    assert f'href="{QUEUE}">Back to the review queue' in approved
    assert f"{nxt}?skip=update:{first.pk}" in approved
    assert team.get(nxt, {"skip": f"update:{first.pk}"})["Location"] == reverse(
        "programme:value_detail", args=[value.pk]
    )

    returned = team.post(
        reverse("programme:value_review", args=[value.pk]),
        {"decision": "return", "comment": "Which shelters?"},
        follow=True,
    ).content.decode()
    assert "Returned to the institution with your comment." in returned
    assert "Back to the review queue" in returned
    empty = team.get(nxt, {"skip": f"value:{value.pk}"}, follow=True).content.decode()
    assert "Nothing else is waiting for review." in empty
    # The institution's own people are not offered the queue.
    detail = _login(w.editor).get(reverse("programme:value_detail", args=[value.pk]))
    assert "Back to the review queue" not in detail.content.decode()


# --- Returning without a comment --------------------------------------------------------------

_RETURN_CHECKED = re.compile(r'<input type="radio" name="decision" value="return"[^>]*checked')


@pytest.mark.parametrize("kind", ["update", "value"])
def test_returning_without_a_comment_shows_the_error_summary_and_keeps_the_decision(
    w: World, kind: str
) -> None:
    if kind == "update":
        record: Any = _update(w, w.rec1, w.mlsp, days_ago=3)
        url = reverse("recommendations:update_review", args=[record.pk])
    else:
        record = _value(w, days_ago=3)
        url = reverse("programme:value_review", args=[record.pk])
    response = _login(w.team).post(url, {"decision": "return", "comment": "  "})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="error-summary"' in page and "Please correct the following" in page
    assert 'href="#id_comment">Comment to the institution: Say what needs to change.' in page
    assert _RETURN_CHECKED.search(page)
    record.refresh_from_db()
    assert record.state == "submitted"


# --- The comment reaches the institution ------------------------------------------------------


@pytest.mark.parametrize("kind", ["update", "value"])
def test_the_reviewers_comment_travels_in_the_notice_and_its_email(
    w: World, kind: str, django_capture_on_commit_callbacks: Any
) -> None:
    notification_services.preference_set(user=w.editor, frequency=Frequency.IMMEDIATELY)
    comment = "Name the two schools in Tetovo & attach the attendance lists."
    if kind == "update":
        record: Any = _update(w, w.rec1, w.mlsp, days_ago=3)
        url = reverse("recommendations:update_review", args=[record.pk])
    else:
        record = _value(w, days_ago=3)
        url = reverse("programme:value_review", args=[record.pk])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = _login(w.team).post(url, {"decision": "return", "comment": comment})
    assert response.status_code == 302

    page = _login(w.editor).get(reverse("notifications:notification_list")).content.decode()
    assert "returned for revision" in page
    assert "comment: “Name the two schools in Tetovo &amp; attach the attendance lists.”" in page
    email = OutboxEmail.objects.get(to=w.editor.email)
    assert f"Reviewer's comment: “{comment}”" in email.body_text
    assert "Tetovo &amp; attach the attendance lists.”" in email.body_html
    assert [m.to for m in mail.outbox] == [[w.editor.email]]
    assert f"Reviewer's comment: “{comment}”" in mail.outbox[0].body
    assert comment not in mail.outbox[0].subject


# --- My institution's updates -----------------------------------------------------------------


def test_members_see_every_update_of_their_institution_with_its_next_step(w: World) -> None:
    draft = _update(w, w.rec1, w.mlsp, period=w.earlier)
    submitted = _update(w, w.rec1, w.mlsp, days_ago=3)
    returned = _update(w, w.rec2, w.mlsp, period=w.earlier, days_ago=30)
    services.progress_update_return(update=returned, by=w.team, comment="Name the schools.")
    moi = _update(w, w.rec1, w.moi, days_ago=5)
    since = date_format(timezone.localtime(submitted.submitted_at).date(), "DATE_FORMAT")

    response = _login(w.editor).get(MINE)
    assert response.status_code == 200
    rows = {update.pk: step for update, step, _url in response.context["rows"]}
    assert rows == {
        draft.pk: "Write and submit",
        submitted.pk: f"Waiting for review since {since}",
        returned.pk: "Returned: revise and resubmit",
    }
    page = response.content.decode()
    assert reverse("recommendations:update_detail", args=[submitted.pk]) in page
    assert reverse("recommendations:update_detail", args=[moi.pk]) not in page
    # Recommendation 42 is owed for the open period and not started: the editor may write it.
    assert "Owed and not started" in page
    assert [(o.recommendation.number, o.period.name) for o in response.context["not_started"]] == [
        (42, "2026 H2")
    ]
    assert reverse("recommendations:update_create", args=[w.rec2.pk]) in page

    services.progress_update_submit(update=returned, by=w.editor)
    services.progress_update_approve(update=returned, by=w.team)
    again = _login(w.viewer).get(MINE)
    assert {u.pk: s for u, s, _url in again.context["rows"]}[returned.pk] == "Approved"
    # A read-only member follows the updates but is not offered to write one.
    assert reverse("recommendations:update_create", args=[w.rec2.pk]) not in (
        again.content.decode()
    )


def test_someone_of_no_institution_is_told_so(w: World) -> None:
    _update(w, w.rec1, w.mlsp, days_ago=3)
    page = _login(w.nobody).get(MINE)
    assert page.status_code == 200
    assert "You are not a member of any institution" in page.content.decode()
    assert list(page.context["rows"]) == []
