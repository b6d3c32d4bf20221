"""Writes about trainings, participants and attendance."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.history import acting_as, history_model, record_bulk
from core.imports import Changes, RowRejected, attname_of, bulk_insert
from core.signals import personal_data_erased, rows_changed
from programme.models import Action, Outcome
from recommendations.models import Recommendation
from stakeholders import object_permissions
from stakeholders.models import Institution, ProfessionalGroup, User
from trainings.choices import SCORE_MAX, SCORE_MIN, TrainingStatus
from trainings.matching import (
    KEEP,
    UPDATE,
    AttendancePlanner,
    AttendanceRow,
    ConflictChoice,
    ConflictsFound,
    PlannedRow,
    Register,
    RowProblem,
    RowsRefused,
    conflicts_fingerprint,
)
from trainings.models import Attendance, Evaluation, Participant, Topic, Training
from trainings.names import person_name
from trainings.permissions import may_change_participant, organisers_for
from trainings.registry_selectors import KEPT_VALUE, MERGED_VALUE, merge_plan
from trainings.selectors import participants_past_retention

STALE_MESSAGE = gettext_lazy(
    "This training was changed by someone else after you opened it. Reload to see their changes."
)

logger = logging.getLogger(__name__)


def training_share(*, training: Training) -> None:
    """The organiser's and partners' members see a training; their editors may change it."""
    object_permissions.share(training, institutions=[training.organiser, *training.partners.all()])


def _check_organiser(*, by: User, organiser: Institution) -> None:
    if not organisers_for(by).filter(pk=organiser.pk).exists():
        raise ValidationError(
            {
                "organiser": _("You cannot log trainings for %(institution)s.")
                % {"institution": organiser.label}
            }
        )


def _set_relations(
    *,
    training: Training,
    topics: Iterable[Topic],
    target_groups: Iterable[ProfessionalGroup],
    partners: Iterable[Institution],
    recommendations: Iterable[Recommendation],
    outcomes: Iterable[Outcome],
) -> None:
    topics = list(topics)
    if not topics:
        raise ValidationError({"topics": _("Choose at least one topic.")})
    training.topics.set(topics)
    training.target_groups.set(list(target_groups))
    # The organiser is not its own partner.
    training.partners.set([p for p in partners if p.pk != training.organiser_id])
    training.recommendations.set(list(recommendations))
    training.outcomes.set(list(outcomes))


@transaction.atomic
def training_create(
    *,
    by: User,
    action: Action,
    title: str,
    organiser: Institution,
    topics: Iterable[Topic],
    target_groups: Iterable[ProfessionalGroup] = (),
    partners: Iterable[Institution] = (),
    recommendations: Iterable[Recommendation] = (),
    outcomes: Iterable[Outcome] = (),
    methodology: str = "",
    venue: str = "",
    city: str = "",
    start_date: date | None = None,
    end_date: date | None = None,
    status: str = TrainingStatus.PLANNED,
) -> Training:
    """Log a training for an institution the user edits for, and share it with its partners.

    A demo account's trainings are demo records, so they never count in the real figures.
    """
    _check_organiser(by=by, organiser=organiser)
    training = Training(
        action=action,
        organiser=organiser,
        methodology=methodology.strip(),
        venue=venue.strip(),
        city=city.strip(),
        start_date=start_date,
        end_date=end_date,
        status=status,
        is_demo=by.is_demo,
    )
    # The title goes in the language the person writes in; English is everyone's fallback.
    training.title = title.strip()
    if not training.title_en:  # type: ignore[attr-defined]
        training.title_en = training.title  # type: ignore[attr-defined]
    training.full_clean()
    training.save()
    _set_relations(
        training=training,
        topics=topics,
        target_groups=target_groups,
        partners=partners,
        recommendations=recommendations,
        outcomes=outcomes,
    )
    training_share(training=training)
    return training


@transaction.atomic
def training_update(
    *,
    training: Training,
    by: User,
    seen_at: datetime | None,
    title: str,
    organiser: Institution,
    topics: Iterable[Topic],
    target_groups: Iterable[ProfessionalGroup],
    partners: Iterable[Institution],
    recommendations: Iterable[Recommendation],
    outcomes: Iterable[Outcome],
    methodology: str,
    venue: str,
    city: str,
    start_date: date | None,
    end_date: date | None,
    status: str,
) -> Training:
    """Change a training; its permissions follow the organiser and partners.

    ``seen_at`` is when the person opened the form: a form older than the last save is
    refused rather than silently overwriting someone else's changes.
    """
    training = Training.objects.select_for_update().get(pk=training.pk)
    if seen_at is not None and training.updated_at > seen_at:
        raise ValidationError(STALE_MESSAGE, code="stale")
    if organiser.pk != training.organiser_id:
        _check_organiser(by=by, organiser=organiser)
    title = title.strip()
    # Only a changed title is stored, so saving a page shown through the English fallback
    # does not copy the English title into another language.
    if title != training.title:
        training.title = title
    training.organiser = organiser
    training.methodology = methodology.strip()
    training.venue = venue.strip()
    training.city = city.strip()
    training.start_date = start_date
    training.end_date = end_date
    training.status = status
    if status != TrainingStatus.CANCELLED:
        training.cancellation_reason = ""
    training.full_clean()
    training.save()
    _set_relations(
        training=training,
        topics=topics,
        target_groups=target_groups,
        partners=partners,
        recommendations=recommendations,
        outcomes=outcomes,
    )
    training_share(training=training)
    return training


def _check_score(field: str, value: Decimal | None) -> None:
    if value is not None and not SCORE_MIN <= value <= SCORE_MAX:
        raise ValidationError(
            {
                field: _("Scores are between %(min)s and %(max)s; %(value)s is not.")
                % {"min": SCORE_MIN, "max": SCORE_MAX, "value": value}
            }
        )


def _check_consent(consent: bool, consent_date: date | None) -> None:
    if consent and not consent_date:
        raise ValidationError({"consent_date": _("Give the date consent was given.")})
    if consent and consent_date and consent_date > timezone.localdate():
        raise ValidationError({"consent_date": _("The date cannot be in the future.")})


def _set_consent(
    attendance: Attendance, *, by: User, consent: bool, consent_date: date | None
) -> bool:
    """Record the person's consent for this training, and who recorded it; True if changed."""
    consent_date = consent_date if consent else None
    if (attendance.consent, attendance.consent_date) == (consent, consent_date):
        return False
    attendance.consent, attendance.consent_date = consent, consent_date
    attendance.consent_recorded_by = by
    attendance.consent_recorded_at = timezone.now()
    return True


