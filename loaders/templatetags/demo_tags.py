"""Template tags about the demo set, for the admin's header."""

from __future__ import annotations

from django import template

from stakeholders.models import Institution

register = template.Library()


@register.simple_tag
def demo_records_exist() -> bool:
    """Whether the database holds demo records; one indexed EXISTS query.

    The demo loader always creates demo institutions, so they stand for the whole demo set.
    """
    return Institution.objects.filter(is_demo=True).exists()
