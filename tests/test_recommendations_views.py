from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programme.models import Action, ReportingPeriod
from recommendations.choices import UpdateState
from recommendations.models import Evidence, ProgressUpdate, Recommendation, UpdateComment
from stakeholders.models import Institution, User

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _login(client, user: User):
    client.force_login(user)
    return client


def _draft() -> ProgressUpdate:
    return ProgressUpdate.objects.get(state=UpdateState.DRAFT)  # CSO A, recommendation 7


def test_anonymous_is_sent_to_login(client, demo) -> None:
    rec = Recommendation.objects.get(number=1)
    for url in (
        "/recommendations/",
        f"/recommendations/{rec.pk}/",
        f"/recommendations/{rec.pk}/report/",
        f"/recommendations/updates/{_draft().pk}/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "username", ["demo-admin", "demo-observer", "demo-ministry", "demo-cso-a", "demo-cso-b"]
)
def test_every_persona_reads_the_list_and_the_detail(client, demo, username) -> None:
    _login(client, demo[username])
    assert client.get("/recommendations/").status_code == 200
    rec = Recommendation.objects.get(number=6)
    response = client.get(f"/recommendations/{rec.pk}/")
    assert response.status_code == 200
    assert rec.text_en.encode() in response.content
    # Side by side: both demo CSOs are invited to recommendation 6.
    assert b"Demo CSO A" in response.content and b"Demo CSO B" in response.content


def test_detail_hides_other_institutions_drafts(client, demo) -> None:
    draft = _draft()
    _login(client, demo["demo-cso-b"])
    response = client.get(f"/recommendations/{draft.recommendation_id}/")
    assert draft.narrative.encode() not in response.content
    assert client.get(f"/recommendations/updates/{draft.pk}/").status_code == 404
    _login(client, demo["demo-cso-a"])
    assert client.get(f"/recommendations/updates/{draft.pk}/").status_code == 200


def test_cso_drafts_an_update_for_an_assigned_recommendation(client, demo) -> None:
    rec = Recommendation.objects.get(number=14)
    period = ReportingPeriod.objects.get(name="2025 H2")
    cso_a = Institution.objects.get(code="demo-cso-a")
    _login(client, demo["demo-cso-a"])
    response = client.post(
        f"/recommendations/{rec.pk}/report/",
        {
            "institution": cso_a.pk,
            "period": period.pk,
            "status": "planned",
            "narrative": "Schools agreed.",
        },
    )
    update = ProgressUpdate.objects.get(recommendation=rec, institution=cso_a, period=period)
    assert response.status_code == 302 and response["Location"].endswith(f"/updates/{update.pk}/")
    assert update.state == UpdateState.DRAFT and update.created_by == demo["demo-cso-a"]


def test_tampered_institution_is_rejected(client, demo) -> None:
    rec = Recommendation.objects.get(number=14)
    before = ProgressUpdate.objects.count()
    _login(client, demo["demo-cso-a"])
    response = client.post(
        f"/recommendations/{rec.pk}/report/",
        {
            "institution": Institution.objects.get(code="demo-cso-b").pk,
            "period": ReportingPeriod.objects.get(name="2025 H2").pk,
            "status": "planned",
            "narrative": "x",
        },
    )
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert ProgressUpdate.objects.count() == before


@pytest.mark.parametrize("username", ["demo-observer", "demo-cso-b"])
def test_unassigned_or_read_only_users_cannot_report(client, demo, username) -> None:
    rec = Recommendation.objects.get(number=7)  # CSO A only
    before = ProgressUpdate.objects.count()
    _login(client, demo[username])
    assert client.get(f"/recommendations/{rec.pk}/report/").status_code == 403
    assert client.post(f"/recommendations/{rec.pk}/report/", {"narrative": "x"}).status_code == 403
    assert ProgressUpdate.objects.count() == before


def test_empty_narrative_is_refused_on_the_page(client, demo) -> None:
    rec = Recommendation.objects.get(number=14)
    _login(client, demo["demo-cso-a"])
    response = client.post(
        f"/recommendations/{rec.pk}/report/",
        {
            "institution": Institution.objects.get(code="demo-cso-a").pk,
            "period": ReportingPeriod.objects.get(name="2025 H2").pk,
            "status": "planned",
            "narrative": "   ",
        },
    )
    assert response.status_code == 200
    assert b"This field is required" in response.content


