"""A training of 20,000 participants: its report gives the figures for everyone, lists no one
by line, points to the attendance spreadsheet, and renders within the memory limit."""

from __future__ import annotations

from decimal import Decimal
from typing import cast

import pytest
from django.conf import settings
from django.utils import translation

from programme.models import Action
from reports import documents
from reports.choices import ReportKind
from reports.templatetags.report_tags import figure
from stakeholders.choices import Sex
from stakeholders.models import Institution
from tests.factories import TrainingFactory
from tests.reports.conftest import page_count, pdf_text, stored_pdf
from trainings.choices import TrainingStatus
from trainings.models import Attendance, Participant, Training

pytestmark = pytest.mark.django_db


def _crowded_training(participants: int) -> Training:
    """A held training with that many generated participants (no real names)."""
    training = cast(
        Training,
        TrainingFactory(
            action=Action.objects.get(),
            organiser=Institution.objects.order_by("pk")[0],
            title="Generated mass training",
            status=TrainingStatus.HELD,
        ),
    )
    people = Participant.objects.bulk_create(
        Participant(
            full_name=f"Generated participant {n:05d}",
            sex=Sex.FEMALE if n % 2 else Sex.MALE,
        )
        for n in range(participants)
    )
    Attendance.objects.bulk_create(
        Attendance(
            training=training,
            participant=person,
            pre_score=Decimal(40 + n % 20),
            post_score=Decimal(60 + n % 30),
        )
        for n, person in enumerate(people)
    )
    return training


def test_a_training_of_20000_participants_is_summarised_within_the_limits(demo, generate) -> None:
    training = _crowded_training(20_000)
    report = generate(
        by=demo["demo-admin"], kind=ReportKind.TRAINING, language="en", training=training
    )
    assert report.status == "done", report.failure_reason
    pdf = stored_pdf(report)
    text = pdf_text(pdf)
    with translation.override("en"):  # numbers as the report writes them
        count, most = figure(20_000), figure(documents.PARTICIPANT_LIST_MOST)
    assert f"This training has {count} participants, more than the {most}" in text
    assert "attendance spreadsheet (xlsx)" in text
    assert "Generated participant" not in text  # no line of the list
    assert page_count(pdf) < 10
    assert settings.REPORT_RENDER_MEMORY_MB <= 1024  # the limit it rendered within


def test_a_training_up_to_the_stated_size_lists_every_participant(
    demo, generate, monkeypatch
) -> None:
    training = _crowded_training(4)
    monkeypatch.setattr(documents, "PARTICIPANT_LIST_MOST", 4)
    listed = pdf_text(
        stored_pdf(
            generate(
                by=demo["demo-admin"], kind=ReportKind.TRAINING, language="en", training=training
            )
        )
    )
    assert "more than the" not in listed
    monkeypatch.setattr(documents, "PARTICIPANT_LIST_MOST", 3)
    summarised = pdf_text(
        stored_pdf(
            generate(
                by=demo["demo-admin"], kind=ReportKind.TRAINING, language="en", training=training
            )
        )
    )
    assert "This training has 4 participants, more than the 3" in summarised