# --- The participant register and attendance lists ------------------------------------------

# What recording a row does with a person already listed at the training.
LISTED_UPDATE = "update"  # their attendance takes the row's values (an import)
LISTED_SKIP = "skip"  # their attendance is left as it is (a paste)
LISTED_REFUSE = "refuse"  # the row is refused (the form)

_CHANGED_MEANWHILE = gettext_lazy(
    "The register changed while these rows were being saved, so nothing was saved. "
    "Check them again."
)


@dataclass(frozen=True)
class AttendancesResult:
    """What recording an attendance list did; ``attendances`` in the order of the rows."""

    added: int
    updated: int
    already_listed: int
    new_to_register: int
    attendances: list[Attendance]


def _planned(
    *,
    training: Training,
    by: User,
    rows: Sequence[AttendanceRow],
    listed: str,
    on_conflict: ConflictChoice | None,
    register: Register | None,
) -> tuple[list[PlannedRow], bool]:
    """Every row planned by the one rule (``trainings.matching``), and whether the records
    of the people found are corrected to what the rows say; raises, writing nothing, when a
    row is refused or a conflict has not been decided on."""
    planner = AttendancePlanner(
        training=training, by=by, register=register or Register.visible_to(by, rows=rows)
    )
    planned: list[PlannedRow] = []
    problems: list[RowProblem] = []
    seen: dict[tuple[Any, ...], int] = {}
    for row in rows:
        try:
            plan = planner.plan(row)
        except RowRejected as exc:
            problems += [RowProblem(row.row, name, message) for name, message in exc.problems]
            continue
        if plan.key in seen:
            message = _("The same person as row %(row)s.") % {"row": seen[plan.key]}
            problems.append(RowProblem(row.row, "full_name", message))
            continue
        seen[plan.key] = row.row
        if plan.attendance is not None and listed == LISTED_REFUSE:
            message = _("%(name)s is already listed for this training.") % {
                "name": plan.participant.full_name
            }
            problems.append(RowProblem(row.row, None, message))
            continue
        planned.append(plan)
    if problems:
        raise RowsRefused(problems)
    conflicted = [plan for plan in planned if plan.conflicts]
    if not conflicted:
        return planned, False
    if (
        on_conflict is None
        or on_conflict.choice not in (KEEP, UPDATE)
        or on_conflict.seen != conflicts_fingerprint(conflicted)
    ):
        raise ConflictsFound(conflicted)
    if on_conflict.choice == UPDATE:
        refused = [
            RowProblem(
                plan.row.row,
                "full_name",
                _("You cannot correct the record of %(name)s: another institution registered it.")
                % {"name": plan.participant.full_name},
            )
            for plan in conflicted
            if not plan.may_change
        ]
        if refused:
            raise RowsRefused(refused)
    return planned, on_conflict.choice == UPDATE


