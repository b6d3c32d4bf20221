"""Lists ordered by name follow the reader's alphabet (core.collation), on PostgreSQL: on the
pages, in the PDF reports and in the exported spreadsheets.

Under the database's default collation (code points) Macedonian Ѓ, Ѕ, Ј, Љ, Њ, Ќ, Џ sort
before А, Albanian ç and ë after z, and the digraphs dh, gj, ll, nj, rr, sh, th, xh, zh
among the letters they are written with: every test here fails with plain ordering.
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from core.collation import ICU_COLLATIONS, sorted_alphabetically
from dashboard.selectors import programme_glance
from imports.choices import ImportKind
from imports.services import export_file
from reports.choices import ReportKind, ReportStatus
from reports.models import Report
from reports.services import report_request
from stakeholders.models import User
from stakeholders.selectors import institutions_directory
from tests.factories import (
    AssignmentFactory,
    AttendanceFactory,
    InstitutionFactory,
    MeetingAttendanceFactory,
    MeetingFactory,
    ParticipantFactory,
    ProfessionalGroupFactory,
    RecommendationFactory,
    ThemeFactory,
    TopicFactory,
    TrainingFactory,
    UserFactory,
)
from trainings.choices import TrainingStatus
from trainings.models import Training
from trainings.resources import topic_index
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

# Every letter of each alphabet, in its order, each starting a name with the same ending. The
# Albanian digraphs are letters of their own: "Dana" before "Dhana", though "h" is before "a".
MACEDONIAN_ALPHABET = "А Б В Г Д Ѓ Е Ж З Ѕ И Ј К Л Љ М Н Њ О П Р С Т Ќ У Ф Х Ц Ч Џ Ш"
ALBANIAN_ALPHABET = (
    "A B C Ç D Dh E Ë F G Gj H I J K L Ll M N Nj O P Q R Rr S Sh T Th U V X Xh Y Z Zh"
)
MACEDONIAN_LETTERS = [f"{letter}ана" for letter in MACEDONIAN_ALPHABET.split(" ")]
ALBANIAN_LETTERS = [f"{letter}ana" for letter in ALBANIAN_ALPHABET.split(" ")]
LISTS = [
    ("mk", MACEDONIAN),
    ("mk", MACEDONIAN_LETTERS),
    ("sq", ALBANIAN),
    ("sq", ALBANIAN_LETTERS),
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


# --- PDFs and exports, in the language they are written in ---------------------------------

ALPHABETS = [("mk", MACEDONIAN), ("sq", ALBANIAN)]
SURNAME = "Qoshe"  # after each name, so that a name is found as a whole in a PDF's text


def _in_order_found(text: str, names: list[str]) -> list[str]:
    """``names`` in the order ``text`` gives them (each found once, as a whole)."""
    positions = {}
    for name in names:
        label = f"{name} {SURNAME}"
        assert text.count(label) == 1, label
        positions[name] = text.index(label)
    return sorted(names, key=positions.__getitem__)


@pytest.fixture
def team() -> User:
    return UserFactory.create(programme_team=True)


@pytest.fixture
def pdf_of(
    team: User, settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> Callable[..., str]:
    """A report asked for by the programme team and made by the report job: its text."""
    settings.MEDIA_ROOT = tmp_path

    def make(**kwargs: Any) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            report = report_request(by=team, **kwargs)
        report = Report.objects.get(pk=report.pk)
        assert report.status == ReportStatus.DONE, report.failure_reason
        with report.file.open("rb") as handle:
            data = handle.read()
        text = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
        ).stdout.decode()
        return " ".join(text.split())

    return make


@pytest.mark.parametrize(("language", "names"), ALPHABETS)
def test_a_meeting_record_lists_the_institutions_present_in_its_alphabet(
    pdf_of: Callable[..., str], language: str, names: list[str]
) -> None:
    meeting = MeetingFactory.create()
    for n, name in reversed(list(enumerate(names))):
        institution = InstitutionFactory.create(
            name_en=f"Institution {n:02} {SURNAME}", **{f"name_{language}": f"{name} {SURNAME}"}
        )
        MeetingAttendanceFactory.create(meeting=meeting, institution=institution)

    text = pdf_of(kind=ReportKind.MEETING, language=language, meeting=meeting)

    assert _in_order_found(text, names) == names


def _training_attended_by(names: list[str]) -> Training:
    training = TrainingFactory.create()
    for name in reversed(names):
        AttendanceFactory.create(
            training=training,
            participant=ParticipantFactory.create(full_name=f"{name} {SURNAME}"),
            consent=True,
            consent_date=training.start_date,
        )
    return training


@pytest.mark.parametrize(("language", "names"), ALPHABETS)
def test_a_training_report_lists_the_participants_in_its_alphabet(
    pdf_of: Callable[..., str], language: str, names: list[str]
) -> None:
    training = _training_attended_by(names)

    text = pdf_of(kind=ReportKind.TRAINING, language=language, training=training)

    assert _in_order_found(text, names) == names


def _xlsx_names(content: bytes, names: list[str]) -> list[str]:
    """The cells of the exported sheet that hold one of ``names``, top to bottom."""
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    wanted = {f"{name} {SURNAME}": name for name in names}
    return [wanted[v] for row in sheet.iter_rows(values_only=True) for v in row if v in wanted]


@pytest.mark.parametrize(("language", "names"), ALPHABETS)
def test_the_institutions_export_follows_the_readers_alphabet(
    team: User, language: str, names: list[str]
) -> None:
    for n, name in reversed(list(enumerate(names))):
        InstitutionFactory.create(
            name_en=f"Institution {n:02}", **{f"name_{language}": f"{name} {SURNAME}"}
        )

    with translation.override(language):
        exported = export_file(kind=ImportKind.INSTITUTIONS, fmt="xlsx", user=team)

    assert _xlsx_names(exported.content, names) == names


@pytest.mark.parametrize(("language", "names"), ALPHABETS)
def test_a_trainings_participants_export_follows_the_readers_alphabet(
    team: User, language: str, names: list[str]
) -> None:
    training = _training_attended_by(names)

    with translation.override(language):
        exported = export_file(kind=ImportKind.ATTENDANCE, fmt="xlsx", user=team, training=training)

    assert _xlsx_names(exported.content, names) == names


# --- Names sorted in memory: core.collation.sorted_alphabetically -----------------------------


@pytest.mark.parametrize(("language", "names"), LISTS)
def test_names_in_memory_are_put_in_the_alphabets_order_in_one_query(
    language: str, names: list[str]
) -> None:
    assert sorted(names) != names  # code points would get it wrong
    with CaptureQueriesContext(connection) as queries:
        ordered = sorted_alphabetically(reversed(names), language=language)
    assert ordered == names
    assert len(queries) == 1


@pytest.mark.parametrize(("language", "names"), LISTS)
def test_names_in_memory_and_a_column_are_ordered_alike(language: str, names: list[str]) -> None:
    """sorted_alphabetically and the database's ``alphabetical`` are one order."""
    for n, name in enumerate(names):
        InstitutionFactory.create(name_en=f"Institution {n:02}", **{f"name_{language}": name})

    with translation.override(language):
        listed = [str(i.name) for i in institutions_directory()]
        shuffled = sorted(names, key=lambda name: name[::-1])

        assert sorted_alphabetically(shuffled) == listed