def test_stale_edit_is_refused_and_the_typed_text_kept(client, demo) -> None:
    draft = _draft()
    _login(client, demo["demo-cso-a"])
    page = client.get(f"/recommendations/updates/{draft.pk}/edit/")
    seen = page.context["form"].initial["seen_at"]
    first = client.post(
        f"/recommendations/updates/{draft.pk}/edit/",
        {"status": "in_progress", "narrative": "First save", "seen_at": seen.isoformat()},
    )
    assert first.status_code == 302
    second = client.post(
        f"/recommendations/updates/{draft.pk}/edit/",
        {"status": "in_progress", "narrative": "Second tab", "seen_at": seen.isoformat()},
    )
    assert second.status_code == 200
    assert b"Someone else changed this update" in second.content
    assert b"Second tab" in second.content
    draft.refresh_from_db()
    assert draft.narrative == "First save"


def test_submit_return_revise_approve_lock(client, demo) -> None:
    draft = _draft()
    cso, admin, observer = demo["demo-cso-a"], demo["demo-admin"], demo["demo-observer"]
    _login(client, cso)
    assert client.post(f"/recommendations/updates/{draft.pk}/submit/").status_code == 302
    again = client.post(f"/recommendations/updates/{draft.pk}/submit/", follow=True)
    assert b"Only a draft or returned update can be submitted" in again.content

    _login(client, observer)
    assert (
        client.post(
            f"/recommendations/updates/{draft.pk}/review/", {"decision": "approve"}
        ).status_code
        == 403
    )
    _login(client, cso)
    assert (
        client.post(
            f"/recommendations/updates/{draft.pk}/review/", {"decision": "approve"}
        ).status_code
        == 403
    )

    _login(client, admin)
    no_comment = client.post(
        f"/recommendations/updates/{draft.pk}/review/", {"decision": "return"}, follow=True
    )
    assert b"Say what needs to change" in no_comment.content
    client.post(
        f"/recommendations/updates/{draft.pk}/review/",
        {"decision": "return", "comment": "Name the schools."},
    )
    draft.refresh_from_db()
    assert draft.state == UpdateState.RETURNED

    _login(client, cso)
    page = client.get(f"/recommendations/updates/{draft.pk}/edit/")
    assert b"Name the schools." in page.content
    client.post(
        f"/recommendations/updates/{draft.pk}/edit/",
        {
            "status": "in_progress",
            "narrative": "Two schools in Tetovo.",
            "seen_at": page.context["form"].initial["seen_at"].isoformat(),
        },
    )
    client.post(f"/recommendations/updates/{draft.pk}/submit/")
    _login(client, admin)
    client.post(f"/recommendations/updates/{draft.pk}/review/", {"decision": "approve"})
    draft.refresh_from_db()
    assert draft.state == UpdateState.APPROVED

    _login(client, cso)
    assert client.get(f"/recommendations/updates/{draft.pk}/edit/", follow=True).status_code == 200
    client.post(
        f"/recommendations/updates/{draft.pk}/edit/",
        {"status": "implemented", "narrative": "changed", "seen_at": draft.updated_at.isoformat()},
    )
    draft.refresh_from_db()
    assert draft.narrative == "Two schools in Tetovo."

    _login(client, observer)
    detail = client.get(f"/recommendations/{draft.recommendation_id}/")
    assert b"Two schools in Tetovo." in detail.content


