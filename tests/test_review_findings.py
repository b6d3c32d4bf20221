"""Four review findings, each a rule in one place (issues 20 and 25):

1. a profession's name follows the platform's language fallback (en → mk → sq) wherever
   people are counted by profession, and one function says "Not stated";
2. migration trainings 0013 builds the register's generated column from SQL frozen in it, not
   from code a later change could alter;
3. the dashboard's kept task lists follow object permissions however they change;
4. pausing Python's cycle collector is safe when imports overlap in threads.
"""

from __future__ import annotations

import gc
import importlib
import threading
from collections.abc import Callable
from datetime import timedelta
from types import ModuleType
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm

from core.imports import collector_paused
from core.translations import name_or_not_stated, text_in, texts_by_pk
from dashboard.selectors import programme_glance
from loaders.grants import object_permissions_rebuild
from programme.models import Action
from stakeholders.choices import PROFESSION_NOT_STATED, Sex
from stakeholders.models import Institution, ProfessionalGroup, User
from tests import factories
from trainings.choices import TrainingStatus
from trainings.models import Attendance, Topic, Training
from trainings.selectors import participants_by_group
from trainings.services import training_create

LANGUAGES = ("en", "mk", "sq")
ONLY_MACEDONIAN = "Социјални работници во заедницата"


def _not_stated(language: str) -> str:
    with translation.override(language):
        return str(PROFESSION_NOT_STATED)


def _client(user: User, language: str) -> Client:
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
    client = Client()
    client.force_login(user)
    return client


def _held_training_attended_by(*professions: ProfessionalGroup | None) -> Training:
    training = factories.TrainingFactory.create(
        action=Action.objects.get(),
        status=TrainingStatus.HELD,
        start_date=timezone.localdate() - timedelta(days=20),
        end_date=timezone.localdate() - timedelta(days=19),
    )
    for profession in professions:
        factories.AttendanceFactory.create(
            training=training,
            participant=factories.ParticipantFactory.create(
                professional_group=profession, sex=Sex.FEMALE
            ),
        )
    return training


# --- 1. The language fallback and "Not stated", in one function ------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_profession_named_only_in_macedonian_shows_in_macedonian_to_every_reader(
    demo: dict[str, User], language: str
) -> None:
    profession = ProfessionalGroup.objects.create(
        slug="named-only-in-macedonian", name_en="", name_mk=ONLY_MACEDONIAN, name_sq=""
    )
    _held_training_attended_by(profession, profession)

    response = _client(demo["demo-admin"], language).get("/")
    assert response.status_code == 200
    dashboard = {
        name: total for name, _w, _m, total in response.context["glance"].participants_by_group
    }
    with translation.override(language):
        counts = {
            name: total
            for name, _w, _m, total in participants_by_group(attendance=Attendance.objects.all())
        }

    assert dashboard.get(ONLY_MACEDONIAN) == 2, dashboard
    assert counts.get(ONLY_MACEDONIAN) == 2, counts
    assert ONLY_MACEDONIAN in response.content.decode()
    # Not counted among the people whose profession nobody recorded.
    assert dashboard.get(_not_stated(language), 0) == counts.get(_not_stated(language), 0)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_people_without_a_profession_are_not_stated_in_the_reader_s_language(
    demo: dict[str, User], language: str
) -> None:
    before = programme_glance(action=Action.objects.get())
    unnamed = {name: total for name, *_c, total in before.participants_by_group}
    _held_training_attended_by(None)
    label = _not_stated(language)

    response = _client(demo["demo-admin"], language).get("/")
    dashboard = {
        name: total for name, _w, _m, total in response.context["glance"].participants_by_group
    }
    with translation.override(language):
        counts = {
            name: total
            for name, _w, _m, total in participants_by_group(attendance=Attendance.objects.all())
        }

    assert dashboard[label] == counts[label] == unnamed.get(_not_stated("en"), 0) + 1
    assert label in response.content.decode()
    if language != "en":
        assert label != "Not stated"  # translated, not left in English
    assert name_or_not_stated({"en": "", "mk": None, "sq": ""}, language) == label
    assert name_or_not_stated({}, language) == label


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ({"mk": "M"}, {"en": "M", "mk": "M", "sq": "M"}),
        ({"sq": "S"}, {"en": "S", "mk": "S", "sq": "S"}),
        ({"mk": "M", "sq": "S"}, {"en": "M", "mk": "M", "sq": "S"}),
        ({"en": "E", "sq": "S"}, {"en": "E", "mk": "E", "sq": "S"}),
        ({"en": "E", "mk": "M", "sq": ""}, {"en": "E", "mk": "M", "sq": "E"}),
    ],
)
def test_a_name_falls_back_in_the_settings_order(
    names: dict[str, str], expected: dict[str, str]
) -> None:
    assert {code: text_in(names, code) for code in LANGUAGES} == expected
    assert {code: name_or_not_stated(names, code) for code in LANGUAGES} == expected


