"""The recommendation's page: its history is the newest workflow steps, cut before
they are joined to their update, and its cards and rows, prepared in Python as plain values,
show what each update and step holds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from recommendations.choices import UpdateState
from recommendations.models import ProgressUpdate, Recommendation, UpdateTransition
from recommendations.selectors import (
    HISTORY_SHOWN,
    recommendation_history,
    recommendation_summary,
)

pytestmark = pytest.mark.django_db

REC = 6  # both demo CSOs are invited to report on it


def _steps(rec: Recommendation, n: int) -> None:
    """``n`` more workflow steps on the recommendation's updates, a minute apart, their order
    unlike their keys' (the newest has the smallest key)."""
    updates = list(ProgressUpdate.objects.filter(recommendation=rec))
    start = timezone.now() - timedelta(days=1)
    UpdateTransition.objects.bulk_create(
        UpdateTransition(
            update=updates[i % len(updates)],
            from_state=UpdateState.SUBMITTED,
            to_state=UpdateState.RETURNED,
            status=updates[i % len(updates)].status,
            at=start + timedelta(minutes=n - i),
            comment=f"Step {i}",
        )
        for i in range(n)
    )


@pytest.mark.parametrize("username", ["demo-admin", "demo-cso-a", "demo-observer"])
def test_the_page_shows_the_newest_steps_in_order(
    client: Client, demo: dict[str, Any], username: str
) -> None:
    rec = Recommendation.objects.get(number=REC)
    _steps(rec, HISTORY_SHOWN + 15)
    user = demo[username]
    newest = list(recommendation_history(recommendation=rec, user=user)[:HISTORY_SHOWN])
    assert len(newest) == HISTORY_SHOWN
    assert recommendation_summary(recommendation=rec, user=user).history == newest

    client.force_login(user)
    response = client.get(f"/recommendations/{rec.pk}/")
    assert response.status_code == 200
    rows = response.context["history_rows"]
    assert [(r["institution"], r["period"], r["comment"]) for r in rows] == [
        (t.update.institution.label, t.update.period.name, t.comment) for t in newest
    ]
    content = response.content.decode()
    # Newest first on the page: the first shown step's comment comes before the last's.
    first, last = newest[0].comment, newest[-1].comment
    assert f"“{first}”" in content and content.index(f"“{first}”") < content.index(f"“{last}”")


def test_the_cards_and_rows_show_each_update(client: Client, demo: dict[str, Any]) -> None:
    rec = Recommendation.objects.get(number=REC)
    client.force_login(demo["demo-admin"])
    response = client.get(f"/recommendations/{rec.pk}/")
    assert response.status_code == 200
    summary = response.context["evidence"]
    cards = response.context["cards"]
    assert [c["id"] for c in cards] == [a.institution.pk for a in summary.assessments]
    for card, a in zip(cards, summary.assessments, strict=True):
        assert card["label"] == a.institution.label
        assert card["kind_label"] == a.institution.get_kind_display()
        if a.approved is None:
            assert card["approved"] is None
        else:
            assert card["approved"]["status_label"] == a.approved.get_status_display()
            assert card["approved"]["url"] == reverse(
                "recommendations:update_detail", args=[a.approved.pk]
            )
    rows = response.context["update_rows"]
    assert [r["url"] for r in rows] == [
        reverse("recommendations:update_detail", args=[u.pk])
        for u in response.context["rows"]["updates"]
    ]
    for row, u in zip(rows, response.context["rows"]["updates"], strict=True):
        assert (row["institution"], row["period"], row["state_label"]) == (
            u.institution.label,
            u.period.name,
            u.get_state_display(),
        )
