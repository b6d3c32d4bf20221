"""Writes about trainings, participants and attendance."""

from __future__ import annotations

from stakeholders import object_permissions
from trainings.models import Training


def training_share(*, training: Training) -> None:
    """The organiser's and partners' members see a training; their editors may change it."""
    object_permissions.share(training, institutions=[training.organiser, *training.partners.all()])
