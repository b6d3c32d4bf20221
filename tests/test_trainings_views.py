from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from programme.models import Action
from stakeholders.choices import Sex
from stakeholders.models import Institution, ProfessionalGroup
from trainings.choices import TrainingStatus
from trainings.models import Attendance, Participant, Topic, Training
from trainings.permissions import trainings_visible_to
from trainings.selectors import attendance_summary, participants_by_group
from trainings.services import training_share

pytestmark = pytest.mark.django_db

PERSONAS = ["demo-admin", "demo-observer", "demo-ministry", "demo-cso-a", "demo-cso-b"]
MSPDY_ONLY = "Free legal aid for trafficking victims: regional follow-up"  # MSPDY, no partners
MSPDY_HELD = "Recognising and referring child victims of trafficking"  # MSPDY + CoE, 12 people
COE_WITH_CSO_A = "Reporting on human trafficking: a workshop for journalists and CSOs"


def _training(title: str) -> Training:
    return Training.objects.get(title_en=title)


def _inst(code: str) -> Institution:
    return Institution.objects.get(code=code)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _form(training: Training, **changes) -> dict:
    """The edit form as the page would post it, with some values changed."""
    data = {
        "title": training.title_en,
        "organiser": training.organiser_id,
        "partners": [p.pk for p in training.partners.all()],
        "topics": [t.pk for t in training.topics.all()],
        "target_groups": [g.pk for g in training.target_groups.all()],
        "status": training.status,
        "start_date": training.start_date.isoformat() if training.start_date else "",
        "end_date": training.end_date.isoformat() if training.end_date else "",
        "venue": training.venue,
        "city": training.city,
        "methodology": training.methodology,
        "recommendations": [r.pk for r in training.recommendations.all()],
        "outcomes": [o.pk for o in training.outcomes.all()],
        "seen_at": training.updated_at.isoformat(),
    }
    data.update(changes)
    return data


def _new_training(**changes) -> dict:
    data = {
        "title": "Referral of victims: training for social workers in Kumanovo",
        "organiser": _inst("mspdy").pk,
        "topics": [Topic.objects.get(slug="child-trafficking").pk],
        "target_groups": [ProfessionalGroup.objects.get(slug="social-workers").pk],
        "status": TrainingStatus.HELD,
        "start_date": "2025-04-08",
        "end_date": "2025-04-09",
        "venue": "Social work centre",
        "city": "Kumanovo",
        "methodology": "Case studies",
    }
    data.update(changes)
    return data


def _snapshot(training: Training) -> tuple:
    training.refresh_from_db()
    return (
        training.title_en,
        training.organiser_id,
        training.status,
        training.start_date,
        training.end_date,
        training.updated_at,
        sorted(training.partners.values_list("pk", flat=True)),
        sorted(training.attendance.values_list("pk", "pre_score", "post_score", "completed")),
    )


# --- who may do what ---------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, demo) -> None:
    pk = _training(MSPDY_HELD).pk
    for url in (
        "/trainings/",
        "/trainings/new/",
        f"/trainings/{pk}/",
        f"/trainings/{pk}/edit/",
        f"/trainings/{pk}/participants/add/",
        f"/trainings/{pk}/participants/paste/",
        f"/trainings/{pk}/attendance/",
    ):
        for response in (client.get(url), client.post(url, {})):
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("username", PERSONAS)
def test_every_persona_reads_the_list(client, demo, username) -> None:
    client.force_login(demo[username])
    response = client.get("/trainings/")
    assert response.status_code == 200
    visible = trainings_visible_to(demo[username])
    assert response.context["page_obj"].paginator.count == visible.count()


def test_list_offers_logging_only_to_those_who_may(client, demo) -> None:
    for username, offered in (
        ("demo-ministry", True),
        ("demo-admin", True),
        ("demo-cso-a", True),
        ("demo-observer", False),
    ):
        client.force_login(demo[username])
        content = client.get("/trainings/").content.decode()
        assert ('href="/trainings/new/"' in content) is offered, username


