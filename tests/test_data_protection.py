"""The schema cannot hold a victim's identity (Council of Europe convention, art. 11).

The platform records professionals, institutions and their work, never victims. These tests
read the models themselves, so a field added for victims' details fails the suite, and the
one model with personal data (training participants) keeps to a reviewed list of fields.
"""

from __future__ import annotations

import re

from django.apps import apps
from django.db import models

PROJECT_APPS = ("stakeholders", "programme", "trainings", "research", "recommendations")

# Words that name a victim or a field that identifies a person beyond their work role.
# (Work contact details of institutions' contact persons, such as a phone, are not in it.)
IDENTIFYING = re.compile(
    r"victim|survivor|trafficked|embg|personal_?(number|id|no)|national_?id|passport|"
    r"birth|\bdob\b|home_?address|street|nationality|ethnic|religio|health|"
    r"diagnos|photo|image|fingerprint|biometric",
    re.IGNORECASE,
)

# The only personal data: a professional who attended a training. Adding a field here is a
# data-protection decision, to be made deliberately (and documented in docs/architecture.md).
PARTICIPANT_FIELDS = {
    "id",
    "created_at",
    "updated_at",
    "is_demo",
    "full_name",
    "sex",
    "professional_group",
    "institution",
    "position",
    "email",
    "consent",
    "consent_date",
}


def _project_models() -> list[type[models.Model]]:
    return [
        model
        for app in PROJECT_APPS
        for model in apps.get_app_config(app).get_models()
        if not model._meta.auto_created
    ]


def test_no_model_or_field_is_named_for_a_victim_or_identifying_details() -> None:
    offenders = []
    for model in _project_models():
        if IDENTIFYING.search(model.__name__):
            offenders.append(model._meta.label)
        for field in model._meta.get_fields():
            if field.concrete and IDENTIFYING.search(field.name):
                offenders.append(f"{model._meta.label}.{field.name}")
    assert offenders == []


def test_participants_hold_only_the_reviewed_personal_fields() -> None:
    participant = apps.get_model("trainings", "Participant")
    concrete = {f.name for f in participant._meta.get_fields() if f.concrete}
    assert concrete == PARTICIPANT_FIELDS


def test_the_check_itself_catches_a_victim_field() -> None:
    for name in ("victim_name", "date_of_birth", "embg", "passport_no", "home_address"):
        assert IDENTIFYING.search(name), name
    for name in ("full_name", "narrative", "institution", "position", "email"):
        assert not IDENTIFYING.search(name), name
