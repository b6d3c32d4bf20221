"""The training list at scale: each training's people counted for the page shown
only, and the list counted without reading the programme's attendance."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext

from stakeholders.models import Institution, User
from tests.factories import AttendanceFactory, ParticipantFactory, TrainingFactory
from trainings.models import Attendance, Training
from trainings.services import training_share

pytestmark = pytest.mark.django_db


def _as(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _more_trainings(n: int) -> list[Training]:
    """n trainings of the ministry, the k-th with k people (some of them at two)."""
    organiser = Institution.objects.get(code="mspdy")
    action = Training.objects.order_by("pk").first().action
    trainings: list[Training] = [
        TrainingFactory.create(
            organiser=organiser, action=action, start_date=date(2024, 1, 1) + timedelta(days=k)
        )
        for k in range(n)
    ]
    people = ParticipantFactory.create_batch(n)
    for k, training in enumerate(trainings):
        training_share(training=training)
        for person in people[:k]:
            AttendanceFactory(training=training, participant=person)
    return trainings


@pytest.mark.parametrize("username", ["demo-admin", "demo-ministry"])
def test_every_page_counts_each_training_s_people(demo: dict[str, User], username: str) -> None:
    _more_trainings(30)
    client = _as(demo[username])
    expected = dict(Attendance.objects.values_list("training").annotate(n=Count("pk")).order_by())
    seen = 0
    for page in (1, 2):
        listed = client.get("/trainings/", {"page": page}).context["page_obj"]
        for training in listed:
            assert training.participant_count == expected.get(training.pk, 0), training
            seen += 1
    assert seen > 25


def test_the_list_is_counted_without_reading_attendance(demo: dict[str, User]) -> None:
    _more_trainings(5)
    client = _as(demo["demo-admin"])
    client.get("/trainings/")
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/trainings/", {"status": "held"})
    assert response.status_code == 200
    counts = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT COUNT(*)") and '"trainings_training"' in q["sql"]
    ]
    assert counts, "the list's count"
    assert all("trainings_attendance" not in sql for sql in counts), counts