def test_list_shows_counts_badges_and_filters(client, demo) -> None:
    client.force_login(demo["demo-ministry"])
    response = client.get("/trainings/")
    rows = {t.title_en: t for t in response.context["page_obj"]}
    assert rows[MSPDY_HELD].participant_count == 12
    assert rows[MSPDY_ONLY].participant_count == 0
    assert 'class="badge"' in response.content.decode()

    planned = client.get("/trainings/", {"status": "planned"}).context["page_obj"]
    assert {t.title_en for t in planned} == {MSPDY_ONLY}
    found = client.get("/trainings/", {"q": "referring CHILD"}).context["page_obj"]
    assert [t.title_en for t in found] == [MSPDY_HELD]
    topic = Topic.objects.get(slug="child-trafficking")
    by_topic = client.get("/trainings/", {"topic": topic.pk}).context["page_obj"]
    assert [t.title_en for t in by_topic] == [MSPDY_HELD]
    group = ProfessionalGroup.objects.get(slug="lawyers")
    by_group = client.get("/trainings/", {"target_group": group.pk}).context["page_obj"]
    assert MSPDY_ONLY in {t.title_en for t in by_group}
    by_year = client.get("/trainings/", {"year": "2026"}).context["page_obj"]
    assert [t.title_en for t in by_year] == [MSPDY_ONLY]
    by_org = client.get("/trainings/", {"organiser": _inst("mspdy").pk}).context["page_obj"]
    assert {t.title_en for t in by_org} == {MSPDY_HELD, MSPDY_ONLY}


def test_another_institution_gets_404_everywhere(client, demo) -> None:
    training = _training(MSPDY_ONLY)
    before = _snapshot(training)
    client.force_login(demo["demo-cso-b"])
    assert MSPDY_ONLY not in client.get("/trainings/").content.decode()
    for url in ("", "edit/", "participants/add/", "participants/paste/", "attendance/"):
        assert client.get(f"/trainings/{training.pk}/{url}").status_code == 404
    posts = {
        "edit/": _form(training, title="Taken over"),
        "participants/add/": {"full_name": "Intruder", "sex": "male"},
        "participants/paste/": {"text": "Intruder\tM"},
        "attendance/": {"form-TOTAL_FORMS": "0", "form-INITIAL_FORMS": "0"},
    }
    for url, data in posts.items():
        assert client.post(f"/trainings/{training.pk}/{url}", data).status_code == 404
    assert _snapshot(training) == before
    assert not Participant.objects.filter(full_name="Intruder").exists()


def test_observer_reads_but_cannot_write(client, demo) -> None:
    training = _training(MSPDY_HELD)
    before = _snapshot(training)
    count = Training.objects.count()
    client.force_login(demo["demo-observer"])
    page = client.get(f"/trainings/{training.pk}/")
    assert page.status_code == 200
    assert page.context["can_edit"] is False
    assert f"/trainings/{training.pk}/edit/" not in page.content.decode()
    assert client.get("/trainings/new/").status_code == 403
    assert client.post("/trainings/new/", _new_training()).status_code == 403
    assert client.get(f"/trainings/{training.pk}/edit/").status_code == 403
    assert client.post(f"/trainings/{training.pk}/edit/", _form(training)).status_code == 403
    attendance = training.attendance.first()
    writes = {
        "participants/add/": {"full_name": "Observer Guest", "sex": "female"},
        "participants/paste/": {"text": "Observer Guest\tF"},
        "attendance/": {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": attendance.pk,
            "form-0-pre_score": "1",
            "form-0-post_score": "2",
        },
    }
    for url, data in writes.items():
        assert client.post(f"/trainings/{training.pk}/{url}", data).status_code == 403
    assert _snapshot(training) == before
    assert Training.objects.count() == count


def test_participant_emails_are_shown_only_to_editors(client, demo) -> None:
    training = _training(MSPDY_HELD)
    person = training.attendance.first().participant
    person.email = "private.person@example.org"
    person.save()
    client.force_login(demo["demo-observer"])
    assert b"private.person@example.org" not in client.get(f"/trainings/{training.pk}/").content
    client.force_login(demo["demo-ministry"])
    page = client.get(f"/trainings/{training.pk}/")
    assert page.context["can_edit"] is True
    assert b"private.person@example.org" in page.content


def test_detail_shows_summary_figures(client, demo) -> None:
    training = _training(MSPDY_HELD)
    rows = list(training.attendance.select_related("participant"))
    client.force_login(demo["demo-observer"])
    summary = client.get(f"/trainings/{training.pk}/").context["record"].summary
    assert summary.participants == 12
    women = sum(1 for a in rows if a.participant.sex == Sex.FEMALE)
    assert {t.label: t.count for t in summary.by_sex}["Female"] == women
    assert sum(t.count for t in summary.by_group) == 12
    pre = [a.pre_score or Decimal(0) for a in rows]
    post = [a.post_score or Decimal(0) for a in rows]
    average = sum(pre, Decimal(0)) / 12
    assert summary.average_pre == average.quantize(Decimal("0.1"))
    change = (sum(post, Decimal(0)) - sum(pre, Decimal(0))) / 12
    assert summary.average_change == change.quantize(Decimal("0.1"))


