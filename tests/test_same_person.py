"""One rule for "is this row someone already in the register", whichever way the row comes:
pasted, added one at a time, or imported from a spreadsheet (trainings.matching)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from imports import services as imports
from stakeholders.choices import Sex
from stakeholders.models import Institution
from tests.imports import files
from trainings.matching import Entry, same_person
from trainings.models import Attendance, Participant, Training

pytestmark = pytest.mark.django_db

TRAINING = "Free legal aid for trafficking victims: regional follow-up"  # MSPDY's, nobody yet
HELD = "Recognising and referring child victims of trafficking"  # MSPDY's: the ministry sees it
HEADERS = ["Full name", "Sex", "Institution", "Email", "Pre-test score", "Post-test score"]
ARBER = "Arb\u00ebr Krasniqi"  # "ë" as one character (NFC)
ARBER_DECOMPOSED = "Arbe\u0308r Krasniqi"  # "e" and a combining diaeresis (NFD)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@dataclass(frozen=True)
class Row:
    full_name: str
    sex: str
    institution: str = ""  # the institution's code
    email: str = ""
    pre: int | None = None
    post: int | None = None


@dataclass
class Paths:
    """The three ways a training's attendance is entered, as the ministry enters it."""

    client: Any
    user: Any
    training: Training
    capture: Any

    def paste(self, rows: list[Row], **choice: str) -> Any:
        letters: dict[str, str] = {Sex.FEMALE: "F", Sex.MALE: "M"}
        text = "\n".join(
            "\t".join(
                [r.full_name, letters[r.sex], "", r.institution, r.email]
                + ["" if s is None else str(s) for s in (r.pre, r.post)]
            )
            for r in rows
        )
        return self.client.post(
            f"/trainings/{self.training.pk}/participants/paste/", {"text": text, **choice}
        )

    def add(self, row: Row, **choice: str) -> Any:
        institution = Institution.objects.get(code=row.institution).pk if row.institution else ""
        data = {
            "full_name": row.full_name,
            "sex": row.sex,
            "institution": institution,
            "email": row.email,
            "pre_score": "" if row.pre is None else row.pre,
            "post_score": "" if row.post is None else row.post,
            **choice,
        }
        return self.client.post(f"/trainings/{self.training.pk}/participants/add/", data)

    def import_(self, rows: list[Row]) -> Any:
        letters: dict[str, str] = {Sex.FEMALE: "Ж", Sex.MALE: "М"}
        sheet = [[r.full_name, letters[r.sex], r.institution, r.email, r.pre, r.post] for r in rows]
        with self.capture(execute=True):
            batch = imports.import_batch_create(
                kind="attendance",
                upload=SimpleUploadedFile("participants.xlsx", files.xlsx(HEADERS, sheet)),
                by=self.user,
                training=self.training,
            )
        batch.refresh_from_db()
        if batch.status == "checked":
            with self.capture(execute=True):
                imports.import_batch_confirm(batch=batch, by=self.user)
            batch.refresh_from_db()
        return batch

    # Each path, expected to save every row.

    def pasted(self, rows: list[Row]) -> None:
        response = self.paste(rows)
        assert response.status_code == 302, _shown(response)

    def added(self, rows: list[Row]) -> None:
        for row in rows:
            response = self.add(row)
            assert response.status_code == 302, _shown(response)

    def imported(self, rows: list[Row]) -> None:
        batch = self.import_(rows)
        assert batch.status == "applied", (batch.file_error, batch.errors)

    def run(self, path: str, rows: list[Row]) -> None:
        {"paste": self.pasted, "add": self.added, "import": self.imported}[path](rows)


PATHS = ["paste", "add", "import"]


def _shown(response: Any) -> Any:
    form = response.context["form"]
    return form.errors, getattr(form, "row_errors", None), getattr(form, "conflicts", None)


@pytest.fixture
def paths(client: Any, demo: dict[str, Any], django_capture_on_commit_callbacks: Any) -> Paths:
    client.force_login(demo["demo-ministry"])
    return Paths(
        client,
        demo["demo-ministry"],
        Training.objects.get(title_en=TRAINING),
        django_capture_on_commit_callbacks,
    )


def _registered(
    full_name: str, sex: str, *, by: str, institution: str = "", email: str = ""
) -> Participant:
    return Participant.objects.create(
        full_name=full_name,
        sex=sex,
        institution=Institution.objects.get(code=institution) if institution else None,
        email=email,
        registered_by_institution=Institution.objects.get(code=by),
    )


def _arber() -> Participant:
    """Arbër, registered by the ministry, written with the one-character "ë"."""
    return _registered(ARBER, Sex.MALE, by="mspdy", institution="moi")


def _ana_with_a_shared_address() -> Participant:
    """Ana, whom CoE registered with her NGO's shared address; the ministry sees her, as she
    came to its training."""
    ana = _registered("Ana Petrova", Sex.FEMALE, by="coe", email="info@ngo.mk")
    Attendance.objects.create(training=Training.objects.get(title_en=HELD), participant=ana)
    return ana


