"""The participant register at scale: its order read from the name indexes, a
search read from the trigram index over the spelling PostgreSQL keeps, the training filter
named without formatting every training's date on every page, and the same people found in
the same order as the search that spelled every name."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django import forms
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from core.alphabet import LATIN_SPELLING, latin_spelling_in_database
from core.collation import ICU_COLLATIONS, alphabetical
from core.widgets import QuickSelect
from stakeholders.models import Institution, User
from tests.factories import TrainingFactory
from trainings.models import Participant, Training
from trainings.names import name_search_key
from trainings.registry_selectors import SPELLED_COLUMN, NameSpelled, people_search

pytestmark = pytest.mark.django_db

NAMES = [
    "Ана Стојановска",
    "Ana Stojanovska",
    "Ivana Petrovska",
    "Ѓорѓи Жежовски",
    "Gjorgji Zhezhovski",
    "Џемаил Хаџиев",
    "Arbër Krasniqi",
    "Çlirim Dhima",
    "Drita Shala",
    "Љубица Анѓеловска",
    "Sonja Šekjerinska",
    "Marija Nikolovska",
    "Biljana Janeva",
    "Jasmina Ademi",
    "Elena Ristova",
]
QUERIES = ["ana", "Стојановска ана", "gjorgji", "dzemail", "ë", "sh", "ова", "ska", "nothing"]


def _people(names: list[str]) -> list[Participant]:
    """People by these names; none at an institution, so that a name may come twice."""
    return Participant.objects.bulk_create(
        Participant(full_name=name, sex="female") for name in names
    )


def _plan(queryset: Any) -> str:
    """The plan PostgreSQL would choose if it could neither scan the whole table nor sort:
    what remains shows which index can give the rows, in the order asked."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    return str(queryset.explain())


