from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecommendationsConfig(AppConfig):
    name = "recommendations"
    verbose_name = _("Recommendations")

    def ready(self) -> None:
        from core.history import track
        from core.imports import resource_register
        from programme.calculations import calculation_register
        from recommendations.calculations import (
            RECOMMENDATIONS_AT_STATUS,
            UPDATES_APPROVED_ON_TIME,
        )
        from recommendations.resources import ProgressUpdateResource, RecommendationResource
        from recommendations.selectors import assignments_of_institution
        from stakeholders.sections import InstitutionSection, institution_section_register

        resource_register(ProgressUpdateResource, RecommendationResource)
        calculation_register(RECOMMENDATIONS_AT_STATUS, UPDATES_APPROVED_ON_TIME)

        institution_section_register(
            InstitutionSection(
                name="recommendations",
                order=10,
                template="recommendations/institution_section.html",
                items=assignments_of_institution,
            )
        )

        track(
            self,
            "RecommendationSet",
            "Theme",
            "Instrument",
            "Recommendation",
            "Assignment",
            "ProgressUpdate",
            "Evidence",
            "UpdateComment",
        )
