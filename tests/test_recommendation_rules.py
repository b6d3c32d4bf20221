"""Rules about recommendations that several pages, reports and jobs share, each written once:
which updates are owed, each institution's latest assessment and the overall status, and who
may report or change an update."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from core.alphabet import alphabet_key
from recommendations import permissions, selectors, services
from recommendations.choices import AssignmentKind, ImplementationStatus, OwedState, UpdateState
from recommendations.models import Assignment, ProgressUpdate, Recommendation, UpdateTransition
from stakeholders.choices import MembershipRole
from stakeholders.models import Institution
from tests import factories

pytestmark = pytest.mark.django_db

# The period below ended on 30 June and was due on 31 July; on this day it is still open
# (due within the last 90 days) and overdue.
TODAY = date(2025, 8, 10)


@pytest.fixture
def period() -> Any:
    return factories.ReportingPeriodFactory.create(
        name="2025 H1",
        start_date=date(2025, 1, 1),
        end_date=date(2025, 6, 30),
        due_date=date(2025, 7, 31),
    )


def _assign(recommendation: Recommendation, institution: Institution, kind: str) -> Assignment:
    return services.assignment_set(
        recommendation=recommendation, institution=institution, kind=kind
    )


def _update(
    recommendation: Recommendation,
    institution: Institution,
    period: Any,
    *,
    state: str,
    status: str = ImplementationStatus.IN_PROGRESS,
) -> ProgressUpdate:
    """An update taken through the real workflow to ``state``, its steps recorded."""
    update = services.progress_update_create(
        recommendation=recommendation,
        institution=institution,
        period=period,
        status=status,
        narrative="Work went on.",
        by=None,
    )
    if state == UpdateState.DRAFT:
        return update
    services.progress_update_submit(update=update, by=None)
    if state == UpdateState.RETURNED:
        services.progress_update_return(update=update, by=None, comment="Name the schools.")
    elif state == UpdateState.APPROVED:
        services.progress_update_approve(update=update, by=None)
    update.refresh_from_db()
    return update


def _owed(**kwargs: Any) -> set[tuple[int, int, int, str]]:
    return {
        (o.recommendation.pk, o.institution.pk, o.period.pk, o.state)
        for o in selectors.updates_owed(today=TODAY, **kwargs)
    }


# --- Updates owed ------------------------------------------------------------------------------


def test_invited_institution_owes_no_update_but_a_responsible_one_does(period) -> None:
    rec = factories.RecommendationFactory.create()
    responsible, invited = (
        factories.InstitutionFactory.create(),
        factories.InstitutionFactory.create(),
    )
    _assign(rec, responsible, AssignmentKind.RESPONSIBLE)
    _assign(rec, invited, AssignmentKind.INVITED)

    assert _owed() == {(rec.pk, responsible.pk, period.pk, OwedState.OVERDUE)}
    assert _owed(institution_ids={invited.pk}) == set()
    assert _owed(institution_ids={responsible.pk}) == _owed()
    # Before its due date the same update is due, not overdue.
    early = selectors.updates_owed(today=date(2025, 7, 1))
    assert [(o.institution, o.state) for o in early] == [(responsible, OwedState.DUE)]


def test_returned_update_is_owed_and_labelled_returned_revise(period) -> None:
    rec = factories.RecommendationFactory.create()
    institution = factories.InstitutionFactory.create()
    _assign(rec, institution, AssignmentKind.RESPONSIBLE)
    returned = _update(rec, institution, period, state=UpdateState.RETURNED)

    [owed] = selectors.updates_owed(today=TODAY, institution_ids={institution.pk})
    assert owed.state == OwedState.RETURNED
    assert owed.update == returned
    with translation.override("en"):
        assert owed.state_label == "returned, revise"
        assert str(OwedState.RETURNED.label) == "returned, revise"


def test_resubmitted_update_is_no_longer_owed_and_a_draft_still_is(period) -> None:
    rec = factories.RecommendationFactory.create()
    institution = factories.InstitutionFactory.create()
    _assign(rec, institution, AssignmentKind.RESPONSIBLE)
    update = _update(rec, institution, period, state=UpdateState.RETURNED)

    services.progress_update_submit(update=update, by=None)
    assert _owed() == set()

    other = factories.RecommendationFactory.create()
    _assign(other, institution, AssignmentKind.RESPONSIBLE)
    draft = _update(other, institution, period, state=UpdateState.DRAFT)
    [owed] = selectors.updates_owed(today=TODAY)
    assert (owed.recommendation, owed.state, owed.update) == (other, OwedState.OVERDUE, draft)


def test_updates_owed_runs_the_same_queries_for_one_or_many(period) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            selectors.updates_owed(today=TODAY)
        return len(queries)

    institution = factories.InstitutionFactory.create()
    _assign(factories.RecommendationFactory.create(), institution, AssignmentKind.RESPONSIBLE)
    one = count()
    for _n in range(5):
        rec = factories.RecommendationFactory.create()
        other = factories.InstitutionFactory.create()
        _assign(rec, other, AssignmentKind.RESPONSIBLE)
        _assign(rec, institution, AssignmentKind.RESPONSIBLE)
        _update(rec, other, period, state=UpdateState.DRAFT)
        _update(rec, institution, period, state=UpdateState.RETURNED)
    assert len(selectors.updates_owed(today=TODAY)) == 11
    assert count() == one


# --- The latest assessment of each institution and the overall status --------------------------


def test_withdrawn_institution_no_longer_counts_in_the_status_but_stays_in_the_history(
    client, period
) -> None:
    rec = factories.RecommendationFactory.create()
    staying, leaving = factories.InstitutionFactory.create(), factories.InstitutionFactory.create()
    _assign(rec, staying, AssignmentKind.RESPONSIBLE)
    withdrawn = _assign(rec, leaving, AssignmentKind.RESPONSIBLE)
    _update(rec, staying, period, state=UpdateState.APPROVED, status=ImplementationStatus.ADVANCED)
    old = _update(
        rec, leaving, period, state=UpdateState.APPROVED, status=ImplementationStatus.NOT_STARTED
    )
    [row] = selectors.recommendation_rows(queryset=Recommendation.objects.filter(pk=rec.pk))
    assert row.status == ImplementationStatus.NOT_STARTED  # the least advanced of the two

    services.assignment_remove(assignment=withdrawn)

    [row] = selectors.recommendation_rows(queryset=Recommendation.objects.filter(pk=rec.pk))
    assert (row.status, row.assessed_by, row.institutions) == (
        ImplementationStatus.ADVANCED,
        1,
        [staying],
    )
    assessments = selectors.recommendation_assessments(recommendations=[rec])[rec.pk]
    assert [a.institution for a in assessments] == [staying]

    client.force_login(factories.UserFactory.create(programme_team=True))
    page = client.get(f"/recommendations/{rec.pk}/")
    assert page.context["evidence"].status == ImplementationStatus.ADVANCED
    # The withdrawn institution's update and its workflow steps are still shown.
    assert old in page.context["rows"]["updates"]
    steps = set(UpdateTransition.objects.filter(update=old))
    assert steps and steps <= set(page.context["rows"]["history"])
    dossier = selectors.recommendation_evidence(
        recommendation=rec, user=factories.UserFactory.create(programme_team=True)
    )
    assert old in dossier.updates and [a.institution for a in dossier.assessments] == [staying]


def test_assessments_list_responsible_first_then_by_name_in_the_readers_alphabet(client) -> None:
    rec = factories.RecommendationFactory.create()
    names = {  # English and Macedonian names: J comes before B in Unicode, not in Cyrillic
        "prosecution": ("Public Prosecution Office", "Јавно обвинителство"),
        "bureau": ("Bureau for Public Security", "Биро за јавна безбедност"),
        "agency": ("Agency for Employment", "Агенција за вработување"),
        "ombudsman": ("Ombudsman", "Народен правобранител"),
    }
    made = {
        key: factories.InstitutionFactory.create(name=en, name_en=en, name_mk=mk)
        for key, (en, mk) in names.items()
    }
    _assign(rec, made["prosecution"], AssignmentKind.RESPONSIBLE)
    _assign(rec, made["bureau"], AssignmentKind.RESPONSIBLE)
    _assign(rec, made["agency"], AssignmentKind.INVITED)
    _assign(rec, made["ombudsman"], AssignmentKind.INVITED)
    user = factories.UserFactory.create(programme_team=True)

    def order(**kwargs: Any) -> list[str]:
        batched = selectors.recommendation_assessments(recommendations=[rec], **kwargs)[rec.pk]
        dossier = selectors.recommendation_evidence(recommendation=rec, user=user).assessments
        assert [a.institution for a in dossier] == [a.institution for a in batched]
        [row] = selectors.recommendation_rows(queryset=Recommendation.objects.filter(pk=rec.pk))
        assert row.institutions == [a.institution for a in batched]
        return [a.institution.name for a in batched]

    with translation.override("mk"):
        expected_mk = [names[k][1] for k in ("bureau", "prosecution", "agency", "ombudsman")]
        assert order() == expected_mk
        assert order(user=user) == expected_mk
    with translation.override("en"):
        expected_en = [names[k][0] for k in ("bureau", "prosecution", "agency", "ombudsman")]
        assert order() == expected_en

    client.force_login(user)
    client.cookies["django_language"] = "mk"
    with translation.override("en"):  # leaves no language active after the request
        page = client.get(f"/recommendations/{rec.pk}/")
    assert [a.institution for a in page.context["evidence"].assessments] == [
        made[k] for k in ("bureau", "prosecution", "agency", "ombudsman")
    ]
    content = page.content.decode()
    positions = [content.index(name) for name in expected_mk]
    assert positions == sorted(positions)


def test_reader_alphabet_key_follows_macedonian_and_albanian_letters() -> None:
    mk = ["Агенција", "Биро", "Ѓорче", "Жупа", "Ѕвезда", "Јавно", "Љубојно", "Шар"]
    assert sorted(reversed(mk), key=lambda t: alphabet_key(t, "mk")) == mk
    sq = ["Cani", "Çelësi", "Drejtoria", "Dhoma", "Era", "Ëndrra", "Gora", "Gjykata", "Zyra"]
    assert sorted(reversed(sq), key=lambda t: alphabet_key(t, "sq")) == sq


# --- Who may report, and who may change an update ------------------------------------------------


def _report_links(content: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/recommendations/(\d+)/report/"', content)}


def test_the_report_link_is_the_same_on_the_list_and_on_the_page(client, demo) -> None:
    """The programme team, editors, an observer and a staff account without the team's role."""
    assigned = set(
        Recommendation.objects.filter(assignments__isnull=False).values_list("pk", flat=True)
    )
    staff = factories.UserFactory.create(is_staff=True)
    for user in (
        demo["demo-admin"],
        demo["demo-ministry"],
        demo["demo-cso-a"],
        demo["demo-observer"],
        staff,
    ):
        client.force_login(user)
        on_list: set[int] = set()
        page_number = 1
        while True:
            response = client.get("/recommendations/", {"page": page_number})
            on_list |= _report_links(response.content.decode())
            if not response.context["page_obj"].has_next():
                break
            page_number += 1
        on_pages = {
            rec.pk
            for rec in Recommendation.objects.all()
            if rec.pk in _report_links(client.get(f"/recommendations/{rec.pk}/").content.decode())
        }
        assert on_list == on_pages, user
        reportable = permissions.recommendations_reportable_by(user)
        assert on_list == set(reportable.values_list("pk", flat=True))
        if user == demo["demo-admin"]:  # the programme team reports on every assigned one
            assert on_list == assigned
        elif user in (demo["demo-observer"], staff):
            assert on_list == set()
            assert client.get(f"/recommendations/{min(assigned)}/report/").status_code == 403
        else:
            assert on_list and on_list < assigned


