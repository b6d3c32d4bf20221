"""Choices and constants of the notifications: how often people want email, what a notice is."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Frequency(models.TextChoices):
    """How often someone wants email about their notifications."""

    IMMEDIATELY = "immediately", _("Immediately: one email for each notification")
    DAILY = "daily", _("Once a day: one digest email")
    WEEKLY = "weekly", _("Once a week: one digest email on Monday")
    OFF = "off", _("Never: only on the notifications page")


DEFAULT_FREQUENCY = Frequency.DAILY


class NotificationKind(models.TextChoices):
    UPDATE_DUE = "update_due", _("Progress updates due")
    UPDATE_SUBMITTED = "update_submitted", _("Progress update to review")
    UPDATE_RETURNED = "update_returned", _("Progress update returned")
    UPDATE_APPROVED = "update_approved", _("Progress update approved")
    VALUE_DUE = "value_due", _("Indicator values due")
    VALUE_SUBMITTED = "value_submitted", _("Indicator value to review")
    VALUE_RETURNED = "value_returned", _("Indicator value returned")
    VALUE_APPROVED = "value_approved", _("Indicator value approved")
    ACTION_POINT_DUE = "action_point_due", _("Action point due")
    TRAINING_STARTS = "training_starts", _("Training about to start")
    TRAINING_RECORD = "training_record", _("Training record to complete")
    STUDY_DUE = "study_due", _("Research milestone")
    REPORT_FINISHED = "report_finished", _("Report finished")


class ReminderStage(models.TextChoices):
    """Where a due date stands on the day the reminders run."""

    BEFORE = "before", _("Due soon")
    DUE = "due", _("Due today")
    OVERDUE = "overdue", _("Overdue")
    ESCALATED = "escalated", _("Overdue: escalated to the programme team")


class NotificationEmailState(models.TextChoices):
    """Whether a notification went out by email, alone or in a digest."""

    PENDING = "pending", _("Waiting for the next digest")
    EMAILED = "emailed", _("Emailed")
    SKIPPED = "skipped", _("Not emailed (the recipient's choice)")


# Days before a due date that the first notice goes out, per kind of deadline.
NOTICE_DAYS_UPDATES = 14
NOTICE_DAYS_VALUES = 14
NOTICE_DAYS_ACTION_POINTS = 7
NOTICE_DAYS_STUDIES = 14
NOTICE_DAYS_TRAININGS = 7
# Overdue this many days, a reminder goes to the programme team instead of the institution.
ESCALATE_AFTER_DAYS = 14
# Deadlines further back than this are not reminded of any more.
REMIND_FOR_DAYS = 90
