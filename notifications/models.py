"""Notifications, each person's choice of email, and the outbox of emails still to send."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from core.basemodels import TimeStamped
from notifications.choices import (
    DEFAULT_FREQUENCY,
    Frequency,
    NotificationEmailState,
    NotificationKind,
    ReminderStage,
)
from recommendations.choices import OwedState


class NotificationPreference(TimeStamped):
    """How often a person wants email about their notifications."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    frequency = models.CharField(
        _("email"), max_length=20, choices=Frequency.choices, default=DEFAULT_FREQUENCY
    )

    class Meta:
        db_table = "programme_notificationpreference"  # the table it had before the app of its own
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user}: {self.get_frequency_display()}"


class Notification(models.Model):
    """Something the platform tells one person: a deadline, a review step, a finished report."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=30, choices=NotificationKind.choices)
    stage = models.CharField(_("stage"), max_length=20, choices=ReminderStage.choices, blank=True)
    key = models.CharField(
        _("key"),
        max_length=200,
        help_text=_("What the notification is about; nobody is told the same thing twice."),
    )
    params = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    url = models.CharField(_("link"), max_length=500)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_state = models.CharField(
        _("email"),
        max_length=20,
        choices=NotificationEmailState.choices,
        default=NotificationEmailState.PENDING,
    )
    email = models.ForeignKey(
        "core.OutboxEmail",
        verbose_name=_("sent in"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )

    class Meta:
        db_table = "programme_notification"  # the table it had before the app of its own
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["email_state", "recipient"], name="notification_email_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"],
                name="notification_unique_key",
                violation_error_message=_("This person was already told about this."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.key}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def comment(self) -> str:
        """The reviewer's comment a reviewed update or value came with, word for word."""
        return str(self.params.get("comment") or "")

    @property
    def text(self) -> str:
        """What the notification says, in the active language."""
        p = {key: value for key, value in self.params.items() if not key.endswith("_date")}
        names = self.params.get("institution_names")
        if isinstance(names, dict):
            p["institution"] = names.get(get_language()) or p.get("institution", "")
        for key, value in self.params.items():
            if key.endswith("_date") and value:
                p[key] = date_format(date.fromisoformat(value), "DATE_FORMAT")
        variant = self.stage or str(self.params.get("status", ""))
        template = _TEXTS.get((self.kind, variant)) or _TEXTS.get((self.kind, ""))
        if template is None:
            return str(self.get_kind_display())
        try:
            text = gettext(template) % p
        except (KeyError, TypeError, ValueError):
            return str(self.get_kind_display())
        if self.kind == NotificationKind.UPDATE_DUE and self.params.get("returned"):
            text += " " + gettext("Recommendations %(numbers)s: %(state)s.") % {
                "numbers": self.params["returned"],
                "state": OwedState.RETURNED.label,
            }
        return text


