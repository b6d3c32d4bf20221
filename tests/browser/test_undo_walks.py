"""Undoing, walked in Chromium. A CSO removes evidence from a draft and withdraws the draft (the
file leaves storage, the history keeps it) and finds neither offered on an approved update. The
ministry sends a training form twice with the Back button and is asked first, is told why a
future training cannot be marked held, finds people in the register in either script, and
merges two records of one person."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.history import history_model
from loaders.demo import DEMO_PASSWORD, demo_load
from loaders.seeding import seed_load
from programme.models import Action
from recommendations.choices import UpdateEvent, UpdateState
from recommendations.models import Evidence, ProgressUpdate, Recommendation
from stakeholders.choices import Sex
from stakeholders.models import Institution, User
from tests.browser.conftest import log_in, screenshot
from tests.test_persona_matrix import database_fingerprint
from trainings.choices import TrainingStatus
from trainings.models import Attendance, Participant, Training

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TITLE = "Identifying victims of labour exploitation: inspectors in Kumanovo"
MSPDY_HELD = "Recognising and referring child victims of trafficking"  # 2024, MSPDY's
MSPDY_UPCOMING = "Free legal aid for trafficking victims: regional follow-up"  # MSPDY's, planned


def _demo() -> None:
    seed_load()
    demo_load(action=Action.objects.get())


def _stored(settings: Any, evidence: Evidence) -> Path:
    """Where the evidence's file lies under MEDIA_ROOT."""
    name = evidence.file.name
    assert name
    return Path(settings.MEDIA_ROOT) / name


def _main_text(page: Any) -> str:
    return str(page.locator("main").inner_text())


# --- A CSO undoes its own draft ----------------------------------------------------------------


