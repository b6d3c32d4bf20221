from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ActionPointStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_ACTION_POINT_STATUSES = (ActionPointStatus.OPEN, ActionPointStatus.IN_PROGRESS)


class InterventionKind(models.TextChoices):
    CAPACITY_BUILDING = "capacity_building", _("Capacity building")
    RESEARCH = "research", _("Research")
    COOPERATION = "cooperation", _("Co-operation and co-ordination")
    AWARENESS = "awareness", _("Awareness raising")


class IndicatorLevel(models.TextChoices):
    OUTCOME = "outcome", _("Outcome")
    OUTPUT = "output", _("Output")
