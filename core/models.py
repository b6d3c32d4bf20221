"""The platform's own records: the email outbox and where each translated text comes from."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.choices import EmailStatus, TextOrigin


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
        db_table = "programme_outboxemail"  # the table it had before the app of its own
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class TextProvenance(models.Model):
    """Where one translatable text of one record, in one language, comes from.

    A text without a row here is the official wording (the English originals, and what an
    administrator types in a language). A working or machine translation says so on every
    page and PDF that shows it, with the source text one click away.
    """

    content_type = models.ForeignKey(
        ContentType, verbose_name=_("kind of record"), on_delete=models.CASCADE
    )
    object_id = models.PositiveBigIntegerField(_("record"))
    field = models.CharField(_("field"), max_length=60)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    origin = models.CharField(_("origin"), max_length=10, choices=TextOrigin.choices)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("text provenance")
        verbose_name_plural = _("text provenances")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "field", "language"],
                name="text_provenance_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.content_type.model} {self.object_id} {self.field} [{self.language}]"
