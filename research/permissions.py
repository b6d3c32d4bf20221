"""Who may see and move the action's studies.

Everyone signed in reads every study, its history and its published versions; only the
programme team moves a study along the research pipeline.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from research.models import Study, StudyVersion
from stakeholders.models import User
from stakeholders.selectors import persona_for


def studies_visible_to(user: User) -> QuerySet[Study]:
    if not persona_for(user).is_authenticated:
        return Study.objects.none()
    return Study.objects.all()


def study_for_view(user: User, slug: str) -> Study:
    return get_object_or_404(studies_visible_to(user), slug=slug)


def can_advance_studies(user: User) -> bool:
    return persona_for(user).is_programme_team


def study_for_advance(user: User, slug: str) -> Study:
    """A study the user may move: 404 when they may not see it, 403 when they only read it."""
    study = study_for_view(user, slug)
    if not can_advance_studies(user):
        raise PermissionDenied
    return study


def version_for_download(user: User, pk: int) -> StudyVersion:
    return get_object_or_404(
        StudyVersion.objects.filter(study__in=studies_visible_to(user)).select_related("study"),
        pk=pk,
    )
