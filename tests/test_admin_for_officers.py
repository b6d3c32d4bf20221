"""The admin as a programme officer sees it: the programme's records grouped by task, and
none of the technical tables, which only superusers open."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from stakeholders.admin_site import SECTIONS, is_technical
from tests import factories

pytestmark = pytest.mark.django_db

TASK_GROUPS = [
    "Programme and results",
    "Meetings",
    "Recommendations and updates",
    "Trainings and participants",
    "Research",
    "Institutions and people",
]
TECHNICAL_MODELS = [
    model
    for model in sorted(admin.site._registry, key=lambda m: m._meta.label)
    if is_technical(model)
]
# What must never show to an officer, by the name the index would give it.
TECHNICAL_NAMES = [
    "Access attempts",
    "TOTP devices",
    "Periodic tasks",
    "Outgoing emails",
    "Institutions' access to trainings",
    "Institutions' access to action points",
]


def _label(model: type[Model]) -> str:
    return model._meta.label


def _captions(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", caption).strip()
        for caption in re.findall(r"<caption>(.*?)</caption>", html, re.S)
    ]


def _officer(**extra: Any) -> Any:
    """A programme officer: staff (the admin), the programme team's group, not a superuser."""
    return factories.UserFactory.create(is_staff=True, programme_team=True, **extra)


@pytest.fixture
def officer_client() -> Client:
    client = Client()
    client.force_login(_officer())  # passes the second factor (tests/conftest.py)
    return client


def test_officer_sees_the_task_groups_and_no_technical_entry(officer_client) -> None:
    response = officer_client.get(reverse("admin:index"))
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert _captions(html) == TASK_GROUPS
    for name in [*TECHNICAL_NAMES, "Technical"]:
        assert name not in html, name


def test_superuser_sees_the_technical_group_last(admin_client) -> None:
    html = unescape(admin_client.get(reverse("admin:index")).content.decode())
    captions = _captions(html)
    assert captions[-1] == "Technical"
    assert captions[:-1] == [*TASK_GROUPS, "Reports and imports"]
    for name in TECHNICAL_NAMES:
        assert name in html, name


@pytest.mark.parametrize("model", TECHNICAL_MODELS, ids=_label)
def test_officer_cannot_open_a_technical_table(officer_client, model) -> None:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert officer_client.get(url).status_code == 403


def test_permissions_given_by_hand_do_not_open_technical_tables() -> None:
    """Even an officer given every permission on the outbox and the lockouts stays out."""
    officer = _officer()
    officer.user_permissions.add(
        *Permission.objects.filter(content_type__app_label__in=["core", "axes", "otp_totp"])
    )
    client = Client()
    client.force_login(officer)
    html = unescape(client.get(reverse("admin:index")).content.decode())
    assert "Outgoing emails" not in html and "Access attempts" not in html
    assert client.get(reverse("admin:core_outboxemail_changelist")).status_code == 403
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403


def test_officer_still_opens_the_programme_records(officer_client) -> None:
    assert officer_client.get(reverse("admin:trainings_training_changelist")).status_code == 200
    assert officer_client.get(reverse("admin:programme_meeting_changelist")).status_code == 200


def test_every_registered_model_has_a_group() -> None:
    """A model added to the admin is put in a group here, or it lands in "Other"."""
    grouped = {label for _key, _title, labels in SECTIONS for label in labels}
    ungrouped = [
        model._meta.label
        for model in admin.site._registry
        if model._meta.label not in grouped and not is_technical(model)
    ]
    assert ungrouped == []
