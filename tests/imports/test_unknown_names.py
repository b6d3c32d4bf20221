"""Names the platform does not know: suggested, mapped once for the whole file, remembered for
the institution's next file; an institution added by the programme team; scores that are all
fractions asked about once."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import translation

from core.imports import NameIndex, fold
from imports import services as import_services
from imports.models import ImportBatch, RememberedName
from stakeholders.models import Institution, ProfessionalGroup
from stakeholders.services import institution_create
from tests.conftest import pass_second_factor
from tests.imports import files
from trainings.models import Attendance, Training

pytestmark = pytest.mark.django_db

TRAINING = "Free legal aid for trafficking victims: regional follow-up"  # MSPDY's, nobody yet
HEADERS = ["Име и презиме", "Пол", "Професија", "Институција"]
ROWS = [
    ["Ана Петровска", "Ж", "полициски службеник", "МСПДМ"],
    ["Марко Илиевски", "М", "полициски службеник", "Центар за поддршка Скопје"],
    ["Gëzim Çela", "M", "police officer", "MSPDY"],
    ["Драган Стојанов", "М", "Социјални работници", "Центар за поддршка Скопје"],
]


def _training() -> Training:
    return Training.objects.get(title_en=TRAINING)


def _check(run_import: Any, user: Any, rows: list[list[Any]], **kw: Any) -> ImportBatch:
    return run_import(
        "attendance",
        files.xlsx(HEADERS, rows),
        "список.xlsx",
        user=user,
        training=_training(),
        confirm=False,
        language="mk",
        **kw,
    )


def _unknown(batch: ImportBatch) -> dict[str, dict[str, Any]]:
    return {u["text"]: u for u in batch.unknown_values}


def _police() -> ProfessionalGroup:
    return ProfessionalGroup.objects.get(slug="police-officers")


def _recheck(batch: ImportBatch, capture: Any, **kw: Any) -> ImportBatch:
    with translation.override("mk"), capture(execute=True):
        import_services.import_batch_read_names(batch=batch, **kw)
    batch.refresh_from_db()
    return batch


def test_each_unknown_name_is_listed_once_with_the_closest_known_names(run_import, demo) -> None:
    batch = _check(run_import, demo["demo-ministry"], ROWS)
    assert batch.status == "invalid"
    unknown = _unknown(batch)
    assert set(unknown) == {"полициски службеник", "police officer", "Центар за поддршка Скопје"}
    assert unknown["полициски службеник"]["rows"] == [2, 3]
    assert unknown["полициски службеник"]["count"] == 2
    assert unknown["Центар за поддршка Скопје"]["index"] == "institutions"
    # The closest names come first, in the reader's language, whatever the script typed.
    assert unknown["полициски службеник"]["suggestions"][0] == [
        _police().pk,
        "Полициски службеници",
    ]
    assert unknown["police officer"]["suggestions"][0][0] == _police().pk
    # Every row with an unknown name is still a problem until a choice is made.
    assert {e["row"] for e in batch.errors} == {2, 3, 4, 5}


def test_the_closest_names_fold_case_script_and_accents() -> None:
    index = NameIndex(
        [
            (1, ["Police officers", "Полициски службеници", "Zyrtarë policorë"], "Police"),
            (2, ["Social workers", "Социјални работници", "Punonjës socialë"], "Social"),
            (3, ["Journalists", "Новинари", "Gazetarë"], "Journalists"),
        ],
        noun="profession",
    )
    assert fold("Zyrtarë Policorë") == fold("zyrtare policore")
    assert index.suggest("полициски службеник") == [1]
    assert index.suggest("zyrtar policie") == [1]
    assert index.suggest("socijalen rabotnik")[0] == 2
    assert index.suggest("gazetar") == [3]
    assert index.suggest("driver") == []


def test_choices_apply_to_every_row_and_are_remembered_for_the_next_file(
    run_import, demo, django_capture_on_commit_callbacks
) -> None:
    ministry = demo["demo-ministry"]
    batch = _check(run_import, ministry, ROWS)
    mspdy = Institution.objects.get(code="mspdy")
    assert batch.source_institution == _training().organiser
    choices = {
        ("groups", "полициски службеник"): str(_police().pk),
        ("groups", "police officer"): str(_police().pk),
        ("institutions", "центар за поддршка скопје"): str(mspdy.pk),
    }
    batch = _recheck(
        batch, django_capture_on_commit_callbacks, by=ministry, choices=choices, remember=True
    )
    assert batch.status == "checked", batch.errors
    assert batch.unknown_values == []
    # In the importer's language: "“…” was read as “…”, as chosen for this file."
    assert (
        "„полициски службеник“ е прочитано како „Полициски службеници“, како што е избрано "
        "за оваа датотека." in batch.notes
    )
    with django_capture_on_commit_callbacks(execute=True):
        import_services.import_batch_confirm(batch=batch, by=ministry)
    batch.refresh_from_db()
    assert batch.status == "applied"
    people = {
        a.participant.full_name: a.participant
        for a in Attendance.objects.filter(training=_training()).select_related("participant")
    }
    assert people["Марко Илиевски"].professional_group == _police()
    assert people["Марко Илиевски"].institution == mspdy
    assert people["Gëzim Çela"].professional_group == _police()
    assert RememberedName.objects.filter(source=batch.source_institution).count() == 3

    # The next file from the same institution needs no choice.
    later = _check(
        run_import,
        ministry,
        [["Елена Трајковска", "Ж", "полициски службеник", "Центар за поддршка Скопје"]],
    )
    assert later.status == "checked", later.errors
    assert later.unknown_values == []
    # In the importer's language: "as chosen for an earlier file from …".
    assert any("како што беше избрано за претходна датотека од" in note for note in later.notes)


def test_a_choice_outside_the_names_offered_is_refused(
    run_import, demo, django_capture_on_commit_callbacks
) -> None:
    batch = _check(run_import, demo["demo-ministry"], ROWS)
    with pytest.raises(ValidationError):
        _recheck(
            batch,
            django_capture_on_commit_callbacks,
            by=demo["demo-ministry"],
            choices={("groups", "полициски службеник"): "999999"},
            remember=False,
        )
    batch.refresh_from_db()
    assert batch.status == "invalid" and batch.value_choices == []


def test_only_the_programme_team_adds_an_institution_met_in_a_file(
    run_import, demo, django_capture_on_commit_callbacks
) -> None:
    rows = [["Ана Петровска", "Ж", "Полициски службеници", "Центар за поддршка Скопје"]]
    batch = _check(run_import, demo["demo-ministry"], rows)
    new = {("institutions", "центар за поддршка скопје"): "new"}
    with pytest.raises(ValidationError, match="само програмскиот тим додава институции"):
        _recheck(
            batch,
            django_capture_on_commit_callbacks,
            by=demo["demo-ministry"],
            choices=new,
            kinds={"центар за поддршка скопје": "cso"},
            remember=False,
        )
    assert not Institution.objects.filter(name_mk="Центар за поддршка Скопје").exists()

    team_batch = _check(run_import, demo["demo-admin"], rows)
    team_batch = _recheck(
        team_batch,
        django_capture_on_commit_callbacks,
        by=demo["demo-admin"],
        choices=new,
        kinds={"центар за поддршка скопје": "cso"},
        remember=True,
    )
    assert team_batch.status == "checked", team_batch.errors
    created = Institution.objects.get(name_mk="Центар за поддршка Скопје")
    assert (created.kind, created.name_en) == ("cso", "Центар за поддршка Скопје")


def test_an_institution_needs_a_kind_and_a_name_nobody_has(demo) -> None:
    team = demo["demo-admin"]
    with pytest.raises(ValidationError):
        institution_create(name="Центар Б", kind="", language="mk", by=team)
    with pytest.raises(ValidationError):
        institution_create(name="mspdy", kind="cso", language="en", by=team)
    with pytest.raises(ValidationError):
        institution_create(name="МСПДМ", kind="cso", language="mk", by=team)
    with pytest.raises(PermissionDenied):
        institution_create(name="Центар Б", kind="cso", language="mk", by=demo["demo-cso-a"])


def test_the_check_page_offers_the_closest_names_in_the_readers_language(run_import, demo) -> None:
    batch = _check(run_import, demo["demo-admin"], ROWS)
    client = Client()
    pass_second_factor(client, demo["demo-admin"])
    page = client.get(f"/imports/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="mk").content.decode()
    assert 'id="unknown-names"' in page
    closest = page.split("optgroup", 2)[1]
    assert f'<option value="{_police().pk}" selected>Полициски службеници</option>' in closest
    assert 'value="new"' in page  # the team may add the institution
    # A ministry gets the same choices for its own file, but cannot add an institution.
    own = _check(run_import, demo["demo-ministry"], ROWS)
    client.force_login(demo["demo-ministry"])
    page = client.get(f"/imports/{own.pk}/", HTTP_ACCEPT_LANGUAGE="mk").content.decode()
    assert 'id="unknown-names"' in page and "Полициски службеници" in page
    assert 'value="new"' not in page


def test_the_names_page_posts_choices_and_checks_again(
    run_import, demo, django_capture_on_commit_callbacks
) -> None:
    batch = _check(run_import, demo["demo-ministry"], ROWS)
    positions = {u["text"]: i for i, u in enumerate(batch.unknown_values)}
    mspdy = Institution.objects.get(code="mspdy")
    client = Client()
    client.force_login(demo["demo-ministry"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/imports/{batch.pk}/names/",
            {
                f"name-{positions['полициски службеник']}": str(_police().pk),
                f"name-{positions['police officer']}": str(_police().pk),
                f"name-{positions['Центар за поддршка Скопје']}": str(mspdy.pk),
            },
        )
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "checked", batch.errors
    # Not remembered: the box was not ticked.
    assert not RememberedName.objects.exists()


def test_scores_that_are_all_fractions_are_asked_about_once(
    run_import, demo, django_capture_on_commit_callbacks
) -> None:
    headers = ["Full name", "Sex", "Pre-test score", "Post-test score"]
    rows = [["Ана Петровска", "Ж", 0.45, "0,8"], ["Gëzim Çela", "M", 0.5, 0.755]]
    ministry = demo["demo-ministry"]
    batch = run_import(
        "attendance",
        files.xlsx(headers, rows),
        "scores.xlsx",
        user=ministry,
        training=_training(),
        confirm=False,
    )
    assert batch.status == "invalid" and batch.all_scores_fractions
    client = Client()
    client.force_login(ministry)
    assert 'id="fractions-question"' in client.get(f"/imports/{batch.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        import_services.import_batch_read_fractions(batch=batch, by=ministry)
    batch.refresh_from_db()
    assert batch.status == "checked", batch.errors
    assert any("read as percentages" in note for note in batch.notes)
    with django_capture_on_commit_callbacks(execute=True):
        import_services.import_batch_confirm(batch=batch, by=ministry)
    scores = {
        a.participant.full_name: (a.pre_score, a.post_score)
        for a in Attendance.objects.filter(training=_training()).select_related("participant")
    }
    assert scores == {
        "Ана Петровска": (Decimal(45), Decimal(80)),
        "Gëzim Çela": (Decimal(50), Decimal("75.50")),
    }


def test_a_file_with_some_whole_scores_is_not_asked_about(run_import, demo) -> None:
    headers = ["Full name", "Sex", "Pre-test score", "Post-test score"]
    rows = [["Ана Петровска", "Ж", 0.45, 80]]
    batch = run_import(
        "attendance",
        files.xlsx(headers, rows),
        "scores.xlsx",
        user=demo["demo-ministry"],
        training=_training(),
        confirm=False,
    )
    assert batch.status == "invalid" and not batch.all_scores_fractions
    with pytest.raises(ValidationError):
        import_services.import_batch_read_fractions(batch=batch, by=demo["demo-ministry"])


@pytest.mark.parametrize(
    ("language", "police", "absent"),
    [
        ("mk", "Полициски службеници", "Police officers"),
        ("sq", "Zyrtarë policorë", "Police officers"),
        ("en", "Police officers", "Полициски службеници"),
    ],
)
def test_the_templates_lists_are_in_the_templates_language(
    client, demo, language, police, absent
) -> None:
    client.force_login(demo["demo-ministry"])
    response = client.get(f"/imports/template/attendance/{language}.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    lists = book.worksheets[2]
    values = [str(c.value) for column in lists.iter_cols() for c in column if c.value]
    assert police in values
    assert absent not in values
    mspdy = Institution.objects.get(code="mspdy")
    assert getattr(mspdy, f"name_{language}") in values
