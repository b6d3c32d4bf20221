"""The participant register: finding people by name in either script, a person's page,
correcting, merging and erasing records, as the ministry (which organises trainings), another
institution and the EU Delegation observer meet them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.alphabet import latin_spelling_in_database
from stakeholders.choices import Sex
from stakeholders.models import Institution, ProfessionalGroup, User
from trainings.models import Attendance, Participant, Training
from trainings.names import name_search_key

pytestmark = pytest.mark.django_db

MSPDY_ONLY = "Free legal aid for trafficking victims: regional follow-up"  # MSPDY's, nobody yet
MSPDY_HELD = "Recognising and referring child victims of trafficking"  # MSPDY's and CoE's


def _training(title: str) -> Training:
    return Training.objects.get(title_en=title)


def _mspdy() -> Institution:
    return Institution.objects.get(code="mspdy")


def _person(
    name: str,
    *,
    at: Training | None = None,
    institution: Institution | None = None,
    group: ProfessionalGroup | None = None,
    email: str = "",
    **attendance: Any,
) -> Participant:
    """Someone the ministry registered, listed at ``at``."""
    person = Participant.objects.create(
        full_name=name,
        sex=Sex.FEMALE,
        institution=institution,
        professional_group=group,
        email=email,
        registered_by_institution=_mspdy(),
    )
    if at is not None:
        Attendance.objects.create(training=at, participant=person, **attendance)
    return person


def _as(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _names(response: Any) -> list[str]:
    return [p.full_name for p in response.context["page_obj"]]


# --- One spelling for both scripts -------------------------------------------------------------


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Стојановска", "Stojanovska"),
        ("Љубица", "Ljubica"),
        ("Соња Шеќеринска", "Sonja Šekjerinska"),
        ("Соња Шеќеринска", "Sonja Shekjerinska"),
        ("Ѓорѓи Жежовски", "Gjorgji Zhezhovski"),
        ("Ѓорѓи Жежовски", "Ǵorǵi Žežovski"),
        ("Џафер Ѕвездоски", "Džafer Dzvezdoski"),
        ("Џафер", "Dzafer"),
        ("Чедомир Хаџи", "Čedomir Hadži"),
        ("Чедомир Хаџи", "Chedomir Hadzhi"),
        ("Никола Цветковски", "Nikola Cvetkovski"),
        ("Наташа Ќосе", "Natasha Kjose"),
    ],
)
def test_one_spelling_for_a_name_in_either_script(cyrillic: str, latin: str) -> None:
    assert name_search_key(cyrillic) == name_search_key(latin)
    assert name_search_key(cyrillic.upper()) == name_search_key(latin.lower())


def test_the_database_spells_names_as_python_does(demo: dict[str, User]) -> None:
    """The search compares the query spelled in Python with names spelled by the database."""
    every = "АБВГДЃЕЖЗЅИЈКЛЉМНЊОПРСТЌУФХЦЧЏШ Ѐѝ ŠŽČĆĐǴḰËÇ šžčćđǵḱëç Dzh"
    names = [every, every.lower(), "Ана Стојановска", "Arbër Krasniqi"]
    for name in names:
        _person(name)
    spelled = dict(
        Participant.objects.filter(full_name__in=names)
        .annotate(spelled=latin_spelling_in_database("full_name"))
        .values_list("full_name", "spelled")
    )
    assert spelled == {name: name_search_key(name) for name in names}


def test_different_names_stay_different() -> None:
    assert name_search_key("Стојановска") != name_search_key("Stojanovski")
    assert name_search_key("Шапка") != name_search_key("Sapka")


# --- Search -------------------------------------------------------------------------------------


def test_a_latin_query_finds_a_cyrillic_name_and_back(demo: dict[str, User]) -> None:
    held = _training(MSPDY_HELD)
    _person("Ана Стојановска", at=held)
    _person("Marija Nikolovska", at=held)
    _person("Џемаил Хаџиев", at=held)
    client = _as(demo["demo-ministry"])
    url = reverse("trainings:people")

    assert _names(client.get(url, {"q": "Stojanovska"})) == ["Ана Стојановска"]
    assert _names(client.get(url, {"q": "стојановска ана"})) == ["Ана Стојановска"]
    assert _names(client.get(url, {"q": "Николовска"})) == ["Marija Nikolovska"]
    assert _names(client.get(url, {"q": "Džemail Hadžiev"})) == ["Џемаил Хаџиев"]
    assert _names(client.get(url, {"q": "dzemail"})) == ["Џемаил Хаџиев"]
    page = client.get(url, {"q": "STOJANOVSKA"})
    assert "Ана Стојановска" in page.content.decode()


def test_the_portal_search_finds_people_in_either_script(demo: dict[str, User]) -> None:
    person = _person("Ана Стојановска", at=_training(MSPDY_HELD))
    url = reverse("dashboard:search")
    page = _as(demo["demo-ministry"]).get(url, {"q": "Stojanovska"})
    assert reverse("trainings:person", args=[person.pk]) in page.content.decode()
    for outsider in ("demo-cso-b", "demo-observer"):
        page = _as(demo[outsider]).get(url, {"q": "Stojanovska"})
        assert "Стојановска" not in page.content.decode(), outsider


def test_filters_by_institution_profession_and_training(demo: dict[str, User]) -> None:
    held, other = _training(MSPDY_HELD), _training(MSPDY_ONLY)
    police = Institution.objects.get(code="moi")
    social = ProfessionalGroup.objects.order_by("pk")[0]
    judges = ProfessionalGroup.objects.order_by("pk")[1]
    _person("Ана Стојановска", at=held, institution=police, group=social)
    _person("Ana Stojanovska", at=other, institution=_mspdy(), group=judges)
    client = _as(demo["demo-ministry"])
    url = reverse("trainings:people")

    found = _names(client.get(url, {"q": "stojanovska"}))
    assert sorted(found) == ["Ana Stojanovska", "Ана Стојановска"]
    assert _names(client.get(url, {"q": "stojanovska", "institution": str(police.pk)})) == [
        "Ана Стојановска"
    ]
    assert _names(client.get(url, {"q": "stojanovska", "profession": str(judges.pk)})) == [
        "Ana Stojanovska"
    ]
    assert _names(client.get(url, {"q": "stojanovska", "training": str(other.pk)})) == [
        "Ana Stojanovska"
    ]


def test_the_search_costs_the_same_queries_for_3_people_as_for_30(demo: dict[str, User]) -> None:
    training = _training(MSPDY_ONLY)
    group = ProfessionalGroup.objects.order_by("pk")[0]
    client = _as(demo["demo-ministry"])
    url = reverse("trainings:people")
    query = {"q": "Petrovsk", "training": str(training.pk)}

    def queries() -> int:
        client.get(url, query)  # sessions and caches warm
        with CaptureQueriesContext(connection) as captured:
            page = client.get(url, query)
        assert page.status_code == 200
        return len(captured)

    for i in range(3):
        _person(f"Петар Петровски {i}", at=training, institution=_mspdy(), group=group)
    few = queries()
    for i in range(3, 30):
        _person(f"Petar Petrovski {i}", at=training, institution=_mspdy(), group=group)
    assert len(_names(client.get(url, query))) == 25  # a full page
    assert queries() == few


# --- Who sees whom ------------------------------------------------------------------------------


def test_another_institutions_participant_answers_404(demo: dict[str, User]) -> None:
    person = _person("Ана Стојановска", at=_training(MSPDY_HELD))
    url = reverse("trainings:person", args=[person.pk])
    assert _as(demo["demo-ministry"]).get(url).status_code == 200
    assert _as(demo["demo-admin"]).get(url).status_code == 200
    for outsider in ("demo-cso-a", "demo-cso-b", "demo-observer"):
        assert _as(demo[outsider]).get(url).status_code == 404, outsider
    listing = _as(demo["demo-cso-b"]).get(reverse("trainings:people"), {"q": "Stojanovska"})
    assert _names(listing) == []


def test_the_observer_sees_no_register_and_changes_nothing(demo: dict[str, User]) -> None:
    keep = _person("Ана Стојановска", at=_training(MSPDY_HELD))
    other = _person("Ana Stojanovska", at=_training(MSPDY_ONLY))
    client = _as(demo["demo-observer"])
    assert client.get(reverse("trainings:people")).status_code == 403
    posts = [
        ("trainings:person_edit", {"full_name": "Changed", "sex": Sex.MALE, "email": ""}),
        ("trainings:person_merge", {"other": other.pk}),
        ("trainings:person_erase", {}),
    ]
    for name, data in posts:
        assert client.post(reverse(name, args=[keep.pk]), data).status_code == 404, name
    keep.refresh_from_db()
    assert keep.full_name == "Ана Стојановска" and not keep.is_erased
    assert Participant.objects.filter(pk=other.pk).exists()
    nav = client.get(reverse("dashboard:dashboard")).content.decode()
    assert reverse("trainings:people") not in nav
    nav = _as(demo["demo-ministry"]).get(reverse("dashboard:dashboard")).content.decode()
    assert f'href="{reverse("trainings:people")}"' in nav


# --- A person's page, correcting and erasing ---------------------------------------------------


def test_a_persons_page_lists_their_trainings_and_scores(demo: dict[str, User]) -> None:
    held = _training(MSPDY_HELD)
    person = _person(
        "Ана Стојановска", at=held, pre_score=Decimal(40), post_score=Decimal(85), completed=False
    )
    page = _as(demo["demo-ministry"]).get(reverse("trainings:person", args=[person.pk]))
    text = page.content.decode()
    assert held.title in text and held.organiser.label in text
    assert "40.00" in text and "85.00" in text
    assert page.context["record"].attendance[0].completed is False


def test_correcting_a_record_keeps_its_history(demo: dict[str, User]) -> None:
    person = _person("Ана Стојановска", at=_training(MSPDY_HELD))
    group = ProfessionalGroup.objects.order_by("pk")[0]
    client = _as(demo["demo-ministry"])
    response = client.post(
        reverse("trainings:person_edit", args=[person.pk]),
        {
            "full_name": "Ана  Стојановска-Петровска",
            "sex": Sex.FEMALE,
            "professional_group": group.pk,
            "email": "ana@example.org",
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.full_name == "Ана Стојановска-Петровска"
    assert person.professional_group == group and person.email == "ana@example.org"
    names = list(person.history.order_by("history_date").values_list("full_name", flat=True))
    assert names == ["Ана Стојановска", "Ана Стојановска-Петровска"]


def test_erasing_from_the_persons_page(demo: dict[str, User]) -> None:
    person = _person("Ана Стојановска", at=_training(MSPDY_HELD), email="ana@example.org")
    client = _as(demo["demo-ministry"])
    url = reverse("trainings:person_erase", args=[person.pk])
    assert "cannot be undone" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    person.refresh_from_db()
    assert person.is_erased and person.email == ""
    page = client.get(reverse("trainings:person", args=[person.pk])).content.decode()
    assert "Стојановска" not in page


# --- Merging two records of one person ---------------------------------------------------------


def test_merging_keeps_all_attendance_and_the_history_shows_it(demo: dict[str, User]) -> None:
    held, other = _training(MSPDY_HELD), _training(MSPDY_ONLY)
    keep = _person("Ана Стојановска", at=held, completed=False, pre_score=Decimal(50))
    merge = _person(
        "Ana Stojanovska",
        at=held,
        email="ana@example.org",
        completed=True,
        pre_score=Decimal(40),
        post_score=Decimal(90),
    )
    Attendance.objects.create(training=other, participant=merge, post_score=Decimal(70))
    ministry = demo["demo-ministry"]
    client = _as(ministry)
    url = reverse("trainings:person_merge", args=[keep.pk])

    chooser = client.get(url, {"q": "Stojanovska"})
    assert [p.pk for p in chooser.context["page_obj"]] == [merge.pk]
    confirm = client.get(url, {"other": merge.pk})
    text = confirm.content.decode()
    assert "Trainings both records attended" in text
    assert f"the attendance of #{merge.pk} stays" in text  # completed, with both scores
    assert other.title in text  # moves
    assert Participant.objects.filter(pk=merge.pk).exists()  # nothing happens before the post

    response = client.post(url, {"other": merge.pk, "full_name": "merge", "email": "merge"})
    assert response.status_code == 302
    assert not Participant.objects.filter(pk=merge.pk).exists()
    keep.refresh_from_db()
    assert keep.full_name == "Ana Stojanovska" and keep.email == "ana@example.org"
    rows = {a.training_id: a for a in Attendance.objects.filter(participant=keep)}
    assert set(rows) == {held.pk, other.pk}
    assert rows[held.pk].completed and rows[held.pk].post_score == Decimal(90)
    assert rows[other.pk].post_score == Decimal(70)
    page = client.get(reverse("trainings:person", args=[keep.pk])).content.decode()
    who = ministry.get_full_name() or ministry.get_username()
    assert f"Merged with Ana Stojanovska (#{merge.pk}) by {who}" in page


def test_a_merge_keeps_the_kept_records_values_unless_told(demo: dict[str, User]) -> None:
    keep = _person("Ана Стојановска", at=_training(MSPDY_HELD), email="ana@mspdy.example")
    merge = _person("Ana Stojanovska", at=_training(MSPDY_ONLY), email="ana@example.org")
    url = reverse("trainings:person_merge", args=[keep.pk])
    response = _as(demo["demo-ministry"]).post(url, {"other": merge.pk})
    assert response.status_code == 302
    keep.refresh_from_db()
    assert keep.full_name == "Ана Стојановска" and keep.email == "ana@mspdy.example"
    assert Attendance.objects.filter(participant=keep).count() == 2


def test_erasing_a_merged_person_erases_the_merge_entry_too(demo: dict[str, User]) -> None:
    keep = _person("Ана Стојановска", at=_training(MSPDY_HELD))
    merge = _person("Ana Stojanovska", at=_training(MSPDY_ONLY))
    client = _as(demo["demo-ministry"])
    merge_url = reverse("trainings:person_merge", args=[keep.pk])
    client.post(merge_url, {"other": merge.pk}, follow=True)  # the messages shown
    client.post(reverse("trainings:person_erase", args=[keep.pk]), follow=True)
    page = client.get(reverse("trainings:person", args=[keep.pk])).content.decode()
    assert "Stojanovska" not in page and "Стојановска" not in page
    kept = keep.history.values_list("full_name", "history_change_reason")
    assert all("Stojanovska" not in f"{n} {r}" for n, r in kept)
