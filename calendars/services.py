"""Writes for calendar addresses: create (replacing the old one), stop, note a use."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from calendars.choices import LAST_USED_PRECISION, TOKEN_BYTES
from calendars.models import CalendarAddress, token_hash
from stakeholders.models import User


@dataclass(frozen=True)
class NewAddress:
    """A calendar address just made, with the token shown once and never stored."""

    address: CalendarAddress
    token: str


@transaction.atomic
def calendar_address_create(*, user: User) -> NewAddress:
    """Give the user a new calendar address; the one they had stops working at once."""
    # The user's row is locked so that two requests at once leave one active address.
    User.objects.select_for_update().filter(pk=user.pk).first()
    now = timezone.now()
    CalendarAddress.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=now, updated_at=now
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    address = CalendarAddress(user=user, token_hash=token_hash(token))
    address.full_clean()
    address.save()
    return NewAddress(address=address, token=token)


@transaction.atomic
def calendar_address_revoke(*, user: User) -> int:
    """Stop the user's calendar address: it answers 404 from now on. Returns how many
    addresses were stopped (0 when there was none)."""
    now = timezone.now()
    return CalendarAddress.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=now, updated_at=now
    )


def calendar_address_used(*, address: CalendarAddress, now: datetime | None = None) -> bool:
    """Note that a calendar fetched the address: at most one write an hour, whatever the
    number of fetches. Returns whether it wrote."""
    now = now or timezone.now()
    if address.last_used_at is not None and now - address.last_used_at < LAST_USED_PRECISION:
        return False
    # Conditional, so calendars fetching at the same moment write once between them.
    written = (
        CalendarAddress.objects.filter(pk=address.pk)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_PRECISION))
        .update(last_used_at=now)
    )
    address.last_used_at = now
    return bool(written)
