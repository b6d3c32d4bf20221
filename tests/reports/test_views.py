"""The reports page: who may ask for what, whose generations they open, and the download."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from programme.models import Meeting, ReportingPeriod
from reports.choices import ReportKind, ReportStatus
from reports.models import Report
from reports.services import REQUEUE_AFTER, report_request
from stakeholders.models import User
from tests.reports.conftest import stored_pdf
from trainings.models import Topic, Training
from trainings.services import training_create

pytestmark = pytest.mark.django_db

URLS = ["reports:report_list", "reports:report_request"]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _period() -> ReportingPeriod:
    return ReportingPeriod.objects.get(name="2025 H1")


def _cso_b_training(demo) -> Training:
    from programme.models import Action
    from stakeholders.models import Institution

    return training_create(
        by=demo["demo-cso-b"],
        action=Action.objects.get(),
        title="Peer educators on safe online job searching",
        organiser=Institution.objects.get(code="demo-cso-b"),
        topics=[Topic.objects.order_by("pk")[0]],
    )


def test_anonymous_visitors_are_sent_to_log_in(demo) -> None:
    report = report_request(
        by=demo["demo-admin"],
        kind=ReportKind.MEETING,
        language="en",
        meeting=Meeting.objects.get(number=3),
    )
    for url in [
        reverse("reports:report_list"),
        reverse("reports:report_request") + "?kind=meeting",
        reverse("reports:report_detail", args=[report.pk]),
        reverse("reports:report_download", args=[report.pk]),
    ]:
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(
    ("username", "allowed"),
    [
        ("demo-admin", True),
        ("demo-observer", True),
        ("demo-ministry", False),
        ("demo-cso-a", False),
    ],
)
def test_only_the_programme_team_and_observers_ask_for_the_committee_report(
    demo, django_capture_on_commit_callbacks, username, allowed
) -> None:
    client = _client(demo[username])
    form = client.get(reverse("reports:report_request") + "?kind=committee")
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            reverse("reports:report_request"),
            {"kind": "committee", "period": _period().pk, "language": "mk"},
        )
    if allowed:
        assert form.status_code == 200
        report = Report.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("reports:report_detail", args=[report.pk])
        assert (report.kind, report.language, report.period) == ("committee", "mk", _period())
        assert report.requested_by == demo[username]
        assert report.status == ReportStatus.QUEUED
    else:
        assert form.status_code == 403
        assert response.status_code == 403
        assert not Report.objects.exists()
    list_page = client.get(reverse("reports:report_list")).content.decode()
    assert ("?kind=committee" in list_page) is allowed


def test_a_training_report_is_only_for_those_who_may_see_the_training(demo) -> None:
    training = _cso_b_training(demo)
    data: dict[str, str | int] = {"kind": "training", "training": training.pk, "language": "en"}
    url = reverse("reports:report_request")
    assert _client(demo["demo-cso-a"]).post(url, data).status_code == 404
    assert (
        _client(demo["demo-cso-a"])
        .get(url, {"kind": "training", "training": str(training.pk)})
        .status_code
        == 404
    )
    assert _client(demo["demo-cso-b"]).post(url, data).status_code == 302
    assert Report.objects.get().training == training


def test_an_unknown_kind_is_not_found_and_a_missing_subject_is_a_form_error(demo) -> None:
    client = _client(demo["demo-admin"])
    url = reverse("reports:report_request")
    assert client.get(url, {"kind": "everything"}).status_code == 404
    response = client.post(url, {"kind": "committee", "language": "en"})
    assert response.status_code == 200
    assert "period" in response.context["form"].errors
    assert not Report.objects.exists()


def test_others_generations_are_not_found(demo, generate) -> None:
    rec_report = generate(by=demo["demo-cso-a"], kind=ReportKind.RECOMMENDATION, language="en")
    committee = generate(
        by=demo["demo-admin"], kind=ReportKind.COMMITTEE, language="en", period=_period()
    )
    meeting = generate(
        by=demo["demo-ministry"],
        kind=ReportKind.MEETING,
        language="en",
        meeting=Meeting.objects.get(number=4),
    )
    expect = {
        # requester and the programme team open a recommendation report; no one else
        (rec_report.pk, "demo-cso-a"): 200,
        (rec_report.pk, "demo-admin"): 200,
        (rec_report.pk, "demo-cso-b"): 404,
        (rec_report.pk, "demo-observer"): 404,
        # the committee report: the programme team and observers only
        (committee.pk, "demo-observer"): 200,
        (committee.pk, "demo-ministry"): 404,
        # a meeting record: everyone signed in
        (meeting.pk, "demo-cso-b"): 200,
        (meeting.pk, "demo-observer"): 200,
    }
    for (pk, username), status in expect.items():
        client = _client(demo[username])
        for name in ("reports:report_detail", "reports:report_download"):
            response = client.get(reverse(name, args=[pk]))
            assert response.status_code == status, (name, pk, username)


def test_download_is_an_attachment_with_a_safe_name_and_the_frozen_bytes(demo, generate) -> None:
    report = generate(
        by=demo["demo-observer"],
        kind=ReportKind.COMMITTEE,
        language="sq",
        pdfa=True,
        period=_period(),
    )
    response = _client(demo["demo-observer"]).get(
        reverse("reports:report_download", args=[report.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="committee-2025-h1-sq-v1-pdfa.pdf"'
    )
    assert re.fullmatch(r'attachment; filename="[a-z0-9-]+\.pdf"', response["Content-Disposition"])
    assert response.content == stored_pdf(report)
    assert response["ETag"] == f'"{report.sha256}"'
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_a_file_changed_after_it_was_made_is_not_served(demo, generate) -> None:
    report = generate(
        by=demo["demo-admin"],
        kind=ReportKind.MEETING,
        language="en",
        meeting=Meeting.objects.get(number=3),
    )
    with open(report.file.path, "ab") as handle:
        handle.write(b"%% tampered")
    response = _client(demo["demo-admin"]).get(reverse("reports:report_download", args=[report.pk]))
    assert response.status_code == 404


def test_a_report_still_queued_has_no_download(demo) -> None:
    report = report_request(
        by=demo["demo-admin"],
        kind=ReportKind.MEETING,
        language="en",
        meeting=Meeting.objects.get(number=3),
    )
    client = _client(demo["demo-admin"])
    assert client.get(reverse("reports:report_download", args=[report.pk])).status_code == 404
    page = client.get(reverse("reports:report_detail", args=[report.pk])).content.decode()
    assert "Queued" in page
    assert "taking longer than usual" not in page


def test_a_report_waiting_long_says_so_and_that_nothing_is_lost(demo) -> None:
    report = report_request(
        by=demo["demo-cso-a"],
        kind=ReportKind.MEETING,
        language="mk",
        meeting=Meeting.objects.get(number=3),
    )
    Report.objects.filter(pk=report.pk).update(
        updated_at=timezone.now() - REQUEUE_AFTER - timedelta(seconds=1)
    )
    reader = demo["demo-cso-a"]
    reader.preferred_language = "mk"
    reader.save()
    response = _client(reader).get(reverse("reports:report_detail", args=[report.pk]))
    page = response.content.decode()
    assert "Ова трае подолго од вообичаено" in page
    assert "нема потреба да го барате повторно" in page


def test_the_list_shows_each_job_with_its_status_and_reason(demo, generate, settings) -> None:
    done = generate(
        by=demo["demo-observer"],
        kind=ReportKind.MEETING,
        language="en",
        meeting=Meeting.objects.get(number=3),
    )
    settings.REPORT_RENDER_TIMEOUT = 0.2
    failed = generate(
        by=demo["demo-observer"], kind=ReportKind.COMMITTEE, language="en", period=_period()
    )
    client = _client(demo["demo-observer"])
    page = client.get(reverse("reports:report_list")).content.decode()
    assert reverse("reports:report_download", args=[done.pk]) in page
    assert reverse("reports:report_download", args=[failed.pk]) not in page
    assert "Failed" in page and "took longer than 0.2 seconds" in page
    # Another user's meeting record shows under "all", not under "yours".
    other = _client(demo["demo-cso-a"])
    assert (
        reverse("reports:report_detail", args=[done.pk])
        not in other.get(reverse("reports:report_list")).content.decode()
    )
    assert (
        reverse("reports:report_detail", args=[done.pk])
        in other.get(reverse("reports:report_list") + "?show=all").content.decode()
    )


def test_report_files_have_no_public_address(demo, generate) -> None:
    report = generate(
        by=demo["demo-admin"],
        kind=ReportKind.MEETING,
        language="en",
        meeting=Meeting.objects.get(number=3),
    )
    from django.conf import settings

    client = _client(demo["demo-admin"])
    assert client.get(f"{settings.MEDIA_URL}{report.file.name}").status_code == 404
    assert client.get(f"/media/{report.file.name}").status_code == 404


def test_the_admin_lists_generations_read_only_with_their_download(
    demo, generate, admin_client
) -> None:
    report = generate(
        by=demo["demo-admin"],
        kind=ReportKind.MEETING,
        language="en",
        meeting=Meeting.objects.get(number=3),
    )
    page = admin_client.get(reverse("admin:reports_report_changelist")).content.decode()
    assert reverse("reports:report_download", args=[report.pk]) in page
    change = admin_client.post(
        reverse("admin:reports_report_change", args=[report.pk]), {"status": "failed"}
    )
    assert change.status_code == 403
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE


def _row(page: str, report: Report) -> str:
    """The list row (<tr>…</tr>) that links to the report's page."""
    at = page.index(reverse("reports:report_detail", args=[report.pk]))
    return page[page.rindex("<tr>", 0, at) : page.index("</tr>", at)]


