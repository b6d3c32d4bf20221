"""A notice names an institution in the reader's language, whichever language it was made in."""

from __future__ import annotations

import pytest
from django.utils import translation

from notifications.choices import NotificationKind, ReminderStage
from notifications.services import institution_params, notification_notify
from tests.factories import InstitutionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_notice_names_the_institution_in_the_language_it_is_read_in() -> None:
    institution = InstitutionFactory.create(
        short_name_en="Open Gate", short_name_mk="Отворена порта", short_name_sq="Porta e Hapur"
    )
    with translation.override("en"):  # made by a job running in English
        (notice,) = notification_notify(
            recipients=[UserFactory.create()],
            kind=NotificationKind.UPDATE_DUE,
            stage=ReminderStage.BEFORE,
            key="update_due:names",
            url="/",
            params={
                "period": "2026 H2",
                "due_date": "2026-12-31",
                "numbers": "1, 2",
                **institution_params(institution),
            },
        )
    notice.refresh_from_db()
    for language, name, other in (
        ("mk", "Отворена порта", "Open Gate"),
        ("sq", "Porta e Hapur", "Open Gate"),
        ("en", "Open Gate", "Отворена порта"),
    ):
        with translation.override(language):
            assert name in notice.text
            assert other not in notice.text


def test_a_notice_kept_from_before_keeps_its_name() -> None:
    (notice,) = notification_notify(
        recipients=[UserFactory.create()],
        kind=NotificationKind.UPDATE_DUE,
        stage=ReminderStage.BEFORE,
        key="update_due:old",
        url="/",
        params={
            "period": "2026 H2",
            "due_date": "2026-12-31",
            "numbers": "3",
            "institution": "Open Gate",
        },
    )
    with translation.override("mk"):
        assert "Open Gate" in notice.text
    assert institution_params(None) == {"institution": ""}
