"""The read-only REST API: each list asks the owning app's permission gate, as its portal
page does, and filters with the portal's FilterSets (docs/api.md).

Every viewset is read-only: a write method answers 405. Another institution's record is
not in the gate's queryset, so its detail answers 404.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from api import filters
from api import serializers as s
from api.pagination import ApiPagination
from programme.models import (
    Action,
    ActionPoint,
    Decision,
    Indicator,
    IndicatorValue,
    Meeting,
    Outcome,
    Output,
    ReportingPeriod,
)
from programme.permissions import (
    action_points_visible_to,
    decisions_visible_to,
    framework_visible_to,
    indicator_values_visible_to,
    indicators_visible_to,
    meetings_visible_to,
)
from programme.results import indicators_figures
from programme.selectors import meetings_with_counts
from recommendations.choices import ImplementationStatus
from recommendations.filters import RecommendationFilterForm
from recommendations.models import ProgressUpdate, Recommendation
from recommendations.permissions import (
    recommendation_for_view,
    recommendations_visible_to,
    updates_visible_to,
)
from recommendations.selectors import (
    Assessment,
    RecommendationRow,
    recommendation_rows,
    recommendations_filtered,
)
from research.models import Study
from research.permissions import studies_visible_to
from stakeholders.models import Institution, User
from stakeholders.permissions import institutions_visible_to
from trainings.models import Training
from trainings.permissions import may_change_training, training_for_view, trainings_visible_to
from trainings.selectors import (
    TrainingFigures,
    participants_by_profession,
    training_attendance,
    trainings_with_figures,
)


def _user(request: Request) -> User:
    user: User = request.user  # type: ignore[assignment]
    return user


class GatedViewSet(viewsets.ReadOnlyModelViewSet[Any]):
    """A list and a detail scoped by the owning app's gate, ordered by primary key."""

    pagination_class = ApiPagination
    lookup_value_regex = r"\d+"

    def gate(self, user: User) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        return self.gate(_user(self.request)).order_by("pk")


# --- Institutions, the action, periods ------------------------------------------------------


class InstitutionViewSet(GatedViewSet):
    """Institutions (the portal's directory)."""

    serializer_class = s.InstitutionSerializer
    filterset_class = filters.InstitutionFilter

    def gate(self, user: User) -> QuerySet[Institution]:
        return institutions_visible_to(user)


def _framework(user: User, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The programme, its periods and its framework: read by whoever reads the framework."""
    return queryset if framework_visible_to(user) else queryset.none()


class ActionViewSet(GatedViewSet):
    """The programme's action(s)."""

    serializer_class = s.ActionSerializer

    def gate(self, user: User) -> QuerySet[Action]:
        return _framework(user, Action.objects.select_related("programme"))


class ReportingPeriodViewSet(GatedViewSet):
    """Reporting periods."""

    serializer_class = s.ReportingPeriodSerializer
    filterset_class = filters.ReportingPeriodFilter

    def gate(self, user: User) -> QuerySet[ReportingPeriod]:
        return _framework(user, ReportingPeriod.objects.all())


# --- The results framework -----------------------------------------------------------------


class OutcomeViewSet(GatedViewSet):
    """The results framework's outcomes, each with its outputs."""

    serializer_class = s.OutcomeSerializer

    def gate(self, user: User) -> QuerySet[Outcome]:
        outputs = Prefetch("outputs", queryset=Output.objects.order_by("code", "pk"))
        return _framework(user, Outcome.objects.prefetch_related(outputs))


class IndicatorViewSet(GatedViewSet):
    """Indicators with their target, value and value to date for every period."""

    serializer_class = s.IndicatorFiguresSerializer
    filterset_class = filters.IndicatorFilter

    def gate(self, user: User) -> QuerySet[Indicator]:
        return indicators_visible_to(user).select_related("outcome", "output")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset())) or []
        data = s.IndicatorFiguresSerializer(indicators_figures(indicators=page), many=True).data
        return self.get_paginated_response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        (figures,) = indicators_figures(indicators=[self.get_object()])
        return Response(s.IndicatorFiguresSerializer(figures).data)


