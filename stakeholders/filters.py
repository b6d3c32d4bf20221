"""Filters for the institutions directory."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core.filters import FilterSet
from core.portal import SearchFilter
from stakeholders.choices import InstitutionKind
from stakeholders.models import Institution

_SEARCHED_FIELDS = (
    "name_en",
    "name_mk",
    "name_sq",
    "short_name_en",
    "short_name_mk",
    "short_name_sq",
    "aliases",
)


class InstitutionFilter(FilterSet):
    q = SearchFilter(label=_("Name contains"), method="search", help_text=_("In any language."))
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=InstitutionKind.choices, empty_label=_("Any")
    )

    class Meta:
        model = Institution
        fields: list[str] = []

    def search(
        self, queryset: QuerySet[Institution], name: str, value: str
    ) -> QuerySet[Institution]:
        """Part of a name, short name or other name, in English, Macedonian or Albanian."""
        text = " ".join(value.split())
        if not text:
            return queryset
        match = Q()
        for field in _SEARCHED_FIELDS:
            match |= Q(**{f"{field}__icontains": text})
        return queryset.filter(match)