def test_the_service_refuses_an_update_from_someone_who_may_not_report(demo, period) -> None:
    rec = Recommendation.objects.get(number=7)  # CSO A only
    cso_a = Institution.objects.get(code="demo-cso-a")
    with pytest.raises(ValidationError, match="cannot report"):
        services.progress_update_create(
            recommendation=rec,
            institution=cso_a,
            period=period,
            status=ImplementationStatus.PLANNED,
            narrative="x",
            by=demo["demo-cso-b"],
        )
    assert not ProgressUpdate.objects.filter(recommendation=rec, period=period).exists()
    made = services.progress_update_create(
        recommendation=rec,
        institution=cso_a,
        period=period,
        status=ImplementationStatus.PLANNED,
        narrative="x",
        by=demo["demo-cso-a"],
    )
    assert made.created_by == demo["demo-cso-a"]


def test_may_change_update_needs_an_editable_state_and_the_institutions_editor(demo) -> None:
    draft = ProgressUpdate.objects.get(state=UpdateState.DRAFT)  # CSO A, recommendation 7
    approved = ProgressUpdate.objects.filter(
        state=UpdateState.APPROVED, institution__code="demo-cso-a"
    ).get()
    viewer = factories.UserFactory.create()
    factories.MembershipFactory.create(
        user=viewer, institution=draft.institution, role=MembershipRole.VIEWER
    )
    assert permissions.may_change_update(demo["demo-cso-a"], draft)
    assert permissions.may_change_update(demo["demo-admin"], draft)
    assert not permissions.may_change_update(demo["demo-cso-a"], approved)
    assert not permissions.may_change_update(demo["demo-cso-b"], draft)
    assert not permissions.may_change_update(demo["demo-observer"], draft)
    assert not permissions.may_change_update(viewer, draft)


