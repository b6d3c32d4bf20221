from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TrainingStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


SCORE_MIN = 0
SCORE_MAX = 100
RATING_MIN = 1
RATING_MAX = 5
