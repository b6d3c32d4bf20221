"""Participants and attendance of a training, from the files ministries really send."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from imports.services import import_batch_rollback
from stakeholders.choices import Sex
from stakeholders.models import Institution
from tests.imports import files
from trainings.models import Attendance, Participant, Topic, Training

pytestmark = pytest.mark.django_db

TRAINING = "Free legal aid for trafficking victims: regional follow-up"  # MSPDY's, nobody yet
HEADERS = [
    "Full name",
    "Sex",
    "Profession",
    "Institution",
    "Position",
    "Email",
    "Consent to processing",
    "Consent date",
    "Pre-test score",
    "Post-test score",
]
# Macedonian, with Cyrillic names, stray spaces, Ж/М, short names and aliases in either script.
MACEDONIAN: list[list[Any]] = [
    [
        "  Ана   Петровска ",
        "Ж",
        "Социјални работници",
        "МСПДМ",
        "советник",
        "ana.petrovska@example.mk",
        "да",
        date(2025, 3, 3),
        45,
        "80,5",
    ],
    [
        "Марко Илиевски",
        "М",
        "Полициски службеници",
        "Ministry of Internal Affairs",
        "",
        "",
        "не",
        None,
        "40",
        70,
    ],
    [],
    ["Елена Стојанова", "жена", "", "Министерство за внатрешни работи", "", "", "", None, "", ""],
]
ALBANIAN: list[list[Any]] = [
    [
        "Gëzim Çela",
        "mashkull",
        "Punonjës socialë",
        "MPSDR",
        "",
        "gezim.cela@example.org",
        "po",
        "04.03.2025",
        55,
        90,
    ],
    ["Drita  Osmani", "F", "social workers", "mspdy", "", "", "", None, "60%", 95.5],
]


def _training() -> Training:
    return Training.objects.get(title_en=TRAINING)


def _file(fmt: str, rows: list[list]) -> tuple[bytes, str]:
    if fmt == "xlsx":
        return files.xlsx(HEADERS, rows), "participants.xlsx"
    if fmt == "ods":
        return files.ods(HEADERS, rows), "participants.ods"
    text_rows = [[v.strftime("%d.%m.%Y") if isinstance(v, date) else v for v in r] for r in rows]
    encoding, delimiter, bom = {
        "csv-utf8-bom-semicolon": ("utf-8", ";", True),
        "csv-utf8-comma": ("utf-8", ",", False),
        "csv-cp1251-semicolon": ("cp1251", ";", False),
        "csv-cp1250-comma": ("cp1250", ",", False),
        "csv-cp1252-semicolon": ("cp1252", ";", False),
    }[fmt]
    return files.csv_file(
        HEADERS, text_rows, encoding=encoding, delimiter=delimiter, bom=bom
    ), "participants.csv"


def _check_macedonian_rows(training: Training) -> None:
    people = {a.participant.full_name: a for a in training.attendance.select_related("participant")}
    ana = people["Ана Петровска"]
    assert ana.participant.sex == Sex.FEMALE
    assert ana.participant.institution == Institution.objects.get(code="mspdy")
    assert ana.participant.professional_group.slug == "social-workers"
    assert ana.participant.email == "ana.petrovska@example.mk"
    assert ana.consent is True
    assert ana.consent_date == date(2025, 3, 3)
    assert (ana.pre_score, ana.post_score) == (Decimal(45), Decimal("80.5"))
    marko = people["Марко Илиевски"]
    assert marko.participant.sex == Sex.MALE
    assert marko.participant.institution == Institution.objects.get(code="moi")
    assert marko.consent is False
    assert people["Елена Стојанова"].participant.institution.code == "moi"
    assert people["Елена Стојанова"].pre_score is None


def _check_albanian_rows(training: Training) -> None:
    people = {a.participant.full_name: a for a in training.attendance.select_related("participant")}
    gezim = people["Gëzim Çela"]
    assert gezim.participant.sex == Sex.MALE
    assert gezim.participant.institution.code == "mspdy"
    assert gezim.consent_date == date(2025, 3, 4)
    drita = people["Drita Osmani"]
    assert (drita.pre_score, drita.post_score) == (Decimal(60), Decimal("95.5"))


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "csv-utf8-bom-semicolon", "csv-utf8-comma"])
def test_every_format_imports_cyrillic_and_albanian_rows(run_import, demo, fmt) -> None:
    data, name = _file(fmt, MACEDONIAN + ALBANIAN)
    batch = run_import("attendance", data, name, user=demo["demo-ministry"], training=_training())
    assert batch.status == "applied", (batch.file_error, batch.errors)
    assert (batch.new_count, batch.updated_count, batch.error_count) == (5, 0, 0)
    _check_macedonian_rows(_training())
    _check_albanian_rows(_training())


def test_windows_1251_csv_is_read_as_cyrillic(run_import, demo) -> None:
    data, name = _file("csv-cp1251-semicolon", MACEDONIAN)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    batch = run_import("attendance", data, name, user=demo["demo-ministry"], training=_training())
    assert batch.status == "applied", (batch.file_error, batch.errors)
    assert batch.detected_encoding == "cp1251"
    _check_macedonian_rows(_training())


@pytest.mark.parametrize("fmt", ["csv-cp1250-comma", "csv-cp1252-semicolon"])
def test_windows_latin_csv_keeps_albanian_letters(run_import, demo, fmt) -> None:
    data, name = _file(fmt, ALBANIAN)
    batch = run_import("attendance", data, name, user=demo["demo-ministry"], training=_training())
    assert batch.status == "applied", (batch.file_error, batch.errors)
    _check_albanian_rows(_training())
    assert (
        not Participant.objects.filter(full_name__contains="л")
        .exclude(full_name__regex=r"^[А-Яа-яЀ-ӿ\s]+$")
        .exists()
    )


def test_an_encoding_that_cannot_be_told_is_asked_for_not_guessed(run_import, demo) -> None:
    # Four bytes that read as Cyrillic in Windows-1251 and as accented Latin in 1250/1252.
    rows = [["\u0410\u043d\u0430 \u0416\u0438\u0432\u0430", "Ж", "", "", "", "", "", "", "", ""]]
    data = files.csv_file(HEADERS, rows, encoding="cp1251")
    data = data.replace("Ана Жива".encode("cp1251"), bytes([0xC0, 0xC1, 0xC2, 0x20, 0xC3]))
    before = Participant.objects.count()
    batch = run_import(
        "attendance", data, "p.csv", user=demo["demo-ministry"], training=_training()
    )
    assert batch.status == "invalid"
    assert "encoding" in batch.file_error
    assert set(batch.encoding_samples) >= {"cp1251", "cp1252"}
    assert Participant.objects.count() == before


def test_a_file_with_errors_in_the_middle_writes_nothing_and_reports_each(run_import, demo) -> None:
    headers = [
        "Име и презиме",
        "Пол",
        "Институција",
        "Е-пошта",
        "Датум на согласност",
        "Согласност за обработка",
        "Резултат на предтест",
    ]
    rows = [
        ["Ана Петровска", "Ж", "МСПДМ", "", "", "", "50"],  # row 2: fine
        ["Марко Илиевски", "Q", "МСПДМ", "", "", "", "50"],  # row 3: sex
        ["Петар Петров", "М", "Непостоечка агенција", "", "", "", "50"],  # row 4: institution
        ["Јана Јанева", "Ж", "МСПДМ", "не-е-пошта", "", "", "120"],  # row 5: email and score
        ["Сара Сарева", "Ж", "МСПДМ", "", "31.02.2025", "да", ""],  # row 6: no such day
        ["Лина Линева", "Ж", "МСПДМ", "", "", "да", ""],  # row 7: consent without its date
        ["Ана Петровска", "Ж", "МСПДМ", "", "", "", "60"],  # row 8: the same person as row 2
        ["Ива Ивева", "Ж", "МСПДМ", "", "", "", "70"],  # row 9: fine
    ]
    before = (Participant.objects.count(), Attendance.objects.count())
    batch = run_import(
        "attendance",
        files.xlsx(headers, rows),
        "грешки.xlsx",
        user=demo["demo-ministry"],
        training=_training(),
        language="mk",
    )
    assert batch.status == "invalid"
    assert (Participant.objects.count(), Attendance.objects.count()) == before
    found = {(e["row"], e["letter"], e["column"], e["value"]) for e in batch.errors}
    assert found == {
        (3, "B", "Пол", "Q"),
        (4, "C", "Институција", "Непостоечка агенција"),
        (5, "D", "Е-пошта", "не-е-пошта"),
        (5, "G", "Резултат на предтест", "120"),
        (6, "E", "Датум на согласност", "31.02.2025"),
        (7, "E", "Датум на согласност", ""),
        (8, "", "", "Ана Петровска"),
    }
    messages = {(e["row"], e["letter"]): e["message"] for e in batch.errors}
    # The reasons are in the importer's language.
    assert "Ж" in messages[(3, "B")] and "жена" in messages[(3, "B")]
    assert messages[(4, "C")].startswith("Нема институција")
    assert messages[(5, "D")] == "Ова не е важечка адреса за е-пошта."
    assert "0" in messages[(5, "G")] and "100" in messages[(5, "G")]
    assert messages[(6, "E")] == "Таков ден не постои во календарот."
    assert messages[(8, "")] == "Истиот запис како во ред 2."


def test_the_same_file_imported_again_adds_nobody_twice(run_import, demo) -> None:
    data, name = _file("xlsx", MACEDONIAN + ALBANIAN)
    user, training = demo["demo-ministry"], _training()
    first = run_import("attendance", data, name, user=user, training=training)
    counts = (Participant.objects.count(), Attendance.objects.count())
    second = run_import("attendance", data, name, user=user, training=training)
    third = run_import("attendance", data, "copy.xlsx", user=user, training=training)
    assert (first.new_count, second.new_count, third.new_count) == (5, 0, 0)
    assert second.unchanged_count == third.unchanged_count == 5
    assert (Participant.objects.count(), Attendance.objects.count()) == counts


def test_people_already_registered_are_found_and_only_their_gaps_filled(run_import, demo) -> None:
    mspdy = Institution.objects.get(code="mspdy")
    known = Participant.objects.create(
        full_name="Ана Петровска",
        sex=Sex.FEMALE,
        institution=mspdy,
        position="",
        registered_by_institution=mspdy,
    )
    rows = [["Ана  Петровска", "Ж", "", "MSPDY", "советник", "", "", None, 30, 60]]
    batch = run_import(
        "attendance",
        files.xlsx(HEADERS, rows),
        "p.xlsx",
        user=demo["demo-ministry"],
        training=_training(),
    )
    assert batch.status == "applied", batch.errors
    assert batch.new_count == 1
    known.refresh_from_db()
    assert known.position == "советник"
    assert Participant.objects.filter(full_name__iexact="ана петровска").count() == 1


def test_changed_scores_are_shown_as_updates_then_written(run_import, demo) -> None:
    data, name = _file("xlsx", MACEDONIAN)
    user, training = demo["demo-ministry"], _training()
    run_import("attendance", data, name, user=user, training=training)
    rows = [list(r) for r in MACEDONIAN]
    rows[0][9] = 99
    batch = run_import(
        "attendance", files.xlsx(HEADERS, rows), name, user=user, training=training, confirm=False
    )
    assert (batch.status, batch.new_count, batch.updated_count, batch.unchanged_count) == (
        "checked",
        0,
        1,
        2,
    )
    [update] = [r for r in batch.preview if r["action"] == "update"]
    assert update["changes"] == [["Post-test score", "80.50", "99.00"]]
    assert Attendance.objects.get(participant__full_name="Ана Петровска").post_score == Decimal(
        "80.5"
    )  # the preview wrote nothing


def test_a_training_the_user_may_not_change_cannot_be_imported_into(run_import, demo) -> None:
    from django.core.exceptions import PermissionDenied

    coe_training = _training()  # MSPDY's: Demo CSO A edits trainings, but not this one
    batch = run_import(
        "attendance",
        files.xlsx(HEADERS, MACEDONIAN),
        "p.xlsx",
        user=demo["demo-cso-a"],
        training=coe_training,
    )
    assert batch.status == "invalid"
    assert "cannot change" in batch.errors[0]["message"]
    with pytest.raises(PermissionDenied):
        run_import(
            "attendance",
            files.xlsx(HEADERS, MACEDONIAN),
            "p.xlsx",
            user=demo["demo-observer"],
            training=coe_training,
        )


def test_rollback_removes_what_the_import_added(run_import, demo) -> None:
    before = (Participant.objects.count(), Attendance.objects.count())
    batch = run_import(
        "attendance",
        files.xlsx(HEADERS, MACEDONIAN + ALBANIAN),
        "p.xlsx",
        user=demo["demo-ministry"],
        training=_training(),
    )
    assert Participant.objects.count() == before[0] + 5
    import_batch_rollback(batch=batch, by=demo["demo-admin"])
    batch.refresh_from_db()
    assert batch.status == "rolled_back"
    assert batch.rolled_back_by == demo["demo-admin"]
    assert (Participant.objects.count(), Attendance.objects.count()) == before


def test_rollback_is_refused_once_the_people_are_used_elsewhere(run_import, demo) -> None:
    from django.core.exceptions import ValidationError

    batch = run_import(
        "attendance",
        files.xlsx(HEADERS, MACEDONIAN),
        "p.xlsx",
        user=demo["demo-ministry"],
        training=_training(),
    )
    other = Training.objects.get(title_en="Recognising and referring child victims of trafficking")
    Attendance.objects.create(
        training=other, participant=Participant.objects.get(full_name="Ана Петровска")
    )
    with pytest.raises(ValidationError, match="cannot be rolled back"):
        import_batch_rollback(batch=batch, by=demo["demo-admin"])
    assert Participant.objects.filter(full_name="Марко Илиевски").exists()


def test_planning_queries_do_not_grow_with_rows(demo) -> None:
    from core.imports import resource_class
    from core.spreadsheets import read_sheet

    def queries(n: int) -> int:
        rows = [
            [
                f"Person {i}",
                "F",
                "Social workers",
                "MSPDY",
                "",
                f"p{i}@example.org",
                "",
                None,
                50,
                60,
            ]
            for i in range(n)
        ]
        sheet = read_sheet(files.xlsx(HEADERS, rows), filename="p.xlsx")
        resource = resource_class("attendance")(user=demo["demo-ministry"], training=_training())
        with CaptureQueriesContext(connection) as captured:
            plan = resource.plan(sheet)
        assert not plan.errors
        return len(captured)

    queries(5)  # caches that fill once per process (content types, translations)
    assert queries(10) == queries(400)


def test_records_added_between_check_and_confirm_are_not_duplicated(
    run_import, demo, django_capture_on_commit_callbacks
) -> None:
    from imports.services import import_batch_confirm

    user, training = demo["demo-ministry"], _training()
    batch = run_import(
        "attendance",
        files.xlsx(HEADERS, MACEDONIAN),
        "p.xlsx",
        user=user,
        training=training,
        confirm=False,
    )
    assert (batch.status, batch.new_count) == ("checked", 3)
    # Someone registers Ana meanwhile, through the form's service.
    from trainings.services import participant_register

    participant_register(
        by=user,
        training=training,
        full_name="Ана Петровска",
        sex=Sex.FEMALE,
        email="ana.petrovska@example.mk",
    )
    with django_capture_on_commit_callbacks(execute=True):
        import_batch_confirm(batch=batch, by=user)
    batch.refresh_from_db()
    assert batch.status == "applied"
    assert Participant.objects.filter(email="ana.petrovska@example.mk").count() == 1
    assert training.attendance.count() == 3


def test_the_jobs_are_safe_to_run_twice(run_import, demo) -> None:
    from imports.services import import_batch_apply, import_batch_check

    batch = run_import(
        "attendance",
        files.xlsx(HEADERS, MACEDONIAN),
        "p.xlsx",
        user=demo["demo-ministry"],
        training=_training(),
    )
    counts = (Participant.objects.count(), Attendance.objects.count())
    import_batch_check(batch_id=batch.pk)
    import_batch_apply(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == "applied"
    assert (Participant.objects.count(), Attendance.objects.count()) == counts


def test_importing_another_csos_participant_registers_someone_new(run_import, demo) -> None:
    """CSO A's file gives the email (and name and institution) of someone only CSO B
    registered: A gets a record of its own; B's record is neither attached nor changed."""
    from programme.models import Action
    from trainings.services import training_create

    def cso_training(code: str) -> Training:
        return training_create(
            by=demo[code],
            action=Action.objects.get(),
            title=f"Peer training of {code}",
            organiser=Institution.objects.get(code=code),
            topics=[Topic.objects.order_by("pk")[0]],
        )

    b_training = cso_training("demo-cso-b")
    person = Participant.objects.create(
        full_name="Бојана Тасевска",
        sex=Sex.FEMALE,
        institution=Institution.objects.get(code="moi"),
        email="bojana.t@example.mk",
    )
    Attendance.objects.create(training=b_training, participant=person)
    before = Participant.objects.filter(pk=person.pk).values().get()
    a_training = cso_training("demo-cso-a")
    rows = [
        ["Бојана Тасевска", "Ж", "", "МВР", "директор", "bojana.t@example.mk", "да",
         date(2025, 3, 3), 50, 90],
    ]  # fmt: skip
    batch = run_import(
        "attendance",
        files.xlsx(HEADERS, rows),
        "p.xlsx",
        user=demo["demo-cso-a"],
        training=a_training,
    )
    assert batch.status == "applied", batch.errors
    listed = a_training.attendance.get()
    assert listed.participant_id != person.pk
    assert Participant.objects.filter(pk=person.pk).values().get() == before
    assert list(person.attendance.values_list("training_id", flat=True)) == [b_training.pk]
    assert (batch.new_count, batch.updated_count) == (1, 0)
    assert listed.participant.registered_by_institution.code == "demo-cso-a"
    assert (listed.consent, listed.consent_date) == (True, date(2025, 3, 3))
    assert listed.consent_recorded_by == demo["demo-cso-a"]
    assert not person.attendance.get().consent


