"""Who may ask for which report, and whose generations they may open.

- The steering committee's progress report is asked for by the programme team and the EU
  observers; it holds only what they all read (approved assessments, figures without
  names), so each of them may open the others' generations of it.
- A draft copy of the committee report (``parameters["copy"]``) is the programme team's alone.
- A meeting record holds what everyone signed in reads, so every generation is open to all.
- Recommendation and training reports hold what their requester may see (their own
  institution's drafts, say): only the requester and the programme team open them. A training
  report is for those who may see the training, and stays so: a requester who can no longer
  see the training no longer opens its report.
- What a recommendation report holds depends on who its requester was when it was made: the
  programme team (every draft), an observer (everything submitted) or a member of some
  institutions (their unapproved updates and trainings). That scope is kept with the report
  (``parameters["scope"]``) and checked again at every look: a requester removed from one of
  those institutions, or no longer an observer, no longer opens it. A report made before
  scopes were kept opens to the programme team only, since what it holds is not known.
- Anything else answers 404, as if it did not exist; a kind the user may not ask for, 403.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from reports.choices import DRAFT, ReportKind, ReportStatus
from reports.models import Report
from stakeholders.models import User
from stakeholders.selectors import persona_for
from trainings.models import Training
from trainings.permissions import trainings_visible_to


def kinds_requestable_by(user: User) -> list[str]:
    persona = persona_for(user)
    if not persona.is_authenticated:
        return []
    kinds = [ReportKind.RECOMMENDATION, ReportKind.TRAINING, ReportKind.MEETING]
    if persona.reads_everything:
        kinds.insert(0, ReportKind.COMMITTEE)
    return [str(kind) for kind in kinds]


def can_request(user: User, kind: str) -> bool:
    return kind in kinds_requestable_by(user)


def check_request(user: User, kind: str) -> None:
    """403 for a kind of report the user may not ask for; 404 for no such kind."""
    if kind not in ReportKind.values:
        raise Http404
    if not can_request(user, kind):
        raise PermissionDenied


def may_request_draft(user: User) -> bool:
    """A draft copy of the committee report (its unwritten narrative marked) is the programme
    team's working copy: only the team asks for one, and only the team opens it."""
    return persona_for(user).is_programme_team


def report_scope(user: User) -> dict[str, Any]:
    """Whose view a report made now for the user holds, as kept in its parameters."""
    persona = persona_for(user)
    return {
        "programme_team": persona.is_programme_team,
        "observer": persona.is_observer,
        "institutions": sorted(persona.member_of),
    }


def scope_open_to(user: User, scope: Any) -> bool:
    """Whether the user may now see everything a report made with this scope holds."""
    persona = persona_for(user)
    if persona.is_programme_team:
        return True
    if not isinstance(scope, dict) or scope.get("programme_team", True):
        return False
    if scope.get("observer") and not persona.is_observer:
        return False
    institutions = scope.get("institutions")
    if not isinstance(institutions, list):
        return False
    return set(institutions) <= persona.member_of


def reports_visible_to(user: User) -> QuerySet[Report]:
    persona = persona_for(user)
    if not persona.is_authenticated:
        return Report.objects.none()
    if persona.is_programme_team:
        return Report.objects.all()
    shown = Q(kind=ReportKind.MEETING) | Q(
        requested_by=user, kind__in=[ReportKind.RECOMMENDATION, ReportKind.TRAINING]
    )
    if persona.is_observer:
        # Draft copies are the programme team's (may_request_draft).
        shown |= Q(kind=ReportKind.COMMITTEE) & ~Q(parameters__contains={"copy": DRAFT})
    # A requester's own recommendation reports, each held against its scope: a user asks
    # for few, so they are checked here rather than in SQL (which cannot compare JSON lists
    # portably).
    closed = [
        pk
        for pk, parameters in Report.objects.filter(
            requested_by=user, kind=ReportKind.RECOMMENDATION
        ).values_list("pk", "parameters")
        if not scope_open_to(user, (parameters or {}).get("scope"))
    ]
    return (
        Report.objects.filter(shown)
        .filter(~Q(kind=ReportKind.TRAINING) | Q(training__in=trainings_visible_to(user)))
        .exclude(pk__in=closed)
    )


def report_for_view(user: User, pk: int) -> Report:
    return get_object_or_404(
        reports_visible_to(user).select_related("requested_by", "period", "training", "meeting"),
        pk=pk,
    )


def report_for_download(user: User, pk: int) -> Report:
    """A finished report the user may open; one still queued or failed has no file: 404."""
    return get_object_or_404(reports_visible_to(user).filter(status=ReportStatus.DONE), pk=pk)


def may_name_participants(user: User | None, training: Training) -> bool:
    """Whether a report may name the training's participants for this reader.

    Names are shown to those who see them on the training's page: whoever may see the
    training. The report then names only the participants who consented at this training.
    """
    if user is None:
        return False
    return trainings_visible_to(user).filter(pk=training.pk).exists()
