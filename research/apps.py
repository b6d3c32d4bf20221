from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResearchConfig(AppConfig):
    name = "research"
    verbose_name = _("Research")

    def ready(self) -> None:
        from core.history import track
        from programme.calculations import calculation_register
        from research.calculations import STUDIES_AT_STAGE

        calculation_register(STUDIES_AT_STAGE)
        track(self, "Study", "StudyVersion")
