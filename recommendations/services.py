"""Writes about recommendations and the progress institutions report on them.

The review workflow of a progress update:

    draft ──submit──▶ submitted ──approve──▶ approved (locked)
      ▲                   │
      └──── revise ◀── returned ◀──return──┘

Every step is recorded as an UpdateTransition, so the history of an update can be shown;
so is evidence taken off an update, and evidence the programme team redacts from a submitted
or approved one. A draft or returned update can be withdrawn (deleted) by its institution;
its audit trail (core.history) keeps that it existed.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.history import history_model
from programme.models import ReportingPeriod
from recommendations import signals
from recommendations.choices import (
    EDITABLE_UPDATE_STATES,
    REDACTABLE_UPDATE_STATES,
    AssignmentKind,
    UpdateEvent,
    UpdateState,
)
from recommendations.models import (
    Assignment,
    Evidence,
    ProgressUpdate,
    Recommendation,
    UpdateComment,
    UpdateTransition,
)
from recommendations.permissions import may_report_for
from stakeholders import object_permissions
from stakeholders.models import Institution, User

_EDITABLE_FIELDS = {"status", "narrative"}


def _record(
    *,
    update: ProgressUpdate,
    from_state: str,
    by: User | None,
    comment: str = "",
    event: str = UpdateEvent.STEP,
    evidence_title: str = "",
) -> None:
    UpdateTransition.objects.create(
        update=update,
        from_state=from_state,
        to_state=update.state,
        status=update.status,
        by=by,
        comment=comment,
        event=event,
        evidence_title=evidence_title,
    )


def _delete_files_on_commit(files: list[Any]) -> None:
    """Delete stored files once the change that dropped them is kept: a rollback leaves
    both the records and their files."""
    for file in files:
        if file:
            transaction.on_commit(partial(file.storage.delete, file.name))


@transaction.atomic
def progress_update_create(
    *,
    recommendation: Recommendation,
    institution: Institution,
    period: ReportingPeriod,
    status: str,
    narrative: str,
    by: User | None,
    is_demo: bool = False,
) -> ProgressUpdate:
    """Start a draft update of an institution on a recommendation for a period.

    ``by``, when given, must be allowed to report for the institution (``may_report_for``);
    loaders and other writes on nobody's behalf pass None.
    """
    if not Assignment.objects.filter(
        recommendation=recommendation, institution=institution
    ).exists():
        raise ValidationError(
            _("%(institution)s is not assigned to recommendation %(number)s.")
            % {"institution": institution.label, "number": recommendation.number}
        )
    if by is not None and not may_report_for(
        by, recommendation=recommendation, institution=institution
    ):
        raise ValidationError(
            _("You cannot report for %(institution)s.") % {"institution": institution.label}
        )
    update = ProgressUpdate(
        recommendation=recommendation,
        institution=institution,
        period=period,
        status=status,
        narrative=narrative.strip(),
        created_by=by,
        is_demo=is_demo,
    )
    update.full_clean()
    update.save()
    progress_update_share(update=update)
    return update


def progress_update_share(*, update: ProgressUpdate) -> None:
    """The reporting institution's members see the update; its editors may change it."""
    object_permissions.share(update, institutions=[update.institution])


@transaction.atomic
def progress_update_edit(
    *,
    update: ProgressUpdate,
    by: User | None,
    seen_at: datetime | None = None,
    **changes: Any,
) -> ProgressUpdate:
    """Change the status or narrative of an update that is still a draft or returned.

    ``seen_at`` is the ``updated_at`` the editor loaded; if the update changed since,
    the edit is refused so that one person's save never silently overwrites another's.
    """
    unknown = set(changes) - _EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    update = ProgressUpdate.objects.select_for_update().get(pk=update.pk)
    if not update.is_editable:
        raise ValidationError(_("This update can no longer be changed."))
    if seen_at is not None and update.updated_at != seen_at:
        raise ValidationError(
            _(
                "Someone else changed this update after you opened it. Your text is kept "
                "below: copy it, reload the page, and apply your changes again."
            )
        )
    for field, value in changes.items():
        setattr(update, field, value.strip() if isinstance(value, str) else value)
    update.full_clean()
    update.save()
    return update


