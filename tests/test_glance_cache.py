"""The dashboard's "at a glance" figures are kept in the cache, renewed by every change the
services make to what they count, labelled in the reader's language, and counted directly when
the cache cannot be reached."""

from __future__ import annotations

import logging
import socket
from datetime import date
from typing import Any

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import translation

from dashboard import glance
from dashboard.selectors import programme_glance
from programme.models import Action, ReportingPeriod
from recommendations.choices import ImplementationStatus, UpdateState
from recommendations.models import Recommendation
from recommendations.services import (
    progress_update_approve,
    progress_update_create,
    progress_update_submit,
)
from stakeholders.choices import Sex
from stakeholders.models import Institution, ProfessionalGroup
from tests.test_settings import PRODUCTION, load_settings
from trainings.choices import TrainingStatus
from trainings.models import Topic, Training
from trainings.services import training_create, training_participant_add

pytestmark = pytest.mark.django_db


def _dashboard(client: Any, user: Any) -> Any:
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.context["glance"]


def _held_training_with_a_new_participant(demo: dict[str, Any], title: str) -> Training:
    """A held training the ministry logs, with one participant new to the register, through
    the services the portal's pages call."""
    ministry = Institution.objects.get(code="mspdy")
    training = training_create(
        by=demo["demo-ministry"],
        action=Action.objects.get(),
        title=title,
        organiser=ministry,
        topics=[Topic.objects.order_by("pk")[0]],
        status=TrainingStatus.HELD,
        start_date=date(2026, 3, 2),
        end_date=date(2026, 3, 2),
    )
    training_participant_add(
        training=training,
        by=demo["demo-ministry"],
        full_name=f"Participant of {title}",
        sex=Sex.FEMALE,
        professional_group=ProfessionalGroup.objects.order_by("pk")[0],
        institution=ministry,
        position="",
        email="",
        consent=False,
        consent_date=None,
        pre_score=None,
        post_score=None,
    )
    return training


def _by_sex(figures: Any) -> dict[str, int]:
    return {bar.label: bar.value for bar in figures.participants_by_sex}


def test_the_figures_are_kept_so_a_second_read_runs_no_query(
    demo, django_assert_num_queries
) -> None:
    action = Action.objects.get()
    first = programme_glance(action=action)
    with django_assert_num_queries(0):
        second = programme_glance(action=action)
    assert second == first
    assert first.trainings_held > 0 and first.participants > 0
    # The dated figures (a committee report's) are kept apart from today's.
    early = programme_glance(action=action, until=date(2024, 6, 30))
    assert early.trainings_held < first.trainings_held
    with django_assert_num_queries(0):
        assert programme_glance(action=action, until=date(2024, 6, 30)) == early


def test_a_training_and_its_attendance_show_on_the_next_dashboard(client, demo) -> None:
    client.force_login(demo["demo-observer"])
    before = client.get("/").context  # kept from here on
    _held_training_with_a_new_participant(demo, "Kept figures renewed")
    after = client.get("/").context
    assert after["glance"].trainings_held == before["glance"].trainings_held + 1
    assert after["glance"].participants == before["glance"].participants + 1
    assert _by_sex(after["glance"])["Female"] == _by_sex(before["glance"])["Female"] + 1
    assert after["overview"].participants == before["overview"].participants + 1


def test_figures_kept_while_the_change_was_uncommitted_are_retired_on_commit(
    demo, django_capture_on_commit_callbacks
) -> None:
    """Another request may count between the change and its commit, seeing the data as it was,
    and keep those figures: the version moves again once the change is committed."""
    action = Action.objects.get()
    before = glance.glance_count(action=action)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _held_training_with_a_new_participant(demo, "Counted meanwhile")
        version = glance._version()
        assert version is not None
        cache.set(glance._key(action=action, until=None, version=version), before)
        assert programme_glance(action=action).trainings_held == before["trainings_held"]
    assert callbacks, "the services ask for the figures to be renewed on commit"
    assert programme_glance(action=action).trainings_held == before["trainings_held"] + 1


