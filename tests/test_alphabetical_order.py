"""Lists ordered by name follow the reader's alphabet (core.collation), on PostgreSQL.

Under the database's default collation (code points) Macedonian Ѓ, Ѕ, Ј, Љ, Њ, Ќ, Џ sort
before А, Albanian ç and ë after z, and the digraphs dh, gj, ll, nj, rr, sh, th, xh, zh
among the letters they are written with: every test here fails with plain ordering.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation

from core.collation import ICU_COLLATIONS
from stakeholders.selectors import institutions_directory
from tests.factories import (
    AttendanceFactory,
    InstitutionFactory,
    ParticipantFactory,
    TrainingFactory,
    UserFactory,
)
from trainings.selectors import training_attendance

pytestmark = pytest.mark.django_db

# Each in the order of its alphabet: а б в г д ѓ е ж з ѕ и ј к л љ м н њ о п р с т ќ у ф х ц ч џ ш.
MACEDONIAN = [
    "Анета",
    "Бојан",
    "Гоце",
    "Гркова",
    "Дамјан",
    "Душко",
    "Ѓорѓи",
    "Ѓурѓа",
    "Елена",
    "Жаклина",
    "Зоран",
    "Ѕвонко",
    "Ивана",
    "Јован",
    "Кирил",
    "Лазар",
    "Луша",
    "Љубица",
    "Марија",
    "Нада",
    "Нуша",
    "Његош",
    "Оливер",
    "Тања",
    "Ќирил",
    "Убавка",
    "Цвета",
    "Чедо",
    "Џемаил",
    "Шпенд",
]
# a b c ç d dh e ë f g gj h i j k l ll m n nj o p q r rr s sh t th u v x xh y z zh.
ALBANIAN = [
    "Arta",
    "Besa",
    "Cana",
    "Çelik",
    "Drita",
    "Dyla",
    "Dhurata",
    "Era",
    "Ëngjëll",
    "Fatos",
    "Gzim",
    "Gjergj",
    "Hana",
    "Luan",
    "Lulzim",
    "Llazar",
    "Nora",
    "Nzi",
    "Njomza",
    "Rudina",
    "Rron",
    "Sytë",
    "Shpend",
    "Tuna",
    "Thanas",
    "Xoxa",
    "Xhemail",
    "Ylli",
    "Zyra",
    "Zhaklina",
]


def test_postgresql_provides_the_icu_collations() -> None:
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT collname FROM pg_collation WHERE collprovider = 'i' AND collname = ANY(%s)",
            [list(ICU_COLLATIONS.values())],
        )
        found = {row[0] for row in cursor.fetchall()}
    assert found == set(ICU_COLLATIONS.values())


@pytest.mark.parametrize(("language", "names"), [("mk", MACEDONIAN), ("sq", ALBANIAN)])
def test_the_directory_lists_institutions_in_the_readers_alphabet(
    language: str, names: list[str]
) -> None:
    # Created backwards, so that neither insertion order nor primary keys give the answer.
    for n, name in reversed(list(enumerate(names))):
        InstitutionFactory.create(name_en=f"Institution {n:02}", **{f"name_{language}": name})

    with translation.override(language):
        listed = [str(i.name) for i in institutions_directory()]

    assert listed == names


def test_a_name_without_a_translation_is_sorted_as_the_reader_sees_it() -> None:
    """An institution with no Macedonian name shows (and sorts by) its English one."""
    InstitutionFactory.create(name_en="Zeta", name_mk="Бета")
    InstitutionFactory.create(name_en="Alpha", name_mk="")
    InstitutionFactory.create(name_en="Beta", name_mk="Алфа")

    with translation.override("mk"):
        listed = [str(i.name) for i in institutions_directory()]

    # ICU's Macedonian order puts Cyrillic before Latin.
    assert listed == ["Алфа", "Бета", "Alpha"]


def test_a_trainings_attendance_lists_people_in_the_readers_alphabet() -> None:
    training = TrainingFactory.create()
    for name in reversed(ALBANIAN):
        AttendanceFactory.create(
            training=training, participant=ParticipantFactory.create(full_name=name)
        )

    with translation.override("sq"):
        listed = [a.participant.full_name for a in training_attendance(training=training)]

    assert listed == ALBANIAN


def test_the_institutions_page_in_macedonian_puts_gje_after_de_and_before_ie(
    client: Client,
) -> None:
    """Ѓ is the letter after Д: a Ѓ-name comes after every Г- and Д-name, before Е-names."""
    alphabetical = ["Велес", "Гостивар", "Дебар", "Делчево", "Ѓевгелија", "Егри", "Жеден"]
    for n, name in enumerate(reversed(alphabetical)):
        InstitutionFactory.create(name_en=f"Municipality {n}", name_mk=f"Општина {name}")
    client.force_login(UserFactory.create(programme_team=True))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "mk"

    response = client.get(reverse("stakeholders:institution_list"))

    page = response.content.decode()
    positions = [page.index(f"Општина {name}") for name in alphabetical]
    assert positions == sorted(positions)
