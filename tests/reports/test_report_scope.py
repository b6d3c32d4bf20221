"""A recommendation report is opened only by those who may still see what it holds, and its
number and file name tell nothing of anyone else's reports."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from programme.models import ReportingPeriod
from recommendations.choices import ImplementationStatus
from recommendations.models import Recommendation
from recommendations.services import progress_update_create
from reports.choices import ReportKind
from reports.models import Report
from stakeholders.models import Institution, Membership
from stakeholders.services import membership_remove, membership_set
from tests.reports.conftest import pdf_text, stored_pdf

pytestmark = pytest.mark.django_db

DRAFT = "A draft only Demo CSO B's members may read"


def _status(user, report: Report) -> tuple[int, int]:
    client = Client()
    client.force_login(user)
    return (
        client.get(reverse("reports:report_detail", args=[report.pk])).status_code,
        client.get(reverse("reports:report_download", args=[report.pk])).status_code,
    )


def _cso_b_report(demo, generate) -> Report:
    recommendation = Recommendation.objects.get(number=10)
    progress_update_create(
        recommendation=recommendation,
        institution=Institution.objects.get(code="demo-cso-b"),
        period=ReportingPeriod.objects.order_by("-start_date")[0],
        status=ImplementationStatus.IN_PROGRESS,
        narrative=DRAFT,
        by=demo["demo-cso-b"],
    )
    report = generate(
        by=demo["demo-cso-b"],
        kind=ReportKind.RECOMMENDATION,
        language="en",
        recommendation=recommendation,
    )
    assert DRAFT in pdf_text(stored_pdf(report))  # it does hold the institution's draft
    return report


def test_a_member_removed_from_the_institution_no_longer_opens_its_drafts_report(
    demo, generate
) -> None:
    report = _cso_b_report(demo, generate)
    requester = demo["demo-cso-b"]
    assert _status(requester, report) == (200, 200)
    membership = Membership.objects.get(user=requester, institution__code="demo-cso-b")
    membership_remove(membership=membership)
    requester.refresh_from_db()
    assert _status(requester, report) == (404, 404)
    assert _status(demo["demo-admin"], report) == (200, 200)  # the programme team still does


def test_a_requester_who_stays_a_member_keeps_opening_it_whatever_else_changes(
    demo, generate
) -> None:
    report = _cso_b_report(demo, generate)
    requester = demo["demo-cso-b"]
    membership_set(
        user=requester, institution=Institution.objects.get(code="demo-cso-a"), role="viewer"
    )
    assert _status(requester, report) == (200, 200)


def test_an_observer_who_no_longer_observes_no_longer_opens_an_observers_report(
    demo, generate
) -> None:
    observer = demo["demo-observer"]
    report = generate(by=observer, kind=ReportKind.RECOMMENDATION, language="en")
    assert report.parameters["scope"]["observer"] is True
    assert _status(observer, report) == (200, 200)
    for membership in Membership.objects.filter(user=observer):
        membership_remove(membership=membership)
    observer.refresh_from_db()
    assert _status(observer, report) == (404, 404)


def test_a_report_without_a_recorded_scope_opens_to_the_programme_team_only(demo, generate) -> None:
    report = _cso_b_report(demo, generate)
    Report.objects.filter(pk=report.pk).update(parameters={"subject": report.subject})
    assert _status(demo["demo-cso-b"], report) == (404, 404)
    assert _status(demo["demo-admin"], report) == (200, 200)


def test_version_numbers_and_file_names_count_only_the_requesters_own_reports(
    demo, generate
) -> None:
    """CSO B's first report of the kind is its version 1, whatever CSO A asked for before."""
    first_a = generate(by=demo["demo-cso-a"], kind=ReportKind.RECOMMENDATION, language="en")
    second_a = generate(by=demo["demo-cso-a"], kind=ReportKind.RECOMMENDATION, language="en")
    first_b = generate(by=demo["demo-cso-b"], kind=ReportKind.RECOMMENDATION, language="en")
    assert (first_a.version, second_a.version, first_b.version) == (1, 2, 1)
    assert first_b.download_name == "recommendation-all-en-v1.pdf"
    client = Client()
    client.force_login(demo["demo-cso-b"])
    response = client.get(reverse("reports:report_download", args=[first_b.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="recommendation-all-en-v1.pdf"'
    assert "version 1" in pdf_text(response.getvalue()).lower()
