"""Who may see and change trainings and their participants.

Members of the organiser and partner institutions see a training; their editors change it.
EU observers and the programme team read every training; the programme team changes any.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from stakeholders import object_permissions
from stakeholders.models import Institution, User
from stakeholders.selectors import persona_for
from trainings.models import Participant, Training


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


def training_for_view(user: User, pk: int) -> Training:
    return get_object_or_404(trainings_visible_to(user), pk=pk)


def training_for_change(user: User, pk: int) -> Training:
    """A training the user may edit: 404 when they may not see it, 403 when only read it."""
    training = training_for_view(user, pk)
    if not trainings_editable_by(user).filter(pk=training.pk).exists():
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
    """People who attended a training the user can see."""
    if persona_for(user).reads_everything:
        return Participant.objects.all()
    return Participant.objects.filter(
        attendance__training__in=trainings_visible_to(user)
    ).distinct()