class IndicatorValueViewSet(GatedViewSet):
    """Reported indicators' values as entered, with their review state."""

    serializer_class = s.IndicatorValueSerializer
    filterset_class = filters.IndicatorValueFilter

    def gate(self, user: User) -> QuerySet[IndicatorValue]:
        return indicator_values_visible_to(user)


# --- Recommendations and progress updates ---------------------------------------------------


@dataclass(frozen=True)
class RecommendationOut:
    recommendation: Recommendation
    status: str | None
    assessed_by: int
    assignments: list[Assessment]


def _recommendations_out(rows: Sequence[RecommendationRow]) -> list[RecommendationOut]:
    """The rows as the API gives them: each assigned institution's standing is the row's own
    assessments (``recommendation_rows``), read once with the status; the themes are
    read for these rows alone (one query)."""
    prefetch_related_objects([row.recommendation for row in rows], "themes")
    return [
        RecommendationOut(
            recommendation=row.recommendation,
            status=row.status,
            assessed_by=row.assessed_by,
            assignments=row.assessments,
        )
        for row in rows
    ]


_RECOMMENDATION_FILTERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Text contains (any language)."),
    OpenApiParameter("theme", OpenApiTypes.STR, description="A theme's code."),
    OpenApiParameter("institution", OpenApiTypes.INT, description="An assigned institution."),
    OpenApiParameter(
        "status",
        OpenApiTypes.STR,
        enum=["none", *ImplementationStatus.values],
        description="The overall status; none: not yet assessed.",
    ),
]


@extend_schema_view(
    list=extend_schema(parameters=_RECOMMENDATION_FILTERS),
)
class RecommendationViewSet(viewsets.GenericViewSet[Any]):
    """Recommendations with their overall status and each assigned institution's."""

    serializer_class = s.RecommendationSerializer
    pagination_class = ApiPagination
    queryset = Recommendation.objects.none()  # for the schema; the gate decides
    query_parameters = _RECOMMENDATION_FILTERS
    lookup_value_regex = r"\d+"

    def list(self, request: Request) -> Response:
        # The portal's list: its filter form and its selector (recommendations_filtered),
        # within what the recommendations' gate lets the user see.
        form = RecommendationFilterForm(request.query_params or None)
        if form.is_bound and not form.is_valid():
            raise ValidationError(
                {name: [str(e) for e in errors] for name, errors in form.errors.items()}
            )
        wanted = form.cleaned_data if form.is_bound else {}
        rows = recommendations_filtered(
            q=wanted.get("q", ""),
            theme=wanted["theme"].slug if wanted.get("theme") else "",
            institution=wanted["institution"].pk if wanted.get("institution") else None,
            status=wanted.get("status", ""),
        )
        visible = set(recommendations_visible_to(_user(request)).values_list("pk", flat=True))
        shown = sorted(
            (r for r in rows if r.recommendation.pk in visible), key=lambda r: r.recommendation.pk
        )
        page = self.paginate_queryset(shown) or []
        data = s.RecommendationSerializer(_recommendations_out(page), many=True).data
        return self.get_paginated_response(data)

    def retrieve(self, request: Request, pk: str) -> Response:
        recommendation = recommendation_for_view(_user(request), int(pk))
        (row,) = recommendation_rows(
            queryset=recommendations_visible_to(_user(request))
            .filter(pk=recommendation.pk)
            .select_related("recommendation_set")
        )
        (out,) = _recommendations_out([row])
        return Response(s.RecommendationSerializer(out).data)


