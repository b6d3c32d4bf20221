"""A PDF report's generation: the job that makes it and, once done, its frozen file."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from core.basemodels import TimeStamped
from reports.choices import DRAFT, ReportKind, ReportStatus


def report_upload_to(instance: Report, filename: str) -> str:
    """An unguessable name: the file is only ever served through the download view."""
    return f"reports/{timezone.now():%Y}/{uuid.uuid4().hex}.pdf"


class Report(TimeStamped):
    """One generation of a PDF report: who asked, for what, and the frozen file it produced."""

    kind = models.CharField(_("kind"), max_length=20, choices=ReportKind.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    pdfa = models.BooleanField(
        _("archival PDF/A"),
        default=False,
        help_text=_("A tagged PDF/A-2a file, for long-term archiving."),
    )
    period = models.ForeignKey(
        "programme.ReportingPeriod",
        verbose_name=_("reporting period"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
    )
    recommendation = models.ForeignKey(
        "recommendations.Recommendation",
        verbose_name=_("recommendation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        help_text=_("Leave empty for all the recommendations."),
    )
    training = models.ForeignKey(
        "trainings.Training",
        verbose_name=_("training"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
    )
    meeting = models.ForeignKey(
        "programme.Meeting",
        verbose_name=_("meeting"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
    )
    parameters = models.JSONField(
        _("parameters"),
        default=dict,
        blank=True,
        encoder=DjangoJSONEncoder,
        help_text=_("What was asked for, kept as it was when the report was requested."),
    )
    series = models.CharField(
        _("series"),
        max_length=120,
        db_index=True,
        editable=False,
        help_text=_("Generations of the same report in the same language share a series."),
    )
    version = models.PositiveIntegerField(_("version"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    failure_reason = models.TextField(_("reason for the failure"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    file = models.FileField(_("file"), upload_to=report_upload_to, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveIntegerField(_("size in bytes"), null=True, blank=True)
    pages = models.PositiveIntegerField(_("pages"), null=True, blank=True)

    class Meta:
        db_table = "programme_report"  # the table it had before the app of its own
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="report_by_requester")]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "version"],
                condition=models.Q(version__isnull=False),
                name="report_unique_version",
                violation_error_message=_("This report already has a generation with this number."),
            ),
            models.CheckConstraint(
                condition=~models.Q(status=ReportStatus.DONE)
                | (models.Q(version__isnull=False) & ~models.Q(file="") & ~models.Q(sha256="")),
                name="report_done_has_its_file",
                violation_error_message=_("A finished report has its file, hash and version."),
            ),
        ]

    def __str__(self) -> str:
        version = f" v{self.version}" if self.version else ""
        return f"{self.get_kind_display()}: {self.subject}{version} ({self.language})"

    def get_absolute_url(self) -> str:
        return reverse("reports:report_detail", args=[self.pk])

    @property
    def subject(self) -> str:
        """What the report is about, as it was named when it was requested."""
        return str(self.parameters.get("subject", ""))

    @property
    def is_draft(self) -> bool:
        """Whether this is the programme team's draft copy of the committee report (kept in
        its parameters; the final copy when not said)."""
        return (self.parameters or {}).get("copy") == DRAFT

    @property
    def is_finished(self) -> bool:
        return self.status in (ReportStatus.DONE, ReportStatus.FAILED)

    @property
    def download_name(self) -> str:
        """A safe file name built from codes and numbers, never from what a user typed freely."""
        slug = self.parameters.get("slug") or "report"
        if self.kind == ReportKind.MEETING:
            # "steering-committee-meeting-4-en.pdf", not "meeting-meeting-4-en.pdf".
            number = self.parameters.get("meeting", {}).get("number")
            parts: list[Any] = ["steering-committee", f"meeting-{number}" if number else slug]
        else:
            parts = [self.kind, slug]
        parts.append(self.language)
        if self.is_draft:
            parts.append("draft")
        if self.version:
            parts.append(f"v{self.version}")
        if self.pdfa:
            parts.append("pdfa")
        stem = slugify("-".join(str(p) for p in parts)) or "report"
        return f"{stem[:100]}.pdf"
