"""The API's filters: the portal's own FilterSets, with the periods, institutions and dates
that a program asks by (the portal's lists offer these as other widgets)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from programme.filters import MeetingFilter
from programme.models import (
    ActionPoint,
    Decision,
    Indicator,
    IndicatorValue,
    ReportingPeriod,
)
from recommendations.choices import ImplementationStatus, UpdateState
from recommendations.models import ProgressUpdate, Recommendation
from research.filters import StudyFilter
from stakeholders.filters import InstitutionFilter
from stakeholders.models import Institution
from trainings.filters import TrainingFilter
from trainings.models import Training

__all__ = ["InstitutionFilter", "StudyFilter"]


class ApiStudyFilter(StudyFilter):
    """The pipeline's filter; its layout (board or list) means nothing here."""

    layout = None


class ApiTrainingFilter(TrainingFilter):
    institution = django_filters.ModelChoiceFilter(
        queryset=Institution.objects.all(), method="by_institution"
    )
    period = django_filters.ModelChoiceFilter(
        queryset=ReportingPeriod.objects.all(), method="in_period"
    )
    # The portal offers the years that have trainings; a program may ask for any.
    year = django_filters.NumberFilter(field_name="start_date__year")
    start_after = django_filters.DateFilter(field_name="start_date", lookup_expr="gte")
    start_before = django_filters.DateFilter(field_name="start_date", lookup_expr="lte")

    class Meta:
        model = Training
        fields: list[str] = []

    def by_institution(
        self, queryset: QuerySet[Training], name: str, value: Institution
    ) -> QuerySet[Training]:
        return queryset.filter(Q(organiser=value) | Q(partners=value)).distinct()

    def in_period(
        self, queryset: QuerySet[Training], name: str, value: ReportingPeriod
    ) -> QuerySet[Training]:
        return queryset.filter(start_date__gte=value.start_date, start_date__lte=value.end_date)


class ApiMeetingFilter(MeetingFilter):
    year = django_filters.NumberFilter(field_name="date__year")
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte")
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte")


class ProgressUpdateFilter(django_filters.FilterSet):
    recommendation = django_filters.ModelChoiceFilter(queryset=Recommendation.objects.all())
    institution = django_filters.ModelChoiceFilter(queryset=Institution.objects.all())
    period = django_filters.ModelChoiceFilter(queryset=ReportingPeriod.objects.all())
    status = django_filters.ChoiceFilter(choices=ImplementationStatus.choices)
    state = django_filters.ChoiceFilter(choices=UpdateState.choices)
    submitted_after = django_filters.DateFilter(field_name="submitted_at", lookup_expr="date__gte")
    submitted_before = django_filters.DateFilter(field_name="submitted_at", lookup_expr="date__lte")

    class Meta:
        model = ProgressUpdate
        fields: list[str] = []


class IndicatorFilter(django_filters.FilterSet):
    action = django_filters.NumberFilter(field_name="outcome__action")
    outcome = django_filters.NumberFilter(field_name="outcome")
    output = django_filters.NumberFilter(field_name="output")
    kind = django_filters.CharFilter(field_name="kind")
    institution = django_filters.ModelChoiceFilter(
        queryset=Institution.objects.all(), field_name="responsible"
    )

    class Meta:
        model = Indicator
        fields: list[str] = []


class IndicatorValueFilter(django_filters.FilterSet):
    indicator = django_filters.NumberFilter(field_name="indicator")
    period = django_filters.ModelChoiceFilter(queryset=ReportingPeriod.objects.all())
    institution = django_filters.ModelChoiceFilter(
        queryset=Institution.objects.all(), field_name="indicator__responsible"
    )
    state = django_filters.CharFilter(field_name="state")

    class Meta:
        model = IndicatorValue
        fields: list[str] = []


class DecisionFilter(django_filters.FilterSet):
    meeting = django_filters.NumberFilter(field_name="meeting")
    recommendation = django_filters.ModelChoiceFilter(
        queryset=Recommendation.objects.all(), field_name="recommendations", distinct=True
    )

    class Meta:
        model = Decision
        fields: list[str] = []


class ActionPointFilter(django_filters.FilterSet):
    meeting = django_filters.NumberFilter(field_name="meeting")
    institution = django_filters.ModelChoiceFilter(
        queryset=Institution.objects.all(), field_name="owner"
    )
    status = django_filters.CharFilter(field_name="status")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = ActionPoint
        fields: list[str] = []


class ReportingPeriodFilter(django_filters.FilterSet):
    action = django_filters.NumberFilter(field_name="action")
    starts_after = django_filters.DateFilter(field_name="start_date", lookup_expr="gte")
    ends_before = django_filters.DateFilter(field_name="end_date", lookup_expr="lte")

    class Meta:
        model = ReportingPeriod
        fields: list[str] = []