def test_observer_comments_but_other_cso_cannot(client, demo) -> None:
    approved = ProgressUpdate.objects.filter(
        state=UpdateState.APPROVED, institution__code="demo-cso-a"
    ).get()
    _login(client, demo["demo-observer"])
    client.post(f"/recommendations/updates/{approved.pk}/comment/", {"text": "Well done."})
    assert UpdateComment.objects.filter(update=approved, text="Well done.").exists()
    _login(client, demo["demo-cso-b"])
    response = client.post(f"/recommendations/updates/{approved.pk}/comment/", {"text": "x"})
    assert response.status_code == 403
    assert UpdateComment.objects.filter(update=approved).count() == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.exe", b"MZ\x90\x00", b"are not accepted"),
        ("report.pdf", b"PK\x03\x04 not a pdf", b"does not match its name"),
        ("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024 + 1), b"the limit is 10 MB"),
    ],
)
def test_refused_evidence_files_get_a_clear_message(client, demo, name, content, message) -> None:
    draft = _draft()
    before = Evidence.objects.filter(update=draft).count()
    _login(client, demo["demo-cso-a"])
    response = client.post(
        f"/recommendations/updates/{draft.pk}/evidence/",
        {"title": "Report", "file": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 200
    assert message in response.content
    assert Evidence.objects.filter(update=draft).count() == before


def test_evidence_file_is_downloaded_through_the_permission_gate(
    client, demo, settings, tmp_path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    draft = _draft()
    _login(client, demo["demo-cso-a"])
    response = client.post(
        f"/recommendations/updates/{draft.pk}/evidence/",
        {"title": "Workshop report", "file": SimpleUploadedFile("r.pdf", PDF)},
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get(update=draft, title="Workshop report")
    download = client.get(f"/recommendations/evidence/{evidence.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="workshop-report.pdf"'
    assert b"".join(download.streaming_content) == PDF
    _login(client, demo["demo-cso-b"])
    assert client.get(f"/recommendations/evidence/{evidence.pk}/download/").status_code == 404


def test_list_and_detail_query_counts_do_not_grow_with_rows(client, demo) -> None:
    rec = Recommendation.objects.get(number=6)
    cso_a = Institution.objects.get(code="demo-cso-a")
    _login(client, demo["demo-admin"])

    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as listing:
            assert client.get("/recommendations/").status_code == 200
        with CaptureQueriesContext(connection) as detail:
            assert client.get(f"/recommendations/{rec.pk}/").status_code == 200
        return len(listing), len(detail)

    def add_updates(n: int) -> None:
        action = Action.objects.get()
        for i in range(n):
            period = ReportingPeriod.objects.create(
                action=action,
                name=f"extra {ProgressUpdate.objects.count()}-{i}",
                start_date=date(2030, 1, 1),
                end_date=date(2030, 6, 30),
                due_date=date(2030, 7, 15),
            )
            ProgressUpdate.objects.create(
                recommendation=rec,
                institution=cso_a,
                period=period,
                status="planned",
                narrative="n",
                state=UpdateState.APPROVED,
            )

    add_updates(10)
    counts()  # the first request fills per-process caches (content types)
    small = counts()
    add_updates(190)
    assert counts() == small


def test_update_detail_queries_do_not_grow_with_comments_evidence_and_history(client, demo) -> None:
    draft = _draft()
    cso = demo["demo-cso-a"]
    _login(client, cso)

    def count() -> int:
        with CaptureQueriesContext(connection) as page:
            assert client.get(f"/recommendations/updates/{draft.pk}/").status_code == 200
        return len(page)

    def add(n: int) -> None:
        for i in range(n):
            UpdateComment.objects.create(update=draft, author=cso, text=f"Comment {i}")
            Evidence.objects.create(update=draft, title=f"Link {i}", url="https://example.org/")

    add(10)
    count()  # the first request fills per-process caches
    small = count()
    add(190)
    assert count() == small


def test_the_text_says_whether_it_is_a_translation_and_whether_it_is_official(client, demo) -> None:
    rec = Recommendation.objects.get(number=3)
    # Not yet translated: the page falls back to the English original.
    Recommendation.objects.filter(pk=rec.pk).update(text_mk="", text_sq="")
    rec.refresh_from_db()
    _login(client, demo["demo-observer"])

    def page(language: str) -> str:
        client.cookies["django_language"] = language
        return client.get(f"/recommendations/{rec.pk}/").content.decode()

    assert "Unofficial translation" not in page("en")
    missing = page("mk")
    assert 'lang="en">' + rec.text_en[:40] in missing
    # Said once, in the reader's language (the status under the text, no second note).
    assert missing.count("text-missing") == 1
    assert '<p class="note">' not in missing
    rec.text_mk = "Македонски превод на препораката."
    rec.save()
    assert "Македонски превод на препораката." in page("mk")
    assert rec.text_status("mk") == "unofficial"
    rec.text_mk_official = True
    rec.save()
    assert rec.text_status("mk") == "official"
    assert rec.text_status("sq") == "missing"
