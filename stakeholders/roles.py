"""The programme team: a role granted deliberately, and proved with the second factor.

A staff account only opens the Django admin (as far as its model permissions go). Being the
programme team in the portal — every institution's drafts, reviews, imports, rollbacks — takes
the ``stakeholders.programme_team`` permission, which the "Programme team" group carries (a
superuser holds every permission). Even then it counts only in a session verified with the
second factor: until the person types their code, the portal treats them as a plain member.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import Q, QuerySet

from stakeholders.models import User

PROGRAMME_TEAM_PERMISSION = "stakeholders.programme_team"
PROGRAMME_TEAM_GROUP = "Programme team"
# The apps whose records the programme team manages; the group holds all their permissions.
_TEAM_APPS = ("stakeholders", "programme", "trainings", "research", "recommendations")


def holds_programme_team_role(user: Any) -> bool:
    """Whether the account was given the programme team's role (whatever the session)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.has_perm(PROGRAMME_TEAM_PERMISSION))


def session_verified(user: Any) -> bool:
    """Whether the user's session passed the second factor.

    django-otp's middleware gives a request's user ``is_verified``. A user loaded outside a
    request (a job acting for whoever asked for it, a management command) has none: the request
    that queued the job went through the gates already.
    """
    is_verified = getattr(user, "is_verified", None)
    return True if is_verified is None else bool(is_verified())


def needs_second_factor(user: Any) -> bool:
    """Staff (the admin) and the programme team sign in with a code as well as a password."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_staff) or holds_programme_team_role(user)


def programme_team_members() -> QuerySet[User]:
    """Active accounts that hold the programme team's role: its group, the permission given
    to them directly, or a superuser's every permission."""
    permission = _permission()
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions=permission)
            | Q(user_permissions=permission)
        )
        .distinct()
    )


def _permission() -> Permission:
    app_label, codename = PROGRAMME_TEAM_PERMISSION.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def programme_team_group() -> Group:
    """The "Programme team" group with the role and every permission on the programme's
    records; made or brought up to date (after a migration adds models) on every call."""
    group, _created = Group.objects.get_or_create(name=PROGRAMME_TEAM_GROUP)
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=_TEAM_APPS))
    return group


def programme_team_add(*, user: User) -> None:
    """Give an account the programme team's role (the loaders; in production, the admin)."""
    user.groups.add(programme_team_group())
