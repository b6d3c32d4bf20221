"""Filters for the programme's lists: the steering committee's meetings."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from core.filters import FilterSet
from programme.models import Meeting


def _meeting_years() -> list[tuple[str, str]]:
    years = Meeting.objects.filter(date__isnull=False).dates("date", "year", order="DESC")
    return [(str(d.year), str(d.year)) for d in years]


def _meeting_places() -> list[tuple[str, str]]:
    places = Meeting.objects.order_by("place").values_list("place", flat=True).distinct()
    return [(p, p) for p in places]


class MeetingFilter(FilterSet):
    year = django_filters.ChoiceFilter(
        label=_("Year"), field_name="date__year", choices=_meeting_years, empty_label=_("Any")
    )
    place = django_filters.ChoiceFilter(
        label=_("Place"), choices=_meeting_places, empty_label=_("Any")
    )

    class Meta:
        model = Meeting
        fields: list[str] = []
