"""Who may see institutions and their members, and who manages the members.

Everyone signed in sees every institution: the directory is how partners find each other.
Who belongs to an institution is seen by its own members, the programme team and the EU
observers. An institution's focal points and the programme team invite and remove members.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from stakeholders.choices import MembershipRequestState
from stakeholders.models import Institution, Membership, MembershipRequest, User
from stakeholders.selectors import persona_for


def institutions_visible_to(user: User) -> QuerySet[Institution]:
    if not persona_for(user).is_authenticated:
        return Institution.objects.none()
    return Institution.objects.all()


def institution_for_view(user: User, pk: int) -> Institution:
    return get_object_or_404(institutions_visible_to(user).select_related("parent"), pk=pk)


def can_see_members(user: User, institution: Institution) -> bool:
    persona = persona_for(user)
    return persona.reads_everything or institution.pk in persona.member_of


def can_manage_members(user: User, institution: Institution) -> bool:
    persona = persona_for(user)
    return persona.is_programme_team or institution.pk in persona.focal_point_for


def institution_for_members(user: User, pk: int) -> Institution:
    """An institution whose members the user manages: 404 if unseen, 403 if not theirs."""
    institution = institution_for_view(user, pk)
    if not can_manage_members(user, institution):
        raise PermissionDenied
    return institution


def membership_for_remove(user: User, pk: int) -> Membership:
    membership = get_object_or_404(
        Membership.objects.filter(institution__in=institutions_visible_to(user)).select_related(
            "user", "institution"
        ),
        pk=pk,
    )
    if not can_manage_members(user, membership.institution):
        raise PermissionDenied
    return membership


def membership_requests_for(user: User) -> QuerySet[MembershipRequest]:
    """The requests waiting for the user's answer: each person sees and answers only their
    own (anyone else's answers 404)."""
    if not persona_for(user).is_authenticated:
        return MembershipRequest.objects.none()
    return MembershipRequest.objects.filter(
        user=user, state=MembershipRequestState.PENDING
    ).order_by("-created_at", "-pk")


def membership_request_for_answer(user: User, pk: int) -> MembershipRequest:
    return get_object_or_404(
        membership_requests_for(user).select_related("institution", "user"), pk=pk
    )