def test_participants_by_profession_are_named_in_the_reader_s_language(demo) -> None:
    """Counted per profession, named in the current language, English where untranslated."""
    training = _training(MSPDY_HELD)
    police = ProfessionalGroup.objects.create(
        slug="test-police", name_en="Police officers (test)", name_mk="Полицајци (тест)"
    )
    lawyers = ProfessionalGroup.objects.create(slug="test-lawyers", name_en="Lawyers (test)")
    people = list(Participant.objects.filter(attendance__training=training).order_by("pk"))
    groups = [police, police, police, lawyers, lawyers, None]
    for person, group in zip(people, groups, strict=False):
        person.professional_group = group
        person.save()
    attendance = Attendance.objects.filter(training=training, participant__in=people[:6])
    with translation.override("mk"):
        summary = attendance_summary(training=training)
        by_group = participants_by_group(attendance=attendance)
    tallies = {t.label: t.count for t in summary.by_group}
    assert tallies["Полицајци (тест)"] == 3
    assert tallies["Lawyers (test)"] == 2
    assert "Police officers (test)" not in tallies
    assert [row[0] for row in by_group] == ["Полицајци (тест)", "Lawyers (test)", "Не е наведено"]
    assert [row[3] for row in by_group] == [3, 2, 1]


# --- logging and editing a training ------------------------------------------------------


def test_ministry_logs_a_training_with_participants_and_scores(client, demo) -> None:
    client.force_login(demo["demo-ministry"])
    page = client.get("/trainings/new/")
    assert page.status_code == 200
    assert list(page.context["form"].fields["organiser"].queryset) == [_inst("mspdy")]

    response = client.post("/trainings/new/", _new_training(partners=[_inst("moi").pk]))
    assert response.status_code == 302
    training = Training.objects.get(title_en__startswith="Referral of victims")
    assert response["Location"] == f"/trainings/{training.pk}/"
    assert training.organiser == _inst("mspdy") and training.is_demo
    assert list(training.partners.all()) == [_inst("moi")]
    # Permissions follow organiser and partners.
    assert trainings_visible_to(demo["demo-ministry"]).filter(pk=training.pk).exists()
    assert not trainings_visible_to(demo["demo-cso-b"]).filter(pk=training.pk).exists()

    one = client.post(
        f"/trainings/{training.pk}/participants/add/",
        {
            "full_name": "  Vesna   Pop-Jordanova ",
            "sex": "female",
            "professional_group": ProfessionalGroup.objects.get(slug="social-workers").pk,
            "institution": _inst("mspdy").pk,
            "position": "Social worker",
            "email": "vesna.t@example.org",
            "consent": "on",
            "consent_date": "2025-04-08",
            "pre_score": "40",
            "post_score": "75.5",
        },
    )
    assert one.status_code == 302
    vesna = Participant.objects.get(email="vesna.t@example.org")
    assert vesna.full_name == "Vesna Pop-Jordanova"

    paste = "\n".join(
        [
            "Full name\tSex\tProfession\tInstitution\tEmail\tPre\tPost",
            "Bekim Memeti\tМ\tСоцијални работници\tМСПДМ\t\t50\t80",
            "Teuta Veseli\tfemër\tsocial workers\t"
            "Ministry of Social Policy, Demography and Youth\t\t45,5\t70",
        ]
    )
    pasted = client.post(f"/trainings/{training.pk}/participants/paste/", {"text": paste})
    assert pasted.status_code == 302
    assert "2 participants added" in _messages(pasted)[-1]

    attendance = list(training.attendance.order_by("participant__full_name"))
    assert [a.participant.full_name for a in attendance] == [
        "Bekim Memeti",
        "Teuta Veseli",
        "Vesna Pop-Jordanova",
    ]
    scores: dict[str, object] = {
        "form-TOTAL_FORMS": "3",
        "form-INITIAL_FORMS": "3",
    }
    for i, a in enumerate(attendance):
        scores[f"form-{i}-id"] = a.pk
        scores[f"form-{i}-pre_score"] = str(a.pre_score)
        scores[f"form-{i}-post_score"] = "90"
        if i != 1:
            scores[f"form-{i}-completed"] = "on"
    assert client.post(f"/trainings/{training.pk}/attendance/", scores).status_code == 302
    teuta = training.attendance.get(participant__full_name="Teuta Veseli")
    assert teuta.pre_score == Decimal("45.50") and teuta.post_score == 90
    assert teuta.completed is False
    assert teuta.participant.sex == Sex.FEMALE
    assert teuta.participant.institution == _inst("mspdy")

    detail = client.get(f"/trainings/{training.pk}/")
    summary = detail.context["record"].summary
    assert summary.participants == 3
    assert summary.average_post == Decimal("90.0")
    assert summary.average_pre == Decimal("45.2")  # (40 + 50 + 45.5) / 3
    assert b"vesna.t@example.org" in detail.content