def _as(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_spelled_column_is_the_spelling_the_search_compares() -> None:
    """The column keeps what the expression the search was written with gives: a change to
    ``LATIN_SPELLING`` needs a migration that generates the column anew."""
    letters = "".join(letter for letter, _latin in LATIN_SPELLING)
    names = [letters, letters.upper(), *NAMES]
    people = _people(names)
    ids = [p.pk for p in people]
    stored = dict(
        Participant.objects.filter(pk__in=ids)
        .annotate(stored=NameSpelled())
        .values_list("pk", "stored")
    )
    sql = str(Participant.objects.annotate(stored=NameSpelled()).values("stored").query)
    assert f'"{SPELLED_COLUMN}"' in sql and "REPLACE" not in sql.upper()
    spelled = dict(
        Participant.objects.filter(pk__in=[p.pk for p in people])
        .annotate(spelled=latin_spelling_in_database("full_name"))
        .values_list("pk", "spelled")
    )
    assert stored == spelled
    assert stored == {p.pk: name_search_key(p.full_name) for p in people}


def test_the_column_follows_a_corrected_name() -> None:
    (person,) = _people(["Ана Стојановска"])
    Participant.objects.filter(pk=person.pk).update(full_name="Марија Николовска")
    admin = User.objects.create_superuser("admin-speed", "admin@example.org", "x" * 20)
    assert list(people_search(by=admin, q="nikolovska")) == [person]
    assert not people_search(by=admin, q="stojanovska").exists()


@pytest.mark.parametrize("query", QUERIES)
def test_a_search_finds_the_people_the_spelling_of_every_name_finds(query: str) -> None:
    """The same rows in the same order as the search that spelled each name as it read it."""
    _people(NAMES * 2)
    admin = User.objects.create_superuser("admin-speed", "admin@example.org", "x" * 20)
    expected = Participant.objects.annotate(spelled=latin_spelling_in_database("full_name"))
    for word in query.split():
        expected = expected.filter(spelled__contains=name_search_key(word))
    for code in ICU_COLLATIONS:
        with translation.override(code):
            found = list(people_search(by=admin, q=query).values_list("pk", flat=True))
            wanted = list(
                expected.order_by(alphabetical("full_name"), "pk").values_list("pk", flat=True)
            )
        assert found == wanted, code
    assert (query == "nothing") == (not found)


def test_a_search_reads_the_trigram_index() -> None:
    _people(NAMES)
    admin = User.objects.create_superuser("admin-speed", "admin@example.org", "x" * 20)
    plan = _plan(people_search(by=admin, q="stojanovska").order_by().values("pk"))
    assert "trainings_participant_spelled_trgm" in plan


@pytest.mark.parametrize("code", list(ICU_COLLATIONS))
def test_the_register_is_read_in_order_from_the_name_index(code: str) -> None:
    _people(NAMES)
    admin = User.objects.create_superuser("admin-speed", "admin@example.org", "x" * 20)
    with translation.override(code):
        plan = _plan(people_search(by=admin)[:25])
    assert f"trainings_participant_name_{code}" in plan
    assert not re.search(r"\bSort\b", plan), plan


# --- The training filter ----------------------------------------------------------------------


def _training_options(content: str) -> dict[str, str]:
    select = re.search(r'<select name="training".*?</select>', content, re.S)
    assert select is not None
    return dict(re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', select.group(0)))


def test_the_training_filter_names_each_training_as_it_is_now(demo: dict[str, User]) -> None:
    """In each language, and anew once a training is renamed or moved."""
    admin = demo["demo-admin"]
    url = reverse("trainings:people")
    training = Training.objects.order_by("pk").first()
    assert training is not None
    for code in ICU_COLLATIONS:
        admin.preferred_language = code
        admin.save(update_fields=["preferred_language"])
        client = _as(admin)
        for _kept in range(2):  # named, then named from what was kept
            options = _training_options(client.get(url).content.decode())
            with translation.override(code):
                named = {str(t.pk): escape(str(t)) for t in Training.objects.all()}
            assert options == named, code
        Training.objects.filter(pk=training.pk).update(
            title_en=f"Renamed in {code}: victims & referral", city=f"Bitola {code}"
        )
        options = _training_options(client.get(url).content.decode())
        with translation.override(code):
            assert options[str(training.pk)] == escape(str(Training.objects.get(pk=training.pk)))


def test_the_register_costs_the_same_queries_for_10_and_200_trainings(
    demo: dict[str, User],
) -> None:
    client = _as(demo["demo-admin"])
    url = reverse("trainings:people")

    def queries() -> int:
        client.get(url)  # sessions and caches warm
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    organiser = Institution.objects.get(code="mspdy")
    action = Training.objects.order_by("pk").first().action
    TrainingFactory.create_batch(10, organiser=organiser, action=action)
    few = queries()
    TrainingFactory.create_batch(190, organiser=organiser, action=action, topics=[])
    assert queries() == few


# --- The drop-down -------------------------------------------------------------------------------


def _normalised(markup: str) -> str:
    return re.sub(r">\s+<", "><", str(markup)).strip()


@pytest.mark.parametrize("value", [None, "", "2", ["3"], "missing"])
def test_the_long_drop_down_writes_what_django_s_writes(value: Any) -> None:
    choices = [("", "Any"), (1, "Tom & Jerry <3"), (2, 'Ѓорѓи "Gjorgji"'), (3, "Çlirim")]
    attrs = {"id": "id_training", "required": False, "aria-describedby": "help", "autofocus": True}
    ours = QuickSelect(attrs={"class": "wide"}, choices=choices).render("training", value, attrs)
    django = forms.Select(attrs={"class": "wide"}, choices=choices).render("training", value, attrs)
    assert _normalised(ours) == _normalised(django)


def test_the_long_drop_down_writes_a_model_choice_as_django_does(demo: dict[str, User]) -> None:
    field: forms.ModelChoiceField[Institution] = forms.ModelChoiceField(
        queryset=Institution.objects.order_by("pk"), empty_label="Any"
    )
    chosen = Institution.objects.order_by("pk").last()
    assert chosen is not None
    choices: Any = field.choices  # the field's own iterator, values and all
    ours = QuickSelect(choices=choices).render("institution", chosen.pk, {"id": "id_institution"})
    django = forms.Select(choices=choices).render(
        "institution", chosen.pk, {"id": "id_institution"}
    )
    assert _normalised(ours) == _normalised(django)
    assert f'value="{chosen.pk}" selected' in ours


def test_the_long_drop_down_costs_no_query_of_its_own(demo: dict[str, User]) -> None:
    """Rendering model choices reads them once, without counting them first."""
    field: forms.ModelChoiceField[Institution] = forms.ModelChoiceField(
        queryset=Institution.objects.order_by("pk"), widget=QuickSelect
    )
    with CaptureQueriesContext(connection) as captured:
        field.widget.render("institution", None)
    assert len(captured) == 1