def _people_write(
    planned: list[PlannedRow], *, correct: bool, by: User, changes: Changes | None
) -> int:
    """Register the new people and fill in (or, ``correct``, correct) the records found, in
    bulk with their history; returns how many were registered."""
    created = bulk_insert(Participant, [plan.participant for plan in planned if plan.is_new])
    if changes is not None:
        changes.add_created(Participant, [p.pk for p in created])
    now = timezone.now()
    changed: list[Participant] = []
    names: set[str] = set()
    for plan in planned:
        update = dict(plan.filled)
        if correct and plan.conflicts:
            update.update(full_name=person_name(plan.row.full_name), sex=plan.row.sex)
        if plan.is_new or not update:
            continue
        if changes is not None:
            changes.add_updated(plan.participant, update)
        for name, value in update.items():
            setattr(plan.participant, attname_of(Participant, name), value)
            names.add(name)
        plan.participant.updated_at = now
        changed.append(plan.participant)
    if changed:
        Participant.objects.bulk_update(changed, sorted(names | {"updated_at"}), batch_size=2000)
        record_bulk(Participant, changed, created=False, by=by)
    return len(created)


def _attendance_write(
    planned: list[PlannedRow],
    *,
    training: Training,
    by: User,
    listed: str,
    changes: Changes | None,
) -> AttendancesResult:
    now = timezone.now()
    new: list[Attendance] = []
    updated: list[Attendance] = []
    names: set[str] = set()
    attendances: list[Attendance] = []
    for plan in planned:
        values = dict(plan.changed)
        # Who recorded a consent, and when, whichever way it comes.
        if values.get("consent") if plan.attendance is None else values.keys() & _CONSENT:
            values.update(consent_recorded_by=by, consent_recorded_at=now)
        if plan.attendance is None:
            attendance = Attendance(
                training=training,
                participant=plan.participant,
                pre_score=values.get("pre_score"),
                post_score=values.get("post_score"),
                completed=values.get("completed", True),
                consent=bool(values.get("consent")),
                consent_date=values.get("consent_date"),
                consent_recorded_by=values.get("consent_recorded_by"),
                consent_recorded_at=values.get("consent_recorded_at"),
            )
            new.append(attendance)
        else:
            attendance = plan.attendance
            if listed == LISTED_UPDATE and values:
                if changes is not None:
                    changes.add_updated(attendance, values)
                for name, value in values.items():
                    setattr(attendance, name, value)
                    names.add(name)
                attendance.updated_at = now
                updated.append(attendance)
        attendances.append(attendance)
    bulk_insert(Attendance, new)
    if changes is not None:
        changes.add_created(Attendance, [a.pk for a in new])
    if updated:
        Attendance.objects.bulk_update(updated, sorted(names | {"updated_at"}), batch_size=2000)
        record_bulk(Attendance, updated, created=False, by=by)
    return AttendancesResult(
        added=len(new),
        updated=len(updated),
        already_listed=len(planned) - len(new) - len(updated),
        new_to_register=0,
        attendances=attendances,
    )


