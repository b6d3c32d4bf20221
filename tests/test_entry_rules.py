"""Entries that would make the figures or the links wrong are refused or fixed at the source."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from programme.models import Meeting
from recommendations.models import Recommendation
from research.models import Study
from tests.factories import (
    DecisionFactory,
    RecommendationFactory,
    RecommendationSetFactory,
    TrainingFactory,
)
from trainings.choices import TrainingStatus
from trainings.models import validate_held

pytestmark = pytest.mark.django_db


def test_a_training_that_has_not_ended_cannot_be_marked_held() -> None:
    today = timezone.localdate()
    training = TrainingFactory.create(
        start_date=today - timedelta(days=1), end_date=today + timedelta(days=1)
    )
    training.status = TrainingStatus.HELD
    with pytest.raises(ValidationError) as refused:
        training.full_clean()
    assert "can be marked held once it has ended" in str(refused.value.message_dict["status"])
    training.end_date = today
    training.full_clean()  # it ends today: held is true by the end of the day


def test_the_import_refuses_a_future_training_marked_held_by_the_same_rule() -> None:
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        validate_held(TrainingStatus.HELD, tomorrow, None)
    assert list(refused.value.message_dict) == ["status"]
    validate_held(TrainingStatus.PLANNED, tomorrow, None)


def _second_set_recommendation() -> Recommendation:
    """A recommendation numbered 1 in a second set: its id is not its number."""
    recommendation = RecommendationFactory.create(
        recommendation_set=RecommendationSetFactory.create(), number=1
    )
    assert recommendation.pk != recommendation.number
    return recommendation


def test_links_to_a_recommendation_use_its_id_not_its_number(
    client: Client, demo: dict[str, Any]
) -> None:
    recommendation = _second_set_recommendation()
    meeting = Meeting.objects.order_by("number").first()
    assert meeting is not None
    DecisionFactory.create(meeting=meeting, number=99).recommendations.add(recommendation)
    study = Study.objects.order_by("pk").first()
    assert study is not None
    study.recommendations.add(recommendation)
    client.force_login(demo["demo-admin"])
    wanted = f'href="/recommendations/{recommendation.pk}/"'
    for page in (f"/meetings/{meeting.pk}/", f"/research/{study.slug}/"):
        html = client.get(page).content.decode()
        assert wanted in html, page


# A valid global date and time string: seconds with at most three decimals, and an offset.
MACHINE_TIME = re.compile(r"\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,3})?)?(Z|[+-]\d\d:?\d\d))?")


def test_every_time_element_holds_a_valid_html_date_and_time(
    client: Client, demo: dict[str, Any]
) -> None:
    client.force_login(demo["demo-admin"])
    pages = ["/recommendations/11/", "/reports/", "/notifications/"]
    seen = 0
    for page in pages:
        html = client.get(page).content.decode()
        for value in re.findall(r'<time datetime="([^"]*)"', html):
            seen += 1
            assert MACHINE_TIME.fullmatch(value), (page, value)
    assert seen
