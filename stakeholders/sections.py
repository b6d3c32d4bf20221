"""What the apps above show on an institution's page, each in a section of its own.

An institution answers for recommendations, organises trainings and owns action points, but
those records belong to apps above this one. Each such app registers its section when it is
ready (``institution_section_register`` in its AppConfig.ready): a selector that lists the
section's records for one institution and reader, and the template that shows them. The page
asks every section in order, so this app never imports the apps that build on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stakeholders.models import Institution


@dataclass(frozen=True)
class InstitutionSection:
    name: str
    order: int
    # The template gets the institution and ``items``, the selector's list.
    template: str
    # (institution, user) -> the records the user may see; one or two queries.
    items: Callable[[Institution, Any], list[Any]]


@dataclass(frozen=True)
class ShownSection:
    template: str
    items: list[Any]


_SECTIONS: dict[str, InstitutionSection] = {}


def institution_section_register(section: InstitutionSection) -> None:
    _SECTIONS[section.name] = section


def institution_sections(*, institution: Institution, user: Any) -> list[ShownSection]:
    """Every registered section of the institution's page, in order, with its records."""
    return [
        ShownSection(template=section.template, items=section.items(institution, user))
        for section in sorted(_SECTIONS.values(), key=lambda s: (s.order, s.name))
    ]
