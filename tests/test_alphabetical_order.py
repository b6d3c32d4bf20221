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
from django.urls import reverse
from django.utils import translation

from core.collation import ICU_COLLATIONS
from imports.choices import ImportKind
from imports.services import export_file
from reports.choices import ReportKind, ReportStatus
from reports.models import Report
from reports.services import report_request
from stakeholders.models import User
from stakeholders.selectors import institutions_directory
from tests.factories import (
    AttendanceFactory,
    InstitutionFactory,
    MeetingAttendanceFactory,
    MeetingFactory,
    ParticipantFactory,
    TrainingFactory,
    UserFactory,
)
from trainings.models import Training
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
