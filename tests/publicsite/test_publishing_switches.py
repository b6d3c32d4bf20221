"""The "public" switches in the portal's forms: the indicator settings and the decision form."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from programme.forms import DecisionForm, IndicatorSettingsForm
from programme.models import Decision, Indicator, Meeting
from programme.services import indicator_settings_save
from stakeholders.models import User
from tests.conftest import pass_second_factor

pytestmark = pytest.mark.django_db


def test_the_indicator_settings_form_publishes_an_indicator(demo: dict[str, User]) -> None:
    indicator = Indicator.objects.filter(is_public=False).order_by("pk").first()
    assert indicator is not None
    periods = list(indicator.outcome.action.periods.order_by("start_date"))
    targets = {row.period_id: row.target for row in indicator.values.all()}
    unbound = IndicatorSettingsForm(indicator=indicator, periods=periods, targets=targets)
    data: dict[str, Any] = {
        name: value
        for name, value in unbound.initial.items()
        if value is not None and name != "is_public"
    }
    if indicator.by_sex:
        data["by_sex"] = "on"
    else:
        data.pop("by_sex", None)
    for period in periods:
        if targets.get(period.pk) is not None:
            data[f"target_{period.pk}"] = str(targets[period.pk])
    data["is_public"] = "on"
    form = IndicatorSettingsForm(data, indicator=indicator, periods=periods, targets=targets)
    assert form.is_valid(), form.errors
    assert form.settings()["is_public"] is True
    indicator_settings_save(indicator=indicator, by=demo["demo-admin"], **form.settings())
    indicator.refresh_from_db()
    assert indicator.is_public


def test_a_caller_that_does_not_name_the_switch_leaves_it(demo: dict[str, User]) -> None:
    indicator = Indicator.objects.filter(is_public=True).order_by("pk").first()
    assert indicator is not None
    indicator_settings_save(
        indicator=indicator,
        by=None,
        kind=indicator.kind,
        calculation=indicator.calculation,
        parameters=indicator.parameters,
        responsible=indicator.responsible,
        baseline=indicator.baseline,
        target_end=indicator.target_end,
        direction=indicator.direction,
        aggregation=indicator.aggregation,
        by_sex=indicator.by_sex,
        targets={},
    )
    indicator.refresh_from_db()
    assert indicator.is_public


def test_the_decision_form_publishes_a_decision(demo: dict[str, User]) -> None:
    meeting = Meeting.objects.get(number=3)
    assert "is_public" in DecisionForm(meeting=meeting).fields
    client = Client()
    pass_second_factor(client, demo["demo-admin"])
    response = client.post(
        reverse("programme:meeting_decision_add", kwargs={"pk": meeting.pk}),
        {"number": "42", "text": "Publish the annual results", "is_public": "on"},
    )
    assert response.status_code == 302
    decision = Decision.objects.get(meeting=meeting, number=42)
    assert decision.is_public
    response = client.post(
        reverse("programme:meeting_decision_edit", kwargs={"pk": decision.pk}),
        {"number": "42", "text": "Publish the annual results"},
    )
    assert response.status_code == 302
    decision.refresh_from_db()
    assert not decision.is_public
