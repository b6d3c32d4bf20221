"""The API's endpoints, once: the router mounts them and the API page describes them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from api import views


@dataclass(frozen=True)
class Endpoint:
    prefix: str  # under /api/v1/
    viewset: type[Any]
    basename: str
    about: str | Promise

    @property
    def filters(self) -> list[str]:
        """The query parameters that filter the list."""
        filterset = getattr(self.viewset, "filterset_class", None)
        if filterset is not None:
            return [name for name in filterset.base_filters if name != "layout"]
        return [p.name for p in getattr(self.viewset, "query_parameters", [])]


ENDPOINTS = [
    Endpoint("institutions", views.InstitutionViewSet, "institution", _("Institutions")),
    Endpoint("actions", views.ActionViewSet, "action", _("The programme and its action")),
    Endpoint("periods", views.ReportingPeriodViewSet, "period", _("Reporting periods")),
    Endpoint(
        "outcomes",
        views.OutcomeViewSet,
        "outcome",
        _("The results framework's outcomes and outputs"),
    ),
    Endpoint(
        "indicators",
        views.IndicatorViewSet,
        "indicator",
        _("Indicators with their target and value for every period"),
    ),
    Endpoint(
        "indicator-values",
        views.IndicatorValueViewSet,
        "indicator-value",
        _("Reported indicators' values and their review state"),
    ),
    Endpoint(
        "recommendations",
        views.RecommendationViewSet,
        "recommendation",
        _("Recommendations with their assignments and overall status"),
    ),
    Endpoint(
        "updates",
        views.ProgressUpdateViewSet,
        "update",
        _("Progress updates with their evidence (title, kind, size, date)"),
    ),
    Endpoint(
        "trainings",
        views.TrainingViewSet,
        "training",
        _("Trainings with their participants counted by sex and profession"),
    ),
    Endpoint("meetings", views.MeetingViewSet, "meeting", _("Steering-committee meetings")),
    Endpoint("decisions", views.DecisionViewSet, "decision", _("Decisions")),
    Endpoint("action-points", views.ActionPointViewSet, "action-point", _("Action points")),
    Endpoint("studies", views.StudyViewSet, "study", _("Studies")),
]
