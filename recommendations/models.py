from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import format_lazy, slugify
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase

from core.basemodels import NO_VICTIM_DETAILS, DemoMarked, TimeStamped
from recommendations.choices import (
    EDITABLE_UPDATE_STATES,
    AssignmentKind,
    ImplementationStatus,
    InstrumentKind,
    UpdateEvent,
    UpdateState,
)


class RecommendationSet(TimeStamped):
    """A body of recommendations adopted together, such as those of a working-group session."""

    title = models.CharField(_("title"), max_length=300)
    issued_by = models.CharField(_("issued by"), max_length=300)
    working_group = models.CharField(_("working group"), max_length=120, blank=True)
    session = models.CharField(_("session"), max_length=120, blank=True)
    adopted_on = models.DateField(_("adopted on"), null=True, blank=True)

    class Meta:
        verbose_name = _("recommendation set")
        verbose_name_plural = _("recommendation sets")
        constraints = [
            models.UniqueConstraint(
                fields=["issued_by", "working_group", "session"],
                name="recommendation_set_unique_session",
                violation_error_message=_("This session's recommendations are already recorded."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.working_group}, {self.session}: {self.title}"


class Theme(TimeStamped):
    """A strand of anti-trafficking work a recommendation belongs to, such as prevention."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("code"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Instrument(TimeStamped):
    """An international or national legal instrument that a recommendation cites."""

    name = models.CharField(_("name"), max_length=300)
    short_name = models.CharField(_("short name"), max_length=80, blank=True)
    slug = models.SlugField(_("code"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=InstrumentKind.choices)
    year = models.PositiveSmallIntegerField(_("year adopted"), null=True, blank=True)

    class Meta:
        verbose_name = _("legal instrument")
        verbose_name_plural = _("legal instruments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.short_name or self.name


class Recommendation(TimeStamped):
    """One recommendation of a set, kept word for word, with who must act on it."""

    recommendation_set = models.ForeignKey(
        RecommendationSet,
        verbose_name=_("set"),
        on_delete=models.PROTECT,
        related_name="recommendations",
    )
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("text"))
    text_mk_official = models.BooleanField(
        _("Macedonian text is official"),
        default=False,
        help_text=_("Leave unticked while the Macedonian text is an unofficial translation."),
    )
    text_sq_official = models.BooleanField(
        _("Albanian text is official"),
        default=False,
        help_text=_("Leave unticked while the Albanian text is an unofficial translation."),
    )
    themes = models.ManyToManyField(
        Theme, verbose_name=_("themes"), blank=True, related_name="recommendations"
    )
    instruments = models.ManyToManyField(
        Instrument, verbose_name=_("instruments cited"), blank=True, related_name="recommendations"
    )
    institutions = models.ManyToManyField(
        "stakeholders.Institution",
        verbose_name=_("institutions"),
        through="Assignment",
        related_name="recommendations",
    )
    outcomes = models.ManyToManyField(
        "programme.Outcome", verbose_name=_("outcomes"), blank=True, related_name="recommendations"
    )

    def text_status(self, language: str) -> str:
        """How the text shown in ``language`` stands: the English original, an official or
        unofficial translation, or missing (the English text is shown in its place)."""
        if language == "en":
            return "original"
        if not getattr(self, f"text_{language}", ""):
            return "missing"
        return "official" if getattr(self, f"text_{language}_official", False) else "unofficial"

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["recommendation_set", "number"]
        permissions = [("report_on_recommendation", "Can report progress on the recommendation")]
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation_set", "number"],
                name="recommendation_unique_number",
                violation_error_message=_("The set already has a recommendation with this number."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text[:90]}"


class Assignment(DemoMarked):
    """An institution's duty to act on, or invitation to report on, a recommendation."""

    recommendation = models.ForeignKey(
        Recommendation,
        verbose_name=_("recommendation"),
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    institution = models.ForeignKey(
        "stakeholders.Institution",
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=AssignmentKind.choices, default=AssignmentKind.RESPONSIBLE
    )

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["recommendation__number", "institution__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "institution"],
                name="assignment_unique_institution",
                violation_error_message=_(
                    "This institution is already assigned to the recommendation."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recommendation.number} → {self.institution.label}"


class ProgressUpdate(DemoMarked):
    """An institution's account of how a recommendation advanced in one reporting period."""

    recommendation = models.ForeignKey(
        Recommendation,
        verbose_name=_("recommendation"),
        on_delete=models.PROTECT,
        related_name="updates",
    )
    institution = models.ForeignKey(
        "stakeholders.Institution",
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="progress_updates",
    )
    period = models.ForeignKey(
        "programme.ReportingPeriod",
        verbose_name=_("reporting period"),
        on_delete=models.PROTECT,
        related_name="progress_updates",
    )
    status = models.CharField(
        _("implementation status"), max_length=20, choices=ImplementationStatus.choices
    )
    narrative = models.TextField(
        _("narrative"),
        help_text=format_lazy("{} {}", _("What was done in the period."), NO_VICTIM_DETAILS),
    )
    state = models.CharField(
        _("workflow state"), max_length=20, choices=UpdateState.choices, default=UpdateState.DRAFT
    )
    reviewer_comment = models.TextField(
        _("reviewer's comment"), blank=True, help_text=NO_VICTIM_DETAILS
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    outcomes = models.ManyToManyField(
        "programme.Outcome", verbose_name=_("outcomes"), blank=True, related_name="progress_updates"
    )

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["recommendation__number", "-period__start_date", "institution__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "institution", "period"],
                name="update_unique_period",
                violation_error_message=_(
                    "This institution already has an update on this recommendation for the period."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recommendation.number} – {self.institution.label} – {self.period}"

    @property
    def is_editable(self) -> bool:
        """Drafts and returned updates can still change; submitted and approved ones cannot."""
        return self.state in EDITABLE_UPDATE_STATES

    @property
    def is_locked(self) -> bool:
        return self.state == UpdateState.APPROVED


class UpdateTransition(models.Model):
    """A step of a progress update through review: submitted, returned, approved."""

    update = models.ForeignKey(
        ProgressUpdate,
        verbose_name=_("progress update"),
        on_delete=models.CASCADE,
        related_name="transitions",
    )
    from_state = models.CharField(_("from"), max_length=20, choices=UpdateState.choices)
    to_state = models.CharField(_("to"), max_length=20, choices=UpdateState.choices)
    status = models.CharField(
        _("implementation status"), max_length=20, choices=ImplementationStatus.choices
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    comment = models.TextField(_("comment"), blank=True, help_text=NO_VICTIM_DETAILS)
    # A step moves the state; the other events leave it and name the evidence they concern.
    event = models.CharField(
        _("event"), max_length=20, choices=UpdateEvent.choices, default=UpdateEvent.STEP
    )
    evidence_title = models.CharField(_("evidence"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("workflow step")
        verbose_name_plural = _("workflow steps")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.update}: {self.from_state} → {self.to_state}"


class UpdateComment(TimeStamped):
    """A remark on a progress update by the reporting institution, a reviewer or an observer."""

    update = models.ForeignKey(
        ProgressUpdate,
        verbose_name=_("progress update"),
        on_delete=models.CASCADE,
        related_name="comments",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    text = models.TextField(_("comment"), help_text=NO_VICTIM_DETAILS)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:80]


class Evidence(TimeStamped):
    """A file or link that backs up a progress update."""

    update = models.ForeignKey(
        ProgressUpdate,
        verbose_name=_("progress update"),
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="evidence/%Y/", blank=True)
    url = models.URLField(_("link"), blank=True)
    # A redacted item keeps its title and these three; its file and link are gone.
    redacted_at = models.DateTimeField(_("removed by the programme team on"), null=True, blank=True)
    redacted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("removed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    redaction_reason = models.TextField(
        _("reason for removal"), blank=True, help_text=NO_VICTIM_DETAILS
    )

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["pk"]
        constraints = [
            # A file, a link or both; nothing only once the programme team removed them.
            models.CheckConstraint(
                condition=~models.Q(file="")
                | ~models.Q(url="")
                | models.Q(redacted_at__isnull=False),
                name="evidence_file_or_link",
                violation_error_message=_("Attach a file or give a link."),
            ),
            models.CheckConstraint(
                condition=models.Q(redacted_at__isnull=True)
                | (models.Q(file="") & models.Q(url="") & ~models.Q(redaction_reason="")),
                name="evidence_redacted_is_emptied",
                violation_error_message=_("Removed evidence keeps neither its file nor its link."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if not self.file and not self.url and not self.is_redacted:
            raise ValidationError(_("Attach a file or give a link."))

    @property
    def is_redacted(self) -> bool:
        return self.redacted_at is not None

    @property
    def download_name(self) -> str:
        """A safe file name for the download: the title's letters and the file's extension."""
        stem = slugify(self.title, allow_unicode=True) or "evidence"
        return f"{stem[:80]}{Path(self.file.name or '').suffix.lower()}"


class RecommendationGroupObjectPermission(GroupObjectPermissionBase):
    """Which institutions may report on a recommendation (guardian, direct foreign key)."""

    content_object = models.ForeignKey(Recommendation, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("institution's access to a recommendation")
        verbose_name_plural = _("institutions' access to recommendations")


class ProgressUpdateGroupObjectPermission(GroupObjectPermissionBase):
    """Which institutions may view or change a progress update (guardian, direct foreign key)."""

    content_object = models.ForeignKey(ProgressUpdate, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("institution's access to a progress update")
        verbose_name_plural = _("institutions' access to progress updates")
