from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase

from core.basemodels import NO_VICTIM_DETAILS, DemoMarked, TimeStamped
from programme.models import validate_date_range
from stakeholders.choices import Sex
from trainings.choices import RATING_MAX, RATING_MIN, SCORE_MAX, SCORE_MIN, TrainingStatus
from trainings.names import person_name

_score_validators = [MinValueValidator(Decimal(SCORE_MIN)), MaxValueValidator(Decimal(SCORE_MAX))]
_rating_validators = [
    MinValueValidator(Decimal(RATING_MIN)),
    MaxValueValidator(Decimal(RATING_MAX)),
]


class Topic(TimeStamped):
    """A subject the action trains professionals on."""

    name = models.CharField(_("name"), max_length=255)
    slug = models.SlugField(_("code"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True, help_text=NO_VICTIM_DETAILS)

    class Meta:
        verbose_name = _("training topic")
        verbose_name_plural = _("training topics")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Training(DemoMarked):
    """A capacity-building training the action organises for professionals."""

    action = models.ForeignKey(
        "programme.Action",
        verbose_name=_("action"),
        on_delete=models.PROTECT,
        related_name="trainings",
    )
    title = models.CharField(_("title"), max_length=255)
    topics = models.ManyToManyField(Topic, verbose_name=_("topics"), related_name="trainings")
    target_groups = models.ManyToManyField(
        "stakeholders.ProfessionalGroup",
        verbose_name=_("target groups"),
        blank=True,
        related_name="trainings",
    )
    methodology = models.TextField(_("methodology"), blank=True, help_text=NO_VICTIM_DETAILS)
    organiser = models.ForeignKey(
        "stakeholders.Institution",
        verbose_name=_("organiser"),
        on_delete=models.PROTECT,
        related_name="organised_trainings",
    )
    partners = models.ManyToManyField(
        "stakeholders.Institution",
        verbose_name=_("partner institutions"),
        blank=True,
        related_name="partnered_trainings",
    )
    venue = models.CharField(_("venue"), max_length=255, blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=TrainingStatus.choices, default=TrainingStatus.PLANNED
    )
    outcomes = models.ManyToManyField(
        "programme.Outcome", verbose_name=_("outcomes"), blank=True, related_name="trainings"
    )
    recommendations = models.ManyToManyField(
        "recommendations.Recommendation",
        verbose_name=_("recommendations"),
        blank=True,
        related_name="trainings",
    )
    intervention = models.ForeignKey(
        "programme.Intervention",
        verbose_name=_("annual intervention"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="trainings",
    )
    cancellation_reason = models.TextField(
        _("why it was cancelled"), blank=True, help_text=NO_VICTIM_DETAILS
    )

    class Meta:
        verbose_name = _("training")
        verbose_name_plural = _("trainings")
        ordering = ["-start_date", "title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="training_end_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
        ]

    def __str__(self) -> str:
        """The title with its start date and place, so that a list to choose a training from
        tells apart trainings of the same title."""
        beside = [date_format(self.start_date, "DATE_FORMAT")] if self.start_date else []
        if self.place:
            beside.append(self.place)
        return f"{self.title} ({', '.join(beside)})" if beside else self.title

    @property
    def place(self) -> str:
        return self.city or self.venue

    @property
    def is_cancelled(self) -> bool:
        return self.status == TrainingStatus.CANCELLED

    def clean(self) -> None:
        validate_date_range(self.start_date, self.end_date)
        validate_held(self.status, self.start_date, self.end_date)


def validate_held(status: str, start: date | None, end: date | None) -> None:
    """A training counts as held only with its dates and once it has ended: one marked held
    ahead of time would count in the programme's figures at once."""
    if status != TrainingStatus.HELD:
        return
    if not start:
        raise ValidationError({"start_date": _("A training that was held needs its dates.")})
    last = end or start
    if last > timezone.localdate():
        raise ValidationError(
            {
                "status": _(
                    "A training can be marked held once it has ended; it ends on %(day)s. "
                    "Keep it planned until then."
                )
                % {"day": date_format(last, "DATE_FORMAT")}
            }
        )


class Participant(DemoMarked):
    """A professional who attended one or more trainings; recorded once across trainings."""

    full_name = models.CharField(_("full name"), max_length=200)
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices)
    professional_group = models.ForeignKey(
        "stakeholders.ProfessionalGroup",
        verbose_name=_("profession"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="participants",
    )
    institution = models.ForeignKey(
        "stakeholders.Institution",
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="participants",
    )
    position = models.CharField(_("position"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    registered_by_institution = models.ForeignKey(
        "stakeholders.Institution",
        verbose_name=_("registered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="registered_participants",
        help_text=_(
            "The institution whose entry created this record. Only its entries fill in the "
            "record; another institution's entry lists the person without changing it."
        ),
    )
    erased_at = models.DateTimeField(
        _("erased"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "When the person's details were erased. Only the sex, profession and institution "
            "stay, so the training figures still add up."
        ),
    )

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["full_name"]
        # One record per person and institution within each registering institution's entries
        # (records no institution registered count as one more). An email is not unique:
        # colleagues often share one (info@...), and an email alone never makes two names
        # one person (trainings.matching). Institutions never match against records
        # they cannot see, so two institutions may each register the same person; the
        # programme team merges such records.
        # Each rule is written twice, for registered and unregistered records, rather than
        # with nulls_distinct=False, which SQLite (make run) cannot enforce.
        constraints = [
            models.UniqueConstraint(
                Lower("full_name"),
                "institution",
                "registered_by_institution",
                name="participant_unique_name_institution",
                condition=models.Q(institution__isnull=False)
                & models.Q(registered_by_institution__isnull=False),
                violation_error_message=_(
                    "This participant is already registered for this institution."
                ),
            ),
            models.UniqueConstraint(
                Lower("full_name"),
                "institution",
                name="participant_unique_name_institution_unregistered",
                condition=models.Q(institution__isnull=False)
                & models.Q(registered_by_institution__isnull=True),
                violation_error_message=_(
                    "This participant is already registered for this institution."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    def clean(self) -> None:
        self.full_name = person_name(self.full_name)
        self.email = self.email.strip()


class Attendance(TimeStamped):
    """A participant's attendance at a training, with their test scores before and after."""

    training = models.ForeignKey(
        Training, verbose_name=_("training"), on_delete=models.CASCADE, related_name="attendance"
    )
    participant = models.ForeignKey(
        Participant,
        verbose_name=_("participant"),
        on_delete=models.PROTECT,
        related_name="attendance",
    )
    pre_score = models.DecimalField(
        _("pre-test score"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=_score_validators,
        help_text=_("0 to 100"),
    )
    post_score = models.DecimalField(
        _("post-test score"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=_score_validators,
        help_text=_("0 to 100"),
    )
    completed = models.BooleanField(_("completed"), default=True)
    # Consent is given at a training, for that training: another institution's training
    # never makes this one name the person.
    consent = models.BooleanField(
        _("consent to processing"),
        default=False,
        help_text=_(
            "The participant agreed, at this training, that their details are kept for the "
            "action and that its report names them."
        ),
    )
    consent_date = models.DateField(_("consent date"), null=True, blank=True)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consent recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    consent_recorded_at = models.DateTimeField(
        _("consent recorded"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["participant__full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["training", "participant"],
                name="attendance_unique_participant",
                violation_error_message=_("This participant is already listed for the training."),
            ),
            models.CheckConstraint(
                condition=models.Q(pre_score__isnull=True)
                | models.Q(pre_score__gte=SCORE_MIN, pre_score__lte=SCORE_MAX),
                name="attendance_pre_score_range",
                violation_error_message=_("Scores are between 0 and 100."),
            ),
            models.CheckConstraint(
                condition=models.Q(post_score__isnull=True)
                | models.Q(post_score__gte=SCORE_MIN, post_score__lte=SCORE_MAX),
                name="attendance_post_score_range",
                violation_error_message=_("Scores are between 0 and 100."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} @ {self.training}"

    def clean(self) -> None:
        if self.consent and not self.consent_date:
            raise ValidationError({"consent_date": _("Give the date consent was given.")})
        if not self.consent:
            self.consent_date = None

    @property
    def score_change(self) -> Decimal | None:
        if self.pre_score is None or self.post_score is None:
            return None
        return self.post_score - self.pre_score

    @property
    def names_participant(self) -> bool:
        """Whether what is written about this training may name the person: only with
        consent recorded for this very training, and never once their details are erased.
        The one rule the training's report, page and export follow."""
        return self.consent and not self.participant.is_erased


class Evaluation(TimeStamped):
    """How participants rated a training, and what the organisers learned from it."""

    training = models.OneToOneField(
        Training, verbose_name=_("training"), on_delete=models.CASCADE, related_name="evaluation"
    )
    respondents = models.PositiveIntegerField(_("respondents"), default=0)
    overall_rating = models.DecimalField(
        _("overall rating"),
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        validators=_rating_validators,
        help_text=_("Average, 1 (poor) to 5 (excellent)"),
    )
    relevance_rating = models.DecimalField(
        _("relevance rating"),
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        validators=_rating_validators,
        help_text=_("Average, 1 (poor) to 5 (excellent)"),
    )
    summary = models.TextField(_("summary"), blank=True, help_text=NO_VICTIM_DETAILS)
    lessons_learned = models.TextField(
        _("lessons learned"), blank=True, help_text=NO_VICTIM_DETAILS
    )

    class Meta:
        verbose_name = _("training evaluation")
        verbose_name_plural = _("training evaluations")

    def __str__(self) -> str:
        return str(_("Evaluation of %(training)s") % {"training": self.training})


class TrainingGroupObjectPermission(GroupObjectPermissionBase):
    """Which institutions may view or change a training (guardian, direct foreign key)."""

    content_object = models.ForeignKey(Training, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("institution's access to a training")
        verbose_name_plural = _("institutions' access to trainings")
