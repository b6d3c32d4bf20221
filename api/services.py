"""Writes about API tokens: making, recording use, revoking."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiToken
from stakeholders.models import User

PREFIX_LENGTH = 8
# Recording each use would write on every request; once a minute says enough.
LAST_USED_EVERY = timedelta(minutes=1)


def api_token_digest(clear: str) -> str:
    """What is stored of a token: its SHA-256, in hexadecimal."""
    return hashlib.sha256(clear.encode()).hexdigest()


def api_token_create(*, user: User, name: str, second_factor: bool) -> tuple[ApiToken, str]:
    """A new token for the user; returns it with the token in clear, which is never kept."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Give the token a name.")})
    clear = secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        digest=api_token_digest(clear),
        prefix=clear[:PREFIX_LENGTH],
        second_factor=second_factor,
    )
    token.full_clean()
    token.save()
    return token, clear


def api_token_touch(*, token: ApiToken, now: datetime | None = None) -> None:
    """Record that the token was used, at most once a minute."""
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY:
        return
    # A conditional update: two requests in the same second write once.
    ApiToken.objects.filter(pk=token.pk).exclude(last_used_at__gt=now - LAST_USED_EVERY).update(
        last_used_at=now
    )
    token.last_used_at = now


def api_token_revoke(*, token: ApiToken) -> None:
    """Revoke the token: it answers 401 from the next request on."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
