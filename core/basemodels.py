"""Abstract model pieces shared by every app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# Under every box where people type free text (Council of Europe convention, art. 11).
NO_VICTIM_DETAILS = _("Never enter names or other details that could identify a victim.")


class TimeStamped(models.Model):
    """When a record was created and last changed."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class DemoMarked(TimeStamped):
    """A record that may belong to the demo data set rather than to the real programme."""

    is_demo = models.BooleanField(
        _("demo record"),
        default=False,
        db_index=True,
        help_text=_("Made up for demonstration; never part of the real programme's figures."),
    )

    class Meta:
        abstract = True
