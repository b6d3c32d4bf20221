from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from loaders.demo import DEMO_LOGINS, DEMO_PASSWORD, demo_load, demo_remove
from loaders.seeding import seed_load
from programme.calculations import calculations
from programme.choices import IndicatorKind, IndicatorStatus, ValueState
from programme.models import Action, Indicator, IndicatorValue, ReportingPeriod
from programme.results import framework_figures
from recommendations.choices import UpdateState
from recommendations.models import ProgressUpdate
from stakeholders.models import User

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("stakeholders", "programme", "trainings", "research", "recommendations")


def _counts() -> dict[str, int]:
    return {
        m._meta.label: m._default_manager.count()
        for app in PROJECT_APPS
        for m in apps.get_app_config(app).get_models()
    }


@pytest.fixture
def action() -> Action:
    seed_load()
    return Action.objects.get()


def test_demo_refuses_to_load_where_demo_data_is_not_allowed(action, settings) -> None:
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="DJANGO_DEMO_DATA_ALLOWED"):
        call_command("load_demo", stdout=io.StringIO())
    assert not User.objects.filter(is_demo=True).exists()


def test_demo_needs_the_seed_first() -> None:
    with pytest.raises(CommandError, match="seed_programme"):
        call_command("load_demo", stdout=io.StringIO())


def test_every_demo_record_is_marked_and_removal_restores_the_real_data(action) -> None:
    real = _counts()
    assert demo_load(action=action) is True
    assert demo_load(action=action) is False  # already there: nothing added
    with_demo = _counts()
    assert with_demo["trainings.Participant"] > 0
    for app in PROJECT_APPS:
        for model in apps.get_app_config(app).get_models():
            if any(f.name == "is_demo" for f in model._meta.fields):
                added = with_demo[model._meta.label] - real[model._meta.label]
                assert model._default_manager.filter(is_demo=True).count() == added, model
    demo_remove()
    assert _counts() == real


def test_demo_progress_updates_went_through_the_workflow(action) -> None:
    demo_load(action=action)
    states = set(ProgressUpdate.objects.values_list("state", flat=True))
    assert states == {s.value for s in UpdateState}
    approved = ProgressUpdate.objects.filter(state=UpdateState.APPROVED).first()
    assert [t.to_state for t in approved.transitions.all()] == ["submitted", "approved"]


@pytest.mark.parametrize("login", DEMO_LOGINS, ids=lambda d: d.username)
def test_each_demo_login_works(client, action, login) -> None:
    demo_load(action=action)
    response = client.post(
        "/accounts/login/", {"username": login.username, "password": DEMO_PASSWORD}, follow=True
    )
    if login.is_superuser:
        # The programme team gives the code demo_totp prints before the portal opens.
        assert response.redirect_chain[-1][0].startswith("/accounts/two-factor/")
        out = io.StringIO()
        call_command("demo_totp", stdout=out)
        code = out.getvalue().split()[0]
        response = client.post("/accounts/two-factor/", {"code": code, "next": "/"}, follow=True)
    assert response.status_code == 200
    assert response.context["user"].username == login.username
    assert b"Strengthening anti-trafficking action in North Macedonia" in response.content


def test_list_logins_prints_every_demo_login() -> None:
    out = io.StringIO()
    call_command("load_demo", "--list-logins", stdout=out)
    for login in DEMO_LOGINS:
        assert login.username in out.getvalue()


def test_demo_framework_computes_what_the_platform_holds_and_reviews_what_is_reported(
    action,
) -> None:
    demo_load(action=action)
    indicators = Indicator.objects.filter(outcome__action=action)
    computed = indicators.filter(kind=IndicatorKind.COMPUTED)
    assert set(computed.values_list("calculation", flat=True)) == {c.key for c in calculations()}, (
        "every calculation of the catalogue has a demo indicator"
    )
    [reported] = indicators.filter(kind=IndicatorKind.REPORTED)
    assert reported.responsible is not None and reported.responsible.is_demo
    periods = list(ReportingPeriod.objects.filter(action=action).order_by("start_date"))
    # A target in every period, and an end-of-action target, for every indicator.
    assert IndicatorValue.objects.filter(target__isnull=False).count() == len(periods) * len(
        indicators
    )
    assert not indicators.filter(target_end__isnull=True).exists()
    states = dict(
        IndicatorValue.objects.filter(indicator=reported, actual__isnull=False).values_list(
            "period__name", "state"
        )
    )
    assert set(states.values()) == {ValueState.APPROVED, ValueState.SUBMITTED, ValueState.DRAFT}
    submitted = IndicatorValue.objects.get(indicator=reported, state=ValueState.SUBMITTED)
    assert [t.to_state for t in submitted.transitions.all()] == [ValueState.SUBMITTED]
    assert submitted.evidence.exists()
    # The oldest period is closed, its values frozen as the framework gave them.
    oldest, *later = periods
    assert oldest.is_closed and not any(p.is_closed for p in later)
    assert not IndicatorValue.objects.filter(period=oldest, frozen_at__isnull=True).exists()
    # A believable mix: some indicators on track at the end of 2024, some behind.
    h2 = ReportingPeriod.objects.get(name="2024 H2")
    statuses = {
        f.status
        for block in framework_figures(action=action, at=h2, until=h2.end_date)
        for f in block.indicators
    }
    assert {IndicatorStatus.ON_TRACK, IndicatorStatus.BEHIND} <= statuses
