"""Writes about institutions and their members."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from stakeholders import object_permissions
from stakeholders.models import Institution, Membership, User


@transaction.atomic
def membership_set(*, user: User, institution: Institution, role: str) -> Membership:
    """Make a user a member of an institution with a role, or change their role."""
    membership, _created = Membership.objects.update_or_create(
        user=user, institution=institution, defaults={"role": role}
    )
    membership.full_clean()
    object_permissions.membership_sync(user=user)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by: User | None = None) -> None:
    """End a membership; the user loses what the institution gave them at once."""
    if by is not None and by.pk == membership.user_id:
        raise ValidationError(_("You cannot remove yourself; ask another focal point."))
    user = membership.user
    membership.delete()
    object_permissions.membership_sync(user=user)
