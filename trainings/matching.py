"""Whether a row names someone already in the participant register: one rule for the form,
the paste, the import and the register's own checks.

Names are compared as ``name_key`` makes them: Unicode NFC (an "ë" typed as "e" and a
combining diaeresis is an "ë"), case folded, spacing collapsed. Two entries are the same
person (``same_person``) when their names are the same and

- both give an email, and it is the same (case aside); or
- either gives none, and their institution is the same (both none counts as the same).

An email alone never joins two names: shared addresses (info@…) are common.

Only the people the user may already see are looked among
(``selectors.participants_for_matching``): anyone else is registered anew, for the user's
institution. A row that finds someone never changes their name or sex silently: what it
says differently is a ``Conflict`` the user is shown and decides on.

``AttendancePlanner`` plans an attendance list row by row with this rule, without writing:
the import's check, the paste and the form use it, and ``services.attendances_record``
writes what it planned.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Field, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from core.imports import RowRejected, attname_of
from stakeholders.choices import Sex
from stakeholders.models import User
from trainings.choices import SCORE_MAX, SCORE_MIN
from trainings.models import Attendance, Participant, Training
from trainings.names import email_key, name_key, person_name
from trainings.permissions import may_change_participant, registering_institution_id
from trainings.selectors import participants_for_matching

# --- The rule ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """What tells a person apart: their name, email and institution (an id, or none)."""

    full_name: str
    email: str = ""
    institution_id: int | None = None


def same_person(a: Entry, b: Entry) -> bool:
    """The rule: the same name, and the same email where both give one, else the same
    institution. An email alone never makes two names one person."""
    if name_key(a.full_name) != name_key(b.full_name):
        return False
    if email_key(a.email) and email_key(b.email):
        return email_key(a.email) == email_key(b.email)
    return a.institution_id == b.institution_id


# --- The register a user's entries are matched against ------------------------------------

_FIELDS = (
    "id",
    "full_name",
    "sex",
    "professional_group_id",
    "institution_id",
    "position",
    "email",
    "registered_by_institution_id",
)
_AT = {name: i for i, name in enumerate(_FIELDS)}


class Register:
    """The people a user may see, as plain rows indexed by name: one query, however many
    (a ministry's register of 50,000 costs a fraction of building the records). A record
    is made only for the people rows name, the first time they do.

    It also answers what the database's unique constraints on participants hold, by the
    institution that registered them, so that a plan never meets them when written.
    """

    def __init__(self, rows: Iterable[tuple[Any, ...]]) -> None:
        self._rows: dict[int, tuple[Any, ...]] = {}
        self._records: dict[int, Participant] = {}
        self._by_name: dict[str, list[int]] = {}
        self._held: dict[tuple[Any, ...], int] = {}
        for row in rows:
            pk = row[_AT["id"]]
            self._rows[pk] = row
            self._by_name.setdefault(name_key(row[_AT["full_name"]]), []).append(pk)
            for held in _holds(
                registrar=row[_AT["registered_by_institution_id"]],
                full_name=row[_AT["full_name"]],
                institution_id=row[_AT["institution_id"]],
            ):
                self._held.setdefault(held, pk)

    @classmethod
    def visible_to(cls, by: User, *, rows: Sequence[AttendanceRow] | None = None) -> Register:
        """The people the user may see (``participants_for_matching``, in its order: the
        records the user may fill in first, then the oldest). Given the rows to match, only
        those who could be named by them are read: the same name (in either Unicode form,
        any case) or the same email."""
        among = participants_for_matching(by=by)
        if rows is not None:
            names: set[str] = set()
            emails: set[str] = set()
            for row in rows:
                name = person_name(row.full_name)
                for form in ("NFC", "NFD"):
                    variant = unicodedata.normalize(form, name)
                    names |= {variant.lower(), variant.casefold()}
                if row.email.strip():
                    emails.add(row.email.strip().lower())
            among = among.annotate(name_lower=Lower("full_name"), email_lower=Lower("email"))
            among = among.filter(Q(name_lower__in=names) | Q(email_lower__in=emails))
        return cls(among.values_list(*_FIELDS).iterator(chunk_size=5000))

    def __getitem__(self, pk: int) -> Participant:
        record = self._records.get(pk)
        if record is None:
            record = Participant.from_db(DEFAULT_DB_ALIAS, list(_FIELDS), list(self._rows[pk]))
            self._records[pk] = record
        return record

    def _entry(self, pk: int) -> Entry:
        row = self._rows[pk]
        return Entry(row[_AT["full_name"]], row[_AT["email"]], row[_AT["institution_id"]])

    def find(self, entry: Entry, *, folded: str | None = None) -> Participant | None:
        """The person the entry names (``same_person``), in the register's order; one
        found by the same email before one found by the same institution. ``folded``: the
        entry's ``name_key``, when the caller has it already."""
        named = self._by_name.get(name_key(entry.full_name) if folded is None else folded)
        if not named:
            return None
        known = [(pk, self._entry(pk)) for pk in named]
        by_email = [(pk, k) for pk, k in known if email_key(entry.email) and email_key(k.email)]
        for pk, k in [*by_email, *known]:
            if same_person(entry, k):
                return self[pk]
        return None

    def holder(self, held: tuple[Any, ...]) -> Participant | None:
        pk = self._held.get(held)
        return None if pk is None else self[pk]


def _holds(
    *, registrar: int | None, full_name: str, institution_id: int | None
) -> tuple[tuple[Any, ...], ...]:
    """What a record holds under the database's unique constraint on participants: its name
    at its institution, among the records of the institution that registered it (the
    constraint compares ``lower()`` of what is stored). An email is never unique."""
    if institution_id is None:
        return ()
    return (("name", registrar, full_name.lower(), institution_id),)


# --- Planning an attendance list ----------------------------------------------------------

# The attendance's own values a row may give; a value left out leaves what is stored.
ATTENDANCE_FIELDS = ("pre_score", "post_score", "completed", "consent", "consent_date")


@dataclass(frozen=True)
class AttendanceRow:
    """One row of an attendance list, whichever way it comes (the form, a paste, an
    import), its values read already: ids for the profession and the institution, and in
    ``attendance`` only the attendance's values the row gives."""

    row: int
    full_name: str
    sex: str
    professional_group_id: int | None = None
    institution_id: int | None = None
    position: str = ""
    email: str = ""
    attendance: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Conflict:
    """Something a row says differently from the register's record of the person it names."""

    field: str  # "full_name" or "sex"
    label: str
    stored: str
    given: str

    def message(self, *, name: str) -> str:
        """Why an import leaves the row out: it cannot ask, so it says what to do."""
        if self.field == "full_name":
            return _(
                "The register has this person as “%(stored)s”. Write the name as the register "
                "has it, or add the person on the training's page to choose which to keep."
            ) % {"stored": self.stored}
        return _(
            "The register has %(name)s as %(stored)s, not %(given)s. Write what the register "
            "has, or add the person on the training's page to choose which to keep."
        ) % {"name": name, "stored": self.stored, "given": self.given}


def _sex_label(value: str) -> str:
    try:
        return str(Sex(value).label)
    except ValueError:
        return value


def conflicts_between(participant: Participant, row: AttendanceRow) -> list[Conflict]:
    """What the row says differently about the person from their record: the name as
    written (invisible differences, such as Unicode forms, aside) and the sex."""
    found: list[Conflict] = []
    if person_name(participant.full_name) != person_name(row.full_name):
        found.append(
            Conflict(
                "full_name",
                str(_("Full name")),
                participant.full_name,
                person_name(row.full_name),
            )
        )
    if row.sex and row.sex != participant.sex:
        found.append(
            Conflict("sex", str(_("Sex")), _sex_label(participant.sex), _sex_label(row.sex))
        )
    return found


@dataclass(slots=True)
class PlannedRow:
    """What recording one row will do.

    A new person's record is made only when it is asked for (``participant``): a check
    of a large file never needs it, and the records of 20,000 new people would be most of
    its memory.
    """

    row: AttendanceRow
    found: Participant | None  # the record the row names; None for someone new
    key: tuple[Any, ...]  # the person: two rows with one key name the same person
    filled: dict[str, Any]  # blanks of a found record the row fills in, by field name
    conflicts: list[Conflict]
    may_change: bool  # whether the user's entries may change the found record
    attendance: Attendance | None  # the person's attendance at the training, if listed
    changed: dict[str, Any]  # the attendance's values the row sets, or changes
    registrar: int | None = None  # who registers someone new (``registering_institution_id``)
    is_demo: bool = False  # someone new is demo data when the training is
    _new: Participant | None = field(default=None, repr=False)

    @property
    def is_new(self) -> bool:
        return self.found is None

    @property
    def participant(self) -> Participant:
        """The record found, or the new one (not saved), the same object each time."""
        if self.found is not None:
            return self.found
        if self._new is None:
            row = self.row
            self._new = _new_participant(
                {
                    "full_name": person_name(row.full_name),
                    "sex": row.sex,
                    "professional_group_id": row.professional_group_id,
                    "institution_id": row.institution_id,
                    "position": row.position.strip(),
                    "email": row.email.strip(),
                    "registered_by_institution_id": self.registrar,
                    "is_demo": self.is_demo,
                }
            )
        return self._new

    @property
    def action(self) -> str:
        if self.attendance is None:
            return "new"
        return "update" if self.changed or self.filled else "unchanged"


@functools.cache
def _participant_fields() -> list[tuple[str, Any]]:
    """Each of a participant's fields in order: its attribute, and its default (a field
    whose default is made anew for each record gives itself)."""
    return [
        (f.attname, f if callable(f.default) else f.get_default())
        for f in Participant._meta.concrete_fields
    ]


def _new_participant(values: dict[str, Any]) -> Participant:
    """A new participant, not saved, made from every field's value in order, as Django makes
    a record read from the database: by keyword, a file's 20,000 new people cost half as much
    again."""
    args = []
    for attname, default in _participant_fields():
        if attname in values:
            args.append(values[attname])
        elif isinstance(default, Field):
            args.append(default.get_default())
        else:
            args.append(default)
    return Participant(*args)


def conflicts_fingerprint(rows: Iterable[PlannedRow]) -> str:
    """Which conflicts were shown: a choice made on them holds for them, not for others."""
    text = repr(
        sorted(
            (p.row.row, p.participant.pk, c.field, c.stored, c.given)
            for p in rows
            for c in p.conflicts
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class AttendancePlanner:
    """Plans the rows of a training's attendance list: who each row names (found by the
    rule, or new), what it would fill in or say differently, and what it would set on the
    attendance; a problem refuses the row (``RowRejected``). Reads the training's list once;
    each row then runs no query."""

    def __init__(self, *, training: Training, by: User, register: Register) -> None:
        self.training = training
        self.by = by
        self.register = register
        self.registers_for = registering_institution_id(by, training)
        self.listed = {a.participant_id: a for a in Attendance.objects.filter(training=training)}
        # New people planned so far (what the rule compares, and their key), and what the
        # planned records claim under the unique constraints: a second row naming them is
        # the same person, or a clash.
        self._pending: dict[str, list[tuple[Entry, tuple[Any, ...]]]] = {}
        self._claims: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        # Read once: a consent date is checked against the day the list is planned.
        self.today = timezone.localdate()

    def plan(self, row: AttendanceRow) -> PlannedRow:
        name = person_name(row.full_name)
        if not name:
            raise RowRejected(("full_name", _("Give the participant's full name.")))
        values = self._attendance_values(row)
        entry = Entry(name, row.email.strip(), row.institution_id)
        folded = name.casefold()  # name_key(name): the name is person_name's already
        found = self.register.find(entry, folded=folded)
        if found is None:
            pending = self._pending_match(entry, folded)
            if pending is not None:
                # The same person as an earlier row: the same key, which refuses the row.
                return self._planned_new(row, pending, values)
            return self._plan_new(row, entry, folded, values)
        may_change = may_change_participant(self.by, found)
        filled: dict[str, Any] = {}
        if may_change:
            for field_name, value in (
                ("professional_group", row.professional_group_id),
                ("institution", row.institution_id),
                ("position", row.position.strip()),
                ("email", entry.email),
            ):
                if value and not getattr(found, attname_of(Participant, field_name)):
                    filled[field_name] = value
        key: tuple[Any, ...] = ("participant", found.pk)
        self._check_holds(
            found.registered_by_institution_id,
            found.pk,
            key,
            full_name=found.full_name,
            institution_id=filled.get("institution", found.institution_id),
        )
        attendance = self.listed.get(found.pk)
        return PlannedRow(
            row=row,
            found=found,
            key=key,
            filled=filled,
            conflicts=conflicts_between(found, row),
            may_change=may_change,
            attendance=attendance,
            changed=_changed(attendance, values),
        )

    def _plan_new(
        self, row: AttendanceRow, entry: Entry, folded: str, values: dict[str, Any]
    ) -> PlannedRow:
        key: tuple[Any, ...] = ("new", row.row)
        self._check_holds(
            self.registers_for,
            None,
            key,
            full_name=entry.full_name,
            institution_id=row.institution_id,
        )
        # Only what the rule compares is kept for the rows to come, not the record.
        self._pending.setdefault(folded, []).append((entry, key))
        return self._planned_new(row, key, values)

    def _planned_new(
        self, row: AttendanceRow, key: tuple[Any, ...], values: dict[str, Any]
    ) -> PlannedRow:
        return PlannedRow(
            row=row,
            found=None,
            key=key,
            filled={},
            conflicts=[],
            may_change=True,
            attendance=None,
            changed=values,
            registrar=self.registers_for,
            is_demo=self.training.is_demo,
        )

    def _pending_match(self, entry: Entry, folded: str) -> tuple[Any, ...] | None:
        for known, key in self._pending.get(folded, ()):
            if same_person(entry, known):
                return key
        return None

    def _check_holds(
        self,
        registrar: int | None,
        pk: int | None,
        key: tuple[Any, ...],
        *,
        full_name: str,
        institution_id: int | None,
    ) -> None:
        """Refuse a row whose record (``pk``, None for someone new) would take a name at an
        institution that another record of the same registering institution holds (the
        database keeps one), or that another row gives to someone else."""
        for held in _holds(registrar=registrar, full_name=full_name, institution_id=institution_id):
            holder = self.register.holder(held)
            if holder is not None and holder.pk != pk:
                raise RowRejected(_clash(held, holder, found=key[0] != "new"))
            claimed = self._claims.setdefault(held, key)
            if claimed != key:
                raise RowRejected(
                    (
                        "full_name",
                        _("Another row gives this name at this institution to someone else."),
                    )
                )

    def _attendance_values(self, row: AttendanceRow) -> dict[str, Any]:
        values = {
            name: row.attendance[name] for name in ATTENDANCE_FIELDS if name in row.attendance
        }
        for name in ("pre_score", "post_score"):
            score: Decimal | None = values.get(name)
            if score is not None and not SCORE_MIN <= score <= SCORE_MAX:
                raise RowRejected(
                    (
                        name,
                        _("Scores are between %(min)s and %(max)s; %(value)s is not.")
                        % {"min": SCORE_MIN, "max": SCORE_MAX, "value": score},
                    )
                )
        if values.get("completed", True) is None:
            values["completed"] = True
        if values.get("consent_date") and values.get("consent") is not True:
            # A date alone says neither yes nor no: it is not kept, nor dropped unsaid.
            raise RowRejected(
                (
                    "consent_date",
                    _(
                        "A consent date is given, but consent is not “yes”. Write yes in the "
                        "consent column, or remove the date."
                    ),
                )
            )
        # An empty consent leaves the attendance's consent as it is; yes or no sets it.
        if values.get("consent") is None:
            values.pop("consent", None)
            values.pop("consent_date", None)
        else:
            given: date | None = values.get("consent_date")
            if values["consent"] and not given:
                raise RowRejected(("consent_date", _("Give the date consent was given.")))
            if values["consent"] and given and given > self.today:
                raise RowRejected(("consent_date", _("The date cannot be in the future.")))
            values["consent_date"] = given if values["consent"] else None
        return values


def _changed(attendance: Attendance | None, values: dict[str, Any]) -> dict[str, Any]:
    if attendance is None:
        return values
    return {
        name: value
        for name, value in values.items()
        if getattr(attendance, name) != value
        and not (getattr(attendance, name) in (None, "") and value in (None, ""))
    }


def _clash(held: tuple[Any, ...], holder: Participant, *, found: bool) -> tuple[str, str]:
    if found:
        return (
            "institution",
            _("%(name)s is registered at this institution already, as another participant.")
            % {"name": holder.full_name},
        )
    return (
        "full_name",
        _(
            "%(name)s is registered at this institution already, with another email "
            "(%(email)s). Give that email, or none, to list them."
        )
        % {"name": holder.full_name, "email": holder.email},
    )


# --- What a caller is told --------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    """Why a row was refused: its number, the field concerned (or None), and the reason."""

    row: int
    field: str | None
    message: str


class RowsRefused(ValidationError):
    """Rows that cannot be recorded as they are; nothing was written."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(
            [
                _("Row %(row)s: %(problem)s") % {"row": p.row, "problem": p.message}
                for p in problems
            ],
            code="rows_refused",
        )
        self.problems = problems


class ConflictsFound(ValidationError):
    """Rows that name someone in the register whose record says otherwise, with no choice
    made for them yet; nothing was written."""

    def __init__(self, rows: list[PlannedRow]) -> None:
        super().__init__(
            _("These rows name someone already in the register, whose record says otherwise."),
            code="conflicts",
        )
        self.rows = rows
        self.fingerprint = conflicts_fingerprint(rows)
        self.may_update = all(p.may_change for p in rows)


KEEP = "keep"
UPDATE = "update"


@dataclass(frozen=True)
class ConflictChoice:
    """What the user chose for the conflicts they were shown (``seen``, their fingerprint):
    list the people as the register has them (``KEEP``), or correct the register to what
    the rows say (``UPDATE``)."""

    choice: str
    seen: str
