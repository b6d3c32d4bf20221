"""Who may see and change meetings and action points.

Everyone signed in reads the steering committee's meetings, decisions and action points.
The owner institution's editors report progress on an action point; the programme team
changes anything.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from programme.models import ActionPoint, Meeting
from stakeholders import object_permissions
from stakeholders.models import User
from stakeholders.selectors import persona_for


def meetings_visible_to(user: User) -> QuerySet[Meeting]:
    if not persona_for(user).is_authenticated:
        return Meeting.objects.none()
    return Meeting.objects.all()


def action_points_editable_by(user: User) -> QuerySet[ActionPoint]:
    if persona_for(user).is_programme_team:
        return ActionPoint.objects.all()
    return object_permissions.objects_with_perm(
        user, ActionPoint.objects.all(), "programme.change_actionpoint"
    )


def may_change_action_point(user: User, action_point: ActionPoint) -> bool:
    """Whether the user may report progress on the action point (a page listing many asks
    ``action_points_editable_by`` once instead)."""
    return action_points_editable_by(user).filter(pk=action_point.pk).exists()


def action_point_for_change(user: User, pk: int) -> ActionPoint:
    action_point = get_object_or_404(
        ActionPoint.objects.filter(meeting__in=meetings_visible_to(user)), pk=pk
    )
    if not may_change_action_point(user, action_point):
        raise PermissionDenied
    return action_point
