"""Who may see and change trainings and their participants.

Members of the organiser and partner institutions see a training; their editors change it.
EU observers and the programme team read every training; the programme team changes any.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from stakeholders import object_permissions
from stakeholders.models import Institution, User
from stakeholders.selectors import persona_for
from trainings.models import Attendance, Participant, Training


def trainings_visible_to(user: User) -> QuerySet[Training]:
    persona = persona_for(user)
    if not persona.is_authenticated:
        return Training.objects.none()
    if persona.reads_everything:
        return Training.objects.all()
    return object_permissions.objects_with_perm(
        user, Training.objects.all(), "trainings.view_training"
    )


def trainings_editable_by(user: User) -> QuerySet[Training]:
    if persona_for(user).is_programme_team:
        return Training.objects.all()
    return object_permissions.objects_with_perm(
        user, Training.objects.all(), "trainings.change_training"
    )


def may_change_training(user: User, training: Training) -> bool:
    """Whether the user may change the training: its details, participants and scores."""
    return trainings_editable_by(user).filter(pk=training.pk).exists()


def training_for_view(user: User, pk: int) -> Training:
    return get_object_or_404(trainings_visible_to(user), pk=pk)


def training_for_change(user: User, pk: int) -> Training:
    """A training the user may edit: 404 when they may not see it, 403 when only read it."""
    training = training_for_view(user, pk)
    if not may_change_training(user, training):
        raise PermissionDenied
    return training


def organisers_for(user: User) -> QuerySet[Institution]:
    """The institutions a user may log a training for."""
    persona = persona_for(user)
    if persona.is_programme_team:
        return Institution.objects.all()
    return Institution.objects.filter(pk__in=persona.edits_for)


def can_create_training(user: User) -> bool:
    return organisers_for(user).exists()


def participants_visible_to(user: User) -> QuerySet[Participant]:
    """People who attended a training the user can see, and those the user's institutions
    registered.

    It is also the register an entry by the user is matched against (the form, the paste
    and the import alike): someone outside it is registered anew, so an email or a name
    never reveals, or attaches, a person another institution registered.
    """
    persona = persona_for(user)
    if not persona.is_authenticated:
        return Participant.objects.none()
    if persona.reads_everything:
        return Participant.objects.all()
    attended = Attendance.objects.filter(training__in=trainings_visible_to(user))
    return Participant.objects.filter(
        Q(pk__in=attended.values("participant_id"))
        | Q(registered_by_institution__in=persona.member_of)
    )


def may_change_participant(user: User, participant: Participant) -> bool:
    """Whether the user's entries may fill in the person's record: only the institution that
    registered them (and the programme team) may; anyone else lists them as they are."""
    persona = persona_for(user)
    if persona.is_programme_team:
        return True
    return participant.registered_by_institution_id in persona.edits_for


def participants_in_register_for(user: User) -> QuerySet[Participant]:
    """The people the participant register (its search, a person's page, the portal's
    search) shows the user, with their details: everyone to the programme team; to an
    institution's editors, the people who attended a training they may change and those
    their institution registered. Nobody to anyone else: the EU observer and read-only
    members see a training's people only where they consented there (its page), and the
    register would name the others."""
    persona = persona_for(user)
    if persona.is_programme_team:
        return Participant.objects.all()
    if persona.is_observer or not persona.edits_for:
        return Participant.objects.none()
    attended = Attendance.objects.filter(training__in=trainings_editable_by(user))
    return Participant.objects.filter(
        Q(pk__in=attended.values("participant_id"))
        | Q(registered_by_institution__in=persona.edits_for)
    )


def may_use_register(user: User) -> bool:
    """Whether the register's pages are open to the user (``participants_in_register_for``)."""
    persona = persona_for(user)
    return persona.is_programme_team or (bool(persona.edits_for) and not persona.is_observer)


def person_for_view(user: User, pk: int) -> Participant:
    """A person in the user's register; 404 for anyone else."""
    return get_object_or_404(participants_in_register_for(user), pk=pk)


def person_for_change(user: User, pk: int) -> Participant:
    """A person whose record the user may correct, merge or erase: 404 when not in their
    register, 403 when another institution registered them (``may_change_participant``)."""
    participant = person_for_view(user, pk)
    if not may_change_participant(user, participant):
        raise PermissionDenied
    return participant


def registering_institution_id(user: User, training: Training) -> int:
    """The institution a person is registered for when the user lists them at the training:
    the organiser when the user edits for it, else the partner they edit for."""
    edits = persona_for(user).edits_for
    if training.organiser_id in edits:
        return training.organiser_id
    partner = training.partners.filter(pk__in=edits).order_by("pk").values_list("pk", flat=True)
    return partner.first() or training.organiser_id


def attendance_for_change(user: User, pk: int) -> Attendance:
    """An attendance row at a training the user may edit: 404 when they may not see the
    training, 403 when they only read it."""
    attendance = get_object_or_404(
        Attendance.objects.filter(training__in=trainings_visible_to(user)).select_related(
            "training", "participant"
        ),
        pk=pk,
    )
    if not may_change_training(user, attendance.training):
        raise PermissionDenied
    return attendance
