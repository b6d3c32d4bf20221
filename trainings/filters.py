"""Filters for the list of trainings."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core.collation import alphabetical
from core.filters import FilterSet
from core.portal import SearchFilter
from stakeholders.models import Institution, ProfessionalGroup
from trainings.choices import TrainingStatus
from trainings.models import Topic, Training

_TITLE_FIELDS = ("title_en", "title_mk", "title_sq")


def _training_years() -> list[tuple[str, str]]:
    years = Training.objects.filter(start_date__isnull=False).dates("start_date", "year", "DESC")
    return [(str(d.year), str(d.year)) for d in years]


class TrainingFilter(FilterSet):
    q = SearchFilter(label=_("Title contains"), method="search", help_text=_("In any language."))
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=TrainingStatus.choices, empty_label=_("Any")
    )
    topic = django_filters.ModelChoiceFilter(
        label=_("Topic"),
        field_name="topics",
        queryset=Topic.objects.order_by(alphabetical("name")),
        empty_label=_("Any"),
        distinct=True,
    )
    target_group = django_filters.ModelChoiceFilter(
        label=_("Target group"),
        field_name="target_groups",
        queryset=ProfessionalGroup.objects.order_by(alphabetical("name")),
        empty_label=_("Any"),
        distinct=True,
    )
    organiser = django_filters.ModelChoiceFilter(
        label=_("Organiser"),
        # A semi-join: the same institutions as joining every training and making them distinct.
        queryset=Institution.objects.filter(pk__in=Training.objects.values("organiser")).order_by(
            alphabetical("name")
        ),
        empty_label=_("Any"),
    )
    year = django_filters.ChoiceFilter(
        label=_("Year"),
        field_name="start_date__year",
        choices=_training_years,
        empty_label=_("Any"),
    )

    class Meta:
        model = Training
        fields: list[str] = []

    def search(self, queryset: QuerySet[Training], name: str, value: str) -> QuerySet[Training]:
        """Every word in the title, in English, Macedonian or Albanian."""
        for word in value.split():
            match = Q()
            for field in _TITLE_FIELDS:
                match |= Q(**{f"{field}__icontains": word})
            queryset = queryset.filter(match)
        return queryset
