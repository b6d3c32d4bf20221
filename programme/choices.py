from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ActionPointStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_ACTION_POINT_STATUSES = (ActionPointStatus.OPEN, ActionPointStatus.IN_PROGRESS)


class MeetingStatus(models.TextChoices):
    """Whether a steering-committee meeting is still being prepared or has taken place."""

    # The meeting's own words: in Macedonian a meeting (состанок) is masculine, a training not.
    PLANNED = "planned", pgettext_lazy("meeting", "Planned")
    HELD = "held", pgettext_lazy("meeting", "Held")


class MeetingFormat(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")
    HYBRID = "hybrid", _("Hybrid (in person and online)")


class InterventionKind(models.TextChoices):
    CAPACITY_BUILDING = "capacity_building", _("Capacity building")
    RESEARCH = "research", _("Research")
    COOPERATION = "cooperation", _("Co-operation and co-ordination")
    AWARENESS = "awareness", _("Awareness raising")


class IndicatorLevel(models.TextChoices):
    OUTCOME = "outcome", _("Outcome")
    OUTPUT = "output", _("Output")


class IndicatorKind(models.TextChoices):
    COMPUTED = "computed", _("Computed from the platform's records")
    REPORTED = "reported", _("Reported by the responsible institution")


class Direction(models.TextChoices):
    INCREASE = "increase", _("Higher is better")
    DECREASE = "decrease", _("Lower is better")


class Aggregation(models.TextChoices):
    """How an indicator's period values add up to its value to date."""

    SUM = "sum", _("Total of the periods (a person counts once)")
    LATEST = "latest", _("Latest period's value")
    MAXIMUM = "maximum", _("Highest period value")
    AVERAGE = "average", _("Average of the periods (a computed share: of all records)")


class ValueState(models.TextChoices):
    """Where a reported indicator value stands in review; only approved values count."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for revision")
    APPROVED = "approved", _("Approved")


EDITABLE_VALUE_STATES = (ValueState.DRAFT, ValueState.RETURNED)


class IndicatorStatus(models.TextChoices):
    """Whether an indicator is where its targets say it should be by now."""

    ON_TRACK = "on_track", _("On track")
    BEHIND = "behind", _("Behind")
    NO_TARGET = "no_target", _("No target to date")
    NO_DATA = "no_data", _("No data")


class RiskLevel(models.TextChoices):
    """How likely a risk to the action is, or how much harm it would do (the period narrative)."""

    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
