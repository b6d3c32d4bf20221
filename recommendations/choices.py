from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImplementationStatus(models.TextChoices):
    """How far a recommendation is implemented, as an institution assesses it."""

    NOT_STARTED = "not_started", _("Not started")
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    ADVANCED = "advanced", _("Largely implemented")
    IMPLEMENTED = "implemented", _("Fully implemented")


class UpdateState(models.TextChoices):
    """Where a progress update is in its review workflow."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for revision")
    APPROVED = "approved", _("Approved")


EDITABLE_UPDATE_STATES = (UpdateState.DRAFT, UpdateState.RETURNED)
# Submitted and approved updates keep their evidence; only the programme team redacts it.
REDACTABLE_UPDATE_STATES = (UpdateState.SUBMITTED, UpdateState.APPROVED)


class UpdateEvent(models.TextChoices):
    """What an entry of a progress update's workflow log records."""

    STEP = "step", _("Workflow step")
    EVIDENCE_REMOVED = "evidence_removed", _("Evidence removed")
    EVIDENCE_REDACTED = "evidence_redacted", _("Evidence removed by the programme team")


class OwedState(models.TextChoices):
    """Why a progress update is still owed for an open reporting period (``updates_owed``)."""

    DUE = "due", _("due")
    OVERDUE = "overdue", _("overdue")
    # A returned update is owed until it is resubmitted; the dashboard and the reminders both
    # name it with this label.
    RETURNED = "returned", _("returned, revise")


class AssignmentKind(models.TextChoices):
    RESPONSIBLE = "responsible", _("Responsible")
    INVITED = "invited", _("Invited to report")


class InstrumentKind(models.TextChoices):
    CONVENTION = "convention", _("International convention")
    PROTOCOL = "protocol", _("Protocol")
    NATIONAL_LAW = "national_law", _("National law")