def test_an_approved_update_moves_its_recommendation_between_statuses(client, demo) -> None:
    rec = (
        Recommendation.objects.filter(assignments__isnull=False)
        .exclude(updates__state=UpdateState.APPROVED)
        .order_by("number")
        .first()
    )
    assert rec is not None, "the demo leaves some recommendation without an approved update"
    institution = rec.assignments.order_by("pk")[0].institution
    period = ReportingPeriod.objects.create(
        action=Action.objects.get(),
        name="Glance test period",
        start_date=date(2025, 1, 1),
        end_date=date(2025, 6, 30),
        due_date=date(2025, 7, 15),
    )
    admin = demo["demo-admin"]
    update = progress_update_create(
        recommendation=rec,
        institution=institution,
        period=period,
        status=ImplementationStatus.IMPLEMENTED,
        narrative="Done.",
        by=admin,
    )
    progress_update_submit(update=update, by=admin)

    def by_status() -> dict[str, int]:
        figures = _dashboard(client, demo["demo-observer"])
        return {bar.label: bar.value for bar in figures.recommendations_by_status}

    before = by_status()  # kept: a submitted update counts for nothing yet
    progress_update_approve(update=update, by=admin)
    after = by_status()
    assert after["Not yet assessed"] == before["Not yet assessed"] - 1
    assert after["Fully implemented"] == before["Fully implemented"] + 1


def test_labels_follow_the_language_and_every_language_shares_the_kept_figures(
    demo, django_assert_num_queries
) -> None:
    action = Action.objects.get()
    group = ProfessionalGroup.objects.get(pk=_held_group(action))
    with translation.override("en"):
        english = programme_glance(action=action)
    labels = {}
    for language in ("mk", "sq", "en"):
        with translation.override(language), django_assert_num_queries(0):
            shown = programme_glance(action=action)
            assert [b.value for b in shown.participants_by_sex] == [
                b.value for b in english.participants_by_sex
            ]
            assert shown.participants_by_sex[0].label == str(Sex.FEMALE.label)
            names = [g for g, _w, _m, _t in shown.participants_by_group]
            assert getattr(group, f"name_{language}") in names
            labels[language] = shown.participants_by_sex[0].label
    assert len(set(labels.values())) == 3, labels  # three languages, three labels


def _held_group(action: Action) -> int:
    """A profession someone who attended a held training belongs to, named in every language."""
    from trainings.models import Participant

    group_id = (
        Participant.objects.filter(
            attendance__training__action=action,
            attendance__training__status=TrainingStatus.HELD,
            professional_group__name_mk__gt="",
            professional_group__name_sq__gt="",
        )
        .values_list("professional_group_id", flat=True)
        .first()
    )
    assert group_id is not None
    return int(group_id)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_cache_leaves_the_dashboard_working(client, demo, caplog) -> None:
    action = Action.objects.get()
    expected = glance.glance_count(action=action)
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    with override_settings(CACHES=unreachable), caplog.at_level(logging.WARNING):
        figures = _dashboard(client, demo["demo-observer"])
        glance.glance_invalidate()  # a service's write goes through as well
    assert figures.trainings_held == expected["trainings_held"]
    assert figures.participants == expected["participants"]
    assert any("cache unreachable" in r.getMessage() for r in caplog.records)