@pytest.mark.django_db
def test_a_name_kept_in_every_language_reads_as_the_record_s_own_field() -> None:
    """The fallback the kept names follow is modeltranslation's, which the settings set: a
    name looked up from the cache never differs from the same record's field."""
    spellings = [
        {"en": "", "mk": "М", "sq": ""},
        {"en": "", "mk": "", "sq": "S"},
        {"en": "", "mk": "М", "sq": "S"},
        {"en": "E", "mk": "", "sq": "S"},
        {"en": "E", "mk": "М", "sq": ""},
    ]
    groups = [
        ProfessionalGroup.objects.create(
            slug=f"spelt-{i}", **{f"name_{code}": text for code, text in names.items()}
        )
        for i, names in enumerate(spellings)
    ]
    kept = texts_by_pk(ProfessionalGroup.objects.filter(pk__in=[g.pk for g in groups]), "name")
    for code in LANGUAGES:
        with translation.override(code):
            for group in ProfessionalGroup.objects.filter(pk__in=[g.pk for g in groups]):
                assert name_or_not_stated(kept[group.pk]) == group.name, (code, kept[group.pk])


# --- 2. Migration trainings 0013 frozen ---------------------------------------------------------


# The platform's own packages: an old migration that imports any of them runs today's code.
PLATFORM = (
    "config",
    "core",
    "stakeholders",
    "programme",
    "recommendations",
    "trainings",
    "research",
    "notifications",
    "dashboard",
    "imports",
    "reports",
    "loaders",
)


def _origin(value: object) -> str:
    if isinstance(value, ModuleType):
        return value.__name__
    return str(getattr(value, "__module__", "") or "")


def test_migration_0013_uses_no_live_code_of_the_platform() -> None:
    """What a fresh database gets from an old migration never changes with today's code: the
    generated column and the indexes are literal SQL (tests/trainings/test_register_speed.py
    checks that the column still spells names as the code does)."""
    module = importlib.import_module("trainings.migrations.0013_participant_register_indexes")
    live = sorted(
        name
        for name, value in vars(module).items()
        if _origin(value).split(".")[0] in PLATFORM and _origin(value) != module.__name__
    )
    assert live == []
    assert module.__file__ is not None
    with open(module.__file__, encoding="utf-8") as source:
        text = source.read()
    assert not any(f"from {p}" in text or f"import {p}" in text for p in PLATFORM)


# --- 3. Kept task lists and object permissions --------------------------------------------------


def _tasks(client: Client) -> list[str]:
    response = client.get("/?tasks=all")
    assert response.status_code == 200
    return [task.title for task in response.context["tasks"]]


TO_COMPLETE = "Complete the training record: Held last week, nobody recorded"


