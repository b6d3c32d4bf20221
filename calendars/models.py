from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.basemodels import TimeStamped


class CalendarAddress(TimeStamped):
    """A person's private calendar address: only the hash of its secret part is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="calendar_addresses",
    )
    # sha256 of the token in the address: whoever reads the database cannot rebuild it.
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    revoked_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar address")
        verbose_name_plural = _("calendar addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(revoked_at__isnull=True),
                name="calendar_address_one_active_per_user",
                violation_error_message=_("This person already has a calendar address."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


def token_hash(token: str) -> str:
    """What is kept of an address's token: its SHA-256, in hexadecimal."""
    return hashlib.sha256(token.encode()).hexdigest()
