from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    """What a spreadsheet import brings in; each has its resource and its template."""

    INSTITUTIONS = "institutions", _("Institutions")
    TRAININGS = "trainings", _("Trainings")
    ATTENDANCE = "attendance", _("Participants and attendance of a training")
    RECOMMENDATIONS = "recommendations", _("Recommendations and their institutions")
    PROGRESS_UPDATES = "progress_updates", _("Progress updates")
    ACTION_POINTS = "action_points", _("Meeting action points")
    INDICATOR_VALUES = "indicator_values", _("Indicator values per period")


class ImportStatus(models.TextChoices):
    """Where an import batch is: checked first (nothing written), then applied or not."""

    QUEUED = "queued", _("Waiting to be checked")
    CHECKING = "checking", _("Being checked")
    CHECKED = "checked", _("Checked: ready to import")
    INVALID = "invalid", _("Problems found: nothing imported")
    APPLYING = "applying", _("Being imported")
    APPLIED = "applied", _("Imported")
    FAILED = "failed", _("Failed: nothing imported")
    ROLLED_BACK = "rolled_back", _("Rolled back")
    DISCARDED = "discarded", _("Discarded")


# A batch in one of these states has a job queued or running for it.
ACTIVE_IMPORT_STATUSES = (ImportStatus.QUEUED, ImportStatus.CHECKING, ImportStatus.APPLYING)