def _record(person: Participant) -> tuple[Any, ...]:
    person.refresh_from_db()
    return (person.full_name, person.sex, person.email, person.institution_id, person.updated_at)


def _registry(training: Training) -> tuple[list[Any], list[Any]]:
    """The whole register, and the training's list, without the ids that differ per run."""
    people = sorted(
        Participant.objects.values_list(
            "full_name",
            "sex",
            "email",
            "institution__code",
            "professional_group_id",
            "registered_by_institution__code",
        )
    )
    listed = sorted(
        training.attendance.values_list(
            "participant__full_name",
            "participant__email",
            "pre_score",
            "post_score",
            "completed",
            "consent",
        )
    )
    return people, listed


# --- the rule ------------------------------------------------------------------------------


def test_the_rule_compares_normalised_names_and_never_joins_names_by_email() -> None:
    assert same_person(Entry(ARBER_DECOMPOSED, "", 3), Entry(f"  {ARBER.upper()} ", "", 3))
    assert same_person(Entry("Ana Petrova", "ANA@x.mk", 1), Entry("ana petrova", "ana@x.mk", 2))
    assert not same_person(Entry("Ana Petrova", "a@x.mk", 1), Entry("Ana Petrova", "b@x.mk", 1))
    assert not same_person(
        Entry("Ana Petrova", "info@ngo.mk"), Entry("Marko Petrov", "info@ngo.mk")
    )
    assert not same_person(Entry("Ana Petrova", "", 1), Entry("Ana Petrova", "", 2))


# --- the same rows, three ways ---------------------------------------------------------------

ROWS = [
    Row(ARBER_DECOMPOSED, Sex.MALE, "moi", "", 40, 70),
    Row("Vesna Trajkovska", Sex.FEMALE, "mspdy", "vesna.t@example.org", 50, 80),
    Row("Marko Petrov", Sex.MALE, "", "info@ngo.mk", 30, 60),
]


def test_paste_single_add_and_import_of_the_same_rows_give_the_same_registry(paths) -> None:
    arber, ana = _arber(), _ana_with_a_shared_address()
    before = (_record(arber), _record(ana))
    people = Participant.objects.count()
    outcomes: dict[str, tuple[list[Any], list[Any]]] = {}
    for path in PATHS:
        with transaction.atomic():
            paths.run(path, ROWS)
            outcomes[path] = _registry(paths.training)
            transaction.set_rollback(True)
    assert outcomes["paste"] == outcomes["add"] == outcomes["import"]
    everyone, listed = outcomes["import"]
    assert len(everyone) == people + 2  # Vesna and Marko; Arbër was registered already
    assert [row[0] for row in listed] == [ARBER, "Marko Petrov", "Vesna Trajkovska"]
    assert ("Ana Petrova", "info@ngo.mk") not in [row[:2] for row in listed]
    assert (_record(arber), _record(ana)) == before


@pytest.mark.parametrize("path", PATHS)
def test_a_decomposed_letter_finds_the_composed_name_and_new_names_are_stored_composed(
    paths, path
) -> None:
    arber = _arber()
    before = _record(arber)
    paths.run(
        path,
        [
            Row(ARBER_DECOMPOSED, Sex.MALE, "moi", "", 40, 70),
            Row("Drite\u0308ro Gashi", Sex.MALE, "moi", "", 35, 65),
        ],
    )
    listed = {a.participant_id: a for a in paths.training.attendance.all()}
    assert arber.pk in listed and listed[arber.pk].pre_score == Decimal(40)
    assert _record(arber) == before
    assert not Participant.objects.filter(full_name=ARBER_DECOMPOSED).exists()
    assert Participant.objects.filter(full_name="Drit\u00ebro Gashi").count() == 1


@pytest.mark.parametrize("path", PATHS)
def test_two_people_sharing_an_address_stay_two_people(paths, path) -> None:
    ana = _ana_with_a_shared_address()
    before = _record(ana)
    paths.run(path, [Row("Marko Petrov", Sex.MALE, "", "info@ngo.mk", 30, 60)])
    marko = paths.training.attendance.select_related("participant").get().participant
    assert marko.pk != ana.pk
    assert (marko.full_name, marko.email) == ("Marko Petrov", "info@ngo.mk")
    assert marko.registered_by_institution == Institution.objects.get(code="mspdy")
    assert _record(ana) == before
    assert list(ana.attendance.values_list("training__title_en", flat=True)) == [HELD]


@pytest.mark.parametrize("path", PATHS)
def test_a_shared_address_the_institution_registered_already_is_explained_never_joined(
    paths, path
) -> None:
    """The register keeps one person per email for each institution that registers people:
    a second name on the same address is refused with the reason, never made the first
    person (and once the register allows shared addresses, registered as another)."""
    ana = _registered("Ana Petrova", Sex.FEMALE, by="mspdy", email="info@ngo.mk")
    before = _record(ana)
    row = Row("Marko Petrov", Sex.MALE, "", "info@ngo.mk", 30, 60)
    if path == "import":
        batch = paths.import_([row])
        refused, shown = batch.status == "invalid", str(batch.errors)
    else:
        response = paths.paste([row]) if path == "paste" else paths.add(row)
        refused, shown = response.status_code == 200, response.content.decode()
    assert _record(ana) == before
    assert not ana.attendance.exists()
    if refused:
        assert "already the email of Ana Petrova" in shown
        assert not paths.training.attendance.exists()
    else:
        assert paths.training.attendance.get().participant.full_name == "Marko Petrov"


