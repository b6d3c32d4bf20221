"""Whether the navigation offers the participant register to the reader."""

from __future__ import annotations

from typing import Any

from django import template

from trainings.permissions import may_use_register

register = template.Library()


@register.simple_tag(takes_context=True)
def register_nav(context: Any) -> bool:
    """No query beyond the reader's persona, which the request computes once."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return may_use_register(user)
