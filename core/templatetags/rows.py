"""What each row of a long list shows, worked out once per page instead of once per row.

- ``{{ update.pk|pk_url:"recommendations:update_detail" }}`` gives what
  ``{% url "recommendations:update_detail" update.pk %}`` gives (``core.links.url_for_each``).
- ``{{ update|choice_label:"status" }}`` gives what ``{{ update.get_status_display }}`` gives.

On a recommendation's page (a card and a row per institution, the latest workflow steps) the
two built-ins cost more than the rest of the rows together: ``{% url %}`` resolves the name
and matches the arguments against the pattern on every call, and ``get_…_display`` hashes
every choice of the field, translating each label, to look one up. Here a name is reversed
once per page, and a field's labels are translated once per language.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.db import models
from django.utils.translation import get_language

from core.links import url_for_each

register = template.Library()


@register.filter
def pk_url(pk: Any, name: str) -> str:
    """The URL of ``name`` (a pattern with one key) for the record with key ``pk``, as
    ``{% url name pk %}`` gives it."""
    return url_for_each(name)(pk)


@lru_cache(maxsize=256)
def _labels(model: type[models.Model], field: str, language: str | None) -> dict[Any, str]:
    """The labels of a field's choices, translated into ``language``, by value."""
    choices = model._meta.get_field(field).flatchoices  # type: ignore[union-attr]
    return {value: str(label) for value, label in choices}


@register.filter
def choice_label(obj: models.Model | None, field: str) -> Any:
    """The label of the choice ``obj``'s ``field`` holds, as ``get_<field>_display`` gives it
    (the value itself when it is no choice); nothing for no object."""
    if obj is None:
        return ""
    value = getattr(obj, field)
    return _labels(type(obj), field, get_language()).get(value, value)
