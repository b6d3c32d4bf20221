"""The report's page says what happened, from the report's status alone: where jobs run in the
request (no queue), a report done before its page shows is not called "queued"."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from programme.models import Meeting
from reports.choices import ReportKind, ReportStatus
from reports.models import Report
from reports.services import report_request

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_without_a_queue_the_page_says_the_report_is_ready_and_nothing_about_a_queue(
    demo, django_capture_on_commit_callbacks
) -> None:
    client = _client(demo["demo-admin"])
    meeting = Meeting.objects.get(number=3)
    # The job runs as the request's transaction commits, as in the embedded mode.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reports:report_request"),
            {"kind": "meeting", "meeting": meeting.pk, "language": "en"},
        )
    report = Report.objects.get()
    assert report.status == ReportStatus.DONE
    page = client.get(response["Location"]).content.decode()
    assert "The report is ready to download." in page
    assert "Done" in page
    assert "queued" not in page.lower()
    assert reverse("reports:report_download", args=[report.pk]) in page


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (ReportStatus.QUEUED, "The report is queued and will be generated shortly."),
        (ReportStatus.RUNNING, "The report is being generated."),
        (ReportStatus.FAILED, "The report could not be generated. The reason is given below."),
    ],
)
def test_the_page_says_how_the_report_stands(demo, status, says) -> None:
    report = report_request(
        by=demo["demo-admin"],
        kind=ReportKind.MEETING,
        language="en",
        meeting=Meeting.objects.get(number=3),
    )
    Report.objects.filter(pk=report.pk).update(status=status, failure_reason="Stopped.")
    page = _client(demo["demo-admin"]).get(report.get_absolute_url()).content.decode()
    assert says in page
    others = {
        "The report is ready to download.",
        "The report is queued and will be generated shortly.",
        "The report is being generated.",
        "The report could not be generated. The reason is given below.",
    } - {says}
    assert not [other for other in others if other in page]
