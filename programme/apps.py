from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammeConfig(AppConfig):
    name = "programme"
    verbose_name = _("Programme")

    def ready(self) -> None:
        from core.history import track
        from core.imports import resource_register
        from programme.action_point_calculations import ACTION_POINTS_CLOSED_ON_TIME
        from programme.calculations import calculation_register
        from programme.resources import ActionPointResource, IndicatorValueResource
        from programme.selectors import action_points_open_owned_by
        from stakeholders.sections import InstitutionSection, institution_section_register

        resource_register(ActionPointResource, IndicatorValueResource)
        calculation_register(ACTION_POINTS_CLOSED_ON_TIME)
        institution_section_register(
            InstitutionSection(
                name="action_points",
                order=30,
                template="programme/institution_section.html",
                items=action_points_open_owned_by,
            )
        )
        track(
            self,
            "Programme",
            "Action",
            "ReportingPeriod",
            "Outcome",
            "Output",
            "Indicator",
            "IndicatorValue",
            "IndicatorEvidence",
            "Meeting",
            "MeetingAttendance",
            "Decision",
            "ActionPoint",
            "Intervention",
            "PeriodNarrative",
            "OutcomeNarrative",
            "PeriodRisk",
        )
