from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase

from core.basemodels import NO_VICTIM_DETAILS, DemoMarked, TimeStamped
from programme.choices import ActionPointStatus, InterventionKind


class Programme(TimeStamped):
    """A joint programme that funds actions, such as the Horizontal Facility."""

    name = models.CharField(_("name"), max_length=255, unique=True)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    description = models.TextField(_("description"), blank=True, help_text=NO_VICTIM_DETAILS)
    partners = models.ManyToManyField(
        "stakeholders.Institution",
        verbose_name=_("partners"),
        blank=True,
        related_name="programmes",
        help_text=_("The bodies that run the programme jointly."),
    )

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return self.name


class Action(TimeStamped):
    """An action within a programme: what this platform is run for."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="actions"
    )
    title = models.CharField(_("title"), max_length=255, unique=True)
    country = models.CharField(_("country"), max_length=80)
    summary = models.TextField(_("summary"), blank=True, help_text=NO_VICTIM_DETAILS)
    implemented_by = models.ForeignKey(
        "stakeholders.Institution",
        verbose_name=_("implemented by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="implemented_actions",
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        validate_date_range(self.start_date, self.end_date)


def validate_date_range(start: object, end: object, *, end_field: str = "end_date") -> None:
    """Refuse an end that comes before its start, naming the field to correct."""
    if start is not None and end is not None and end < start:  # type: ignore[operator]
        raise ValidationError({end_field: _("The end date cannot be before the start date.")})


class ReportingPeriod(DemoMarked):
    """A span of time that progress updates and indicator values are reported for."""

    action = models.ForeignKey(
        Action, verbose_name=_("action"), on_delete=models.CASCADE, related_name="periods"
    )
    name = models.CharField(_("name"), max_length=80)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    due_date = models.DateField(
        _("reports due"), help_text=_("When updates for this period must be submitted.")
    )

    class Meta:
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")
        ordering = ["start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["action", "name"],
                name="period_unique_name",
                violation_error_message=_("This action already has a period with this name."),
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="period_end_after_start",
                violation_error_message=_("The end date cannot be before the start date."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        validate_date_range(self.start_date, self.end_date)


class Outcome(DemoMarked):
    """A result the action works towards, the top of its results framework."""

    action = models.ForeignKey(
        Action, verbose_name=_("action"), on_delete=models.CASCADE, related_name="outcomes"
    )
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=500)
    description = models.TextField(_("description"), blank=True, help_text=NO_VICTIM_DETAILS)

    class Meta:
        verbose_name = _("outcome")
        verbose_name_plural = _("outcomes")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["action", "code"],
                name="outcome_unique_code",
                violation_error_message=_("This action already has an outcome with this code."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Output(DemoMarked):
    """A deliverable that contributes to an outcome."""

    outcome = models.ForeignKey(
        Outcome, verbose_name=_("outcome"), on_delete=models.CASCADE, related_name="outputs"
    )
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=500)

    class Meta:
        verbose_name = _("output")
        verbose_name_plural = _("outputs")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["outcome", "code"],
                name="output_unique_code",
                violation_error_message=_("This outcome already has an output with this code."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Indicator(DemoMarked):
    """A measure of progress towards an outcome or output, with its baseline."""

    outcome = models.ForeignKey(
        Outcome, verbose_name=_("outcome"), on_delete=models.CASCADE, related_name="indicators"
    )
    output = models.ForeignKey(
        Output,
        verbose_name=_("output"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="indicators",
        help_text=_("Leave empty for an outcome-level indicator."),
    )
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=500)
    unit = models.CharField(_("unit"), max_length=60, help_text=_("e.g. persons, %, studies"))
    baseline = models.DecimalField(
        _("baseline"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    baseline_year = models.PositiveSmallIntegerField(_("baseline year"), null=True, blank=True)
    by_sex = models.BooleanField(
        _("disaggregated by sex"),
        default=False,
        help_text=_("Values are reported for women and men."),
    )
    source = models.CharField(_("source of verification"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["outcome", "code"],
                name="indicator_unique_code",
                violation_error_message=_("This outcome already has an indicator with this code."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def clean(self) -> None:
        if (
            self.output is not None
            and self.outcome_id
            and self.output.outcome_id != self.outcome_id
        ):
            raise ValidationError({"output": _("This output belongs to another outcome.")})


class IndicatorValue(DemoMarked):
    """The target and the value reached by an indicator in one reporting period."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="values"
    )
    period = models.ForeignKey(
        ReportingPeriod,
        verbose_name=_("reporting period"),
        on_delete=models.PROTECT,
        related_name="indicator_values",
    )
    target = models.DecimalField(
        _("target"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    actual = models.DecimalField(
        _("actual"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    actual_women = models.DecimalField(
        _("of which women"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    actual_men = models.DecimalField(
        _("of which men"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    note = models.TextField(_("note"), blank=True, help_text=NO_VICTIM_DETAILS)

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        ordering = ["indicator__code", "period__start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period"],
                name="indicator_value_unique_period",
                violation_error_message=_("This indicator already has a value for this period."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} – {self.period}"

    def clean(self) -> None:
        parts = [v for v in (self.actual_women, self.actual_men) if v is not None]
        if self.actual is not None and parts and sum(parts) > self.actual:
            raise ValidationError(
                {"actual_women": _("Women and men together cannot exceed the actual value.")}
            )

    @property
    def percent_met(self) -> Decimal | None:
        """How much of the target the actual value reaches, in percent."""
        if self.actual is None or not self.target:
            return None
        return (self.actual / self.target * 100).quantize(Decimal("0.1"))


class Meeting(DemoMarked):
    """A meeting of the action's multi-agency steering committee."""

    action = models.ForeignKey(
        Action, verbose_name=_("action"), on_delete=models.CASCADE, related_name="meetings"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    date = models.DateField(_("date"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=120)
    purpose = models.TextField(_("purpose"), blank=True, help_text=NO_VICTIM_DETAILS)
    agenda = models.TextField(_("agenda"), blank=True, help_text=NO_VICTIM_DETAILS)
    minutes = models.TextField(_("minutes"), blank=True, help_text=NO_VICTIM_DETAILS)

    class Meta:
        verbose_name = _("steering-committee meeting")
        verbose_name_plural = _("steering-committee meetings")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["action", "number"],
                name="meeting_unique_number",
                violation_error_message=_("This action already has a meeting with this number."),
            ),
        ]

    def __str__(self) -> str:
        return _("Steering Committee meeting %(number)s, %(place)s") % {
            "number": self.number,
            "place": self.place,
        }


class MeetingAttendance(TimeStamped):
    """An institution represented at a steering-committee meeting."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="attendance"
    )
    institution = models.ForeignKey(
        "stakeholders.Institution",
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="meeting_attendance",
    )
    representatives = models.TextField(
        _("representatives"),
        blank=True,
        help_text=format_lazy("{} {}", _("Names and positions, one per line."), NO_VICTIM_DETAILS),
    )

    class Meta:
        verbose_name = _("attending institution")
        verbose_name_plural = _("attending institutions")
        ordering = ["institution__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "institution"],
                name="attendance_unique_institution",
                violation_error_message=_("This institution is already listed for the meeting."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution.label} @ {self.meeting}"


class Decision(DemoMarked):
    """Something the steering committee agreed at a meeting."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="decisions"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("text"), help_text=NO_VICTIM_DETAILS)
    outcomes = models.ManyToManyField(
        Outcome, verbose_name=_("outcomes"), blank=True, related_name="decisions"
    )
    recommendations = models.ManyToManyField(
        "recommendations.Recommendation",
        verbose_name=_("recommendations"),
        blank=True,
        related_name="decisions",
    )

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["meeting__number", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "number"],
                name="decision_unique_number",
                violation_error_message=_("This meeting already has a decision with this number."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting.number}.{self.number} {self.text[:80]}"


class ActionPoint(DemoMarked):
    """A task the steering committee gave an institution; it stays on the agenda until closed."""

    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("raised at"),
        on_delete=models.CASCADE,
        related_name="action_points",
    )
    decision = models.ForeignKey(
        Decision,
        verbose_name=_("decision"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="action_points",
    )
    description = models.TextField(_("description"), help_text=NO_VICTIM_DETAILS)
    owner = models.ForeignKey(
        "stakeholders.Institution",
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="action_points",
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ActionPointStatus.choices,
        default=ActionPointStatus.OPEN,
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    progress_note = models.TextField(_("progress note"), blank=True, help_text=NO_VICTIM_DETAILS)

    class Meta:
        verbose_name = _("action point")
        verbose_name_plural = _("action points")
        ordering = ["meeting__number", "due_date", "pk"]

    def __str__(self) -> str:
        return self.description[:80]

    @property
    def is_open(self) -> bool:
        return self.status in (ActionPointStatus.OPEN, ActionPointStatus.IN_PROGRESS)

    def clean(self) -> None:
        if (
            self.decision is not None
            and self.meeting_id
            and self.decision.meeting_id != self.meeting_id
        ):
            raise ValidationError({"decision": _("This decision was taken at another meeting.")})
        if self.is_open and self.closed_on:
            raise ValidationError({"closed_on": _("An open action point has no closing date.")})
        if not self.is_open and not self.closed_on:
            raise ValidationError({"closed_on": _("Give the date the action point was closed.")})
        if (
            self.closed_on
            and self.meeting_id
            and self.meeting.date
            and (self.closed_on < self.meeting.date)
        ):
            raise ValidationError(
                {"closed_on": _("An action point cannot close before the meeting that raised it.")}
            )


class Intervention(TimeStamped):
    """A main intervention the steering committee agreed for one year of the action."""

    action = models.ForeignKey(
        Action, verbose_name=_("action"), on_delete=models.CASCADE, related_name="interventions"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    agreed_at = models.ForeignKey(
        Meeting,
        verbose_name=_("agreed at"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interventions",
    )
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    kind = models.CharField(_("kind"), max_length=30, choices=InterventionKind.choices)
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True, help_text=NO_VICTIM_DETAILS)
    target_groups = models.ManyToManyField(
        "stakeholders.ProfessionalGroup",
        verbose_name=_("target groups"),
        blank=True,
        related_name="interventions",
    )
    outcomes = models.ManyToManyField(
        Outcome, verbose_name=_("outcomes"), blank=True, related_name="interventions"
    )

    class Meta:
        verbose_name = _("annual intervention")
        verbose_name_plural = _("annual interventions")
        ordering = ["year", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["action", "year", "title"],
                name="intervention_unique_title",
                violation_error_message=_("This intervention is already in the year's plan."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.title}"


class ActionPointGroupObjectPermission(GroupObjectPermissionBase):
    """Which institutions may update an action point (guardian, direct foreign key)."""

    content_object = models.ForeignKey(ActionPoint, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("institution's access to an action point")
        verbose_name_plural = _("institutions' access to action points")
