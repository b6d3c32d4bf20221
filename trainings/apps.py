from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingsConfig(AppConfig):
    name = "trainings"
    verbose_name = _("Trainings")

    def ready(self) -> None:
        from core.history import track
        from core.imports import resource_register
        from programme.calculations import calculation_register
        from recommendations.sources import trainings_source_register
        from stakeholders.sections import InstitutionSection, institution_section_register
        from trainings.calculations import PARTICIPANTS_TRAINED, SCORE_GAIN, TRAININGS_HELD
        from trainings.resources import AttendanceResource, TrainingResource
        from trainings.selectors import trainings_organised_by, trainings_serving

        resource_register(AttendanceResource, TrainingResource)
        calculation_register(PARTICIPANTS_TRAINED, TRAININGS_HELD, SCORE_GAIN)

        trainings_source_register(trainings_serving)
        institution_section_register(
            InstitutionSection(
                name="trainings",
                order=20,
                template="trainings/institution_section.html",
                items=trainings_organised_by,
            )
        )

        track(self, "Topic", "Training", "Participant", "Attendance", "Evaluation")
