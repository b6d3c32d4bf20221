"""Reads of the participant register: finding people by name in either script, a person's
trainings and history, and what merging two records of one person would do.

Names are matched by the database: it spells each stored name in Latin letters
(``core.alphabet.latin_spelling_in_database``) and looks for every word of the query, spelled
the same way in Python (``trainings.names.name_search_key``). One query however many people
match. On PostgreSQL the spelling is a column the database generates from the name itself
(migration 0013), with a trigram index: a search reads the matching rows from the index
instead of spelling every name of the register.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import BigIntegerField, Count, F, Func, Q, QuerySet, Sum
from django.db.models.expressions import Col
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from modeltranslation.utils import build_localized_fieldname

from core.alphabet import LatinSpelling
from core.collation import alphabetical
from core.history import history_model
from stakeholders.models import Institution, ProfessionalGroup, User
from stakeholders.selectors import persona_for
from trainings.models import Attendance, Participant, Training
from trainings.names import name_search_key
from trainings.permissions import (
    participants_in_register_for,
    trainings_editable_by,
    trainings_visible_to,
)

logger = logging.getLogger(__name__)

# The column PostgreSQL keeps each name spelled in Latin letters in (migration 0013).
SPELLED_COLUMN = "full_name_spelled"


class NameSpelled(LatinSpelling):
    """A person's name spelled in Latin letters (``latin_spelling_in_database("full_name")``):
    on PostgreSQL read from the column generated from the name by that same expression, on
    other databases worked out as that expression does."""

    def __init__(self) -> None:
        super().__init__("full_name")

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        name = cast(Col, self.source_expressions[0])  # the full_name column, resolved
        table = compiler.quote_name_unless_alias(name.alias)
        return f"{table}.{connection.ops.quote_name(SPELLED_COLUMN)}", []


def people_named(people: QuerySet[Participant], q: str) -> QuerySet[Participant]:
    """The people whose name holds every word of ``q``, in Cyrillic or Latin letters."""
    words = [name_search_key(word) for word in q.split()]
    words = [word for word in words if word]
    if not words:
        return people
    people = people.alias(name_spelled=NameSpelled())
    for word in words:
        people = people.filter(name_spelled__contains=word)
    return people


def _in_every_language(name: str) -> list[str]:
    return [build_localized_fieldname(name, code) for code, _name in settings.LANGUAGES]


# What the register's list and the portal's search show of a person: the name (a link to
# their page), whether it was erased, the sex, the profession and the institution (its
# label: the short name, else the name; each in the reader's language or the fallback's).
PEOPLE_SHOWN = (
    "full_name",
    "sex",
    "erased_at",
    *_in_every_language("professional_group__name"),
    *_in_every_language("institution__name"),
    *_in_every_language("institution__short_name"),
)


def people_search(
    *,
    by: User,
    q: str = "",
    institution: Institution | None = None,
    profession: ProfessionalGroup | None = None,
    training: Training | None = None,
) -> QuerySet[Participant]:
    """The people in the user's register (``participants_in_register_for``) matching the
    name and filters, by name; their profession and institution joined, so a page of them
    costs one query. Only what a list of them shows is read (``PEOPLE_SHOWN``)."""
    people = people_named(participants_in_register_for(by), q)
    if institution is not None:
        people = people.filter(institution=institution)
    if profession is not None:
        people = people.filter(professional_group=profession)
    if training is not None:
        people = people.filter(attendance__training=training)
    return (
        people.select_related("institution", "professional_group")
        .only(*PEOPLE_SHOWN)
        .order_by(alphabetical("full_name"), "pk")
    )


def register_trainings(*, by: User) -> QuerySet[Training]:
    """The trainings the register's filter offers: those whose people the user may see."""
    if persona_for(by).is_programme_team:
        return Training.objects.order_by("-start_date", "title")
    return trainings_editable_by(by).order_by("-start_date", "title")


# What a training's name (``Training.__str__``) is made of: its title in each language (the
# reader's, or the fallback's), its start date and its place (the city, else the venue).
_NAME_FIELDS = (
    *(build_localized_fieldname("title", code) for code, _name in settings.LANGUAGES),
    "start_date",
    "city",
    "venue",
)
NAMES_KEPT_SECONDS = 24 * 60 * 60


