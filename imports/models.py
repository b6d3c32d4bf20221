"""The spreadsheets people import: each one kept with what checking it found and what it changed."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.basemodels import TimeStamped
from imports.choices import ACTIVE_IMPORT_STATUSES, ImportKind, ImportStatus


def import_upload_to(instance: ImportBatch, filename: str) -> str:
    """An unguessable name: the original file is only served through a permission check."""
    return f"imports/{timezone.now():%Y}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class ImportBatch(TimeStamped):
    """One spreadsheet someone imported: the original file, what checking it found, what it
    changed, who did it and when, and whether it was rolled back."""

    kind = models.CharField(_("what is imported"), max_length=30, choices=ImportKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    training = models.ForeignKey(
        "trainings.Training",
        verbose_name=_("training"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="import_batches",
        help_text=_("For participants and attendance: the training they attended."),
    )
    file = models.FileField(_("original file"), upload_to=import_upload_to)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size in bytes"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    language = models.CharField(_("language"), max_length=8, default="en")
    encoding = models.CharField(
        _("encoding"),
        max_length=20,
        blank=True,
        help_text=_("For CSV files: the character encoding chosen, or empty to detect it."),
    )
    detected_encoding = models.CharField(_("encoding read"), max_length=20, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="import_batches",
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    new_count = models.PositiveIntegerField(_("new"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("problems"), default=0)
    file_error = models.TextField(
        _("problem with the file"), blank=True, help_text=_("Why the file could not be read.")
    )
    encoding_samples = models.JSONField(_("encoding samples"), default=dict, blank=True)
    errors = models.JSONField(_("problems by row"), default=list, blank=True)
    notes = models.JSONField(
        _("about the file"),
        default=list,
        blank=True,
        help_text=_("What checking made of the file: columns and rows left out, and why."),
    )
    preview = models.JSONField(_("preview"), default=list, blank=True)
    preview_columns = models.JSONField(
        _("columns of the preview"),
        default=list,
        blank=True,
        help_text=_("The fields of the file's columns, in the file's order."),
    )
    excluded_rows = models.JSONField(
        _("rows left out"),
        default=list,
        blank=True,
        help_text=_("The numbers of the rows the importer chose not to import."),
    )
    changes = models.JSONField(
        _("changes made"),
        default=dict,
        blank=True,
        help_text=_("What the import created and what it changed, to roll it back."),
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    applied_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    rolled_back_at = models.DateTimeField(_("rolled back at"), null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rolled back by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    failure_reason = models.TextField(_("reason for the failure"), blank=True)
    source_institution = models.ForeignKey(
        "stakeholders.Institution",
        verbose_name=_("from institution"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "The institution the file comes from: what its names were read as is remembered "
            "for its next file."
        ),
    )
    unknown_values = models.JSONField(
        _("names not known"),
        default=list,
        blank=True,
        help_text=_("Each name in the file that no record has, with the closest known names."),
    )
    value_choices = models.JSONField(
        _("names read as known records"),
        default=list,
        blank=True,
        help_text=_("The importer's choices for this file: a name, and the record it means."),
    )
    options = models.JSONField(
        _("how to read the file"),
        default=dict,
        blank=True,
        help_text=_("Choices the importer made once for the whole file."),
    )
    all_scores_fractions = models.BooleanField(
        _("every score a fraction"),
        default=False,
        help_text=_("Every score in the file is written as a fraction: ask once what they are."),
    )

    class Meta:
        db_table = "programme_importbatch"  # the table it had before the app of its own
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="import_by_importer")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("imports:import_detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        """A job is queued or running for the batch."""
        return self.status in ACTIVE_IMPORT_STATUSES

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 0 if self.is_active else 100
        return min(100, round(self.processed_rows * 100 / self.total_rows))


class RememberedName(TimeStamped):
    """A name an institution's files use for a known record, as an importer chose once: read
    so again in that institution's next files."""

    source = models.ForeignKey(
        "stakeholders.Institution",
        verbose_name=_("files from"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    index = models.CharField(_("kind of name"), max_length=30)
    text = models.CharField(_("name in the file"), max_length=255)
    text_key = models.CharField(_("name as compared"), max_length=255)
    target_pk = models.PositiveIntegerField(_("record it means"))
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chosen by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("remembered name")
        verbose_name_plural = _("remembered names")
        ordering = ["source", "index", "text_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "index", "text_key"], name="remembered_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.text} → {self.index} {self.target_pk}"