class ProgressUpdateViewSet(GatedViewSet):
    """Progress updates, with what is known of their evidence (never the files)."""

    serializer_class = s.ProgressUpdateSerializer
    filterset_class = filters.ProgressUpdateFilter

    def gate(self, user: User) -> QuerySet[ProgressUpdate]:
        return updates_visible_to(user).prefetch_related("evidence")


# --- Trainings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingOut:
    training: Training
    participants: int
    women: int
    men: int
    by_profession: list[dict[str, Any]]
    attendance: list[dict[str, Any]]


def _trainings_out(
    figures: Sequence[TrainingFigures], attendance: dict[int, list[dict[str, Any]]] | None = None
) -> list[TrainingOut]:
    groups = participants_by_profession(training_ids=[f.training.pk for f in figures])
    return [
        TrainingOut(
            training=f.training,
            participants=f.participants,
            women=f.women,
            men=f.men,
            by_profession=groups.get(f.training.pk, []),
            attendance=(attendance or {}).get(f.training.pk, []),
        )
        for f in figures
    ]


def _training_figures(user: User, pks: Sequence[int]) -> list[TrainingFigures]:
    """The trainings' figures (``trainings_with_figures``, as the reports count), by pk."""
    figures = trainings_with_figures(
        trainings=trainings_visible_to(user).filter(pk__in=pks).prefetch_related("partners")
    )
    return sorted(figures, key=lambda f: f.training.pk)


class TrainingViewSet(GatedViewSet):
    """Trainings with who came, by sex and profession; the detail lists the participants as
    the training's page does."""

    serializer_class = s.TrainingSerializer
    filterset_class = filters.ApiTrainingFilter

    def gate(self, user: User) -> QuerySet[Training]:
        return trainings_visible_to(user)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset()).values_list("pk", flat=True)
        page = self.paginate_queryset(queryset) or []
        rows = _trainings_out(_training_figures(_user(request), list(page)))
        return self.get_paginated_response(s.TrainingSerializer(rows, many=True).data)

    @extend_schema(responses=s.TrainingDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = _user(request)
        training = training_for_view(user, int(self.kwargs["pk"]))
        names_all = may_change_training(user, training)
        attendance = [
            {
                # Named as on the training's page: to its editors, else with consent only.
                "name": a.participant.full_name if names_all or a.names_participant else None,
                "sex": a.participant.sex,
                "profession": (
                    a.participant.professional_group.slug
                    if a.participant.professional_group
                    else None
                ),
                "completed": a.completed,
            }
            for a in training_attendance(training=training)
        ]
        (out,) = _trainings_out(
            _training_figures(_user(request), [training.pk]), {training.pk: attendance}
        )
        return Response(s.TrainingDetailSerializer(out).data)


# --- Meetings, decisions, action points, studies ------------------------------------------


class MeetingViewSet(GatedViewSet):
    """The steering committee's meetings."""

    serializer_class = s.MeetingSerializer
    filterset_class = filters.ApiMeetingFilter

    def gate(self, user: User) -> QuerySet[Meeting]:
        return meetings_with_counts(queryset=meetings_visible_to(user))


class DecisionViewSet(GatedViewSet):
    """The steering committee's decisions."""

    serializer_class = s.DecisionSerializer
    filterset_class = filters.DecisionFilter

    def gate(self, user: User) -> QuerySet[Decision]:
        return decisions_visible_to(user).prefetch_related("recommendations", "outcomes")


class ActionPointViewSet(GatedViewSet):
    """The steering committee's action points."""

    serializer_class = s.ActionPointSerializer
    filterset_class = filters.ActionPointFilter

    def gate(self, user: User) -> QuerySet[ActionPoint]:
        return action_points_visible_to(user)


class StudyViewSet(GatedViewSet):
    """The action's studies."""

    serializer_class = s.StudySerializer
    filterset_class = filters.ApiStudyFilter

    def gate(self, user: User) -> QuerySet[Study]:
        return studies_visible_to(user).prefetch_related("recommendations")