def test_an_admin_deletion_shows_on_the_next_dashboard(client, admin_client, demo) -> None:
    from trainings.models import Attendance

    training = _held_training_with_a_new_participant(demo, "Deleted in the admin")
    attendance = Attendance.objects.get(training=training)
    before = _dashboard(client, demo["demo-observer"])
    response = admin_client.post(
        f"/admin/trainings/attendance/{attendance.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Attendance.objects.filter(pk=attendance.pk).exists()
    after = _dashboard(client, demo["demo-observer"])
    assert after.participants == before.participants - 1


def test_the_cache_is_redis_when_redis_is_configured_and_in_process_otherwise() -> None:
    show = "import django; django.setup(); from django.conf import settings; "
    show += "print(settings.CACHES['default']['BACKEND'], settings.GLANCE_CACHE_SECONDS)"
    with_redis = load_settings({**PRODUCTION, "GLANCE_CACHE_SECONDS": "60"}, show)
    assert with_redis.returncode == 0, with_redis.stderr
    assert with_redis.stdout.split() == ["django.core.cache.backends.redis.RedisCache", "60"]
    without = load_settings({k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"}, show)
    assert without.returncode == 0, without.stderr
    assert without.stdout.split() == ["django.core.cache.backends.locmem.LocMemCache", "300"]
    bad = load_settings({**PRODUCTION, "GLANCE_CACHE_SECONDS": "soon"})
    assert bad.returncode != 0 and "GLANCE_CACHE_SECONDS" in bad.stderr


def test_a_profession_renamed_in_the_admin_shows_on_the_next_dashboard(
    client, admin_client, demo
) -> None:
    """The glance keeps numbers by group and names the groups from the kept names: a group
    renamed in the admin is named anew at once, not after the cache's timeout."""
    before = _dashboard(client, demo["demo-observer"])
    shown = {name for name, *_counts in before.participants_by_group}
    group = next(g for g in ProfessionalGroup.objects.all() if g.name_en in shown)
    response = admin_client.post(
        f"/admin/stakeholders/professionalgroup/{group.pk}/change/",
        {
            "name_en": "Labour inspectors (renamed)",
            "name_mk": group.name_mk or "",
            "name_sq": group.name_sq or "",
            "slug": group.slug,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    after = _dashboard(client, demo["demo-observer"])
    names = {name for name, *_counts in after.participants_by_group}
    assert "Labour inspectors (renamed)" in names and group.name_en not in names


def test_a_bulk_write_its_service_announces_shows_on_the_next_dashboard(client, demo) -> None:
    """A write that saves no instance (QuerySet.update) is followed by rows_changed: the one
    receiver renews the figures as it does for a save."""
    from core.signals import rows_changed
    from trainings.models import Participant

    before = _dashboard(client, demo["demo-observer"])
    women = dict((b.label, b.value) for b in before.participants_by_sex)[str(Sex.FEMALE.label)]
    assert women > 0
    Participant.objects.filter(sex=Sex.FEMALE).update(sex=Sex.MALE)
    kept = _dashboard(client, demo["demo-observer"])
    assert dict((b.label, b.value) for b in kept.participants_by_sex)[str(Sex.FEMALE.label)] > 0
    rows_changed.send(sender=Participant)
    after = _dashboard(client, demo["demo-observer"])
    assert dict((b.label, b.value) for b in after.participants_by_sex)[str(Sex.FEMALE.label)] == 0


def test_groups_of_the_same_size_follow_the_readers_alphabet(demo) -> None:
    """Largest first; groups of one size by name in the reader's alphabet: in Macedonian Б
    before Ќ, which the code points put the other way round."""
    from tests.factories import ProfessionalGroupFactory

    training = _held_training_with_a_new_participant(demo, "Two new professions")
    ministry = Institution.objects.get(code="mspdy")
    for name_en, name_mk in (("Inspectors of trade", "Ќерамичари"), ("Border guards", "Бранители")):
        training_participant_add(
            training=training,
            by=demo["demo-ministry"],
            full_name=f"Member of {name_en}",
            sex=Sex.MALE,
            professional_group=ProfessionalGroupFactory.create(name_en=name_en, name_mk=name_mk),
            institution=ministry,
            position="",
            email="",
            consent=False,
            consent_date=None,
            pre_score=None,
            post_score=None,
        )
    with translation.override("mk"):
        names = [
            name
            for name, *_counts in programme_glance(
                action=Action.objects.get()
            ).participants_by_group
        ]
    assert names.index("Бранители") < names.index("Ќерамичари")