# --- One answer for every caller ---------------------------------------------------------------


def test_the_dashboard_and_the_reminders_name_the_same_updates_owed() -> None:
    """Responsible for two recommendations (one returned), invited to a third, reported on a
    fourth: the dashboard lists the two, the reminder names the two and calls the returned one
    "returned, revise"; the invited one appears in neither."""
    from datetime import timedelta

    from django.utils import timezone

    from dashboard.selectors import dashboard_tasks
    from notifications.models import Notification
    from notifications.reminders import reminders_run
    from stakeholders.services import membership_set

    today = timezone.localdate()
    period = factories.ReportingPeriodFactory.create(
        name="Open period",
        start_date=today - timedelta(days=120),
        end_date=today - timedelta(days=10),
        due_date=today + timedelta(days=5),
    )
    institution = factories.InstitutionFactory.create(name="Ministry of Labour")
    editor = factories.UserFactory.create(preferred_language="en")
    membership_set(user=editor, institution=institution, role=MembershipRole.EDITOR)
    due, returned, invited, reported = factories.RecommendationFactory.create_batch(4)
    for rec in (due, returned, reported):
        _assign(rec, institution, AssignmentKind.RESPONSIBLE)
    _assign(invited, institution, AssignmentKind.INVITED)
    _update(returned, institution, period, state=UpdateState.RETURNED)
    _update(reported, institution, period, state=UpdateState.APPROVED)

    with translation.override("en"):
        tasks = [t for t in dashboard_tasks(user=editor) if t.kind.startswith("update_")]
        assert sorted((t.kind, t.title) for t in tasks) == sorted(
            [
                (
                    "update_due",
                    f"Progress update on recommendation {due.number} for Open period "
                    f"({institution.label})",
                ),
                (
                    "update_returned",
                    f"Recommendation {returned.number}, Open period ({institution.label}): "
                    "returned, revise",
                ),
            ]
        )
        reminders_run(today=today)
        [notice] = Notification.objects.filter(recipient=editor, kind="update_due")
        numbers = ", ".join(str(n) for n in sorted([due.number, returned.number]))
        assert f"recommendations {numbers}." in notice.text
        assert f"Recommendations {returned.number}: returned, revise." in notice.text
        assert str(invited.number) not in notice.params["numbers"].split(", ")
