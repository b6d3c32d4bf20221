"""The one place that talks to django-guardian.

Object permissions are granted to two groups per institution: its members (may view) and
its editors (focal points and editors: may change). Services call ``share`` when a record is
created or its institutions change, and ``membership_sync`` when a membership changes; nothing
grants a permission by hand. The big tables have direct-foreign-key permission models
(TrainingGroupObjectPermission and friends), which guardian finds by itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, QuerySet
from django.db.models.functions import Cast
from guardian.shortcuts import assign_perm, get_groups_with_perms, get_objects_for_user, remove_perm
from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

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


def _granted(grants: QuerySet[Any], content_type: ContentType, codename: str) -> QuerySet[Any]:
    """The keys of the objects these grants (guardian's rows) give the permission on, as the
    model's integer keys: a generic row keeps its object's key as text."""
    grants = grants.filter(permission__content_type=content_type, permission__codename=codename)
    if grants.model.objects.is_generic():
        return grants.filter(content_type=content_type).values(
            key=Cast("object_pk", models.BigIntegerField())
        )
    return grants.values(key=F("content_object_id"))


def objects_with_perm(user: User, queryset: QuerySet[M], perm: str) -> QuerySet[M]:
    """The objects of ``queryset`` the user holds ``perm`` on through an institution (or
    granted to them alone): guardian's ``get_objects_for_user`` without superuser or global
    permissions.

    Written as one semi-join on the key, ``pk IN (granted to the user's groups UNION ALL
    granted to the user)``, where guardian ORs two subqueries, one of them comparing every
    key cast to text: PostgreSQL cannot estimate that OR, takes half a table for allowed, and
    reads what is joined to it (every attendance of every training) in full.
    """
    model = queryset.model
    content_type = ContentType.objects.get_for_model(model)
    app_label, _dot, codename = perm.rpartition(".")
    integer_key = isinstance(model._meta.pk, models.IntegerField)
    if user.is_anonymous or app_label != content_type.app_label or not integer_key:
        # Left to guardian: the anonymous user, a permission of another model (its error),
        # a key that is no integer.
        return get_objects_for_user(
            user,
            perm,
            klass=queryset,
            use_groups=True,
            with_superuser=False,
            accept_global_perms=False,
        )
    # guardian reads a model class as well as an instance (its own query passes the class).
    group_grants = get_group_obj_perms_model(model)  # type: ignore[arg-type]
    user_grants = get_user_obj_perms_model(model)  # type: ignore[arg-type]
    by_group = group_grants._default_manager.filter(group__user=user)
    by_user = user_grants._default_manager.filter(user=user)
    granted = _granted(by_group, content_type, codename).union(
        _granted(by_user, content_type, codename), all=True
    )
    return queryset.filter(pk__in=granted)


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
