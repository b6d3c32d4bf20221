from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportKind(models.TextChoices):
    COMMITTEE = "committee", _("Steering-committee progress report")
    RECOMMENDATION = "recommendation", _("Recommendation implementation report")
    TRAINING = "training", _("Training report")
    MEETING = "meeting", _("Meeting record")


class ReportCopy(models.TextChoices):
    """A committee report's copy: the final one, or the programme team's draft, which marks
    each text of the period narrative not yet written (kept in ``parameters["copy"]``)."""

    FINAL = "final", _("Final copy: what is not written yet is left out")
    DRAFT = "draft", _("Draft for the programme team: what is not written yet is marked")


DRAFT = ReportCopy.DRAFT.value


class ReportStatus(models.TextChoices):
    """Where a report's generation is: the job's status, as the requester sees it."""

    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


# Every report is a tagged PDF (its structure tree: headings, lists, tables, figures with their
# alternative text, the document's language and title) made to PDF/UA-1.
PDFUA_VARIANT = "pdf/ua-1"
# The archival variant: PDF/A-2, level A (accessible: tagged, every character has its Unicode
# meaning), the same structure tree as the everyday PDF/UA-1 file. WeasyPrint writes one
# variant's identification in the metadata: this file says it is PDF/A-2a.
PDFA_VARIANT = "pdf/a-2a"
