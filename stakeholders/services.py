"""Writes about institutions and their members."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from stakeholders import object_permissions
from stakeholders.choices import MembershipRole
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


def _username_for(email: str) -> str:
    """The email itself is the username (Django allows @ and dots); numbered if taken."""
    base = email.lower()[:140]
    candidate, n = base, 2
    while User.objects.filter(username__iexact=candidate).exists():
        candidate, n = f"{base}-{n}", n + 1
    return candidate


@transaction.atomic
def member_invite(
    *,
    institution: Institution,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    by: User | None,
) -> Membership:
    """Add a person to an institution by email, making their account if they have none.

    A new account is active but has no usable password, so nobody can sign in with it until
    a password is set for it. Someone who already has an account (the email decides, whatever
    its case) keeps it and their other memberships; a member invited again gets the new role.
    """
    email = User.objects.normalize_email(email.strip())
    validate_email(email)
    if role not in MembershipRole.values:
        raise ValidationError({"role": _("Choose focal point, editor or viewer.")})
    user = User.objects.filter(email__iexact=email).order_by("pk").first()
    if user is None:
        user = User(
            username=_username_for(email),
            email=email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            is_active=True,
        )
        user.set_unusable_password()
        user.full_clean()
        user.save()
    else:
        if (
            by is not None
            and by.pk == user.pk
            and Membership.objects.filter(user=user, institution=institution).exists()
        ):
            raise ValidationError(_("You cannot change your own role; ask another focal point."))
        # Fill in a missing name, never overwrite the one the person gave themselves.
        changed: list[str] = []
        if not user.first_name and first_name.strip():
            user.first_name = first_name.strip()
            changed.append("first_name")
        if not user.last_name and last_name.strip():
            user.last_name = last_name.strip()
            changed.append("last_name")
        if changed:
            user.save(update_fields=changed)
    return membership_set(user=user, institution=institution, role=role)