_CONSENT = {"consent", "consent_date"}


@transaction.atomic
def attendances_record(
    *,
    training: Training,
    by: User,
    rows: Sequence[AttendanceRow],
    listed: str = LISTED_UPDATE,
    on_conflict: ConflictChoice | None = None,
    register: Register | None = None,
    changes: Changes | None = None,
) -> AttendancesResult:
    """List the rows' people at the training, all of them or, on any problem, none: the one
    service of the form, the paste and the import.

    Each row's person is found among those the user may see, by the one rule
    (``trainings.matching``), or registered anew for the user's institution. Blanks of a
    found record are filled in when the user's institution registered it; another
    institution's record is listed as it is. A person already listed at the training is
    dealt with as ``listed`` says. A row naming someone whose record gives another name or
    sex is not recorded until the user has chosen, for the conflicts shown to them, to keep
    the record or to correct it (``on_conflict``): ``ConflictsFound`` lists them meanwhile.

    People, attendances and their history are written in bulk, and the dashboard's figures
    renewed once. ``register`` spares reading the register again (an import read it to check
    the file); ``changes`` (an import's) learns what was created and changed.
    """
    planned, correct = _planned(
        training=training,
        by=by,
        rows=rows,
        listed=listed,
        on_conflict=on_conflict,
        register=register,
    )
    try:
        with transaction.atomic(), acting_as(by):
            registered = _people_write(planned, correct=correct, by=by, changes=changes)
            result = _attendance_write(
                planned, training=training, by=by, listed=listed, changes=changes
            )
    except IntegrityError as exc:
        raise ValidationError(_CHANGED_MEANWHILE, code="changed") from exc
    # Written in bulk: whatever keeps figures of them (the dashboard) renews them once.
    rows_changed.send(sender=Participant)
    rows_changed.send(sender=Attendance)
    return replace(result, new_to_register=registered)


@transaction.atomic
def participant_register(
    *,
    by: User,
    training: Training,
    full_name: str,
    sex: str,
    professional_group: ProfessionalGroup | None = None,
    institution: Institution | None = None,
    position: str = "",
    email: str = "",
    on_conflict: ConflictChoice | None = None,
) -> tuple[Participant, bool]:
    """The participant's record in the register, found by the one rule or created, to list
    them at the training; True when created. Found records are filled in, or corrected,
    as ``attendances_record`` does."""
    row = AttendanceRow(
        row=1,
        full_name=full_name,
        sex=sex,
        professional_group_id=professional_group.pk if professional_group else None,
        institution_id=institution.pk if institution else None,
        position=position,
        email=email,
    )
    planned, correct = _planned(
        training=training,
        by=by,
        rows=[row],
        listed=LISTED_SKIP,
        on_conflict=on_conflict,
        register=None,
    )
    with acting_as(by):
        _people_write(planned, correct=correct, by=by, changes=None)
    rows_changed.send(sender=Participant)  # a profession filled in moves them to its group
    return planned[0].participant, planned[0].is_new