# --- what the register says otherwise is shown, not written ----------------------------------

CONFLICTS = {
    "sex": Row(ARBER, Sex.FEMALE, "moi", "", 40, 70),
    "name": Row("ARBËR  KRASNIQI", Sex.MALE, "moi", "", 40, 70),
}


@pytest.mark.parametrize("conflict", CONFLICTS)
@pytest.mark.parametrize("path", ["paste", "add"])
def test_a_conflicting_entry_is_shown_and_written_only_as_the_user_chooses(
    paths, path, conflict
) -> None:
    arber = _arber()
    before = _record(arber)
    row = CONFLICTS[conflict]
    send: Callable[..., Any] = (
        (lambda **c: paths.paste([row], **c))
        if path == "paste"
        else (lambda **c: paths.add(row, **c))
    )
    shown = send()
    assert shown.status_code == 200
    form = shown.context["form"]
    assert [p.participant.pk for p in form.conflicts] == [arber.pk]
    content = shown.content.decode()
    assert "Already in the register, with other details" in content
    assert (
        "<code>Female</code>" if conflict == "sex" else "<code>ARBËR KRASNIQI</code>"
    ) in content
    assert _record(arber) == before
    assert not paths.training.attendance.exists()

    seen = form["conflicts_seen"].value()
    # A choice made for other conflicts is asked again.
    assert send(on_conflict="keep", conflicts_seen="another").status_code == 200
    assert not paths.training.attendance.exists()

    with transaction.atomic():
        assert send(on_conflict="keep", conflicts_seen=seen).status_code == 302
        assert paths.training.attendance.get().participant_id == arber.pk
        assert _record(arber) == before
        transaction.set_rollback(True)

    assert send(on_conflict="update", conflicts_seen=seen).status_code == 302
    assert paths.training.attendance.get().participant_id == arber.pk
    arber.refresh_from_db()
    assert (arber.full_name, arber.sex) == (
        "ARBËR KRASNIQI" if conflict == "name" else ARBER,
        row.sex,
    )


def test_a_record_another_institution_registered_is_kept_or_the_entry_corrected(paths) -> None:
    """Only the institution that registered a person may correct their record: anyone else
    is offered to list them as they are, nothing more."""
    ana = _ana_with_a_shared_address()
    before = _record(ana)
    shown = paths.add(Row("Ana Petrova", Sex.MALE, "", "info@ngo.mk"))
    assert shown.status_code == 200
    choices = [value for value, _label in shown.context["form"].fields["on_conflict"].choices]
    assert choices == ["keep"]
    seen = shown.context["form"]["conflicts_seen"].value()
    refused = paths.add(
        Row("Ana Petrova", Sex.MALE, "", "info@ngo.mk"), on_conflict="update", conflicts_seen=seen
    )
    assert refused.status_code == 200
    assert _record(ana) == before and not paths.training.attendance.exists()


@pytest.mark.parametrize("conflict", CONFLICTS)
def test_an_import_reports_a_conflicting_row_and_writes_nothing(paths, conflict) -> None:
    arber = _arber()
    before = _record(arber)
    people = Participant.objects.count()
    batch = paths.import_([CONFLICTS[conflict], Row("Vesna Trajkovska", Sex.FEMALE, "mspdy")])
    assert batch.status == "invalid"
    [error] = batch.errors
    assert error["row"] == 2
    if conflict == "sex":
        assert (error["column"], error["value"]) == ("Sex", "Ж")
        assert "The register has Arbër Krasniqi as Male, not Female." in error["message"]
    else:
        assert (error["column"], error["value"]) == ("Full name", "ARBËR  KRASNIQI")
        assert "The register has this person as “Arbër Krasniqi”." in error["message"]
    assert _record(arber) == before
    assert Participant.objects.count() == people
    assert not paths.training.attendance.exists()


# --- paste and import read values alike ------------------------------------------------------


def test_a_paste_reads_values_as_the_import_does(paths) -> None:
    text = (
        "Teuta Veseli\tfemër\tsocial workers\tMSPDY\tmailto:teuta.v@example.org\t45,5 %\t1\u00a0000"
    )
    response = paths.client.post(
        f"/trainings/{paths.training.pk}/participants/paste/", {"text": text}
    )
    errors = [(e.column, e.message) for e in response.context["form"].row_errors]
    assert errors == [("Post-test score", "The number must be between 0 and 100.")]
    ok = paths.client.post(
        f"/trainings/{paths.training.pk}/participants/paste/",
        {"text": text.replace("1\u00a0000", "90")},
    )
    assert ok.status_code == 302
    teuta = paths.training.attendance.select_related("participant").get()
    assert teuta.participant.email == "teuta.v@example.org"
    assert (teuta.pre_score, teuta.post_score) == (Decimal("45.5"), Decimal(90))