def test_sorted_alphabetically_reads_the_key_keeps_ties_and_follows_the_reader() -> None:
    rows = [("Ѓорѓи", 1), ("Елена", 2), ("Дамјан", 3), ("Ѓорѓи", 4), ("Горан", 5)]

    with translation.override("mk"):
        macedonian = sorted_alphabetically(rows, key=lambda row: row[0])
    # Without Macedonian's tailoring Ѓ is a Г with an accent: English readers find it among
    # the Г-names ("Горан" before "Ѓорѓи", from the letter after "Гор"), before Д.
    english = sorted_alphabetically(rows, key=lambda row: row[0], language="en")

    assert [n for _name, n in macedonian] == [5, 3, 1, 4, 2]
    assert [n for _name, n in english] == [5, 1, 4, 3, 2]


def test_sorted_alphabetically_asks_nothing_for_fewer_than_two_names() -> None:
    with CaptureQueriesContext(connection) as queries:
        assert sorted_alphabetically([], language="mk") == []
        assert sorted_alphabetically(["Ѓорѓи"], language="mk") == ["Ѓорѓи"]
    assert len(queries) == 0


def test_a_templates_list_of_names_is_sorted_once_per_look_up() -> None:
    """The check page offers every record of a look-up for each unknown name: one query."""
    for n, name in reversed(list(enumerate(MACEDONIAN_LETTERS))):
        TopicFactory.create(name_en=f"Topic {n:02}", name_mk=name)
    with translation.override("mk"):
        index = topic_index()
        with CaptureQueriesContext(connection) as queries:
            first = index.choices()
            again = index.choices()
    assert first == again
    assert [name for name in first if name in MACEDONIAN_LETTERS] == MACEDONIAN_LETTERS
    assert len(queries) == 1