def test_cso_removes_evidence_withdraws_a_draft_and_cannot_on_an_approved_update(
    page: Any, live_server: Any, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    _demo()
    cso_a = User.objects.get(username="demo-cso-a")
    rec = Recommendation.objects.get(number=14)
    upload = tmp_path / "forum-report.pdf"
    upload.write_bytes(PDF)

    # A draft with an evidence file, through the forms.
    log_in(page, live_server, "demo-cso-a", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/recommendations/{rec.pk}/")
    page.get_by_role("link", name="Report progress").first.click()
    page.get_by_label("Reporting period").select_option(label="2025 H2")
    page.get_by_label("Implementation status").select_option("in_progress")
    page.get_by_label("What was done").fill("A school forum was held in Kumanovo.")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_text("Draft saved").wait_for()
    page.get_by_role("link", name="Add evidence").click()
    page.get_by_label("Title").fill("Forum report")
    page.get_by_label("File").set_input_files(str(upload))
    page.get_by_role("button", name="Add").click()
    page.get_by_text("Evidence added.").wait_for()

    draft = ProgressUpdate.objects.get(recommendation=rec, institution__code="demo-cso-a")
    assert draft.state == UpdateState.DRAFT
    evidence = Evidence.objects.get(update=draft, title="Forum report")
    stored = _stored(settings, evidence)
    assert stored.is_file()

    # Remove the evidence: a confirmation first, which changes nothing.
    page.get_by_role("link", name="Remove Forum report").click()
    page.get_by_role("heading", name="Remove this evidence?").wait_for()
    assert "Forum report" in _main_text(page)
    screenshot(page, "undo-evidence-remove-confirm")
    assert Evidence.objects.filter(pk=evidence.pk).exists() and stored.is_file()
    page.get_by_role("button", name="Remove").click()
    page.get_by_text("Evidence removed.").wait_for()
    assert not Evidence.objects.filter(pk=evidence.pk).exists()
    assert not stored.exists()
    assert page.get_by_role("link", name="Forum report").count() == 0
    history = page.locator("ol.history").first
    assert "Evidence “Forum report” removed" in str(history.inner_text())
    step = draft.transitions.get(event=UpdateEvent.EVIDENCE_REMOVED)
    assert (step.by, step.evidence_title) == (cso_a, "Forum report")
    screenshot(page, "undo-evidence-removed")

    # Withdraw the draft, after being told what goes with it.
    page.get_by_role("link", name="Withdraw this update").click()
    page.get_by_role("heading", name="Withdraw this update?").wait_for()
    assert ProgressUpdate.objects.filter(pk=draft.pk).exists()
    screenshot(page, "undo-withdraw-confirm")
    page.get_by_role("button", name="Withdraw").click()
    page.get_by_text("The update was withdrawn.").wait_for()
    assert page.url == f"{live_server.url}/recommendations/{rec.pk}/"
    assert not ProgressUpdate.objects.filter(pk=draft.pk).exists()
    assert "A school forum was held in Kumanovo." not in _main_text(page)
    gone = history_model(ProgressUpdate)._default_manager.get(id=draft.pk, history_type="-")
    assert gone.history_user == cso_a

    # An approved update of the same CSO offers neither, and refuses both.
    approved = ProgressUpdate.objects.get(
        state=UpdateState.APPROVED, institution__code="demo-cso-a", recommendation__number=6
    )
    kept = Evidence.objects.create(
        update=approved, title="Signed minutes", file=SimpleUploadedFile("minutes.pdf", PDF)
    )
    kept_file = _stored(settings, kept)
    update_path = f"/recommendations/updates/{approved.pk}/"
    update_url = f"{live_server.url}{update_path}"
    withdraw_url = f"/recommendations/updates/{approved.pk}/withdraw/"
    remove_url = f"/recommendations/evidence/{kept.pk}/remove/"
    page.goto(update_url)
    page.get_by_role("link", name="Signed minutes").wait_for()
    assert page.get_by_role("link", name="Withdraw this update").count() == 0
    assert page.get_by_role("link", name=re.compile(r"^Remove\b")).count() == 0
    assert page.get_by_role("button", name=re.compile("Withdraw|Remove")).count() == 0
    screenshot(page, "undo-approved-offers-nothing")

    # Typed into the address bar, the pages send the owner back with the reason.
    page.goto(f"{live_server.url}{withdraw_url}")
    page.get_by_text("Only a draft or returned update can be withdrawn.").wait_for()
    assert page.url == update_url
    page.goto(f"{live_server.url}{remove_url}")
    page.get_by_text(
        "Evidence can only be removed while the update is a draft or returned."
    ).wait_for()
    assert page.url == update_url

    # Sent as forms anyway: the owner is refused, others are not let in, nothing changes.
    clients = {}
    for username in ("demo-cso-a", "demo-cso-b", "demo-observer"):
        clients[username] = Client()
        clients[username].force_login(User.objects.get(username=username))
    before = database_fingerprint()  # once signed in: signing in writes
    for url in (withdraw_url, remove_url):
        response = clients["demo-cso-a"].post(url)
        assert (response.status_code, response["Location"]) == (302, update_path)
    for outsider in ("demo-cso-b", "demo-observer"):
        client = clients[outsider]
        for url in (withdraw_url, remove_url):
            assert client.get(url).status_code in (403, 404), (outsider, url)
            assert client.post(url).status_code in (403, 404), (outsider, url)
    assert database_fingerprint() == before
    approved.refresh_from_db()
    assert approved.state == UpdateState.APPROVED
    assert Evidence.objects.filter(pk=kept.pk).exists() and kept_file.is_file()


# --- The ministry: a training sent twice, and one marked held too early -------------------------


def test_ministry_is_asked_before_a_training_is_logged_twice_and_told_why_not_held(
    page: Any, live_server: Any
) -> None:
    _demo()
    log_in(page, live_server, "demo-ministry", DEMO_PASSWORD)
    page.get_by_role("link", name="Trainings").first.click()
    page.get_by_role("link", name="Log a training").click()
    page.get_by_label("Title (English)").fill(TITLE)
    page.get_by_label("Preventing and combating human trafficking for labour exploitation").check()
    page.get_by_label("Labour inspectors").check()
    page.get_by_label("Status").select_option("planned")
    page.get_by_label("Start date").fill("2027-03-10")
    page.get_by_label("End date").fill("2027-03-11")
    page.get_by_role("textbox", name="City").fill("Kumanovo")
    page.get_by_role("button", name="Log the training").click()
    page.get_by_role("heading", name=TITLE).wait_for()
    first = Training.objects.get(title_en=TITLE)
    assert first.organiser.code == "mspdy"

    # Back to the filled form, and send it again.
    page.go_back()
    page.get_by_role("heading", name="Log a training").wait_for()
    assert page.get_by_label("Title (English)").input_value() == TITLE
    page.get_by_role("button", name="Log the training").click()
    page.get_by_text("Nothing was saved yet").wait_for()
    text = _main_text(page)
    assert f"This looks like {TITLE} of 10 March 2027, Kumanovo: save anyway?" in text
    question = page.get_by_role("link", name=TITLE)
    assert question.get_attribute("href") == f"/trainings/{first.pk}/"
    screenshot(page, "undo-training-looks-like")
    assert Training.objects.filter(title_en=TITLE).count() == 1

    # Said to be another training, it is saved.
    page.get_by_label("Save it as a separate training").check()
    page.get_by_role("button", name="Log the training").click()
    page.get_by_text("Training logged.").wait_for()
    assert Training.objects.filter(title_en=TITLE).count() == 2

    # The first, still ahead, cannot be marked held.
    page.goto(f"{live_server.url}/trainings/{first.pk}/")
    page.get_by_role("link", name="Edit training").click()
    page.get_by_label("Status").select_option("held")
    page.get_by_role("button", name="Save changes").click()
    message = (
        "A training can be marked held once it has ended; it ends on 11 March 2027. "
        "Keep it planned until then."
    )
    page.locator(".error").filter(has_text=message).wait_for()
    assert page.locator("#form-errors").is_visible()
    screenshot(page, "undo-training-held-too-early")
    first.refresh_from_db()
    assert first.status == TrainingStatus.PLANNED
    assert Training.objects.filter(title_en=TITLE).count() == 2


# --- The ministry: the participant register ------------------------------------------------------


def _person(name: str, *, at: Training, email: str = "") -> Participant:
    person = Participant.objects.create(
        full_name=name,
        sex=Sex.FEMALE,
        email=email,
        registered_by_institution=Institution.objects.get(code="mspdy"),
    )
    Attendance.objects.create(training=at, participant=person)
    return person


def _search(page: Any, query: str) -> list[str]:
    filters = page.get_by_role("search", name="Filter")
    filters.get_by_label("Name").fill(query)
    filters.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"[?&]q="))
    rows = page.get_by_role("table").get_by_role("row")
    return [str(link.inner_text()) for link in rows.get_by_role("link").all()]


