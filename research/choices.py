from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class StudyStatus(models.TextChoices):
    """The pipeline a commissioned study moves through, in order."""

    PLANNED = "planned", _("Planned")
    TERMS_OF_REFERENCE = "terms_of_reference", _("Terms of reference")
    CONTRACTED = "contracted", _("Contracted")
    DRAFT = "draft", _("Draft")
    UNDER_REVIEW = "under_review", _("Under review")
    VALIDATED = "validated", _("Validated")
    PUBLISHED = "published", _("Published")


STUDY_PIPELINE: list[str] = [s.value for s in StudyStatus]


class LanguageVersion(models.TextChoices):
    ENGLISH = "en", _("English")
    MACEDONIAN = "mk", _("Macedonian")
    ALBANIAN = "sq", _("Albanian")
