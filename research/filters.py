"""Filters for the research pipeline."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from core.filters import FilterSet
from recommendations.models import Recommendation
from research.choices import StudyStatus
from research.models import Study

BOARD = "board"
LIST = "list"


class StudyFilter(FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Stage"), choices=StudyStatus.choices, empty_label=_("Any")
    )
    recommendation = django_filters.ModelChoiceFilter(
        label=_("Recommendation"),
        field_name="recommendations",
        queryset=Recommendation.objects.order_by("number"),
        empty_label=_("Any"),
        distinct=True,
    )
    layout = django_filters.ChoiceFilter(
        label=_("Show as"),
        choices=[(BOARD, _("Columns by stage")), (LIST, _("List"))],
        empty_label=None,
        method="keep",
    )

    class Meta:
        model = Study
        fields: list[str] = []

    def keep(self, queryset: QuerySet[Study], name: str, value: str) -> QuerySet[Study]:
        """The layout changes how the studies are shown, not which."""
        return queryset

    @property
    def layout_chosen(self) -> str:
        if self.is_bound and self.form.is_valid():
            return str(self.form.cleaned_data.get("layout") or BOARD)
        return BOARD
