"""Writes about trainings, participants and attendance."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.history import history_model, record_bulk
from programme.glance import glance_invalidate
from programme.models import Action, Outcome
from recommendations.models import Recommendation
from stakeholders import object_permissions
from stakeholders.models import Institution, ProfessionalGroup, User
from trainings.choices import SCORE_MAX, SCORE_MIN, TrainingStatus
from trainings.models import Attendance, Participant, Topic, Training
from trainings.permissions import (
    may_change_participant,
    organisers_for,
    registering_institution_id,
)
from trainings.selectors import participant_matching, participants_past_retention

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
    glance_invalidate()
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
    glance_invalidate()  # its status, day or action may move it in or out of the held ones
    return training


def _check_score(field: str, value: Decimal | None) -> None:
    if value is not None and not SCORE_MIN <= value <= SCORE_MAX:
        raise ValidationError(
            {
                field: _("Scores are between %(min)s and %(max)s; %(value)s is not.")
                % {"min": SCORE_MIN, "max": SCORE_MAX, "value": value}
            }
        )


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
) -> tuple[Participant, bool]:
    """The participant's record in the register, found or created, to list them at the
    training; True when created.

    Someone the user may already see (same email, or same name at the same institution) is
    found, not added twice. Anyone else is registered anew for the user's institution, even
    if another institution registered the same person: the programme team merges those.
    Details missing from a found record are filled in only when the user's institution
    registered it; another institution's record is listed as it is.
    """
    full_name = " ".join(full_name.split())
    email = email.strip()
    if not full_name:
        raise ValidationError({"full_name": _("Give the participant's full name.")})
    existing = participant_matching(
        by=by, full_name=full_name, institution=institution, email=email
    )
    if existing is None:
        participant = Participant(
            full_name=full_name,
            sex=sex,
            professional_group=professional_group,
            institution=institution,
            position=position.strip(),
            email=email,
            registered_by_institution_id=registering_institution_id(by, training),
            is_demo=training.is_demo,
        )
        participant.full_clean()
        participant.save()
        return participant, True
    if not may_change_participant(by, existing):
        return existing, False
    changed = False
    for field, value in (
        ("professional_group", professional_group),
        ("institution", institution),
        ("position", position.strip()),
        ("email", email),
    ):
        if value and not getattr(existing, field):
            setattr(existing, field, value)
            changed = True
    if changed:
        existing.full_clean()
        existing.save()
        glance_invalidate()  # a profession filled in moves them to its group
    return existing, False


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


@transaction.atomic
def attendance_record(
    *,
    training: Training,
    participant: Participant,
    by: User,
    pre_score: Decimal | None = None,
    post_score: Decimal | None = None,
    completed: bool = True,
    consent: bool = False,
    consent_date: date | None = None,
) -> Attendance:
    """List a participant at a training with their test scores (0 to 100) and whether they
    consented, at this training, to their details being kept."""
    if Attendance.objects.filter(training=training, participant=participant).exists():
        raise ValidationError(
            _("%(name)s is already listed for this training.") % {"name": participant.full_name},
            code="already_listed",
        )
    _check_score("pre_score", pre_score)
    _check_score("post_score", post_score)
    _check_consent(consent, consent_date)
    attendance = Attendance(
        training=training,
        participant=participant,
        pre_score=pre_score,
        post_score=post_score,
        completed=completed,
    )
    _set_consent(attendance, by=by, consent=consent, consent_date=consent_date)
    attendance.full_clean()
    attendance.save()
    glance_invalidate()
    return attendance


@transaction.atomic
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
) -> tuple[Attendance, bool]:
    """Register one participant (or find them) and list them at the training.

    Returns the attendance and whether the participant was new to the register. Nothing
    is saved when they are already listed for the training. The consent is this
    training's: it goes on the attendance, never on the person's record.
    """
    _check_score("pre_score", pre_score)
    _check_score("post_score", post_score)
    _check_consent(consent, consent_date)
    participant, created = participant_register(
        by=by,
        training=training,
        full_name=full_name,
        sex=sex,
        professional_group=professional_group,
        institution=institution,
        position=position,
        email=email,
    )
    attendance = attendance_record(
        training=training,
        participant=participant,
        by=by,
        pre_score=pre_score,
        post_score=post_score,
        consent=consent,
        consent_date=consent_date,
    )
    return attendance, created


@dataclass(frozen=True)
class PastedParticipant:
    """One checked row of a pasted attendance list; ``row`` is its line in the paste."""

    row: int
    full_name: str
    sex: str
    professional_group: ProfessionalGroup | None
    institution: Institution | None
    email: str
    pre_score: Decimal | None
    post_score: Decimal | None


@dataclass(frozen=True)
class PasteResult:
    added: int
    already_listed: int
    new_to_register: int


@transaction.atomic
def attendance_paste(
    *, training: Training, by: User, rows: Sequence[PastedParticipant]
) -> PasteResult:
    """List every pasted participant at the training, all of them or, on any error, none.

    People already listed for the training are left as they are, so pasting the same
    rows again adds nobody twice.
    """
    added = already = new = 0
    for row in rows:
        try:
            _check_score("pre_score", row.pre_score)
            _check_score("post_score", row.post_score)
            participant, created = participant_register(
                by=by,
                training=training,
                full_name=row.full_name,
                sex=row.sex,
                professional_group=row.professional_group,
                institution=row.institution,
                email=row.email,
            )
            if (
                not created
                and Attendance.objects.filter(training=training, participant=participant).exists()
            ):
                already += 1
                continue
            attendance_record(
                training=training,
                participant=participant,
                by=by,
                pre_score=row.pre_score,
                post_score=row.post_score,
            )
        except ValidationError as exc:
            raise ValidationError(
                _("Row %(row)s: %(problem)s") % {"row": row.row, "problem": " ".join(exc.messages)}
            ) from exc
        added += 1
        new += int(created)
    return PasteResult(added=added, already_listed=already, new_to_register=new)


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


# --- Data protection: erasure and retention --------------------------------------------------


@transaction.atomic
def participant_erase(*, participant: Participant) -> Participant:
    """Erase a person's details (GDPR art. 17), keeping the figures they count in.

    The name, email, position and consent go, from the record and from what import batches
    kept of the spreadsheets that named them; the sex, profession and institution stay, as
    counts by target group and sex are the action's results. Erasing twice changes nothing.
    """
    from programme.imports import import_batches_forget

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
    )
    # Their consent, given at each training, goes with them.
    consent_gone = {"consent": False, "consent_date": None}
    Attendance.objects.filter(participant=participant).update(**consent_gone)
    history_model(Attendance)._default_manager.filter(participant_id=participant.pk).update(
        **consent_gone
    )
    import_batches_forget(texts=forget)
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