@transaction.atomic
def progress_update_submit(*, update: ProgressUpdate, by: User | None) -> ProgressUpdate:
    """Send a draft or returned update to the programme team for review."""
    update = ProgressUpdate.objects.select_for_update().get(pk=update.pk)
    if update.state not in EDITABLE_UPDATE_STATES:
        raise ValidationError(_("Only a draft or returned update can be submitted."))
    if not update.narrative.strip():
        raise ValidationError({"narrative": _("Describe what was done before submitting.")})
    previous = update.state
    update.state = UpdateState.SUBMITTED
    update.submitted_at = timezone.now()
    update.save(update_fields=["state", "submitted_at", "updated_at"])
    _record(update=update, from_state=previous, by=by)
    signals.update_submitted.send(sender=ProgressUpdate, update=update, by=by)
    return update


@transaction.atomic
def progress_update_return(
    *, update: ProgressUpdate, by: User | None, comment: str
) -> ProgressUpdate:
    """Send a submitted update back to its institution with the reviewer's comment."""
    if not comment.strip():
        raise ValidationError({"reviewer_comment": _("Say what needs to change.")})
    update = ProgressUpdate.objects.select_for_update().get(pk=update.pk)
    if update.state != UpdateState.SUBMITTED:
        raise ValidationError(_("Only a submitted update can be returned."))
    update.state = UpdateState.RETURNED
    update.reviewer_comment = comment
    update.reviewed_at = timezone.now()
    update.reviewed_by = by
    update.save(
        update_fields=["state", "reviewer_comment", "reviewed_at", "reviewed_by", "updated_at"]
    )
    _record(update=update, from_state=UpdateState.SUBMITTED, by=by, comment=comment)
    signals.update_reviewed.send(sender=ProgressUpdate, update=update, by=by)
    return update


@transaction.atomic
def progress_update_approve(
    *, update: ProgressUpdate, by: User | None, comment: str = ""
) -> ProgressUpdate:
    """Accept a submitted update; from then on it is locked."""
    update = ProgressUpdate.objects.select_for_update().get(pk=update.pk)
    if update.state != UpdateState.SUBMITTED:
        raise ValidationError(_("Only a submitted update can be approved."))
    update.state = UpdateState.APPROVED
    update.reviewer_comment = comment
    update.reviewed_at = timezone.now()
    update.reviewed_by = by
    update.save(
        update_fields=["state", "reviewer_comment", "reviewed_at", "reviewed_by", "updated_at"]
    )
    _record(update=update, from_state=UpdateState.SUBMITTED, by=by, comment=comment)
    signals.update_reviewed.send(sender=ProgressUpdate, update=update, by=by)
    return update


def update_comment_add(*, update: ProgressUpdate, by: User, text: str) -> UpdateComment:
    """Add a remark to an update's thread; the update itself does not change."""
    comment = UpdateComment(update=update, author=by, text=text.strip())
    comment.full_clean()
    comment.save()
    return comment


@transaction.atomic
def evidence_add(
    *, update: ProgressUpdate, by: User | None, title: str, file: Any = None, url: str = ""
) -> Evidence:
    """Attach a file or a link to an update that can still change."""
    update = ProgressUpdate.objects.select_for_update().get(pk=update.pk)
    if not update.is_editable:
        raise ValidationError(_("Evidence can only be added while the update is a draft."))
    evidence = Evidence(update=update, title=title.strip(), url=url.strip())
    if file is not None:
        evidence.file.save(file.name, file, save=False)
    try:
        evidence.full_clean()
    except ValidationError:
        if evidence.file:
            evidence.file.delete(save=False)
        raise
    evidence.save()
    return evidence


