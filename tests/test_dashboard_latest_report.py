"""The dashboard's indicators link to the latest steering-committee report the reader may open."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from programme.models import ReportingPeriod
from reports.choices import ReportKind, ReportStatus
from reports.models import Report
from stakeholders.models import User

pytestmark = pytest.mark.django_db


def _committee(period: ReportingPeriod, status: str, by: User) -> Report:
    return Report.objects.create(
        kind=ReportKind.COMMITTEE,
        language="en",
        period=period,
        parameters={"subject": period.name},
        series=f"committee:period-{period.pk}:en",
        requested_by=by,
        status=status,
        # A finished report holds its file; the link only needs it named.
        **(
            {"version": 1, "file": "reports/x.pdf", "sha256": "0" * 64}
            if status == ReportStatus.DONE
            else {}
        ),
    )


def test_the_observer_is_offered_the_latest_finished_committee_report(
    client: Client, demo: dict[str, Any]
) -> None:
    admin = demo["demo-admin"]
    older, newer, newest = ReportingPeriod.objects.order_by("start_date")[:3]
    _committee(older, ReportStatus.DONE, admin)
    done = _committee(newer, ReportStatus.DONE, admin)
    _committee(newest, ReportStatus.FAILED, admin)  # not finished: not offered
    client.force_login(demo["demo-observer"])

    page = client.get("/").content.decode()

    assert f'href="/reports/{done.pk}/"' in page
    assert f"The latest committee report: {done.subject}" in page


def test_a_cso_sees_no_indicators_and_no_committee_report_link(
    client: Client, demo: dict[str, Any]
) -> None:
    period = ReportingPeriod.objects.order_by("start_date").first()
    assert period is not None
    _committee(period, ReportStatus.DONE, demo["demo-admin"])
    client.force_login(demo["demo-cso-a"])

    page = client.get("/").content.decode()

    assert "The latest committee report" not in page