# (kind, stage or status) -> text, translated when shown in the reader's language; the second
# part is empty for notices that are neither about a deadline nor about how a job ended. An
# indicator value that the programme team enters has the status "team": no institution named.
_TEXTS: dict[tuple[str, str], str] = {
    (NotificationKind.UPDATE_DUE, ReminderStage.BEFORE): gettext_noop(
        "Progress updates for %(period)s are due on %(due_date)s: %(institution)s, "
        "recommendations %(numbers)s."
    ),
    (NotificationKind.UPDATE_DUE, ReminderStage.DUE): gettext_noop(
        "Progress updates for %(period)s are due today: %(institution)s, "
        "recommendations %(numbers)s."
    ),
    (NotificationKind.UPDATE_DUE, ReminderStage.OVERDUE): gettext_noop(
        "Progress updates for %(period)s were due on %(due_date)s and are overdue: "
        "%(institution)s, recommendations %(numbers)s."
    ),
    (NotificationKind.UPDATE_DUE, ReminderStage.ESCALATED): gettext_noop(
        "%(institution)s has not reported on recommendations %(numbers)s for %(period)s, "
        "due on %(due_date)s."
    ),
    (NotificationKind.ACTION_POINT_DUE, ReminderStage.BEFORE): gettext_noop(
        "Action point due on %(due_date)s (%(institution)s): %(description)s"
    ),
    (NotificationKind.ACTION_POINT_DUE, ReminderStage.DUE): gettext_noop(
        "Action point due today (%(institution)s): %(description)s"
    ),
    (NotificationKind.ACTION_POINT_DUE, ReminderStage.OVERDUE): gettext_noop(
        "Action point overdue since %(due_date)s (%(institution)s): %(description)s"
    ),
    (NotificationKind.ACTION_POINT_DUE, ReminderStage.ESCALATED): gettext_noop(
        "%(institution)s's action point is overdue since %(due_date)s: %(description)s"
    ),
    (NotificationKind.TRAINING_STARTS, ""): gettext_noop(
        "The training “%(title)s” starts on %(start_date)s."
    ),
    (NotificationKind.TRAINING_RECORD, ""): gettext_noop(
        "The training “%(title)s” has been held: record who attended and their scores."
    ),
    (NotificationKind.STUDY_DUE, ReminderStage.BEFORE): gettext_noop(
        "The study “%(title)s” is due on %(due_date)s."
    ),
    (NotificationKind.STUDY_DUE, ReminderStage.DUE): gettext_noop(
        "The study “%(title)s” is due today."
    ),
    (NotificationKind.STUDY_DUE, ReminderStage.OVERDUE): gettext_noop(
        "The study “%(title)s” was due on %(due_date)s and is overdue."
    ),
    (NotificationKind.STUDY_DUE, ReminderStage.ESCALATED): gettext_noop(
        "The study “%(title)s” was due on %(due_date)s and is overdue."
    ),
    (NotificationKind.UPDATE_SUBMITTED, ""): gettext_noop(
        "%(institution)s submitted its update on recommendation %(number)s (%(period)s) for review."
    ),
    (NotificationKind.UPDATE_RETURNED, ""): gettext_noop(
        "The update of %(institution)s on recommendation %(number)s (%(period)s) was "
        "returned for revision."
    ),
    (NotificationKind.UPDATE_APPROVED, ""): gettext_noop(
        "The update of %(institution)s on recommendation %(number)s (%(period)s) was approved."
    ),
    (NotificationKind.VALUE_DUE, ReminderStage.BEFORE): gettext_noop(
        "Indicator values for %(period)s are due on %(due_date)s: %(institution)s, "
        "indicators %(codes)s."
    ),
    (NotificationKind.VALUE_DUE, ReminderStage.DUE): gettext_noop(
        "Indicator values for %(period)s are due today: %(institution)s, indicators %(codes)s."
    ),
    (NotificationKind.VALUE_DUE, ReminderStage.OVERDUE): gettext_noop(
        "Indicator values for %(period)s were due on %(due_date)s and are overdue: "
        "%(institution)s, indicators %(codes)s."
    ),
    (NotificationKind.VALUE_DUE, ReminderStage.ESCALATED): gettext_noop(
        "%(institution)s has not reported the values of indicators %(codes)s for %(period)s, "
        "due on %(due_date)s."
    ),
    (NotificationKind.VALUE_SUBMITTED, ""): gettext_noop(
        "%(institution)s submitted the value of indicator %(indicator)s (%(period)s) for review."
    ),
    (NotificationKind.VALUE_SUBMITTED, "team"): gettext_noop(
        "The value of indicator %(indicator)s (%(period)s) was submitted for review."
    ),
    (NotificationKind.VALUE_RETURNED, ""): gettext_noop(
        "The value of indicator %(indicator)s (%(period)s) reported by %(institution)s was "
        "returned for revision."
    ),
    (NotificationKind.VALUE_RETURNED, "team"): gettext_noop(
        "The value of indicator %(indicator)s (%(period)s) was returned for revision."
    ),
    (NotificationKind.VALUE_APPROVED, ""): gettext_noop(
        "The value of indicator %(indicator)s (%(period)s) reported by %(institution)s was "
        "approved."
    ),
    (NotificationKind.VALUE_APPROVED, "team"): gettext_noop(
        "The value of indicator %(indicator)s (%(period)s) was approved."
    ),
    (NotificationKind.REPORT_FINISHED, "done"): gettext_noop("Your report is ready: %(report)s."),
    (NotificationKind.REPORT_FINISHED, "failed"): gettext_noop(
        "Your report could not be made: %(report)s. %(reason)s"
    ),
}