def _cell_with(content: bytes, first: str) -> str:
    """The exported sheet's cell that lists ``first`` and more after it."""
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    (cell,) = [
        v
        for row in sheet.iter_rows(values_only=True)
        for v in row
        if isinstance(v, str) and v.startswith(f"{first}; ")
    ]
    return cell


@pytest.mark.parametrize(("language", "names"), [("mk", MACEDONIAN), ("sq", ALBANIAN_LETTERS)])
def test_a_trainings_export_lists_its_topics_and_partners_in_the_readers_alphabet(
    team: User, language: str, names: list[str]
) -> None:
    made = list(reversed(list(enumerate(names))))
    topics = [
        TopicFactory.create(name_en=f"Topic {n:02}", **{f"name_{language}": name})
        for n, name in made
    ]
    training = TrainingFactory.create(topics=topics)
    training.partners.set(
        InstitutionFactory.create(
            name_en=f"Partner {n:02}", **{f"name_{language}": f"{name} Qoshe"}
        )
        for n, name in made
    )

    with translation.override(language), CaptureQueriesContext(connection) as queries:
        exported = export_file(kind=ImportKind.TRAININGS, fmt="xlsx", user=team)

    assert _cell_with(exported.content, names[0]) == "; ".join(names)
    assert _cell_with(exported.content, f"{names[0]} Qoshe") == "; ".join(
        f"{name} Qoshe" for name in names
    )
    # The lists come with the trainings (prefetched in order), not a query per training.
    TrainingFactory.create_batch(3, topics=topics[:3])
    with translation.override(language), CaptureQueriesContext(connection) as more:
        export_file(kind=ImportKind.TRAININGS, fmt="xlsx", user=team)
    assert len(more) <= len(queries)


@pytest.mark.parametrize(("language", "names"), [("mk", MACEDONIAN_LETTERS), ("sq", ALBANIAN)])
def test_a_recommendations_export_lists_institutions_and_themes_in_the_readers_alphabet(
    team: User, language: str, names: list[str]
) -> None:
    rec = RecommendationFactory.create()
    made = list(reversed(list(enumerate(names))))
    for n, name in made:
        institution = InstitutionFactory.create(
            name_en=f"Institution {n:02}", **{f"name_{language}": name}
        )
        AssignmentFactory.create(recommendation=rec, institution=institution)
    rec.themes.set(
        ThemeFactory.create(name_en=f"Theme {n:02}", **{f"name_{language}": f"{name} Qoshe"})
        for n, name in made
    )

    with translation.override(language):
        exported = export_file(kind=ImportKind.RECOMMENDATIONS, fmt="xlsx", user=team)

    assert _cell_with(exported.content, names[0]) == "; ".join(names)
    assert _cell_with(exported.content, f"{names[0]} Qoshe") == "; ".join(
        f"{name} Qoshe" for name in names
    )


@pytest.mark.parametrize(("language", "names"), [("mk", MACEDONIAN_LETTERS), ("sq", ALBANIAN)])
def test_the_glance_lists_professions_in_the_readers_alphabet_from_the_kept_figures(
    language: str, names: list[str], django_assert_num_queries: Any
) -> None:
    """The order is kept with the figures: showing them in any language asks nothing."""
    training = TrainingFactory.create(status=TrainingStatus.HELD)
    for n, name in reversed(list(enumerate(names))):
        group = ProfessionalGroupFactory.create(
            name_en=f"Profession {n:02}", **{f"name_{language}": name}
        )
        AttendanceFactory.create(
            training=training, participant=ParticipantFactory.create(professional_group=group)
        )
    programme_glance(action=training.action)  # counts the figures and keeps them

    with translation.override(language), django_assert_num_queries(0):
        shown = programme_glance(action=training.action)

    assert [name for name, *_counts in shown.participants_by_group] == names