@pytest.mark.django_db
def test_a_permissions_rebuild_renews_the_kept_task_lists(demo: dict[str, User]) -> None:
    """A partner added or dropped outside the services (a repair) gives its editors the task to
    complete the training, or takes it away, once the permissions are rebuilt: in the same
    session, with no wait for the kept list to expire."""
    ministry = Institution.objects.get(code="mspdy")
    partner = Institution.objects.get(code="demo-cso-a")
    last_week = timezone.localdate() - timedelta(days=7)
    training = training_create(
        by=demo["demo-ministry"],
        action=Action.objects.get(),
        title="Held last week, nobody recorded",
        organiser=ministry,
        topics=[Topic.objects.order_by("pk")[0]],
        status=TrainingStatus.HELD,
        start_date=last_week,
        end_date=last_week,
    )
    client = _client(demo["demo-cso-a"], "en")
    assert TO_COMPLETE not in _tasks(client)  # and kept so
    training.partners.add(partner)
    assert TO_COMPLETE not in _tasks(client)  # a partner without a grant yet

    object_permissions_rebuild()
    assert TO_COMPLETE in _tasks(client)

    training.partners.remove(partner)
    object_permissions_rebuild()
    assert TO_COMPLETE not in _tasks(client)
    assert TO_COMPLETE in _tasks(_client(demo["demo-ministry"], "en"))


@pytest.mark.django_db
def test_a_grant_written_directly_renews_the_kept_task_lists(demo: dict[str, User]) -> None:
    """guardian's own rows written without the services (the admin, a shell)."""
    last_week = timezone.localdate() - timedelta(days=7)
    training = training_create(
        by=demo["demo-ministry"],
        action=Action.objects.get(),
        title="Held last week, nobody recorded",
        organiser=Institution.objects.get(code="mspdy"),
        topics=[Topic.objects.order_by("pk")[0]],
        status=TrainingStatus.HELD,
        start_date=last_week,
        end_date=last_week,
    )
    editor = demo["demo-cso-b"]
    client = _client(editor, "en")
    assert TO_COMPLETE not in _tasks(client)

    assign_perm("trainings.change_training", editor, training)
    assert TO_COMPLETE in _tasks(client)

    UserObjectPermission.objects.filter(user=editor, object_pk=str(training.pk)).delete()
    assert TO_COMPLETE not in _tasks(client)


# --- 4. The cycle collector paused in overlapping threads ---------------------------------------


def _overlapping_pauses(first_leaves_first: bool) -> dict[str, bool]:
    """Two threads pause the collector, the second while the first's pause is on; one leaves
    while the other is still inside. What the collector was at each step."""
    seen: dict[str, bool] = {}
    first_in, second_in, one_out = threading.Event(), threading.Event(), threading.Event()

    def pause(mine: threading.Event, wait_for: threading.Event, leaves_first: bool) -> None:
        with collector_paused():
            mine.set()
            assert wait_for.wait(10)
            if not leaves_first:
                assert one_out.wait(10)
                seen["while_the_other_had_left"] = gc.isenabled()
        if leaves_first:
            one_out.set()

    def first() -> None:
        pause(first_in, second_in, first_leaves_first)

    def second() -> None:
        assert first_in.wait(10)
        pause(second_in, first_in, not first_leaves_first)

    threads = [threading.Thread(target=run) for run in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not any(thread.is_alive() for thread in threads)
    seen["after"] = gc.isenabled()
    return seen


@pytest.mark.parametrize("first_leaves_first", [True, False])
def test_overlapping_pauses_keep_the_collector_off_until_the_last_ends(
    first_leaves_first: bool,
) -> None:
    assert gc.isenabled()
    seen = _overlapping_pauses(first_leaves_first)
    assert seen == {"while_the_other_had_left": False, "after": True}


@pytest.mark.parametrize("first_leaves_first", [True, False])
def test_pauses_in_a_process_that_turned_the_collector_off_leave_it_off(
    first_leaves_first: bool,
) -> None:
    gc.disable()
    try:
        seen = _overlapping_pauses(first_leaves_first)
        with collector_paused():
            with collector_paused():
                pass
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert seen == {"while_the_other_had_left": False, "after": False}


def test_nested_pauses_switch_the_collector_on_once_the_outer_one_ends() -> None:
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_many_threads_pausing_at_once_leave_the_collector_on() -> None:
    start = threading.Barrier(8)

    def work() -> None:
        start.wait(10)
        for _ in range(200):
            with collector_paused():
                pass

    runs: list[Callable[[], Any]] = [work] * 8
    threads = [threading.Thread(target=run) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert gc.isenabled()
