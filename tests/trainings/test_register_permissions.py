"""The register's permission query and its training filter at scale: who may see
which training is one semi-join on the key (``object_permissions.objects_with_perm``), the
same objects as guardian's own query for every persona, model and permission, grants to a
group and to a user alike; and the training filter read from one digest of its trainings."""

from __future__ import annotations

from typing import Any, cast

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.db.models import Model, QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from guardian.shortcuts import assign_perm, get_objects_for_user, remove_perm

from core.collation import ICU_COLLATIONS, alphabetical
from programme.models import ActionPoint
from recommendations.models import ProgressUpdate, Recommendation
from stakeholders import object_permissions
from stakeholders.models import Institution, User
from tests.factories import TrainingFactory
from trainings.models import Training
from trainings.permissions import participants_in_register_for, trainings_editable_by
from trainings.registry_selectors import (
    register_institution_choices,
    register_training_choices,
    register_trainings,
)

pytestmark = pytest.mark.django_db

PERMS: list[tuple[type[Model], str]] = [
    (Training, "trainings.view_training"),
    (Training, "trainings.change_training"),
    (Recommendation, "recommendations.view_recommendation"),
    (Recommendation, "recommendations.report_on_recommendation"),
    (ProgressUpdate, "recommendations.change_progressupdate"),
    (ActionPoint, "programme.view_actionpoint"),
    # A model without a permission model of its own: guardian's generic rows.
    (Institution, "stakeholders.change_institution"),
]


def _guardian(user: User, queryset: QuerySet[Any], perm: str) -> set[int]:
    """What guardian's own query gives, as ``objects_with_perm`` gave it before."""
    found = get_objects_for_user(
        user, perm, klass=queryset, use_groups=True, with_superuser=False, accept_global_perms=False
    )
    return set(found.values_list("pk", flat=True))


def _ours(user: User, queryset: QuerySet[Any], perm: str) -> set[int]:
    return set(
        object_permissions.objects_with_perm(user, queryset, perm).values_list("pk", flat=True)
    )


def test_the_objects_with_a_permission_are_guardian_s_for_every_persona(
    demo: dict[str, User],
) -> None:
    institution = Institution.objects.order_by("pk").first()
    training = Training.objects.order_by("pk").last()
    assert institution is not None and training is not None
    # Grants to one user besides those to the groups, on a table with a permission model of
    # its own and on one with guardian's generic rows.
    assign_perm("trainings.change_training", demo["demo-cso-b"], training)
    assign_perm("stakeholders.change_institution", demo["demo-cso-a"], institution)
    compared = 0
    for user in demo.values():
        for model, perm in PERMS:
            queryset = model._default_manager.all()
            expected = _guardian(user, queryset, perm)
            assert _ours(user, queryset, perm) == expected, (user.username, perm)
            compared += bool(expected)
    assert compared >= 6  # the demo grants most of these to someone
    # Narrowed querysets stay narrowed.
    some = Training.objects.filter(pk__in=[training.pk])
    assert _ours(demo["demo-cso-b"], some, "trainings.change_training") == {training.pk}
    assert not _ours(demo["demo-cso-b"], Training.objects.none(), "trainings.change_training")


def test_a_grant_takes_effect_and_ends_at_once(demo: dict[str, User]) -> None:
    user = demo["demo-cso-b"]
    training = Training.objects.exclude(pk__in=trainings_editable_by(user).values("pk")).first()
    assert training is not None
    group = Group.objects.create(name="a group of its own")
    user.groups.add(group)
    for grantee in (group, user):
        assign_perm("trainings.change_training", grantee, training)
        assert trainings_editable_by(user).filter(pk=training.pk).exists()
        remove_perm("trainings.change_training", grantee, training)
        assert not trainings_editable_by(user).filter(pk=training.pk).exists()
    # A grant on another model's object of the same key gives nothing here.
    namesake = Training.objects.exclude(pk__in=trainings_editable_by(user).values("pk")).filter(
        pk__in=Institution.objects.values("pk")
    )[0]
    assign_perm("stakeholders.change_institution", user, Institution.objects.get(pk=namesake.pk))
    assign_perm("stakeholders.change_institution", group, Institution.objects.get(pk=namesake.pk))
    assert not trainings_editable_by(user).filter(pk=namesake.pk).exists()