def training_participant_add(
    *,
    training: Training,
    by: User,
    full_name: str,
    sex: str,
    professional_group: ProfessionalGroup | None,
    institution: Institution | None,
    position: str,
    email: str,
    consent: bool,
    consent_date: date | None,
    pre_score: Decimal | None,
    post_score: Decimal | None,
    on_conflict: ConflictChoice | None = None,
) -> tuple[Attendance, bool]:
    """Register one participant (or find them) and list them at the training: the list of
    one row (``attendances_record``). Returns the attendance and whether the participant
    was new to the register. Nothing is saved when they are already listed for the
    training. The consent is this training's: it goes on the attendance, never on the
    person's record."""
    values: dict[str, Any] = {"consent": consent, "consent_date": consent_date}
    values.update(
        {
            name: score
            for name, score in (("pre_score", pre_score), ("post_score", post_score))
            if score is not None
        }
    )
    row = AttendanceRow(
        row=1,
        full_name=full_name,
        sex=sex,
        professional_group_id=professional_group.pk if professional_group else None,
        institution_id=institution.pk if institution else None,
        position=position,
        email=email,
        attendance=values,
    )
    result = attendances_record(
        training=training, by=by, rows=[row], listed=LISTED_REFUSE, on_conflict=on_conflict
    )
    return result.attendances[0], bool(result.new_to_register)


@dataclass(frozen=True)
class ScoreChange:
    attendance_id: int
    pre_score: Decimal | None
    post_score: Decimal | None
    completed: bool
    consent: bool | None = None  # None: left as it is
    consent_date: date | None = None


@transaction.atomic
def attendance_scores_update(
    *, training: Training, by: User, changes: Iterable[ScoreChange]
) -> int:
    """Set the scores, completion and consent of a training's attendance rows; returns how
    many. A changed consent records who changed it and when."""
    changes = list(changes)
    rows = {
        a.pk: a
        for a in Attendance.objects.select_for_update().filter(
            training=training, pk__in=[c.attendance_id for c in changes]
        )
    }
    if len(rows) != len({c.attendance_id for c in changes}):
        raise ValidationError(_("Some of these rows are not part of this training."))
    now = timezone.now()
    for change in changes:
        _check_score("pre_score", change.pre_score)
        _check_score("post_score", change.post_score)
        attendance = rows[change.attendance_id]
        attendance.pre_score = change.pre_score
        attendance.post_score = change.post_score
        attendance.completed = change.completed
        if change.consent is not None:
            _check_consent(change.consent, change.consent_date)
            _set_consent(
                attendance, by=by, consent=change.consent, consent_date=change.consent_date
            )
        attendance.updated_at = now
        attendance.full_clean(exclude=["training", "participant"])
    Attendance.objects.bulk_update(
        list(rows.values()),
        [
            "pre_score",
            "post_score",
            "completed",
            "consent",
            "consent_date",
            "consent_recorded_by",
            "consent_recorded_at",
            "updated_at",
        ],
    )
    record_bulk(Attendance, list(rows.values()), created=False, by=by)
    return len(rows)


# --- The evaluation, and undoing: an attendance row, a training --------------------------------


@transaction.atomic
def evaluation_save(
    *,
    training: Training,
    by: User,
    respondents: int,
    overall_rating: Decimal | None,
    relevance_rating: Decimal | None,
    summary: str,
    lessons_learned: str,
) -> Evaluation:
    """Record how the participants rated the training and what the organisers learned, or
    correct it: a training has one evaluation."""
    evaluation = Evaluation.objects.select_for_update().filter(training=training).first()
    if evaluation is None:
        evaluation = Evaluation(training=training)
    evaluation.respondents = respondents
    evaluation.overall_rating = overall_rating
    evaluation.relevance_rating = relevance_rating
    evaluation.summary = summary.strip()
    evaluation.lessons_learned = lessons_learned.strip()
    evaluation.full_clean()
    with acting_as(by):
        evaluation.save()
    return evaluation