def test_an_import_lists_a_visible_record_of_another_institution_without_changing_it(
    run_import, demo
) -> None:
    """A person the ministry sees (they came to its training) but whom CoE registered is
    found by name and email and listed; their record keeps CoE's details, blanks included."""
    held = Training.objects.get(title_en="Recognising and referring child victims of trafficking")
    person = held.attendance.select_related("participant").first().participant
    Participant.objects.filter(pk=person.pk).update(
        registered_by_institution=Institution.objects.get(code="coe"),
        position="",
        email="seen.not.ours@example.mk",
    )
    before = Participant.objects.filter(pk=person.pk).values().get()
    sex = "Ж" if person.sex == Sex.FEMALE else "М"
    rows = [[person.full_name, sex, "Социјални работници", "МСПДМ", "директор",
             "seen.not.ours@example.mk", "да", date(2025, 3, 3), 50, 90]]  # fmt: skip
    batch = run_import(
        "attendance",
        files.xlsx(HEADERS, rows),
        "p.xlsx",
        user=demo["demo-ministry"],
        training=_training(),
    )
    assert batch.status == "applied", batch.errors
    assert Participant.objects.filter(pk=person.pk).values().get() == before
    listed = _training().attendance.get()
    assert listed.participant_id == person.pk
    assert (listed.pre_score, listed.consent) == (Decimal(50), True)
