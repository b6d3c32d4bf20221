"""Writes about the action: meetings, action points, and keeping permissions in step."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from programme.models import ActionPoint
from stakeholders import object_permissions
from stakeholders.models import User


def action_point_share(*, action_point: ActionPoint) -> None:
    """The owner's editors may report progress on an action point."""
    object_permissions.share(action_point, institutions=[action_point.owner], view=False)


@transaction.atomic
def action_point_update(
    *,
    action_point: ActionPoint,
    by: User | None,
    status: str,
    progress_note: str,
    closed_on: date | None,
    seen_at: datetime | None = None,
) -> ActionPoint:
    """Report progress on an action point: its status, a note and the day it was closed.

    What was asked, of whom and at which meeting stay as the committee agreed them; only
    the programme team changes those, in the administration. ``seen_at`` is when the person
    opened the form: a form that is older than the last save is refused rather than
    silently overwriting someone else's report.
    """
    action_point = ActionPoint.objects.select_for_update().get(pk=action_point.pk)
    if seen_at is not None and action_point.updated_at > seen_at:
        raise ValidationError(
            _(
                "This action point was changed after you opened the form. The saved values "
                "are shown above: check them and save again if your change still applies."
            ),
            code="stale",
        )
    if closed_on is not None and closed_on > timezone.localdate():
        raise ValidationError({"closed_on": _("The closing date cannot be in the future.")})
    action_point.status = status
    action_point.progress_note = progress_note.strip()
    action_point.closed_on = closed_on
    action_point.full_clean()
    action_point.save(update_fields=["status", "progress_note", "closed_on", "updated_at"])
    return action_point