@transaction.atomic
def attendance_remove(*, attendance: Attendance, by: User) -> None:
    """Take a person off a training's list, entered there by mistake. Their record stays in
    the register; the training's figures no longer count them; the history keeps that they
    were listed."""
    with acting_as(by):
        attendance.delete()


@transaction.atomic
def training_cancel(*, training: Training, by: User, reason: str = "") -> Training:
    """Mark a training cancelled: it stays on the list, and no figure counts it or those
    listed at it."""
    training = Training.objects.select_for_update().get(pk=training.pk)
    if training.status == TrainingStatus.CANCELLED:
        raise ValidationError(_("This training is cancelled already."), code="cancelled")
    training.status = TrainingStatus.CANCELLED
    training.cancellation_reason = reason.strip()
    training.full_clean()
    with acting_as(by):
        training.save()
    return training


@transaction.atomic
def training_delete(*, training: Training, by: User) -> None:
    """Delete a training logged by mistake. One with people listed at it is refused: they
    are taken off first, or the training is cancelled instead. The history keeps it."""
    training = Training.objects.select_for_update().get(pk=training.pk)
    if training.attendance.exists():
        raise ValidationError(
            _(
                "People are listed at this training. Remove them from it first, or cancel "
                "the training instead."
            ),
            code="attended",
        )
    with acting_as(by):
        training.delete()


# --- Data protection: erasure and retention --------------------------------------------------


@transaction.atomic
def participant_erase(*, participant: Participant) -> Participant:
    """Erase a person's details (GDPR art. 17), keeping the figures they count in.

    The name, email, position and consent go, from the record and from what import batches
    kept of the spreadsheets that named them; the sex, profession and institution stay, as
    counts by target group and sex are the action's results. Erasing twice changes nothing.
    """
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.is_erased:
        return participant
    forget = [text for text in (participant.full_name, participant.email) if text]
    participant.full_name = f"Erased participant {participant.pk}"
    participant.email = ""
    participant.position = ""
    participant.erased_at = timezone.now()
    participant.save()
    # Earlier versions of the record are the person's details too.
    history_model(Participant)._default_manager.filter(id=participant.pk).update(
        full_name=participant.full_name,
        email="",
        position="",
        erased_at=participant.erased_at,
        # A merge's entry names the record merged in (participant_merge).
        history_change_reason=None,
    )
    # Their consent, given at each training, goes with them.
    consent_gone = {"consent": False, "consent_date": None}
    Attendance.objects.filter(participant=participant).update(**consent_gone)
    history_model(Attendance)._default_manager.filter(participant_id=participant.pk).update(
        **consent_gone
    )
    # Copies kept elsewhere (the spreadsheets import batches keep) go too.
    personal_data_erased.send(sender=Participant, texts=forget)
    _admin_log_forget(participant)
    # The glance's figures stay as they are (sex and profession are kept): nothing to renew.
    logger.info("Participant %s erased", participant.pk)
    return participant


def _admin_log_forget(participant: Participant) -> None:
    """The admin's log names records as they were shown: the person's entries, and those of
    their attendances, now name the erased record instead."""
    attendances = {
        str(pk): f"{participant} @ {title}"
        for pk, title in Attendance.objects.filter(participant=participant).values_list(
            "pk", "training__title"
        )
    }
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Participant),
        object_id=str(participant.pk),
    ).update(object_repr=str(participant)[:200])
    for pk, object_id in LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Attendance),
        object_id__in=list(attendances),
    ).values_list("pk", "object_id"):
        LogEntry.objects.filter(pk=pk).update(object_repr=attendances[str(object_id)][:200])


