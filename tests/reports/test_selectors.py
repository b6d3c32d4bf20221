"""The reads the reports are assembled from: figures as of a day, and a fixed number of queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboard.selectors import programme_glance
from programme.models import Action, ReportingPeriod
from programme.selectors import meeting_latest
from recommendations.choices import ImplementationStatus
from recommendations.models import Recommendation
from recommendations.selectors import recommendation_assessments, recommendation_rows
from reports.selectors import committee_report
from stakeholders.choices import Sex
from tests import factories
from trainings.models import Training
from trainings.selectors import participants_by_topic, trainings_held, trainings_with_figures

pytestmark = pytest.mark.django_db


def test_assessments_as_of_a_day_leave_out_later_periods(demo) -> None:
    rec = Recommendation.objects.get(number=8)
    end_2024 = date(2024, 12, 31)
    [mspdy] = recommendation_assessments(recommendations=[rec], until=end_2024)[rec.pk]
    assert mspdy.approved is not None
    assert mspdy.approved.status == ImplementationStatus.PLANNED
    assert mspdy.approved.period.name == "2024 H2"
    before_any = recommendation_assessments(recommendations=[rec], until=date(2024, 6, 30))
    assert before_any[rec.pk][0].approved is None
    rows = {
        r.recommendation.number: r.status
        for r in recommendation_rows(queryset=Recommendation.objects.all(), until=date(2024, 6, 30))
    }
    assert set(rows.values()) == {None}


def test_glance_as_of_a_day_counts_only_trainings_held_by_then(demo) -> None:
    action = Action.objects.get()
    now = programme_glance(action=action)
    early = programme_glance(action=action, until=date(2024, 6, 30))
    assert early.trainings_held == 2
    assert now.trainings_held == Training.objects.filter(status="held").count() == 4
    assert early.participants < now.participants


def test_the_last_meeting_counts_a_meeting_without_a_date_as_held(demo) -> None:
    action = Action.objects.get()
    assert meeting_latest(action=action, on=date(2024, 12, 31)).number == 3
    assert meeting_latest(action=action, on=date(2025, 3, 20)).number == 4


def test_training_figures_by_sex_and_average_change() -> None:
    training = factories.TrainingFactory(status="held", start_date=date(2025, 2, 1))
    for sex, pre, post in ((Sex.FEMALE, 40, 60), (Sex.FEMALE, 50, 55), (Sex.MALE, 30, None)):
        factories.AttendanceFactory(
            training=training,
            participant=factories.ParticipantFactory(sex=sex),
            pre_score=Decimal(pre),
            post_score=None if post is None else Decimal(post),
        )
    [figures] = trainings_with_figures(trainings=Training.objects.filter(pk=training.pk))
    assert (figures.participants, figures.women, figures.men) == (3, 2, 1)
    assert figures.average_pre == Decimal("40.0")
    assert figures.average_post == Decimal("57.5")
    assert figures.average_change == Decimal("12.5")  # only those with both scores
    [topic] = participants_by_topic(trainings=Training.objects.filter(pk=training.pk))
    assert (topic.trainings, topic.participants, topic.women) == (1, 3, 2)


def test_the_committee_report_reads_a_fixed_number_of_queries(demo) -> None:
    action = Action.objects.get()
    period = ReportingPeriod.objects.get(name="2024 H1")
    committee_report(period=period)  # warm up: caches filled on first use
    with CaptureQueriesContext(connection) as few:
        committee_report(period=period)
    for index in range(6):
        training = factories.TrainingFactory(
            action=action, status="held", start_date=date(2024, 2, 1 + index)
        )
        factories.AttendanceFactory.create_batch(3, training=training)
    # The new trainings renewed the kept figures: they are counted once again, then kept.
    committee_report(period=period)
    with CaptureQueriesContext(connection) as more:
        data = committee_report(period=period)
    assert len(data.trainings) == 8
    assert len(more) == len(few), "\n".join(q["sql"] for q in more.captured_queries)
    assert trainings_held(action=action, start=period.start_date, end=period.end_date).count() == 8