@pytest.mark.parametrize(
    ("language", "reports_word", "draft_word"),
    [
        ("en", "Your reports", "Draft"),
        ("mk", "Вашите извештаи", "Нацрт"),
        ("sq", "Raportet tuaja", "Draft"),
    ],
)
def test_a_draft_copy_is_labelled_draft_in_words_on_the_list_and_its_page(
    demo, language, reports_word, draft_word
) -> None:
    team = demo["demo-admin"]
    User.objects.filter(pk=team.pk).update(preferred_language=language)
    period = _period()
    draft = report_request(
        by=team, kind=ReportKind.COMMITTEE, language="en", period=period, draft=True
    )
    final = report_request(by=team, kind=ReportKind.COMMITTEE, language="en", period=period)
    assert (draft.is_draft, final.is_draft) == (True, False)
    client = _client(team)
    badge = f'<span class="badge">{draft_word}</span>'

    page = client.get(reverse("reports:report_list")).content.decode()
    assert f'<html lang="{language}"' in page and reports_word in page
    assert badge in _row(page, draft)
    assert badge not in _row(page, final)

    draft_page = client.get(reverse("reports:report_detail", args=[draft.pk])).content.decode()
    final_page = client.get(reverse("reports:report_detail", args=[final.pk])).content.decode()
    heading = re.search(r"<h1>(.*?)</h1>", draft_page, re.S)
    assert heading is not None and badge in heading.group(1)
    assert badge not in final_page
