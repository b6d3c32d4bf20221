from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.basemodels import NO_VICTIM_DETAILS, DemoMarked, TimeStamped
from programme.models import validate_date_range
from research.choices import STUDY_PIPELINE, LanguageVersion, StudyStatus


class Study(DemoMarked):
    """A piece of research the action commissioned, followed from plan to publication."""

    action = models.ForeignKey(
        "programme.Action",
        verbose_name=_("action"),
        on_delete=models.PROTECT,
        related_name="studies",
    )
    title = models.CharField(_("title"), max_length=300)
    slug = models.SlugField(_("code"), max_length=80, unique=True)
    status = models.CharField(
        _("status"), max_length=30, choices=StudyStatus.choices, default=StudyStatus.PLANNED
    )
    authors = models.CharField(_("authors"), max_length=300, blank=True)
    contractor = models.ForeignKey(
        "stakeholders.Institution",
        verbose_name=_("contractor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracted_studies",
    )
    commissioned_by = models.ForeignKey(
        "stakeholders.Institution",
        verbose_name=_("commissioned by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commissioned_studies",
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True, help_text=NO_VICTIM_DETAILS)
    key_findings = models.TextField(_("key findings"), blank=True, help_text=NO_VICTIM_DETAILS)
    recommendations = models.ManyToManyField(
        "recommendations.Recommendation",
        verbose_name=_("recommendations"),
        blank=True,
        related_name="studies",
    )
    outcomes = models.ManyToManyField(
        "programme.Outcome", verbose_name=_("outcomes"), blank=True, related_name="studies"
    )
    is_public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_("Listed on the public site (with its file once published)."),
    )

    class Meta:
        verbose_name = _("study")
        verbose_name_plural = _("studies")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def stage(self) -> int:
        """Position in the pipeline, 1 for planned up to 7 for published."""
        return STUDY_PIPELINE.index(self.status) + 1

    def clean(self) -> None:
        validate_date_range(self.start_date, self.due_date, end_field="due_date")
        if self.status == StudyStatus.PUBLISHED and not self.published_on:
            raise ValidationError({"published_on": _("A published study needs its date.")})


class StudyStatusChange(models.Model):
    """One step of a study through the research pipeline, with who made it and when."""

    study = models.ForeignKey(
        Study, verbose_name=_("study"), on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(
        _("from"), max_length=30, choices=StudyStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=30, choices=StudyStatus.choices)
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True, help_text=NO_VICTIM_DETAILS)

    class Meta:
        verbose_name = _("study status change")
        verbose_name_plural = _("study status changes")
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.study}: {self.from_status or '–'} → {self.to_status}"


class StudyVersion(TimeStamped):
    """The study published in one language: its file or its link."""

    study = models.ForeignKey(
        Study, verbose_name=_("study"), on_delete=models.CASCADE, related_name="versions"
    )
    language = models.CharField(_("language"), max_length=5, choices=LanguageVersion.choices)
    file = models.FileField(_("publication file"), upload_to="research/%Y/", blank=True)
    url = models.URLField(_("link"), blank=True)
    published_on = models.DateField(_("published on"), null=True, blank=True)

    class Meta:
        verbose_name = _("language version")
        verbose_name_plural = _("language versions")
        ordering = ["language"]
        constraints = [
            models.UniqueConstraint(
                fields=["study", "language"],
                name="study_version_unique_language",
                violation_error_message=_("The study already has a version in this language."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.study} ({self.get_language_display()})"