def test_the_permission_query_is_one_semi_join_on_the_key(demo: dict[str, User]) -> None:
    """No OR of two subqueries and no key cast to text: PostgreSQL can estimate it, and
    reads a training's attendance from the index instead of every attendance."""
    sql = str(participants_in_register_for(demo["demo-cso-a"]).query)
    assert "UNION ALL" in sql
    assert "::varchar" not in sql and "::text" not in sql
    assert sql.count(" OR ") == 1  # the register's own rule: attended, or registered


# --- The training filter -------------------------------------------------------------------


def test_the_training_filter_is_read_from_one_digest_once_named(demo: dict[str, User]) -> None:
    cache.clear()
    for user in (demo["demo-admin"], demo["demo-cso-a"]):
        for code in ICU_COLLATIONS:
            with translation.override(code):
                named = register_training_choices(by=user)
                expected = [(t.pk, str(t)) for t in register_trainings(by=user)]
                assert named == expected, (user.username, code)
                with CaptureQueriesContext(connection) as captured:
                    assert register_training_choices(by=user) == expected
                assert len(captured) == 1
                assert "hashtextextended" in captured[0]["sql"]


def test_the_training_filter_follows_every_change_to_its_trainings(demo: dict[str, User]) -> None:
    cache.clear()
    user = demo["demo-cso-a"]

    def named() -> list[tuple[int, str]]:
        choices = register_training_choices(by=user)
        assert choices == [(t.pk, str(t)) for t in register_trainings(by=user)]
        return choices

    first = register_trainings(by=user).first()
    assert first is not None
    seen = [named()]
    # Written past the services, as an import or a shell may: only the rows change.
    changes: list[dict[str, Any]] = [
        {"title_en": "Renamed: victims, & their referral"},
        {"city": "", "venue": "Skopje, the old hall"},
        {"start_date": None, "end_date": None},
    ]
    for change in changes:
        Training.objects.filter(pk=first.pk).update(**change)
        with translation.override("mk"):
            named()
        seen.append(named())
        assert seen[-1] != seen[-2], change
    # A training the user may no longer change leaves the filter; a new one joins it.
    organiser = Institution.objects.get(pk=user.memberships.values("institution")[:1])
    new = cast(
        Training, TrainingFactory(organiser=organiser, action=first.action, title="Newly organised")
    )
    assert new.pk not in dict(named())
    object_permissions.share(new, institutions=[organiser])
    assert new.pk in dict(named())
    object_permissions.share(new, institutions=[])
    assert new.pk not in dict(named())


def test_the_institution_filter_names_each_institution_as_it_is_now(
    demo: dict[str, User],
) -> None:
    """In each language, from what was kept, and anew once an institution is renamed."""
    cache.clear()
    institution = Institution.objects.order_by("pk").first()
    assert institution is not None

    def named() -> list[tuple[int, str]]:
        choices = register_institution_choices()
        assert choices == [
            (i.pk, str(i)) for i in Institution.objects.order_by(alphabetical("name"))
        ]
        return choices

    for code in ICU_COLLATIONS:
        with translation.override(code):
            before = named()
            with CaptureQueriesContext(connection) as captured:
                assert named() == before
            # The digest (the list itself kept), and the list it is compared with here.
            assert len(captured) == 2
            Institution.objects.filter(pk=institution.pk).update(
                **{f"short_name_{code}": f"Renamed, {code}", "short_name_en": "Renamed, en"}
            )
            assert named() != before, code
