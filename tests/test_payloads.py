"""Hostile text typed anywhere comes out as text: on every page, in emails and in PDFs.

Every text column of every domain record gets the payloads (as if typed in the portal or the
admin), then every page each role may open is read. A script or an image tag the payload
carries must never appear as markup, and a template tag never runs.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.db.models import CharField, TextField, Value
from django.db.models.functions import Cast, Concat
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import OutboxEmail
from notifications.choices import Frequency
from notifications.services import notify_update_submitted, preference_set
from recommendations.models import ProgressUpdate
from stakeholders.models import User
from tests.browser.test_accessibility import DOWNLOADS, NOT_PAGES
from tests.test_persona_matrix import OK, RULES, World, world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'
TEMPLATE = "{{ 7|add:42 }}{% now 'Y' %}"
PAYLOAD = f"{SCRIPT}{IMG}{TEMPLATE}"
# What the payload may never become in HTML: live markup, or an evaluated template tag.
LIVE = ("<script>alert(1)", "<img src=x onerror", "onerror=alert(2)>")
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"

DOMAIN_APPS = ("stakeholders", "programme", "trainings", "research", "recommendations")
# Columns that hold identifiers or machine values rather than text people type.
MACHINE = {"code", "username", "password", "slug", "key", "sha256", "series", "session_key"}


def _plant_everywhere() -> int:
    """Give every typed text column of every record the payload (with its id, so unique
    columns stay unique); returns how many columns were planted."""
    planted = 0
    for app in DOMAIN_APPS:
        for model in apps.get_app_config(app).get_models():
            if model.__name__.startswith("Historical") or model._meta.auto_created:
                continue
            values: dict[str, Any] = {}
            for field in model._meta.concrete_fields:
                if not isinstance(field, CharField | TextField) or field.choices:
                    continue
                if isinstance(field, models.EmailField | models.URLField | models.SlugField):
                    continue
                if field.name in MACHINE or field.name.endswith("_url"):
                    continue
                if field.max_length is not None and field.max_length < len(PAYLOAD) + 12:
                    continue
                values[field.name] = Concat(Value(PAYLOAD), Cast("pk", CharField()))
            if values:
                model._default_manager.update(**values)
                planted += len(values)
    return planted


def test_every_page_shows_typed_markup_as_text(world: World) -> None:  # noqa: F811
    assert _plant_everywhere() > 40
    shown_escaped = 0
    for persona in ("demo-admin", "demo-cso-b", "demo-observer"):
        client = Client()
        client.force_login(world.users[persona])
        for name, rule in sorted(RULES.items()):
            if name in NOT_PAGES | DOWNLOADS or rule.get[persona] != OK:
                continue
            url = reverse(name, kwargs=rule.kwargs(world))
            response = client.get(url)
            if response.status_code == 302:  # a page that sends elsewhere without a choice
                continue
            assert response.status_code == 200, (persona, url)
            page = response.content.decode()
            for live in LIVE:
                assert live not in page, f"{live!r} live on {url} for {persona}"
            assert "49" + "2026" not in page  # the template tags did not run
            shown_escaped += ESCAPED in page
    assert shown_escaped > 20, "the payload must be on the pages, or this proves nothing"


def test_the_admin_shows_typed_markup_as_text(
    admin_client: Client,
    world: World,  # noqa: F811
) -> None:
    _plant_everywhere()
    pages = [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in (
            apps.get_model("stakeholders", "Institution"),
            apps.get_model("trainings", "Training"),
            apps.get_model("programme", "Meeting"),
            apps.get_model("recommendations", "ProgressUpdate"),
        )
    ]
    update = ProgressUpdate.objects.order_by("pk").first()
    assert update is not None
    pages.append(reverse("admin:recommendations_progressupdate_change", args=[update.pk]))
    pages.append(reverse("admin:recommendations_progressupdate_history", args=[update.pk]))
    for url in pages:
        page = admin_client.get(url).content.decode()
        for live in LIVE:
            assert live not in page, f"{live!r} live on {url}"
        assert "&lt;script&gt;alert(1)" in page, url


def test_emails_carry_typed_markup_as_text(demo: dict[str, User]) -> None:
    _plant_everywhere()
    admin = demo["demo-admin"]
    admin.email = "team@example.org"
    admin.save()
    preference_set(user=admin, frequency=Frequency.IMMEDIATELY)
    update = ProgressUpdate.objects.order_by("pk").first()
    assert update is not None
    update.submitted_at = timezone.now()  # a new submission: the demo's was told already
    # The email names the institution by its short name, too short a column for the payload.
    update.institution.short_name = SCRIPT
    update.institution.short_name_en = SCRIPT
    notify_update_submitted(update=update, by=None)
    email = OutboxEmail.objects.filter(recipient=admin).latest("pk")
    assert "&lt;script&gt;alert(1)" in email.body_html
    for live in LIVE:
        assert live not in email.body_html
    assert SCRIPT in email.body_text  # the plain-text part says what was typed, as text