def _names_made_of(records: QuerySet[Any], fields: Sequence[str]) -> str | None:
    """A digest of what the names of these records are made of (their ``fields``) and of
    the order they come in, worked out by PostgreSQL: one row read where naming them reads
    every one. Each record's values are written as literals (``quote_nullable``: a missing
    title is told from an empty one, a comma in a title from the one between values) and
    hashed, and the hashes summed; the order is what the list is ordered by, as the values
    decide it. None on other databases."""
    if connection.vendor != "postgresql":
        return None
    # hashtextextended(concat_ws(',', quote_nullable(pk), quote_nullable(field), …), 0):
    # one expression, where one for each call costs more to compile than the query takes.
    hashed = Func(
        *(F(name) for name in ("pk", *fields)),
        template="hashtextextended(concat_ws(',', quote_nullable(%(expressions)s)), 0)",
        arg_joiner="), quote_nullable(",
        output_field=BigIntegerField(),
    )
    digest = records.order_by().aggregate(n=Count("pk"), sum=Sum(hashed))
    order = ",".join(map(str, records.query.order_by))
    return hashlib.sha256(f"{digest['n']}:{digest['sum']}:{order}".encode()).hexdigest()


# What an institution's name (``Institution.__str__``) is made of: its name and short name,
# each in the reader's language or the fallback's.
INSTITUTION_NAMED = (*_in_every_language("name"), *_in_every_language("short_name"))


def register_institutions() -> QuerySet[Institution]:
    """The institutions the register's filter offers, by name; only what names them read."""
    return Institution.objects.order_by(alphabetical("name")).only(*INSTITUTION_NAMED)


def register_institution_choices() -> list[tuple[int, str]]:
    """The register's institution filter: each of ``register_institutions`` as (pk, its
    name), in that order. Kept in the cache as the training filter is, per language, under
    a digest of what the names are made of: a page reads one row instead of naming every
    institution (each name a look-up through the fallback languages)."""
    institutions = register_institutions()
    return _choices_kept(
        "institution",
        institutions,
        INSTITUTION_NAMED,
        lambda: [(institution.pk, str(institution)) for institution in institutions],
    )


def _choices_kept(
    kind: str,
    records: QuerySet[Any],
    fields: Sequence[str],
    name_them: Callable[[], list[tuple[int, str]]],
) -> list[tuple[int, str]]:
    """A filter's (pk, name) list as kept in the cache for the reader's language under the
    digest of what the names are made of (``_names_made_of``), else named (``name_them``)
    and kept; named every time where there is no digest (not PostgreSQL)."""
    digest = _names_made_of(records, fields)
    if digest is None:
        return name_them()
    key = f"register:{kind}-choices:{get_language()}:{digest}"
    choices: list[tuple[int, str]] | None = _kept(key)
    if choices is None:
        choices = name_them()
        _keep(key, choices)
    return choices


def register_training_choices(
    *, by: User, trainings: QuerySet[Training] | None = None
) -> list[tuple[int, str]]:
    """The register's training filter: each of ``register_trainings`` (or ``trainings``,
    the same already read) as (pk, its name), in that order, in one query however many
    once the list is kept.

    A name (``str(training)``) has its date formatted in the reader's language, and naming
    the 2,000 trainings of a programme costs more than the rest of the page. So the list is
    kept in the cache, per language, under a digest of what every name in it is made of
    (``_names_made_of``): a training renamed, moved or re-dated, added or no longer offered
    makes another digest. Reading that digest is the one query of a page; a list not kept
    yet is named from the names kept one by one (``_training_names``). The cache is an
    optimisation, never a dependency: unreachable, every name is made again.
    """
    if trainings is None:
        trainings = register_trainings(by=by)
    # rewrite(False): the columns are named in full, and modeltranslation's rows (a
    # dictionary each, for fallbacks none of them needs) would cost more than the query.
    trainings = trainings.rewrite(False)  # type: ignore[attr-defined]
    return _choices_kept("training", trainings, _NAME_FIELDS, lambda: _training_names(trainings))


