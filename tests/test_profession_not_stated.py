"""People whose profession was not given are "Not stated" wherever figures by profession show:
the dashboard's glance and the trainings' figures in pages and PDF reports."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from dashboard.selectors import programme_glance
from programme.models import Action
from stakeholders.choices import PROFESSION_NOT_STATED
from tests import factories
from trainings.choices import TrainingStatus
from trainings.models import Attendance
from trainings.selectors import participants_by_group

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
def test_the_dashboard_and_the_reports_name_a_missing_profession_alike(demo, language) -> None:
    action = Action.objects.get()
    training = factories.TrainingFactory.create(
        action=action,
        status=TrainingStatus.HELD,
        start_date=date(2024, 5, 6),
        end_date=date(2024, 5, 7),
    )
    factories.AttendanceFactory.create(
        training=training, participant=factories.ParticipantFactory.create(professional_group=None)
    )
    with translation.override(language):
        label = str(PROFESSION_NOT_STATED)
        dashboard = {
            row[0]: row[3] for row in programme_glance(action=action).participants_by_group
        }
        reports = {
            row[0]: row[3] for row in participants_by_group(attendance=Attendance.objects.all())
        }
    assert dashboard.get(label, 0) >= 1, dashboard
    assert reports.get(label) == dashboard[label]
    if language != "en":
        assert label != "Not stated"  # translated, not left in English
