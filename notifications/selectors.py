"""Reads for the notifications: whom to tell, what they have been told, what is still to send."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from notifications.choices import DEFAULT_FREQUENCY
from notifications.models import Notification, NotificationPreference
from stakeholders.choices import MembershipRole
from stakeholders.models import User
from stakeholders.roles import programme_team_members

EDIT_ROLES = (MembershipRole.FOCAL_POINT, MembershipRole.EDITOR)


def notifications_for(*, user: User) -> QuerySet[Notification]:
    """The user's own notifications, newest first: the gate every notifications view uses."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def notifications_unread(*, user: User) -> QuerySet[Notification]:
    """The user's notifications not opened yet: the header's count."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True)


def notifications_unread_count(*, user: User) -> int:
    return notifications_unread(user=user).count()


def frequency_of(*, user: User) -> str:
    """How often the user wants email; the default until they choose."""
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference.frequency if preference else str(DEFAULT_FREQUENCY)


def institution_members(
    *, institution_ids: Iterable[int], roles: Iterable[str] = EDIT_ROLES
) -> list[User]:
    """Active members of the institutions with one of the roles, each once."""
    return list(
        User.objects.filter(
            is_active=True,
            memberships__institution_id__in=list(institution_ids),
            memberships__role__in=list(roles),
        )
        .distinct()
        .order_by("pk")
    )


def focal_points_or_editors(*, institution_id: int) -> list[User]:
    """Whom an overdue reminder goes to: the focal points, or the editors where there is none."""
    return institution_members(
        institution_ids=[institution_id], roles=[MembershipRole.FOCAL_POINT]
    ) or institution_members(institution_ids=[institution_id])


def programme_team() -> list[User]:
    """The programme team: the accounts given its role (stakeholders.roles)."""
    return list(programme_team_members().order_by("pk"))
