"""Reads about institutions, their members, and who a user is on the platform."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from core.collation import alphabetical
from stakeholders.choices import InstitutionKind, MembershipRole
from stakeholders.models import ContactPerson, Institution, Membership
from stakeholders.roles import holds_programme_team_role, session_verified
from stakeholders.sections import ShownSection, institution_sections

if TYPE_CHECKING:
    pass

_EDIT_ROLES = (MembershipRole.FOCAL_POINT, MembershipRole.EDITOR)


@dataclass(frozen=True)
class Persona:
    """What a user is on the platform, worked out once per request from their memberships."""

    is_authenticated: bool
    is_programme_team: bool
    is_observer: bool
    member_of: frozenset[int]
    edits_for: frozenset[int]
    focal_point_for: frozenset[int]

    @property
    def reads_everything(self) -> bool:
        return self.is_programme_team or self.is_observer

    @property
    def can_edit_anything(self) -> bool:
        return self.is_programme_team or bool(self.edits_for)


_ANONYMOUS = Persona(False, False, False, frozenset(), frozenset(), frozenset())


def persona_for(user: Any) -> Persona:
    """The user's persona; cached on the user object so a request computes it once.

    The programme team are the accounts given its role (``stakeholders.roles``), and only in a
    session verified with the second factor; a staff account alone is not. Members of an EU
    body observe: they read everything and change nothing but their comments.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return _ANONYMOUS
    cached: Persona | None = getattr(user, "_persona", None)
    if cached is not None:
        return cached
    rows = list(
        Membership.objects.filter(user=user).values_list(
            "institution_id", "role", "institution__kind"
        )
    )
    persona = Persona(
        is_authenticated=True,
        is_programme_team=holds_programme_team_role(user) and session_verified(user),
        is_observer=any(kind == InstitutionKind.EU_BODY for _i, _r, kind in rows),
        member_of=frozenset(i for i, _r, _k in rows),
        edits_for=frozenset(i for i, role, _k in rows if role in _EDIT_ROLES),
        focal_point_for=frozenset(i for i, role, _k in rows if role == MembershipRole.FOCAL_POINT),
    )
    user._persona = persona
    return persona


def institutions_directory() -> QuerySet[Institution]:
    return Institution.objects.select_related("parent").order_by(alphabetical("name"), "pk")


def institution_members(*, institution: Institution) -> QuerySet[Membership]:
    return institution.memberships.select_related("user").order_by(
        "user__last_name", "user__username"
    )


@dataclass(frozen=True)
class InstitutionProfile:
    """An institution's page: where it sits, whom to contact and what it answers for."""

    institution: Institution
    children: list[Institution]
    contacts: list[ContactPerson]
    # What the apps above show about it (stakeholders.sections).
    sections: list[ShownSection]
    members: list[Membership] | None


def institution_profile(
    *, institution: Institution, user: Any, with_members: bool
) -> InstitutionProfile:
    """Everything the institution page shows the user, in a fixed number of queries.

    Each section shows only what the user may see; the members only when ``with_members``
    (the caller asks the permission gate).
    """
    return InstitutionProfile(
        institution=institution,
        children=list(institution.children.order_by(alphabetical("name"), "pk")),
        contacts=list(
            institution.contacts.order_by("-is_primary", alphabetical("full_name"), "pk")
        ),
        sections=institution_sections(institution=institution, user=user),
        members=list(institution_members(institution=institution)) if with_members else None,
    )