def _kept(key: str) -> Any:
    """What the cache keeps under ``key``; None when it keeps nothing or is unreachable."""
    try:
        return cache.get(key)
    except Exception:  # any cache failure: made again, never break the page
        logger.warning("Cache unreachable; the register's filter named anew", exc_info=True)
        return None


def _keep(key: str, value: Any) -> None:
    try:
        cache.set(key, value, timeout=NAMES_KEPT_SECONDS)
    except Exception:
        logger.warning("Cache unreachable; the register's filter not kept", exc_info=True)


def _training_names(trainings: QuerySet[Training]) -> list[tuple[int, str]]:
    """Each of ``trainings`` as (pk, its name), in their order. The names are kept in the
    cache, per language, each under what it is made of (``_NAME_FIELDS``): only a training
    renamed, moved or re-dated is named anew, with one more query for those."""
    # Each training with what its name is made of, in one string: a quick key to compare.
    rows = {
        pk: "\x1f".join(map(str, made_of))
        for pk, *made_of in trainings.values_list("pk", *_NAME_FIELDS)
    }
    key = f"register:training-names:{get_language()}"
    kept: dict[int, tuple[str, str]] = _kept(key) or {}  # pk: (made of, name)
    missing = [pk for pk, made_of in rows.items() if kept.get(pk, ("", ""))[0] != made_of]
    if missing:
        named = Training.objects.in_bulk(missing)
        kept = {**kept, **{pk: (rows[pk], str(named[pk])) for pk in named}}
        _keep(key, kept)
    return [
        (pk, kept[pk][1]) for pk, made_of in rows.items() if kept.get(pk, ("", ""))[0] == made_of
    ]


def _attendance_shown(*, participant: Participant, by: User) -> QuerySet[Attendance]:
    """A person's attendance the user may see: at trainings the user may change, and at
    the other trainings they see where the person consented to be named there (as the
    training's page names them)."""
    rows = Attendance.objects.filter(participant=participant)
    if not persona_for(by).is_programme_team:
        rows = rows.filter(
            Q(training__in=trainings_editable_by(by))
            | Q(training__in=trainings_visible_to(by), consent=True)
        )
    return rows.select_related("training__organiser").order_by(
        "-training__start_date", "training__title", "pk"
    )


@dataclass(frozen=True)
class HistoryEntry:
    """One version of a person's record: when, by whom, and what happened."""

    when: datetime
    who: str
    what: str


def _history_text(row: Any) -> str:
    if row.history_change_reason:
        return str(row.history_change_reason)
    return {"+": _("Recorded"), "~": _("Changed"), "-": _("Deleted")}.get(row.history_type, "")