def test_ministry_finds_people_in_either_script_and_merges_two_records(
    page: Any, live_server: Any
) -> None:
    _demo()
    held = Training.objects.get(title_en=MSPDY_HELD)
    upcoming = Training.objects.get(title_en=MSPDY_UPCOMING)
    ana = _person("Ана Стојановска", at=held)
    marija = _person("Marija Petrovska", at=held)
    ministry = User.objects.get(username="demo-ministry")

    log_in(page, live_server, "demo-ministry", DEMO_PASSWORD)
    page.get_by_role("link", name="Participants").first.click()
    page.get_by_role("heading", name="Participant register").wait_for()

    assert _search(page, "Stojanovska") == ["Ана Стојановска"]
    found = _search(page, "Петровска")
    assert "Marija Petrovska" in found
    assert all(name.endswith("Petrovska") for name in found), found
    link = page.get_by_role("link", name="Marija Petrovska")
    hrefs = [link.nth(i).get_attribute("href") for i in range(link.count())]
    assert f"/trainings/people/{marija.pk}/" in hrefs
    screenshot(page, "undo-register-search")

    # A second record of Ana, in Latin letters, at another training.
    other = _person("Ana Stojanovska", at=upcoming, email="ana@example.org")

    _search(page, "Stojanovska")
    page.get_by_role("link", name="Ана Стојановска").click()
    page.get_by_role("heading", name="Ана Стојановска").wait_for()
    page.get_by_role("link", name="Merge with another record").click()
    page.get_by_role("link", name="Compare Ana Stojanovska").click()

    # The choice is shown before anything changes.
    page.get_by_role("heading", name="Merge two records of one person?").wait_for()
    side_by_side = page.get_by_role("table", name="The two records side by side")
    assert "Ana Stojanovska" in str(side_by_side.inner_text())
    assert "ana@example.org" in str(side_by_side.inner_text())
    assert MSPDY_UPCOMING in _main_text(page)  # the attendance that moves
    page.get_by_role("group", name="Full name").wait_for()
    screenshot(page, "undo-register-merge-confirm")
    assert Participant.objects.filter(pk=other.pk).exists()
    assert Attendance.objects.filter(participant=ana).count() == 1

    page.get_by_role("button", name="Merge the records").click()
    page.get_by_text(f"Ana Stojanovska (#{other.pk}) was merged into this record.").wait_for()
    assert page.url == f"{live_server.url}/trainings/people/{ana.pk}/"
    assert not Participant.objects.filter(pk=other.pk).exists()
    trainings = set(Attendance.objects.filter(participant=ana).values_list("training", flat=True))
    assert trainings == {held.pk, upcoming.pk}
    table = page.get_by_role("table", name="The trainings this person attended")
    assert MSPDY_HELD in str(table.inner_text()) and MSPDY_UPCOMING in str(table.inner_text())
    who = ministry.get_full_name() or ministry.get_username()
    history = str(page.locator("ul.history").inner_text())
    assert f"Merged with Ana Stojanovska (#{other.pk}) by {who}" in history
    screenshot(page, "undo-register-merged")
