from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportKind(models.TextChoices):
    COMMITTEE = "committee", _("Steering-committee progress report")
    RECOMMENDATION = "recommendation", _("Recommendation implementation report")
    TRAINING = "training", _("Training report")
    MEETING = "meeting", _("Meeting record")


class ReportStatus(models.TextChoices):
    """Where a report's generation is: the job's status, as the requester sees it."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


# The archival variant: PDF/A-2, level U (every character has its Unicode meaning).
PDFA_VARIANT = "pdf/a-2u"