def person_history(*, participant: Participant) -> list[HistoryEntry]:
    """The versions of a person's record, latest first, in one query."""
    rows: QuerySet[Any] = (
        history_model(Participant)
        ._default_manager.filter(id=participant.pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )
    return [
        HistoryEntry(
            when=row.history_date,
            who=str(row.history_user) if row.history_user else _("the platform"),
            what=_history_text(row),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class PersonRecord:
    """A person with everything their page shows."""

    participant: Participant
    attendance: list[Attendance]
    history: list[HistoryEntry]


def person_record(*, participant: Participant, by: User) -> PersonRecord:
    """Everything a person's page shows, in a fixed number of queries however many
    trainings they attended."""
    participant = Participant.objects.select_related(
        "institution", "professional_group", "registered_by_institution"
    ).get(pk=participant.pk)
    return PersonRecord(
        participant=participant,
        attendance=list(_attendance_shown(participant=participant, by=by)),
        history=person_history(participant=participant),
    )


# --- Merging two records of one person ------------------------------------------------------

KEPT_VALUE, MERGED_VALUE = "keep", "merge"
# The details a merge lets the user choose between, where the two records differ.
MERGED_FIELDS = ("full_name", "sex", "professional_group", "institution", "position", "email")


@dataclass(frozen=True)
class FieldChoice:
    """A detail the two records give differently, with each one's value as shown."""

    name: str
    label: str
    kept: str  # the value of the record that stays
    merged: str  # the value of the record merged into it
    default: str  # KEPT_VALUE or MERGED_VALUE: the kept record's value, unless it has none


@dataclass(frozen=True)
class SharedTraining:
    """A training both records attended: one attendance stays, the other goes."""

    training: Training
    stays: Attendance
    goes: Attendance


@dataclass(frozen=True)
class MergePlan:
    """What merging ``merge`` into ``keep`` does: the details to choose between, the
    attendance that moves to the kept record, and the trainings both attended."""

    keep: Participant
    merge: Participant
    choices: list[FieldChoice]
    moving: list[Attendance]
    shared: list[SharedTraining]
    # The trainings whose title the user may read; the others are named by their organiser.
    visible: frozenset[int] = frozenset()


def _shown(participant: Participant, name: str) -> str:
    if name == "sex":
        return str(participant.get_sex_display())
    value = getattr(participant, name)
    if isinstance(value, Institution):
        return value.label
    return str(value) if value is not None else ""


def _completeness(attendance: Attendance) -> tuple[bool, int, bool]:
    """Which of two attendances at one training is the better completed: completed first,
    then the one with more test scores, then the one with consent."""
    scores = sum(s is not None for s in (attendance.pre_score, attendance.post_score))
    return (attendance.completed, scores, attendance.consent)


def merge_plan(*, keep: Participant, merge: Participant, by: User | None = None) -> MergePlan:
    """What merging ``merge`` into ``keep`` would do; nothing is written. Where both
    attended one training, the better completed attendance stays (``_completeness``; the
    kept record's when they are equal) and the other is removed."""
    records = Participant.objects.select_related("institution", "professional_group")
    keep = records.get(pk=keep.pk)
    merge = records.get(pk=merge.pk)
    choices = []
    for name in MERGED_FIELDS:
        kept, merged = _shown(keep, name), _shown(merge, name)
        if kept.strip().casefold() == merged.strip().casefold() and (
            name != "full_name" or kept == merged
        ):
            continue
        field = Participant._meta.get_field(name)
        choices.append(
            FieldChoice(
                name=name,
                label=str(field.verbose_name).capitalize(),  # type: ignore[union-attr]
                kept=kept,
                merged=merged,
                default=KEPT_VALUE if kept else MERGED_VALUE,
            )
        )
    rows = (
        Attendance.objects.filter(participant__in=[keep, merge])
        .select_related("training__organiser")
        .order_by("-training__start_date", "training__title", "pk")
    )
    kept_rows: dict[int, Attendance] = {}
    merged_rows: list[Attendance] = []
    for row in rows:
        if row.participant_id == keep.pk:
            kept_rows[row.training_id] = row
        else:
            merged_rows.append(row)
    moving, shared = [], []
    for row in merged_rows:
        other = kept_rows.get(row.training_id)
        if other is None:
            moving.append(row)
        elif _completeness(row) > _completeness(other):
            shared.append(SharedTraining(training=row.training, stays=row, goes=other))
        else:
            shared.append(SharedTraining(training=row.training, stays=other, goes=row))
    visible: frozenset[int] = frozenset()
    if by is not None:
        trainings = {row.training_id for row in rows}
        visible = frozenset(
            trainings_visible_to(by).filter(pk__in=trainings).values_list("pk", flat=True)
        )
    return MergePlan(
        keep=keep, merge=merge, choices=choices, moving=moving, shared=shared, visible=visible
    )


def merge_candidates(*, participant: Participant, by: User, q: str) -> QuerySet[Participant]:
    """The records the user may merge into ``participant``: others in their register,
    named like ``q``, that they may change and that are not erased."""
    people = people_named(participants_in_register_for(by), q).exclude(pk=participant.pk)
    people = people.filter(erased_at__isnull=True)
    persona = persona_for(by)
    if not persona.is_programme_team:
        people = people.filter(registered_by_institution__in=persona.edits_for)
    return people.select_related("institution", "professional_group").order_by(
        alphabetical("full_name"), "pk"
    )
