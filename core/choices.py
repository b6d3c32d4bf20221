"""Choices of the platform's own records."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed: no more tries")
    CLOSED = "closed", _("Closed: nothing to send")


# What a figure by profession (or any grouping of people) calls those whose value nobody
# recorded: one label for the dashboard, the pages, the public site and the PDF reports alike
# (core.translations.name_or_not_stated).
NOT_STATED = _("Not stated")

# The longest wait between two tries of an email.
OUTBOX_MAX_DELAY_SECONDS = 6 * 60 * 60


class TextOrigin(models.TextChoices):
    """Where a text in one language comes from (content translations, docs/translations.md)."""

    OFFICIAL = "official", _("Official text")
    WORKING = "working", _("Working translation by the programme team")
    MACHINE = "machine", _("Machine translation awaiting review")
