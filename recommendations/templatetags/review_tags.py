"""What the header and an item's page need to know of the review queue and of one's own
updates: whether to offer them, and how many items wait."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django import template
from django.utils import timezone

from programme.permissions import may_review
from recommendations.selectors import review_waiting_count
from stakeholders.selectors import persona_for

register = template.Library()


@dataclass
class ReviewNav:
    is_reviewer: bool
    is_member: bool

    @cached_property
    def waiting(self) -> int:
        """Counted only when a page shows it, in one query."""
        return review_waiting_count(now=timezone.now()) if self.is_reviewer else 0


@register.simple_tag(takes_context=True)
def review_nav(context: Any) -> ReviewNav:
    """Whether the reader reviews (the queue) or belongs to an institution that reports (its
    updates); no query beyond the reader's persona, which the request computes once."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    persona = persona_for(user)
    return ReviewNav(
        is_reviewer=may_review(user),
        is_member=bool(persona.member_of) and not persona.is_observer,
    )
