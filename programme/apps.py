from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammeConfig(AppConfig):
    name = "programme"
    verbose_name = _("Programme")

    def ready(self) -> None:
        from config.history import track

        track(
            self,
            "Programme",
            "Action",
            "ReportingPeriod",
            "Outcome",
            "Output",
            "Indicator",
            "IndicatorValue",
            "Meeting",
            "MeetingAttendance",
            "Decision",
            "ActionPoint",
            "Intervention",
        )
