"""Notifications, each person's choice of email, and the outbox of emails still to send."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from config.basemodels import TimeStamped
from programme.notifications.choices import (
    DEFAULT_FREQUENCY,
    EmailStatus,
    Frequency,
    NotificationEmailState,
    NotificationKind,
    ReminderStage,
)


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
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user}: {self.get_frequency_display()}"


class OutboxEmail(models.Model):
    """An email the platform must send, kept until it is sent so that nothing is lost.

    Most are stored whole. An account email (a password reset, an invitation) is stored as
    what to make it from (``build`` and ``build_args``) and made only when it is sent, so that
    its one-time link is never kept in the database; it holds no body before or after.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="outbox_emails",
    )
    to = models.EmailField(_("to"))
    key = models.CharField(
        _("key"),
        max_length=200,
        unique=True,
        help_text=_("What the email is; an email with the same key is never made twice."),
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    build = models.CharField(
        _("made when sent as"),
        max_length=40,
        blank=True,
        help_text=_(
            "Empty for an email stored whole; else the kind of email made when it is sent."
        ),
    )
    build_args = models.JSONField(
        _("made from"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    status = models.CharField(
        _("status"), max_length=20, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("tries"), default=0)
    next_attempt_at = models.DateTimeField(_("next try"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


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
        OutboxEmail,
        verbose_name=_("sent in"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )

    class Meta:
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
    def text(self) -> str:
        """What the notification says, in the active language."""
        p = {key: value for key, value in self.params.items() if not key.endswith("_date")}
        for key, value in self.params.items():
            if key.endswith("_date") and value:
                p[key] = date_format(date.fromisoformat(value), "DATE_FORMAT")
        variant = self.stage or str(self.params.get("status", ""))
        template = _TEXTS.get((self.kind, variant)) or _TEXTS.get((self.kind, ""))
        if template is None:
            return str(self.get_kind_display())
        try:
            return gettext(template) % p
        except (KeyError, TypeError, ValueError):
            return str(self.get_kind_display())


# (kind, stage or status) -> text, translated when shown in the reader's language; the second
# part is empty for notices that are neither about a deadline nor about how a job ended.
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
    (NotificationKind.REPORT_FINISHED, "done"): gettext_noop("Your report is ready: %(report)s."),
    (NotificationKind.REPORT_FINISHED, "failed"): gettext_noop(
        "Your report could not be made: %(report)s. %(reason)s"
    ),
}