@transaction.atomic
def progress_update_withdraw(*, update: ProgressUpdate, by: User | None) -> None:
    """Delete a draft or returned update with its evidence, workflow steps and comments;
    its files go from storage once the deletion is kept. The audit trail keeps the update
    and its evidence as they were, and who withdrew them."""
    update = ProgressUpdate.objects.select_for_update().get(pk=update.pk)
    if not update.is_editable:
        raise ValidationError(_("Only a draft or returned update can be withdrawn."))
    _delete_files_on_commit([e.file for e in update.evidence.all()])
    update.delete()


@transaction.atomic
def evidence_remove(*, evidence: Evidence, by: User | None) -> None:
    """Take evidence off a draft or returned update; its file goes from storage once the
    removal is kept. The update's log and the audit trail keep that it was there."""
    update = ProgressUpdate.objects.select_for_update().get(pk=evidence.update_id)
    if not update.is_editable:
        raise ValidationError(
            _("Evidence can only be removed while the update is a draft or returned.")
        )
    evidence = Evidence.objects.get(pk=evidence.pk, update=update)
    _delete_files_on_commit([evidence.file])
    title = evidence.title
    evidence.delete()
    _record(
        update=update,
        from_state=update.state,
        by=by,
        event=UpdateEvent.EVIDENCE_REMOVED,
        evidence_title=title,
    )


@transaction.atomic
def evidence_redact(*, evidence: Evidence, by: User | None, reason: str) -> Evidence:
    """Destroy the file and link of evidence on a submitted or approved update (something
    in it must not be kept, such as a detail that could identify a victim). The item stays,
    with its title, who removed it, when and why; the update stays as it is.

    The file goes from storage once the redaction is kept, and the earlier versions of the
    item in the audit trail lose their file name and link too: the point is that nothing of
    them is left to find.
    """
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the evidence is removed.")})
    update = ProgressUpdate.objects.select_for_update().get(pk=evidence.update_id)
    if update.state not in REDACTABLE_UPDATE_STATES:
        raise ValidationError(
            _("Only evidence of a submitted or approved update is removed by the programme team.")
        )
    evidence = Evidence.objects.select_for_update().get(pk=evidence.pk, update=update)
    if evidence.is_redacted:
        raise ValidationError(_("This evidence was already removed."))
    _delete_files_on_commit([evidence.file])
    evidence.file = ""
    evidence.url = ""
    evidence.redacted_at = timezone.now()
    evidence.redacted_by = by
    evidence.redaction_reason = reason
    evidence.full_clean()
    evidence.save()
    history_model(Evidence)._default_manager.filter(id=evidence.pk).update(file="", url="")
    _record(
        update=update,
        from_state=update.state,
        by=by,
        comment=reason,
        event=UpdateEvent.EVIDENCE_REDACTED,
        evidence_title=evidence.title,
    )
    return evidence


@transaction.atomic
def assignment_set(
    *,
    recommendation: Recommendation,
    institution: Institution,
    kind: str = AssignmentKind.RESPONSIBLE,
    is_demo: bool = False,
) -> Assignment:
    """Make an institution responsible for, or invite it to report on, a recommendation."""
    assignment, _created = Assignment.objects.update_or_create(
        recommendation=recommendation,
        institution=institution,
        defaults={"kind": kind},
        create_defaults={"kind": kind, "is_demo": is_demo},
    )
    recommendation_share(recommendation=recommendation)
    return assignment


@transaction.atomic
def assignment_remove(*, assignment: Assignment) -> None:
    """Withdraw an institution from a recommendation; its past updates stay."""
    recommendation = assignment.recommendation
    assignment.delete()
    recommendation_share(recommendation=recommendation)


def recommendation_share(*, recommendation: Recommendation) -> None:
    """Editors of every assigned institution may report on the recommendation."""
    object_permissions.share(
        recommendation,
        institutions=Institution.objects.filter(assignments__recommendation=recommendation),
        codename="report_on_recommendation",
    )
