"""A training's page, its attendance table worked out once in the view and the training read
together with its evaluation: each row still shows what the records hold."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import EvaluationFactory
from trainings.models import Evaluation, Training

pytestmark = pytest.mark.django_db

MSPDY_HELD = "Recognising and referring child victims of trafficking"  # MSPDY + CoE, 12 people


def _page(client: Client, user: Any, training: Training) -> str:
    client.force_login(user)
    response = client.get(f"/trainings/{training.pk}/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    return response.content.decode()


def test_the_team_sees_each_attendee_s_cells_and_the_link_to_take_them_off(
    client: Client, demo: dict[str, Any]
) -> None:
    training = Training.objects.get(title_en=MSPDY_HELD)
    html = _page(client, demo["demo-admin"], training)
    rows = list(training.attendance.select_related("participant__institution"))
    assert rows
    for a in rows:
        p = a.participant
        assert p.full_name in html
        assert reverse("trainings:attendance_remove", args=[a.pk]) in html
        assert p.get_sex_display() in html
        if p.institution is not None:
            assert p.institution.label in html
        if p.email:
            assert p.email in html


def test_a_reader_who_may_not_edit_sees_only_the_consenting_named(
    client: Client, demo: dict[str, Any]
) -> None:
    training = Training.objects.get(title_en=MSPDY_HELD)
    training.attendance.filter(pk=training.attendance.order_by("pk")[0].pk).update(consent=False)
    html = _page(client, demo["demo-observer"], training)
    for a in training.attendance.select_related("participant"):
        assert (a.participant.full_name in html) == a.names_participant
        assert reverse("trainings:attendance_remove", args=[a.pk]) not in html
    assert "not named" in html


def test_the_evaluation_read_with_the_training_is_shown_or_said_missing(
    client: Client, demo: dict[str, Any]
) -> None:
    training = Training.objects.get(title_en=MSPDY_HELD)
    Evaluation.objects.filter(training=training).delete()
    assert "No evaluation recorded." in _page(client, demo["demo-admin"], training)
    EvaluationFactory(training=training, respondents=37, summary="Clear and useful.")
    html = _page(client, demo["demo-admin"], training)
    assert "No evaluation recorded." not in html
    assert "37" in html and "Clear and useful." in html


def test_a_training_that_does_not_exist_answers_404(client: Client, demo: dict[str, Any]) -> None:
    client.force_login(demo["demo-admin"])
    missing = (Training.objects.order_by("-pk").values_list("pk", flat=True)[0]) + 1
    assert client.get(f"/trainings/{missing}/").status_code == 404