def participants_erase_expired(*, today: date | None = None) -> int:
    """Erase the participants whose last training ended longer ago than the retention period
    (settings.PARTICIPANT_RETENTION_DAYS); returns how many. Safe to run again."""
    today = today or timezone.localdate()
    before = today - timedelta(days=settings.PARTICIPANT_RETENTION_DAYS)
    erased = 0
    for participant in participants_past_retention(before=before).only("pk").iterator():
        participant_erase(participant=participant)
        erased += 1
    if erased:
        logger.info("Retention: %s participants erased (last training before %s)", erased, before)
    return erased


# --- The participant register: correcting and merging records ---------------------------------


def _check_may_change(participant: Participant, by: User) -> None:
    if not may_change_participant(by, participant):
        raise PermissionDenied
    if participant.is_erased:
        raise ValidationError(
            _("This person's details were erased; the record can no longer be changed."),
            code="erased",
        )


@transaction.atomic
def participant_update(
    *,
    participant: Participant,
    by: User,
    full_name: str,
    sex: str,
    professional_group: ProfessionalGroup | None,
    email: str,
) -> Participant:
    """Correct a person's name, sex, profession or email; the history keeps what it was.
    Only the institution that registered them, and the programme team, may."""
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    _check_may_change(participant, by)
    participant.full_name = full_name
    participant.sex = sex
    participant.professional_group = professional_group
    participant.email = email
    participant.full_clean()
    with acting_as(by):
        participant.save()
    return participant


# The history's entry is at most this long (simple_history's column).
_REASON_MAX = 100


@transaction.atomic
def participant_merge(
    *, keep: Participant, merge: Participant, by: User, choices: Mapping[str, str]
) -> Participant:
    """Merge two records of one person: ``merge`` goes, ``keep`` stays with every attendance.

    ``choices`` says, for each detail the two give differently, whose value stays (KEPT_VALUE
    or MERGED_VALUE; by default the kept record's, unless it has none). Where both attended one
    training, the better completed attendance stays and the other is removed (the rule is
    ``registry_selectors.merge_plan``'s, which the confirmation page shows). The merged
    record's versions join the kept record's history, which says who merged whom and when;
    an erased record is never merged.
    """
    if keep.pk == merge.pk:
        raise ValidationError(_("Choose another record to merge with."), code="same")
    locked = {
        p.pk: p
        for p in Participant.objects.select_for_update()
        .filter(pk__in=[keep.pk, merge.pk])
        .order_by("pk")
    }
    if len(locked) != 2:
        raise ValidationError(_("The other record no longer exists."), code="gone")
    keep, merge = locked[keep.pk], locked[merge.pk]
    for participant in (keep, merge):
        _check_may_change(participant, by)
    plan = merge_plan(keep=keep, merge=merge)
    for choice in plan.choices:
        picked = choices.get(choice.name) or choice.default
        if picked not in (KEPT_VALUE, MERGED_VALUE):
            raise ValidationError({choice.name: _("Choose which value to keep.")})
        if picked == MERGED_VALUE:
            attname = attname_of(Participant, choice.name)
            setattr(keep, attname, getattr(merge, attname))
    reason = _("Merged with %(name)s (#%(id)s) by %(user)s") % {
        "name": merge.full_name,
        "id": merge.pk,
        "user": by.get_full_name() or by.get_username(),
    }
    merged_pk = merge.pk
    with acting_as(by):
        for shared in plan.shared:
            shared.goes.delete()
        staying = [s.stays for s in plan.shared if s.stays.participant_id == merged_pk]
        for attendance in [*plan.moving, *staying]:
            attendance.participant = keep
            attendance.save()
        merge.delete()
    # The merged record's versions are this person's history now, and go when it is erased.
    history = history_model(Participant)._default_manager
    history.filter(id=merged_pk, history_type="-").delete()
    history.filter(id=merged_pk).update(id=keep.pk)
    keep.full_clean()
    keep._change_reason = reason[:_REASON_MAX]  # type: ignore[attr-defined]
    with acting_as(by):
        keep.save()
    logger.info("Participant %s merged into %s", merged_pk, keep.pk)
    return keep
