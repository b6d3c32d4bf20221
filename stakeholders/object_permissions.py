"""The one place that talks to django-guardian.

Object permissions are granted to two groups per institution: its members (may view) and
its editors (focal points and editors: may change). Services call ``share`` when a record is
created or its institutions change, and ``membership_sync`` when a membership changes; nothing
grants a permission by hand. The big tables have direct-foreign-key permission models
(TrainingGroupObjectPermission and friends), which guardian finds by itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.contrib.auth.models import Group
from django.db import models
from django.db.models import QuerySet
from guardian.shortcuts import assign_perm, get_groups_with_perms, get_objects_for_user, remove_perm

from stakeholders.choices import MembershipRole
from stakeholders.models import Institution, Membership, User

M = TypeVar("M", bound=models.Model)

_MEMBERS = "members"
_EDITORS = "editors"
_EDIT_ROLES = (MembershipRole.FOCAL_POINT, MembershipRole.EDITOR)


def _group(institution_id: int, level: str) -> Group:
    group, _created = Group.objects.get_or_create(name=f"institution-{institution_id}-{level}")
    return group


def membership_sync(*, user: User) -> None:
    """Put a user in exactly the institution groups their memberships call for."""
    wanted: set[str] = set()
    for institution_id, role in Membership.objects.filter(user=user).values_list(
        "institution_id", "role"
    ):
        wanted.add(_group(institution_id, _MEMBERS).name)
        if role in _EDIT_ROLES:
            wanted.add(_group(institution_id, _EDITORS).name)
    current = user.groups.filter(name__startswith="institution-")
    user.groups.remove(*[g for g in current if g.name not in wanted])
    user.groups.add(*Group.objects.filter(name__in=wanted))


def share(
    obj: models.Model,
    *,
    institutions: Iterable[Institution],
    view: bool = True,
    change: bool = True,
    codename: str | None = None,
) -> None:
    """Grant an object's view and change permissions to these institutions, and only them.

    ``codename`` names one custom permission to grant to the editors instead (for example
    ``report_on_recommendation``).
    """
    meta = obj._meta
    grants: list[tuple[str, str]] = []
    if codename:
        grants.append((codename, _EDITORS))
    else:
        if view:
            grants.append((f"view_{meta.model_name}", _MEMBERS))
        if change:
            grants.append((f"change_{meta.model_name}", _EDITORS))
    ids = {i.pk for i in institutions}
    for perm, level in grants:
        wanted = {_group(pk, level) for pk in ids}
        with_perms: dict[Group, list[str]] = get_groups_with_perms(obj, attach_perms=True)  # type: ignore[assignment]
        have = {
            g
            for g, perms in with_perms.items()
            if perm in perms and g.name.startswith("institution-")
        }
        for group in have - wanted:
            remove_perm(perm, group, obj)
        for group in wanted - have:
            assign_perm(perm, group, obj)


def objects_with_perm(user: User, queryset: QuerySet[M], perm: str) -> QuerySet[M]:
    """The objects of ``queryset`` the user holds ``perm`` on through an institution."""
    return get_objects_for_user(
        user, perm, klass=queryset, use_groups=True, with_superuser=False, accept_global_perms=False
    )


def has_object_perm(user: User, obj: models.Model, perm: str) -> bool:
    """One object's check; never call it in a loop over a list (use objects_with_perm)."""
    model = type(obj)
    return objects_with_perm(user, model._default_manager.filter(pk=obj.pk), perm).exists()


def groups_prune() -> None:
    """Delete the groups (and with them the grants) of institutions that no longer exist."""
    existing = {str(pk) for pk in Institution.objects.values_list("pk", flat=True)}
    stale = [
        g.pk
        for g in Group.objects.filter(name__startswith="institution-")
        if g.name.split("-")[1] not in existing
    ]
    Group.objects.filter(pk__in=stale).delete()
