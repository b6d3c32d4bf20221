"""Writes about studies: moving them along the research pipeline.

    planned → terms of reference → contracted → draft → under review → validated → published
                                                  ▲            │
                                                  └── back ────┘

A study moves forward one or more steps at a time; the only step back is a draft sent
back from review. Every move is recorded as a StudyStatusChange.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from research.choices import STUDY_PIPELINE, StudyStatus
from research.models import Study, StudyStatusChange
from stakeholders.models import User

_STEPS_BACK = {(StudyStatus.UNDER_REVIEW.value, StudyStatus.DRAFT.value)}


def study_move_allowed(*, from_status: str, to_status: str) -> bool:
    """Forward along the pipeline, or a draft back from review."""
    if (from_status, to_status) in _STEPS_BACK:
        return True
    return STUDY_PIPELINE.index(to_status) > STUDY_PIPELINE.index(from_status)


@transaction.atomic
def study_advance(*, study: Study, to_status: str, by: User | None, note: str = "") -> Study:
    """Move a study to another stage of the pipeline and record who did it and why."""
    if to_status not in STUDY_PIPELINE:
        raise ValidationError(
            _("“%(status)s” is not a stage of the pipeline.") % {"status": to_status}
        )
    study = Study.objects.select_for_update().get(pk=study.pk)
    from_status = study.status
    if to_status == from_status:
        raise ValidationError(
            _("The study is already at the stage “%(status)s”.")
            % {"status": StudyStatus(to_status).label}
        )
    if not study_move_allowed(from_status=from_status, to_status=to_status):
        raise ValidationError(
            _(
                "A study cannot go back from “%(from)s” to “%(to)s”: it only moves forward, "
                "or from review back to draft."
            )
            % {"from": StudyStatus(from_status).label, "to": StudyStatus(to_status).label}
        )
    study.status = to_status
    if to_status == StudyStatus.PUBLISHED and not study.published_on:
        study.published_on = timezone.localdate()
    study.full_clean()
    study.save(update_fields=["status", "published_on", "updated_at"])
    StudyStatusChange.objects.create(
        study=study, from_status=from_status, to_status=to_status, changed_by=by, note=note.strip()
    )
    return study