def test_organiser_outside_the_gate_is_rejected(client, demo) -> None:
    client.force_login(demo["demo-ministry"])
    count = Training.objects.count()
    response = client.post("/trainings/new/", _new_training(organiser=_inst("coe").pk))
    assert response.status_code == 200
    assert response.context["form"].errors["organiser"]
    assert Training.objects.count() == count

    training = _training(MSPDY_HELD)
    before = _snapshot(training)
    response = client.post(
        f"/trainings/{training.pk}/edit/", _form(training, organiser=_inst("moi").pk)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["organiser"]
    assert _snapshot(training) == before


def test_the_organiser_ticked_as_its_own_partner_is_explained(client, demo) -> None:
    client.force_login(demo["demo-ministry"])
    count = Training.objects.count()
    ministry = _inst("mspdy")
    response = client.post(
        "/trainings/new/", _new_training(organiser=ministry.pk, partners=[ministry.pk])
    )
    assert response.status_code == 200
    assert response.context["form"].errors["partners"] == [
        f"{ministry.label} organises the training, so it is not also a partner: untick it."
    ]
    assert Training.objects.count() == count


def test_partner_editor_cannot_hand_the_training_to_their_institution(client, demo) -> None:
    training = _training(COE_WITH_CSO_A)
    client.force_login(demo["demo-cso-a"])
    response = client.post(
        f"/trainings/{training.pk}/edit/",
        _form(training, organiser=_inst("demo-cso-a").pk, city="Struga"),
    )
    assert response.status_code == 302
    training.refresh_from_db()
    assert training.city == "Struga"
    assert training.organiser == _inst("coe")  # the disabled field ignores what was posted


def test_bad_dates_are_explained_and_nothing_is_saved(client, demo) -> None:
    client.force_login(demo["demo-ministry"])
    count = Training.objects.count()
    response = client.post(
        "/trainings/new/", _new_training(start_date="2025-04-09", end_date="2025-04-01")
    )
    assert response.status_code == 200
    assert "The end date cannot be before the start date." in response.content.decode()
    response = client.post("/trainings/new/", _new_training(start_date="", end_date=""))
    assert "A training that was held needs its dates." in response.content.decode()
    response = client.post("/trainings/new/", _new_training(title="", topics=[]))
    assert response.context["form"].errors.keys() >= {"title", "topics"}
    assert Training.objects.count() == count

    training = _training(MSPDY_ONLY)
    before = _snapshot(training)
    response = client.post(
        f"/trainings/{training.pk}/edit/", _form(training, end_date="2026-01-01")
    )
    assert "The end date cannot be before the start date." in response.content.decode()
    assert response.context["form"]["city"].value() == training.city
    assert _snapshot(training) == before


def test_a_stale_form_is_refused_and_keeps_the_input(client, demo) -> None:
    training = _training(MSPDY_ONLY)
    client.force_login(demo["demo-ministry"])
    opened = client.get(f"/trainings/{training.pk}/edit/").context["form"]["seen_at"].value()
    first = _form(training, city="Prilep", seen_at=opened.isoformat())
    assert client.post(f"/trainings/{training.pk}/edit/", first).status_code == 302
    second = dict(first, city="Veles", venue="My venue")
    response = client.post(f"/trainings/{training.pk}/edit/", second)
    assert response.status_code == 200
    content = response.content.decode()
    assert (
        "This training was changed by someone else after you opened it. "
        "Reload to see their changes."
    ) in content
    assert 'value="Veles"' in content and 'value="My venue"' in content
    training.refresh_from_db()
    assert training.city == "Prilep"
    # Saving again from the page that showed the warning is a deliberate choice: it works.
    again = dict(second, seen_at=response.context["form"]["seen_at"].value())
    assert client.post(f"/trainings/{training.pk}/edit/", again).status_code == 302
    training.refresh_from_db()
    assert training.city == "Veles"


def test_editing_in_macedonian_keeps_the_english_title(client, demo) -> None:
    training = _training(MSPDY_ONLY)
    client.force_login(demo["demo-ministry"])
    data = _form(training, title="Бесплатна правна помош")
    response = client.post(f"/trainings/{training.pk}/edit/", data, HTTP_ACCEPT_LANGUAGE="mk")
    assert response.status_code == 302
    training.refresh_from_db()
    assert training.title_mk == "Бесплатна правна помош"
    assert training.title_en == MSPDY_ONLY


# --- participants one at a time ----------------------------------------------------------


def _person(**changes) -> dict:
    data = {
        "full_name": "Marta Sazdovska",
        "sex": "female",
        "institution": Institution.objects.get(code="moi").pk,
        "pre_score": "50",
        "post_score": "70",
    }
    data.update(changes)
    return data


def test_a_registered_participant_is_found_not_duplicated(client, demo) -> None:
    first, second = _training(MSPDY_HELD), _training(MSPDY_ONLY)
    client.force_login(demo["demo-ministry"])
    assert client.post(f"/trainings/{first.pk}/participants/add/", _person()).status_code == 302
    again = client.post(
        f"/trainings/{second.pk}/participants/add/", _person(full_name="  Marta   Sazdovska ")
    )
    assert again.status_code == 302
    assert "already in the participant register" in _messages(again)[-1]
    person = Participant.objects.get(full_name__iexact="marta sazdovska")
    assert set(person.attendance.values_list("training", flat=True)) == {first.pk, second.pk}


def test_a_participant_already_listed_is_refused(client, demo) -> None:
    training = _training(MSPDY_HELD)
    client.force_login(demo["demo-ministry"])
    client.post(f"/trainings/{training.pk}/participants/add/", _person(email="b.o@example.org"))
    count = Attendance.objects.count()
    response = client.post(
        f"/trainings/{training.pk}/participants/add/",
        _person(institution="", email="B.O@example.org"),
    )
    assert response.status_code == 200
    assert "Marta Sazdovska is already listed for this training." in response.content.decode()
    assert Attendance.objects.count() == count


def test_participant_bad_input_is_explained(client, demo) -> None:
    training = _training(MSPDY_HELD)
    client.force_login(demo["demo-ministry"])
    before = (Participant.objects.count(), Attendance.objects.count())
    response = client.post(
        f"/trainings/{training.pk}/participants/add/", _person(pre_score="101", post_score="-1")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["pre_score"] == ["Scores are between 0 and 100."]
    assert errors["post_score"] == ["Scores are between 0 and 100."]
    response = client.post(f"/trainings/{training.pk}/participants/add/", _person(full_name=""))
    assert "full_name" in response.context["form"].errors
    response = client.post(f"/trainings/{training.pk}/participants/add/", _person(consent="on"))
    assert "consent_date" in response.context["form"].errors
    assert (Participant.objects.count(), Attendance.objects.count()) == before


# --- pasting from a spreadsheet ----------------------------------------------------------

PASTE = "\n".join(
    [
        "Zorica Velkovska\tF\tPolice officers\tMoI\tzorica.v@example.org\t40\t70",
        "Bekim Fetahu\tmashkull\tInspektorë të punës\tState Labour Inspectorate\t\t55\t60",
        "Ljupka Micevska\tжена\tlabour-inspectors\tLabour inspectorate\t\t\t",
        "Gjorgji Spasov\tmale\t\tМинистерство за внатрешни работи\t\t30\t65",
    ]
)


def test_pasting_twice_creates_no_duplicates(client, demo) -> None:
    training = _training(MSPDY_ONLY)
    client.force_login(demo["demo-ministry"])
    response = client.post(f"/trainings/{training.pk}/participants/paste/", {"text": PASTE})
    assert response.status_code == 302
    assert _messages(response)[-1].startswith("4 participants added; 0 were already")
    people = Participant.objects.count()
    again = client.post(
        f"/trainings/{training.pk}/participants/paste/",
        {"text": PASTE.replace("Zorica Velkovska", " Zorica  Velkovska")},
    )
    assert again.status_code == 302
    assert "0 participants added; 4 were already registered" in _messages(again)[-1]
    assert Participant.objects.count() == people
    assert training.attendance.count() == 4
    bujar = training.attendance.get(participant__full_name="Bekim Fetahu")
    assert bujar.participant.sex == Sex.MALE
    assert bujar.participant.institution == _inst("labour-inspectorate")
    assert bujar.participant.professional_group.slug == "labour-inspectors"
    elena = training.attendance.get(participant__full_name="Ljupka Micevska")
    assert elena.participant.sex == Sex.FEMALE and elena.pre_score is None


def test_the_same_person_twice_in_one_paste_is_one_participant(client, demo) -> None:
    training = _training(MSPDY_ONLY)
    client.force_login(demo["demo-ministry"])
    people = Participant.objects.count()
    text = "Zorica Velkovska;Ж;;MoI;;40;70\nZorica Velkovska;Ж;;MoI;;40;70"
    response = client.post(f"/trainings/{training.pk}/participants/paste/", {"text": text})
    assert response.status_code == 200
    assert "The same person as row 1." in response.content.decode()
    assert Participant.objects.count() == people
    once = client.post(
        f"/trainings/{training.pk}/participants/paste/", {"text": text.split("\n")[0]}
    )
    assert once.status_code == 302
    assert Participant.objects.count() == people + 1


def test_a_paste_with_an_error_saves_nothing_and_names_the_cell(client, demo) -> None:
    training = _training(MSPDY_ONLY)
    client.force_login(demo["demo-ministry"])
    before = (Participant.objects.count(), Attendance.objects.count())
    rows = PASTE.split("\n")
    rows[1] = rows[1].replace("mashkull", "unknown").replace("\t60", "\t160")
    response = client.post(
        f"/trainings/{training.pk}/participants/paste/", {"text": "\n".join(rows)}
    )
    assert response.status_code == 200
    errors = response.context["form"].row_errors
    assert [(e.row, e.column, e.value) for e in errors] == [
        (2, "Sex", "unknown"),
        (2, "Post-test score", "160"),
    ]
    content = response.content.decode()
    assert "Nothing was saved" in content and "<code>unknown</code>" in content
    assert (Participant.objects.count(), Attendance.objects.count()) == before


def test_paste_names_unknown_institutions_and_professions(client, demo) -> None:
    training = _training(MSPDY_ONLY)
    client.force_login(demo["demo-ministry"])
    text = "Zorica Velkovska\tF\tAstronauts\tNowhere Agency\tnot-an-email\tabc\t"
    response = client.post(f"/trainings/{training.pk}/participants/paste/", {"text": text})
    columns = {e.column: e.message for e in response.context["form"].row_errors}
    assert columns.keys() == {"Profession", "Institution", "Email", "Pre-test score"}
    assert "No institution has this name." in columns["Institution"]
    assert not Participant.objects.filter(full_name="Zorica Velkovska").exists()


# --- scores of everyone at once ----------------------------------------------------------


def _scores(training: Training, **values) -> dict:
    rows = list(training.attendance.order_by("pk"))
    data: dict[str, object] = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
    }
    for i, a in enumerate(rows):
        data[f"form-{i}-id"] = a.pk
        data[f"form-{i}-pre_score"] = values.get("pre", str(a.pre_score))
        data[f"form-{i}-post_score"] = values.get("post", str(a.post_score))
        data[f"form-{i}-completed"] = "on"
    return data


def test_attendance_scores_out_of_range_are_refused(client, demo) -> None:
    training = _training(MSPDY_HELD)
    before = _snapshot(training)
    client.force_login(demo["demo-ministry"])
    assert client.get(f"/trainings/{training.pk}/attendance/").status_code == 200
    response = client.post(f"/trainings/{training.pk}/attendance/", _scores(training, post="120"))
    assert response.status_code == 200
    assert "Scores are between 0 and 100." in response.content.decode()
    assert _snapshot(training) == before


def test_attendance_of_another_training_cannot_be_slipped_in(client, demo) -> None:
    training = _training(MSPDY_HELD)
    other = _training(COE_WITH_CSO_A).attendance.first()
    client.force_login(demo["demo-ministry"])
    data = _scores(training)
    data["form-0-id"] = other.pk
    data["form-0-pre_score"] = "1"
    response = client.post(f"/trainings/{training.pk}/attendance/", data)
    assert response.status_code == 200
    other.refresh_from_db()
    assert other.pre_score != 1
    # More forms than rows do not create attendance either.
    data = _scores(training)
    data["form-TOTAL_FORMS"] = str(training.attendance.count() + 1)
    count = Attendance.objects.count()
    client.post(f"/trainings/{training.pk}/attendance/", data)
    assert Attendance.objects.count() == count


# --- query counts ------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _add_trainings(n: int) -> None:
    action = Action.objects.get()
    mspdy, coe = _inst("mspdy"), _inst("coe")
    topic = Topic.objects.order_by("pk")[0]
    existing = Training.objects.count()
    for i in range(existing, existing + n):
        training = Training.objects.create(
            action=action,
            title_en=f"Extra training {i}",
            organiser=mspdy,
            start_date=date(2025, 1, 1) + timedelta(days=i),
            city="Skopje",
        )
        training.topics.add(topic)
        training.partners.add(coe)
        training_share(training=training)


@pytest.mark.parametrize("username", ["demo-ministry", "demo-admin", "demo-observer"])
def test_list_runs_the_same_queries_for_10_and_200_trainings(client, demo, username) -> None:
    Training.objects.all().delete()
    client.force_login(demo[username])
    _add_trainings(10)
    few = _queries(client, "/trainings/")
    _add_trainings(190)
    many = _queries(client, "/trainings/")
    assert few == many
    topic = Topic.objects.order_by("pk").first().pk
    filtered = f"/trainings/?status=planned&topic={topic}&q=extra"
    assert _queries(client, filtered + "&page=3") == _queries(client, filtered)


def _add_attendance(training: Training, n: int) -> None:
    group = ProfessionalGroup.objects.order_by("pk").first()
    start = Participant.objects.count()
    people = Participant.objects.bulk_create(
        Participant(
            full_name=f"Person {i}",
            sex=Sex.FEMALE if i % 2 else Sex.MALE,
            professional_group=group,
            institution=training.organiser,
            email=f"person{i}@example.org",
        )
        for i in range(start, start + n)
    )
    Attendance.objects.bulk_create(
        Attendance(training=training, participant=p, pre_score=40, post_score=60) for p in people
    )


@pytest.mark.parametrize("username", ["demo-ministry", "demo-observer"])
def test_detail_and_scores_run_the_same_queries_for_10_and_200_participants(
    client, demo, username
) -> None:
    training = _training(MSPDY_ONLY)
    client.force_login(demo[username])
    _add_attendance(training, 10)
    pages = [f"/trainings/{training.pk}/"]
    if username == "demo-ministry":
        pages.append(f"/trainings/{training.pk}/attendance/")
    few = [_queries(client, url) for url in pages]
    _add_attendance(training, 190)
    assert [_queries(client, url) for url in pages] == few


# --- the register does not cross institutions --------------------------------------------

SECRET = {
    "full_name": "Bojana Tasevska",
    "sex": "female",
    "position": "Counsellor at the shelter",
    "email": "bojana.tasevska@example.org",
}


def _cso_training(demo, username: str, *, partners: tuple[str, ...] = ()) -> Training:
    from trainings.services import training_create

    return training_create(
        by=demo[username],
        action=Action.objects.get(),
        title=f"Peer training of {username}",
        organiser=_inst(username),
        topics=[Topic.objects.order_by("pk")[0]],
        partners=[_inst(code) for code in partners],
        status=TrainingStatus.HELD,
        start_date=date(2025, 5, 6),
        end_date=date(2025, 5, 6),
    )


def _registered_by_cso_b(demo, **changes) -> tuple[Training, Participant]:
    """CSO B lists a person at its own training, through the form, in a browser of its own."""
    b_training = _cso_training(demo, "demo-cso-b", partners=changes.pop("partners", ()))
    client = Client()
    client.force_login(demo["demo-cso-b"])
    data = {**SECRET, "institution": _inst("moi").pk, "pre_score": "40", "post_score": "70"}
    data.update(changes)
    assert client.post(f"/trainings/{b_training.pk}/participants/add/", data).status_code == 302
    return b_training, Participant.objects.get(email=SECRET["email"])


def _record(person: Participant) -> tuple:
    person.refresh_from_db()
    return (
        person.full_name,
        person.sex,
        person.professional_group_id,
        person.institution_id,
        person.position,
        person.email,
        person.updated_at,
        sorted(person.attendance.values_list("training_id", flat=True)),
    )


def _shows_nothing_of(client, training: Training, person: Participant) -> None:
    page = client.get(f"/trainings/{training.pk}/").content.decode()
    export = client.get(f"/trainings/{training.pk}/attendance/export.csv").content.decode()
    for text in (page, export):
        assert person.full_name not in text
        assert person.position not in text


def test_a_cso_adding_another_csos_participant_by_email_registers_someone_new(client, demo) -> None:
    b_training, person = _registered_by_cso_b(demo)
    before = _record(person)
    a_training = _cso_training(demo, "demo-cso-a")
    client.force_login(demo["demo-cso-a"])
    response = client.post(
        f"/trainings/{a_training.pk}/participants/add/",
        {
            "full_name": "B. T.",
            "sex": "female",
            "email": SECRET["email"].upper(),
            "consent": "on",
            "consent_date": "2025-05-06",
        },
    )
    assert response.status_code == 302
    listed = a_training.attendance.get()
    assert listed.participant_id != person.pk
    assert _record(person) == before
    assert before[-1] == [b_training.pk]
    _shows_nothing_of(client, a_training, person)
    assert _messages(response)[-1] == "B. T. added."
    assert listed.participant.registered_by_institution == _inst("demo-cso-a")
    assert listed.consent and listed.consent_date == date(2025, 5, 6)


def test_a_cso_pasting_another_csos_participant_registers_someone_new(client, demo) -> None:
    _b_training, person = _registered_by_cso_b(demo)
    before = _record(person)
    a_training = _cso_training(demo, "demo-cso-a")
    client.force_login(demo["demo-cso-a"])
    rows = f"Bojana Tasevska\tF\t\tMoI\t{SECRET['email']}\t35\t80"
    response = client.post(f"/trainings/{a_training.pk}/participants/paste/", {"text": rows})
    assert response.status_code == 302
    listed = a_training.attendance.get()
    assert listed.participant_id != person.pk
    assert _record(person) == before
    page = client.get(f"/trainings/{a_training.pk}/").content.decode()
    assert "Counsellor" not in page
    assert _messages(response)[-1].startswith("1 participant added; 0 were already")
    assert listed.participant.registered_by_institution == _inst("demo-cso-a")


def test_an_entry_never_changes_a_record_another_institution_registered(client, demo) -> None:
    """CSO A, a partner of CSO B's training, sees B's participant and lists them at its own
    training: found, not duplicated, but B's record keeps B's details; A's scores and
    consent go on A's attendance."""
    b_training, person = _registered_by_cso_b(
        demo, partners=("demo-cso-a",), position="", consent="", consent_date=""
    )
    before = _record(person)
    a_training = _cso_training(demo, "demo-cso-a")
    client.force_login(demo["demo-cso-a"])
    response = client.post(
        f"/trainings/{a_training.pk}/participants/add/",
        {
            "full_name": "Bojana Tasevska",
            "sex": "female",
            "professional_group": ProfessionalGroup.objects.get(slug="social-workers").pk,
            "position": "Director",
            "email": SECRET["email"],
            "consent": "on",
            "consent_date": "2025-05-06",
            "pre_score": "55",
        },
    )
    assert response.status_code == 302
    assert "already in the participant register" in _messages(response)[-1]
    listed = a_training.attendance.get()
    assert listed.participant_id == person.pk
    after = _record(person)
    assert after[:7] == before[:7]  # the record itself is as B left it
    assert after[-1] == sorted([b_training.pk, a_training.pk])
    assert (listed.pre_score, listed.consent, listed.consent_recorded_by) == (
        Decimal(55),
        True,
        demo["demo-cso-a"],
    )
    assert b_training.attendance.get().consent is False


def test_the_institution_that_registered_a_person_fills_in_their_record(client, demo) -> None:
    _b_training, person = _registered_by_cso_b(demo, position="")
    other = _cso_training(demo, "demo-cso-b")
    client.force_login(demo["demo-cso-b"])
    client.post(
        f"/trainings/{other.pk}/participants/add/",
        {
            "full_name": "Bojana Tasevska",
            "sex": "female",
            "email": SECRET["email"],
            "position": "Director",
        },
    )
    person.refresh_from_db()
    assert person.registered_by_institution == _inst("demo-cso-b")
    assert person.position == "Director"
    assert set(person.attendance.values_list("training_id", flat=True)) == {
        _b_training.pk,
        other.pk,
    }


# --- consent, per training ---------------------------------------------------------------


def test_the_scores_page_records_consent_for_this_training(client, demo) -> None:
    training = _training(MSPDY_ONLY)
    client.force_login(demo["demo-ministry"])
    client.post(f"/trainings/{training.pk}/participants/add/", _person())
    row = training.attendance.get()
    assert row.consent is False
    data = _scores(training)
    data["form-0-consent"] = "on"
    response = client.post(f"/trainings/{training.pk}/attendance/", data)
    assert response.status_code == 200
    assert "Give the date consent was given." in response.content.decode()
    data["form-0-consent_date"] = "2026-01-15"
    assert client.post(f"/trainings/{training.pk}/attendance/", data).status_code == 302
    row.refresh_from_db()
    assert (row.consent, row.consent_date) == (True, date(2026, 1, 15))
    assert row.consent_recorded_by == demo["demo-ministry"]
    assert row.consent_recorded_at is not None


def test_readers_who_do_not_keep_the_list_see_names_only_with_consent(client, demo) -> None:
    training = _training(MSPDY_HELD)
    rows = list(training.attendance.select_related("participant").order_by("pk"))
    withheld, named = rows[0], rows[1]
    Attendance.objects.filter(pk=withheld.pk).update(consent=False, consent_date=None)
    client.force_login(demo["demo-observer"])
    page = client.get(f"/trainings/{training.pk}/").content.decode()
    export = client.get(f"/trainings/{training.pk}/attendance/export.csv").content.decode()
    for text in (page, export):
        assert withheld.participant.full_name not in text
        assert named.participant.full_name in text
    client.force_login(demo["demo-ministry"])
    assert (
        withheld.participant.full_name in client.get(f"/trainings/{training.pk}/").content.decode()
    )
