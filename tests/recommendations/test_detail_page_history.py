"""The recommendation's page reads its history, the newest workflow steps and how many there
are, in one query written once as SQL: the same steps, in the same order and
number, as the full list (``recommendation_history``) for every persona, the evidence events
left out, and nothing for a reader who sees no update of the recommendation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.template.defaultfilters import date
from django.test import Client
from django.utils import timezone, translation

from recommendations.choices import UpdateEvent, UpdateState
from recommendations.models import ProgressUpdate, Recommendation, UpdateTransition
from recommendations.selectors import (
    HISTORY_SHOWN,
    recommendation_history,
    recommendation_summary,
)
from tests import factories
from tests.recommendations.test_detail_page_updates import _mixed_updates

pytestmark = pytest.mark.django_db

REC = 6  # both demo CSOs are invited to report on it
PERSONAS = ["demo-admin", "demo-cso-a", "demo-cso-b", "demo-observer"]


def _entries(rec: Recommendation, n: int) -> None:
    """``n`` workflow steps on each of the recommendation's updates, a minute apart, and
    newer than all of them an evidence event on each (not a step: the history leaves it
    out); one step of each has no author."""
    start = timezone.now() - timedelta(days=2)
    entries = []
    for k, update in enumerate(ProgressUpdate.objects.filter(recommendation=rec).order_by("pk")):
        for i in range(n):
            entries.append(
                UpdateTransition(
                    update=update,
                    from_state=UpdateState.SUBMITTED,
                    to_state=UpdateState.RETURNED,
                    status=update.status,
                    at=start + timedelta(minutes=k * n + i),
                    comment=f"Step {k}/{i}",
                    by=None if i == 0 else update.created_by,
                )
            )
        entries.append(
            UpdateTransition(
                update=update,
                from_state=update.state,
                to_state=update.state,
                status=update.status,
                at=timezone.now(),
                event=UpdateEvent.EVIDENCE_REMOVED,
                evidence_title="Minutes",
            )
        )
    UpdateTransition.objects.bulk_create(entries)


@pytest.mark.parametrize("username", PERSONAS)
def test_the_page_shows_the_newest_steps_and_counts_them_all(
    demo: dict[str, Any], username: str
) -> None:
    rec = Recommendation.objects.get(number=REC)
    _mixed_updates(rec)  # updates in every state: each persona sees some of them
    _entries(rec, HISTORY_SHOWN // 2 + 1)
    user = demo[username]
    every = list(recommendation_history(recommendation=rec, user=user))
    assert (
        HISTORY_SHOWN
        < len(every)
        < UpdateTransition.objects.filter(update__recommendation=rec).count()
    )

    summary = recommendation_summary(recommendation=rec, user=user)

    assert summary.history == every[:HISTORY_SHOWN]
    assert summary.history_count == len(every)
    assert all(t.event == UpdateEvent.STEP for t in summary.history)
    for shown, full in zip(summary.history, every, strict=False):
        assert (shown.at, shown.comment, shown.by_id) == (full.at, full.comment, full.by_id)
        assert (str(shown.by) if shown.by else None) == (str(full.by) if full.by else None)
        assert shown.update.institution.label == full.update.institution.label
        assert str(shown.update.period) == str(full.update.period)


def test_a_reader_who_sees_no_update_sees_no_history(demo: dict[str, Any]) -> None:
    rec = Recommendation.objects.get(number=REC)
    # Only drafts, which nobody outside their institution and the programme team reads.
    ProgressUpdate.objects.filter(recommendation=rec).update(state=UpdateState.DRAFT)
    _entries(rec, 1)
    outsider = factories.UserFactory.create()

    summary = recommendation_summary(recommendation=rec, user=outsider)

    assert (summary.history, summary.history_count) == ([], 0)
    assert summary.updates == [] and summary.update_count == 0


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
def test_the_history_writes_each_time_as_the_date_filter_does(
    client: Client, demo: dict[str, Any], language: str
) -> None:
    rec = Recommendation.objects.get(number=REC)
    _entries(rec, 3)
    client.force_login(demo["demo-observer"])
    response = client.get(f"/recommendations/{rec.pk}/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert f'<html lang="{language}">' in response.content.decode()
    steps = response.context["rows"]["history"]
    rows = response.context["history_rows"]
    assert len(rows) == len(steps) > 0
    with translation.override(language):
        for row, step in zip(rows, steps, strict=True):
            at = timezone.localtime(step.at)
            assert row["at_iso"] == date(at, "Y-m-d\\TH:i:sO")
            assert row["at_shown"] == date(at, "SHORT_DATETIME_FORMAT")
            assert f'<time datetime="{row["at_iso"]}">{row["at_shown"]}</time>' in (
                response.content.decode()
            )
