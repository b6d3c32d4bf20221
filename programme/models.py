from __future__ import annotations

from datetime import date as date_type
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase

from core.basemodels import NO_VICTIM_DETAILS, DemoMarked, TimeStamped
from programme.calculations import calculation_get
from programme.choices import (
    EDITABLE_VALUE_STATES,
    ActionPointStatus,
    Aggregation,
    Direction,
    IndicatorKind,
    InterventionKind,
    MeetingFormat,
    MeetingStatus,
    RiskLevel,
    ValueState,
)


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
    on_track_percent = models.PositiveSmallIntegerField(
        # xgettext:no-python-format
        _("on track from (% of the target to date)"),
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_(
            "An indicator is on track when its value to date reaches this share of its "
            "target to date, and behind below it."
        ),
    )

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
    closed_at = models.DateTimeField(
        _("closed at"),
        null=True,
        blank=True,
        help_text=_("When the programme team froze the period's indicator values."),
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
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

    @property
    def label(self) -> str:
        """The name with its dates, as pickers show it: "2026 H1 (1.1.2026 – 30.6.2026)".

        Texts that name the period in a sentence (tasks, notifications) keep ``__str__``.
        """
        start = date_format(self.start_date, "SHORT_DATE_FORMAT")
        end = date_format(self.end_date, "SHORT_DATE_FORMAT")
        return f"{self.name} ({start} – {end})"

    def clean(self) -> None:
        validate_date_range(self.start_date, self.end_date)

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


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
    is_public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_("Shown on the public site and in the IATI export."),
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=IndicatorKind.choices, default=IndicatorKind.REPORTED
    )
    calculation = models.CharField(
        _("calculation"),
        max_length=60,
        blank=True,
        help_text=_("For a computed indicator: how its value comes from the platform's records."),
    )
    parameters = models.JSONField(
        _("parameters"),
        default=dict,
        blank=True,
        help_text=_("The calculation's settings, such as the professional groups it counts."),
    )
    responsible = models.ForeignKey(
        "stakeholders.Institution",
        verbose_name=_("responsible institution"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="indicators",
        help_text=_(
            "For a reported indicator: the institution that enters its values. "
            "Leave empty when the programme team enters them."
        ),
    )
    target_end = models.DecimalField(
        _("end-of-action target"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.INCREASE
    )
    aggregation = models.CharField(
        _("periods add up as"),
        max_length=10,
        choices=Aggregation.choices,
        default=Aggregation.SUM,
    )

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
        if self.kind == IndicatorKind.COMPUTED:
            calculation = calculation_get(self.calculation)
            if calculation is None:
                raise ValidationError(
                    {"calculation": _("Choose how a computed indicator's value is calculated.")}
                )
            try:
                self.parameters = calculation.parameters_clean(self.parameters or {})
            except ValidationError as error:
                raise ValidationError({"parameters": error.messages}) from error
            if self.by_sex and not calculation.by_sex:
                raise ValidationError({"by_sex": _("This calculation does not count by sex.")})
        if self.kind == IndicatorKind.REPORTED:
            self.calculation = ""
            self.parameters = {}

    @property
    def is_computed(self) -> bool:
        return self.kind == IndicatorKind.COMPUTED


def _amount(verbose_name: Any) -> models.DecimalField[Decimal | None, Decimal | None]:
    return models.DecimalField(
        verbose_name,
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )


class IndicatorValue(DemoMarked):
    """An indicator's target for one reporting period and the value reached in it.

    A reported indicator's value goes through review like a progress update and counts
    once approved. A computed indicator's value comes from the records; its row holds the
    period's target and, once the period is closed, the values as they were frozen.
    """

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="values"
    )
    period = models.ForeignKey(
        ReportingPeriod,
        verbose_name=_("reporting period"),
        on_delete=models.PROTECT,
        related_name="indicator_values",
    )
    target = _amount(_("target"))
    actual = _amount(_("actual"))
    actual_women = _amount(_("of which women"))
    actual_men = _amount(_("of which men"))
    actual_other = _amount(_("of which other or not stated"))
    note = models.TextField(_("note"), blank=True, help_text=NO_VICTIM_DETAILS)
    state = models.CharField(
        _("workflow state"), max_length=20, choices=ValueState.choices, default=ValueState.DRAFT
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
    # What the committee saw when the period was closed; never rewritten while it stays closed.
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True)
    cumulative = _amount(_("value to date"))
    cumulative_women = _amount(_("value to date, women"))
    cumulative_men = _amount(_("value to date, men"))
    cumulative_other = _amount(_("value to date, other or not stated"))

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
        parts = [self.actual_women, self.actual_men, self.actual_other]
        given = [v for v in parts if v is not None]
        if not given:
            return
        if len(given) < len(parts):
            raise ValidationError(
                {
                    "actual_women": _(
                        "Give the value for women, for men and for other or not stated "
                        "(0 where there is none), so that they add up to the total."
                    )
                }
            )
        if self.actual is not None and sum(given) != self.actual:
            raise ValidationError(
                {
                    "actual": _(
                        "Women, men and other or not stated add up to %(sum)s, not %(total)s."
                    )
                    % {"sum": sum(given), "total": self.actual}
                }
            )

    @property
    def percent_met(self) -> Decimal | None:
        """How much of the target the actual value reaches, in percent."""
        if self.actual is None or not self.target:
            return None
        return (self.actual / self.target * 100).quantize(Decimal("0.1"))

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_VALUE_STATES and self.frozen_at is None

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


class IndicatorValueTransition(models.Model):
    """A step of a reported indicator value through review: submitted, returned, approved."""

    value = models.ForeignKey(
        IndicatorValue,
        verbose_name=_("indicator value"),
        on_delete=models.CASCADE,
        related_name="transitions",
    )
    from_state = models.CharField(_("from"), max_length=20, choices=ValueState.choices)
    to_state = models.CharField(_("to"), max_length=20, choices=ValueState.choices)
    actual = _amount(_("actual"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    comment = models.TextField(_("comment"), blank=True, help_text=NO_VICTIM_DETAILS)

    class Meta:
        verbose_name = _("indicator value step")
        verbose_name_plural = _("indicator value steps")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.value}: {self.from_state} → {self.to_state}"


class IndicatorEvidence(TimeStamped):
    """A file or link that backs up a reported indicator value."""

    value = models.ForeignKey(
        IndicatorValue,
        verbose_name=_("indicator value"),
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="indicator-evidence/%Y/", blank=True)
    url = models.URLField(_("link"), blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("indicator evidence")
        verbose_name_plural = _("indicator evidence")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(file="") | ~models.Q(url=""),
                name="indicator_evidence_file_or_link",
                violation_error_message=_("Attach a file or give a link."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Meeting(DemoMarked):
    """A meeting of the action's multi-agency steering committee."""

    action = models.ForeignKey(
        Action, verbose_name=_("action"), on_delete=models.CASCADE, related_name="meetings"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=MeetingStatus.choices,
        default=MeetingStatus.HELD,
        help_text=_("A held meeting needs its date."),
    )
    date = models.DateField(_("date"), null=True, blank=True)
    # Set by the seed for a meeting held before the platform whose documents give no date;
    # the portal never sets it, so every meeting recorded here gets its date once held.
    date_not_known = models.BooleanField(_("date not known"), default=False, editable=False)
    place = models.CharField(_("place"), max_length=120, blank=True)
    format = models.CharField(
        _("format"), max_length=10, choices=MeetingFormat.choices, default=MeetingFormat.IN_PERSON
    )
    purpose = models.TextField(_("purpose"), blank=True, help_text=NO_VICTIM_DETAILS)
    agenda = models.TextField(_("agenda"), blank=True, help_text=NO_VICTIM_DETAILS)
    minutes = models.TextField(_("minutes"), blank=True, help_text=NO_VICTIM_DETAILS)
    minutes_file = models.FileField(
        _("minutes (file)"),
        upload_to="meeting-minutes/%Y/",
        blank=True,
        help_text=_("The signed or circulated minutes, as a document."),
    )

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
        if self.date is not None and self.place:
            return _("Steering Committee meeting %(number)s, %(place)s, %(date)s") % {
                "number": self.number,
                "place": self.place,
                "date": date_format(self.date, "DATE_FORMAT"),
            }
        if self.date is not None:
            return _("Steering Committee meeting %(number)s, %(date)s") % {
                "number": self.number,
                "date": date_format(self.date, "DATE_FORMAT"),
            }
        if self.place:
            return _("Steering Committee meeting %(number)s, %(place)s") % {
                "number": self.number,
                "place": self.place,
            }
        return _("Steering Committee meeting %(number)s") % {"number": self.number}

    def clean(self) -> None:
        if self.status == MeetingStatus.HELD and self.date is None and not self.date_not_known:
            raise ValidationError({"date": _("Give the date the meeting was held.")})

    @property
    def is_held(self) -> bool:
        return self.status == MeetingStatus.HELD


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
    is_public = models.BooleanField(
        _("public"),
        default=False,
        help_text=_("Shown on the public site and in the IATI export."),
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

    def is_overdue(self, today: date_type | None = None) -> bool:
        """Open past its due date (by default, today)."""
        today = today or timezone.localdate()
        return self.is_open and self.due_date is not None and self.due_date < today

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


# --- The period narrative ---------------------------------------------------------------------
#
# What the programme team writes for each reporting period; the committee report opens with it.
# Every text is stored in English, Macedonian and Albanian (programme/translation.py), with its
# provenance per language in core.TextProvenance.


class PeriodNarrative(DemoMarked):
    """The programme team's executive summary and next steps for one reporting period."""

    period = models.OneToOneField(
        ReportingPeriod,
        verbose_name=_("reporting period"),
        on_delete=models.CASCADE,
        related_name="narrative",
    )
    executive_summary = models.TextField(
        _("executive summary"), blank=True, help_text=NO_VICTIM_DETAILS
    )
    next_steps = models.TextField(_("next steps"), blank=True, help_text=NO_VICTIM_DETAILS)

    class Meta:
        verbose_name = _("period narrative")
        verbose_name_plural = _("period narratives")
        ordering = ["period__start_date"]

    def __str__(self) -> str:
        return str(self.period)


class OutcomeNarrative(DemoMarked):
    """What the programme team says about one outcome's progress in one reporting period."""

    period = models.ForeignKey(
        ReportingPeriod,
        verbose_name=_("reporting period"),
        on_delete=models.CASCADE,
        related_name="outcome_narratives",
    )
    outcome = models.ForeignKey(
        Outcome, verbose_name=_("outcome"), on_delete=models.CASCADE, related_name="narratives"
    )
    text = models.TextField(_("narrative"), blank=True, help_text=NO_VICTIM_DETAILS)

    class Meta:
        verbose_name = _("outcome narrative")
        verbose_name_plural = _("outcome narratives")
        ordering = ["period__start_date", "outcome__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["period", "outcome"],
                name="outcome_narrative_unique",
                violation_error_message=_("This outcome already has a narrative for the period."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} · {self.outcome.code}"


class PeriodRisk(DemoMarked):
    """A risk to the action the programme team names for a reporting period, with its mitigation."""

    period = models.ForeignKey(
        ReportingPeriod,
        verbose_name=_("reporting period"),
        on_delete=models.CASCADE,
        related_name="risks",
    )
    description = models.TextField(_("risk"), help_text=NO_VICTIM_DETAILS)
    mitigation = models.TextField(_("mitigation"), blank=True, help_text=NO_VICTIM_DETAILS)
    likelihood = models.CharField(
        _("likelihood"), max_length=10, choices=RiskLevel.choices, blank=True
    )
    impact = models.CharField(_("impact"), max_length=10, choices=RiskLevel.choices, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=1)

    class Meta:
        verbose_name = _("risk")
        verbose_name_plural = _("risks")
        ordering = ["period__start_date", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.period} · {self.description[:80]}"
