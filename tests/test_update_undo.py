"""Undoing progress updates and their evidence: withdrawing a draft, removing evidence, the
programme team's redaction of evidence on a locked update; what evidence files are accepted;
and the report form's choices that start blank."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import formats, timezone

from core.history import history_model
from recommendations.choices import UpdateEvent, UpdateState
from recommendations.models import Evidence, ProgressUpdate, Recommendation, UpdateTransition
from reports.choices import ReportKind
from reports.documents import report_html
from reports.models import Report
from stakeholders.models import User
from tests.test_persona_matrix import database_fingerprint

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
REASON = "The attendance list named a participant."


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _draft() -> ProgressUpdate:
    return ProgressUpdate.objects.get(state=UpdateState.DRAFT)  # CSO A, recommendation 7


def _returned() -> ProgressUpdate:
    return ProgressUpdate.objects.get(state=UpdateState.RETURNED)  # CSO B, recommendation 10


def _approved() -> ProgressUpdate:
    # CSO A's, on recommendation 6: approved and locked.
    return ProgressUpdate.objects.get(
        state=UpdateState.APPROVED, institution__code="demo-cso-a", recommendation__number=6
    )


def _with_file(update: ProgressUpdate, title: str = "Attendance sheets") -> Evidence:
    return Evidence.objects.create(
        update=update, title=title, file=SimpleUploadedFile("sheets.pdf", PDF)
    )


def _name(evidence: Evidence) -> str:
    name = evidence.file.name
    assert name
    return name


def _page(client: Client, update: ProgressUpdate) -> str:
    response = client.get(f"/recommendations/updates/{update.pk}/")
    assert response.status_code == 200
    return response.content.decode()


# --- Withdrawing an update ---------------------------------------------------------------------


def test_owner_withdraws_a_draft_and_its_file_goes_once_the_deletion_is_kept(
    demo: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    draft = _draft()
    evidence = _with_file(draft)
    name = _name(evidence)
    client = _client(demo["demo-cso-a"])
    assert f"/recommendations/updates/{draft.pk}/withdraw/" in _page(client, draft)

    confirm = client.get(f"/recommendations/updates/{draft.pk}/withdraw/")
    assert confirm.status_code == 200
    assert "Withdraw this update?" in confirm.content.decode()
    assert "Attendance sheets" in confirm.content.decode()
    assert ProgressUpdate.objects.filter(pk=draft.pk).exists()  # asking changes nothing

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(f"/recommendations/updates/{draft.pk}/withdraw/", follow=True)
        assert default_storage.exists(name)  # kept until the deletion is committed
    for callback in callbacks:
        callback()
    assert response.status_code == 200
    assert "The update was withdrawn." in response.content.decode()
    assert not ProgressUpdate.objects.filter(pk=draft.pk).exists()
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    assert not default_storage.exists(name)
    # The audit trail keeps the update, and who withdrew it.
    deleted = history_model(ProgressUpdate)._default_manager.get(id=draft.pk, history_type="-")
    assert deleted.history_user == demo["demo-cso-a"]


# Each owner's update that has left their hands: the ministry's submitted, CSO A's approved.
LOCKED = {"submitted": ("mspdy", "demo-ministry"), "approved": ("demo-cso-a", "demo-cso-a")}


@pytest.mark.parametrize("state", sorted(LOCKED))
def test_a_submitted_or_approved_update_cannot_be_withdrawn(
    demo: dict[str, User], state: str
) -> None:
    code, owner = LOCKED[state]
    update = ProgressUpdate.objects.filter(state=state, institution__code=code).order_by("pk")[0]
    client = _client(demo[owner])
    assert f"/updates/{update.pk}/withdraw/" not in _page(client, update)
    before = database_fingerprint()
    response = client.post(f"/recommendations/updates/{update.pk}/withdraw/", follow=True)
    assert "Only a draft or returned update can be withdrawn." in response.content.decode()
    assert database_fingerprint() == before


def test_the_programme_team_does_not_withdraw_an_institutions_update(
    demo: dict[str, User],
) -> None:
    draft = _draft()
    client = _client(demo["demo-admin"])
    assert f"/updates/{draft.pk}/withdraw/" not in _page(client, draft)
    before = database_fingerprint()
    assert client.post(f"/recommendations/updates/{draft.pk}/withdraw/").status_code == 403
    assert database_fingerprint() == before


# --- Removing evidence -------------------------------------------------------------------------


def test_owner_removes_evidence_from_a_returned_update_and_its_file_goes(
    demo: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    returned = _returned()
    evidence = _with_file(returned, title="Letters to schools")
    name = _name(evidence)
    client = _client(demo["demo-cso-b"])
    assert f"/recommendations/evidence/{evidence.pk}/remove/" in _page(client, returned)
    confirm = client.get(f"/recommendations/evidence/{evidence.pk}/remove/")
    assert "Remove this evidence?" in confirm.content.decode()
    assert Evidence.objects.filter(pk=evidence.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/recommendations/evidence/{evidence.pk}/remove/")
    assert response.status_code == 302
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    assert not default_storage.exists(name)
    step = returned.transitions.get(event=UpdateEvent.EVIDENCE_REMOVED)
    assert (step.by, step.evidence_title) == (demo["demo-cso-b"], "Letters to schools")
    assert "Evidence “Letters to schools” removed" in _page(client, returned)
    returned.refresh_from_db()
    assert returned.state == UpdateState.RETURNED


def test_an_approved_update_offers_no_removal_and_refuses_it(demo: dict[str, User]) -> None:
    approved = _approved()
    evidence = _with_file(approved)
    client = _client(demo["demo-cso-a"])
    page = _page(client, approved)
    assert "/remove/" not in page and "/withdraw/" not in page
    before = database_fingerprint()
    response = client.post(f"/recommendations/evidence/{evidence.pk}/remove/", follow=True)
    assert "Evidence can only be removed while the update is a draft or returned." in (
        response.content.decode()
    )
    assert database_fingerprint() == before
    assert default_storage.exists(_name(evidence))


def test_the_observer_changes_nothing(demo: dict[str, User]) -> None:
    returned, approved = _returned(), _approved()
    on_returned, on_approved = _with_file(returned), _with_file(approved)
    client = _client(demo["demo-observer"])
    for page in (_page(client, returned), _page(client, approved)):
        assert "/withdraw/" not in page and "/remove/" not in page and "/redact/" not in page
    before = database_fingerprint()
    for url, data in (
        (f"/recommendations/updates/{returned.pk}/withdraw/", {}),
        (f"/recommendations/evidence/{on_returned.pk}/remove/", {}),
        (f"/recommendations/evidence/{on_approved.pk}/redact/", {"reason": REASON}),
    ):
        assert client.get(url).status_code == 403, url
        assert client.post(url, data).status_code == 403, url
    assert database_fingerprint() == before
    assert default_storage.exists(_name(on_returned))
    assert default_storage.exists(_name(on_approved))


# --- Redacting evidence ------------------------------------------------------------------------


def test_the_programme_team_redacts_evidence_of_an_approved_update(
    demo: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    approved = _approved()
    evidence = _with_file(approved)
    name = _name(evidence)
    admin = _client(demo["demo-admin"])
    url = f"/recommendations/evidence/{evidence.pk}/redact/"
    assert url in _page(admin, approved)
    assert "Remove this evidence as the programme team?" in admin.get(url).content.decode()

    # Without a reason: the form's error summary, and nothing changes.
    before = database_fingerprint()
    blank = admin.post(url, {"reason": "  "})
    assert blank.status_code == 200
    assert 'id="form-errors"' in blank.content.decode()
    assert database_fingerprint() == before

    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(url, {"reason": REASON}).status_code == 302
    assert not default_storage.exists(name)
    evidence.refresh_from_db()
    assert evidence.title == "Attendance sheets"
    assert (evidence.file.name, evidence.url) == ("", "")
    assert evidence.redacted_by == demo["demo-admin"]
    assert evidence.redaction_reason == REASON
    approved.refresh_from_db()
    assert approved.state == UpdateState.APPROVED and approved.is_locked
    # The audit trail's earlier versions keep no file name either.
    versions = history_model(Evidence)._default_manager.filter(id=evidence.pk)
    assert versions.count() >= 2
    assert set(versions.values_list("file", flat=True)) == {""}

    assert evidence.redacted_at is not None
    day = formats.date_format(timezone.localtime(evidence.redacted_at), "DATE_FORMAT")
    said = f"Removed by the programme team on {day}: {REASON}"
    for reader in ("demo-cso-a", "demo-observer", "demo-admin"):
        page = _page(_client(demo[reader]), approved)
        assert said in page, reader
        assert f"/evidence/{evidence.pk}/download/" not in page
    # The update's history says it too.
    step = UpdateTransition.objects.get(
        update=approved, event=UpdateEvent.EVIDENCE_REDACTED, evidence_title="Attendance sheets"
    )
    assert (step.comment, step.to_state) == (REASON, UpdateState.APPROVED)
    assert page.count(said) == 2  # in the evidence list and in the history
    # The download answers "not found" for everyone.
    assert admin.get(f"/recommendations/evidence/{evidence.pk}/download/").status_code == 404
    # The recommendation report says it in place of the file.
    report = Report(
        kind=ReportKind.RECOMMENDATION,
        language="en",
        recommendation=Recommendation.objects.get(number=6),
        requested_by=demo["demo-observer"],
    )
    html = report_html(report=report)
    assert said in html
    assert "Attendance sheets" in html and "kept on the platform" not in html
    # It cannot be redacted twice.
    again = admin.post(url, {"reason": "Again"}, follow=True)
    assert "This evidence was already removed." in again.content.decode()


def test_evidence_of_a_submitted_update_is_redacted_and_the_update_stays_in_review(
    demo: dict[str, User], django_capture_on_commit_callbacks: Any
) -> None:
    submitted = ProgressUpdate.objects.filter(state=UpdateState.SUBMITTED).order_by("pk")[0]
    evidence = _with_file(submitted)
    name = _name(evidence)
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(demo["demo-admin"]).post(
            f"/recommendations/evidence/{evidence.pk}/redact/", {"reason": REASON}
        )
    assert response.status_code == 302
    assert not default_storage.exists(name)
    submitted.refresh_from_db()
    assert submitted.state == UpdateState.SUBMITTED
    assert Evidence.objects.get(pk=evidence.pk).redaction_reason == REASON


def test_the_owner_cannot_redact_and_a_draft_is_not_redacted(demo: dict[str, User]) -> None:
    approved, draft = _approved(), _draft()
    on_approved, on_draft = _with_file(approved), _with_file(draft)
    owner, admin = _client(demo["demo-cso-a"]), _client(demo["demo-admin"])
    before = database_fingerprint()
    assert "/redact/" not in _page(owner, approved)
    url = f"/recommendations/evidence/{on_approved.pk}/redact/"
    assert owner.post(url, {"reason": REASON}).status_code == 403
    assert "/redact/" not in _page(admin, draft)
    response = admin.post(
        f"/recommendations/evidence/{on_draft.pk}/redact/", {"reason": REASON}, follow=True
    )
    assert "Only evidence of a submitted or approved update" in response.content.decode()
    assert database_fingerprint() == before


# --- What evidence holds -----------------------------------------------------------------------


def test_evidence_with_a_file_and_a_link_keeps_both(demo: dict[str, User]) -> None:
    draft = _draft()
    client = _client(demo["demo-cso-a"])
    response = client.post(
        f"/recommendations/updates/{draft.pk}/evidence/",
        {
            "title": "Workshop report",
            "file": SimpleUploadedFile("report.pdf", PDF),
            "url": "https://example.org/workshop",
        },
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get(update=draft, title="Workshop report")
    assert evidence.file.name.endswith(".pdf")
    assert evidence.url == "https://example.org/workshop"
    page = _page(client, draft)
    assert f"/recommendations/evidence/{evidence.pk}/download/" in page
    assert 'href="https://example.org/workshop"' in page


def _ole2(*entries: tuple[str, int]) -> bytes:
    """A compound file as old Office versions write it (version 3, 512-byte sectors): the
    header, one FAT sector, one directory sector and a 4096-byte stream for the first entry.
    ``entries`` are (name, type) under the root: 2 a stream, 1 a storage."""
    end, free, fat_sector, no_stream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
    header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
    header += struct.pack("<109I", 0, *([free] * 108))
    assert len(header) == 512
    # Sector 0 the FAT, sector 1 the directory, sectors 2-9 the stream.
    fat = [fat_sector, end, *range(3, 10), end]
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat) + struct.pack("<I", free) * (128 - len(fat))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        return (
            encoded.ljust(64, b"\x00")
            + struct.pack("<HBBIII", len(encoded), kind, 1, no_stream, right, child)
            + bytes(16 + 4 + 8 + 8)
            + struct.pack("<IQ", start, size)
        )

    directory = entry("Root Entry", 5, 1, no_stream, end, 0)
    for i, (name, kind) in enumerate(entries, start=1):
        right = i + 1 if i < len(entries) else no_stream
        if i == 1:
            directory += entry(name, kind, no_stream, right, 2, 4096)
        else:
            directory += entry(name, kind, no_stream, right, end, 0)
    directory = directory.ljust(512, b"\x00")
    return header + fat_bytes + directory + b"\x01" * 4096


OLD_OFFICE = {
    "minutes.doc": _ole2(("WordDocument", 2), ("1Table", 2)),
    "figures.xls": _ole2(("Workbook", 2)),
    "slides.ppt": _ole2(("PowerPoint Document", 2), ("Current User", 2)),
}


@pytest.mark.parametrize("name", sorted(OLD_OFFICE))
def test_old_office_files_are_accepted_as_evidence(demo: dict[str, User], name: str) -> None:
    draft = _draft()
    client = _client(demo["demo-cso-a"])
    response = client.post(
        f"/recommendations/updates/{draft.pk}/evidence/",
        {"title": f"Old format {name}", "file": SimpleUploadedFile(name, OLD_OFFICE[name])},
    )
    assert response.status_code == 302, response.content.decode()
    evidence = Evidence.objects.get(update=draft, title=f"Old format {name}")
    with evidence.file.open("rb") as stored:
        assert stored.read() == OLD_OFFICE[name]


REFUSED = {
    # A program renamed .doc.
    "program.doc": (b"MZ\x90\x00" + bytes(600), "does not match its name"),
    # A spreadsheet renamed .doc: a compound file, but not a Word document.
    "renamed.doc": (OLD_OFFICE["figures.xls"], "does not match its name"),
    # An installer package (also a compound file) renamed .xls.
    "setup.xls": (_ole2(("\u4840\u3b3f\u4577\u41e4", 2)), "does not match its name"),
    # A Word document with macros, and a workbook with its VBA project.
    "macros.doc": (_ole2(("WordDocument", 2), ("Macros", 1)), "macros are not accepted"),
    "macros.xls": (_ole2(("Workbook", 2), ("_VBA_PROJECT_CUR", 1)), "macros are not accepted"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_disguised_and_macro_office_files_are_refused(demo: dict[str, User], name: str) -> None:
    content, message = REFUSED[name]
    draft = _draft()
    client = _client(demo["demo-cso-a"])
    before = Evidence.objects.count()
    response = client.post(
        f"/recommendations/updates/{draft.pk}/evidence/",
        {"title": "Disguised", "file": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Evidence.objects.count() == before


# --- Choices that start blank ------------------------------------------------------------------


def test_the_report_form_starts_with_no_period_or_status_chosen(demo: dict[str, User]) -> None:
    rec = Recommendation.objects.get(number=10)
    client = _client(demo["demo-cso-b"])
    form = client.get(f"/recommendations/{rec.pk}/report/").context["form"]
    status = form["status"].as_widget()
    period = form["period"].as_widget()
    assert '<option value="" selected>' in status
    assert '<option value="" selected>' in period
    assert "selected" not in status.split('<option value="" selected>')[1]
    assert "selected" not in period.split('<option value="" selected>')[1]

    before = ProgressUpdate.objects.count()
    response = client.post(
        f"/recommendations/{rec.pk}/report/",
        {
            "institution": form.fields["institution"].queryset.get().pk,
            "period": "",
            "status": "",
            "narrative": "Schools were visited.",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="form-errors"' in page
    assert 'href="#id_period"' in page and 'href="#id_status"' in page
    assert ProgressUpdate.objects.count() == before


def test_the_programme_team_chooses_the_institution_it_reports_for(
    demo: dict[str, User],
) -> None:
    """The programme team may report for every institution assigned; none is chosen for it."""
    rec = Recommendation.objects.get(number=10)
    client = _client(demo["demo-admin"])
    form = client.get(f"/recommendations/{rec.pk}/report/").context["form"]
    assert form.fields["institution"].queryset.count() > 1
    assert '<option value="" selected>' in form["institution"].as_widget()
