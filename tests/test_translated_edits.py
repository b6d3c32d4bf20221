"""One mechanism edits texts in three languages on every portal form (core.forms), and one
edit is one version in the record's history, with its author and every field it changed.

Built on the seed and demo set: the programme team (demo-admin) records meetings, decisions
and attendance and writes the period narrative; ministry staff (demo-ministry) change their
ministry's trainings. See docs/translations.md, "Editing in three languages".
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from core.choices import TextOrigin
from core.forms import OFFICIAL_FIELD
from core.history import history_model
from core.translations import text_origin
from programme.models import Decision, Meeting, MeetingAttendance, ReportingPeriod
from stakeholders.models import Institution, User
from tests.test_translated_forms import MSPDY_ONLY, _training_form
from trainings.models import Training

pytestmark = pytest.mark.django_db

LANGUAGES = [code for code, _name in settings.LANGUAGES]


def _client(user: User, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _ok(response: Any) -> None:
    errors = re.findall(r'class="error"[^>]*>(.*?)</div>', response.content.decode(), re.S)
    assert response.status_code == 302, errors or response.status_code


def _html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


def _versions(obj: Any) -> list[Any]:
    """The record's versions in its history, newest first."""
    versions = history_model(type(obj))._default_manager.filter(id=obj.pk)
    return list(versions.order_by("-history_date", "-history_id"))


def _meeting_form(meeting: Meeting, **changes: Any) -> dict[str, Any]:
    """A meeting's form as its page posts it, every language of its texts included."""
    data: dict[str, Any] = {
        "number": meeting.number,
        "status": meeting.status,
        "date": meeting.date.isoformat() if meeting.date else "",
        "place": meeting.place,
        "format": meeting.format,
    }
    for field in ("purpose", "agenda", "minutes"):
        for code in LANGUAGES:
            data[f"{field}_{code}"] = getattr(meeting, f"{field}_{code}") or ""
    data.update(changes)
    return data


# --- One edit, one version --------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
def test_editing_a_meeting_in_the_portal_writes_one_version_with_every_change(
    demo: dict[str, User], language: str
) -> None:
    """The meeting's own fields and its texts in the languages other than the reader's used to
    be two versions (the service's save, then the translations'): now one."""
    admin = demo["demo-admin"]
    meeting = Meeting.objects.get(number=3)
    before = _versions(meeting)
    data = _meeting_form(
        meeting,
        place="Ohrid",
        purpose_en="Review the referral standard.",
        purpose_mk="Преглед на стандардот за упатување.",
        purpose_sq="Shqyrtimi i standardit të referimit.",
        agenda_sq="1. Standardi",
    )
    _ok(_client(admin, language).post(reverse("programme:meeting_edit", args=[meeting.pk]), data))

    after = _versions(meeting)
    assert len(after) == len(before) + 1
    version = after[0]
    assert version.history_user == admin
    meeting.refresh_from_db()
    assert meeting.place == "Ohrid" and meeting.agenda_sq == "1. Standardi"
    for field in ("place", "purpose_en", "purpose_mk", "purpose_sq", "agenda_sq", "updated_at"):
        assert getattr(version, field) == getattr(meeting, field), field
    changed = set(version.diff_against(before[0]).changed_fields)
    assert {"place", "purpose_en", "purpose_mk", "purpose_sq", "agenda_sq"} <= changed
    # The translations written beside the source are still marked as such.
    assert text_origin(meeting, "purpose", "mk") == TextOrigin.WORKING


def test_recording_a_meeting_writes_one_version_holding_every_language(
    demo: dict[str, User],
) -> None:
    Meeting.objects.filter(number=9).delete()
    texts = {
        "purpose_en": "Plan the year.",
        "purpose_mk": "Планирање на годината.",
        "purpose_sq": "Planifikimi i vitit.",
        "agenda_en": "",
        "agenda_mk": "",
        "agenda_sq": "1. Plani",
        "minutes_en": "",
        "minutes_mk": "",
        "minutes_sq": "",
    }
    base = {"number": "9", "status": "planned", "place": "Tetovo", "format": "online"}
    client = _client(demo["demo-admin"], "mk")
    _ok(client.post(reverse("programme:meeting_create"), {**base, **texts}))
    meeting = Meeting.objects.get(number=9)
    (version,) = _versions(meeting)
    assert version.history_type == "+"
    assert version.history_user == demo["demo-admin"]
    for name, text in texts.items():
        assert (getattr(version, name) or "") == text, name


@pytest.mark.parametrize("language", ["en", "sq"])
def test_editing_a_training_in_the_portal_writes_one_version_with_every_change(
    demo: dict[str, User], language: str
) -> None:
    ministry = demo["demo-ministry"]
    training = Training.objects.get(title_en=MSPDY_ONLY)
    before = _versions(training)
    data = _training_form(
        training,
        venue="Social work centre, Kičevo",
        title_mk="Бесплатна правна помош: регионално следење",
        methodology_sq="Lojë me role.",
    )
    _ok(_client(ministry, language).post(reverse("trainings:edit", args=[training.pk]), data))

    after = _versions(training)
    assert len(after) == len(before) + 1
    version = after[0]
    assert version.history_user == ministry
    training.refresh_from_db()
    assert training.methodology_sq == "Lojë me role."
    changed = set(version.diff_against(before[0]).changed_fields)
    assert {"venue", "title_mk", "methodology_sq"} <= changed
    for field in ("venue", "title_en", "title_mk", "title_sq", "methodology_sq"):
        assert getattr(version, field) == getattr(training, field), field


def test_logging_a_training_writes_one_version_holding_every_language(
    demo: dict[str, User],
) -> None:
    model = Training.objects.get(title_en=MSPDY_ONLY)
    data = _training_form(
        model,
        title_en="Screening interviews",
        title_mk="Интервјуа за проверка",
        title_sq="Intervista shqyrtuese",
        start_date="2031-05-04",
        end_date="2031-05-04",
        status="planned",
    )
    del data["seen_at"]
    _ok(_client(demo["demo-ministry"], "mk").post(reverse("trainings:create"), data))
    training = Training.objects.get(title_en="Screening interviews")
    (version,) = _versions(training)
    assert (version.history_type, version.history_user) == ("+", demo["demo-ministry"])
    assert (version.title_en, version.title_mk, version.title_sq) == (
        "Screening interviews",
        "Интервјуа за проверка",
        "Intervista shqyrtuese",
    )


def test_correcting_a_decision_writes_one_version(demo: dict[str, User]) -> None:
    meeting = Meeting.objects.get(number=3)
    decision = meeting.decisions.order_by("number")[0]
    before = _versions(decision)
    data = {
        "number": decision.number,
        "text_en": decision.text_en,
        "text_mk": "Изменет текст на одлуката.",
        "text_sq": "Teksti i ndryshuar i vendimit.",
        "outcomes": [o.pk for o in decision.outcomes.all()],
        "recommendations": [r.pk for r in decision.recommendations.all()],
        "is_public": "on" if decision.is_public else "",
        OFFICIAL_FIELD: "on",
    }
    url = reverse("programme:meeting_decision_edit", args=[decision.pk])
    _ok(_client(demo["demo-admin"], "sq").post(url, data))
    after = _versions(decision)
    assert len(after) == len(before) + 1
    decision = Decision.objects.get(pk=decision.pk)
    assert after[0].text_mk == decision.text_mk == "Изменет текст на одлуката."
    assert text_origin(decision, "text", "mk") == TextOrigin.OFFICIAL  # ticked


def test_ticking_official_wording_alone_is_one_version(
    demo: dict[str, User],
) -> None:
    """Ticking "official wording" alone changes no text: the service's version is the only one."""
    training = Training.objects.get(title_en=MSPDY_ONLY)
    client = _client(demo["demo-ministry"])
    data = _training_form(training, title_sq="Ndihmë juridike falas")
    _ok(client.post(reverse("trainings:edit", args=[training.pk]), data))
    assert text_origin(training, "title", "sq") == TextOrigin.WORKING
    training.refresh_from_db()
    count = len(_versions(training))
    again = _training_form(training, **{OFFICIAL_FIELD: "on"})
    _ok(client.post(reverse("trainings:edit", args=[training.pk]), again))
    assert len(_versions(training)) == count + 1
    assert text_origin(training, "title", "sq") == TextOrigin.OFFICIAL


# --- Representatives in three languages ---------------------------------------------------------


def _attendance_data(rows: list[dict[str, Any]], initial: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = {
        "attendance-TOTAL_FORMS": str(len(rows)),
        "attendance-INITIAL_FORMS": str(initial),
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            data[f"attendance-{index}-{name}"] = value
    return data


def _row(institution: Institution, **texts: str) -> dict[str, Any]:
    return {
        "institution": str(institution.pk),
        **{f"representatives_{code}": texts.get(code, "") for code in LANGUAGES},
    }


HEAD_OF_UNIT = {
    "en": "Ana Petrovska, head of the anti-trafficking unit",
    "mk": "Ana Petrovska, раководителка на одделението за борба против трговија со луѓе",
    "sq": "Ana Petrovska, udhëheqëse e njësisë kundër trafikimit",
}


@pytest.mark.parametrize("language", ["mk", "sq"])
def test_the_attendance_form_edits_the_representatives_in_every_language(
    demo: dict[str, User], language: str
) -> None:
    admin = demo["demo-admin"]
    meeting = Meeting.objects.get(number=3)
    url = reverse("programme:meeting_attendance", args=[meeting.pk])
    html = _html(_client(admin, language).get(url))
    for code in LANGUAGES:
        element = re.search(
            rf'<textarea\b[^>]*name="attendance-0-representatives_{code}"[^>]*>', html
        )
        assert element is not None and f'lang="{code}"' in element.group(0), code
    with translation.override(language):
        legend = translation.gettext("Representatives")
        names = translation.gettext(
            "Write each name as it is, the same in every language; translate only the positions."
        )
    assert f"<legend>{legend}</legend>" in html
    assert names in html  # names are not translated: the help says so
    # Each row's three texts are one fieldset, inside the row's own.
    assert html.count('class="field translated-field"') == meeting.attendance.count() + 3


@pytest.mark.parametrize("language", ["mk", "sq"])
def test_representatives_written_in_three_languages_show_in_the_readers(
    demo: dict[str, User], language: str
) -> None:
    """The team writes who came in three languages (working translations beside the English),
    and one institution's representatives in English only: each reader sees their language,
    and the English one marked as not yet translated."""
    admin = demo["demo-admin"]
    meeting = Meeting.objects.get(number=3)
    moi, coe = Institution.objects.get(code="moi"), Institution.objects.get(code="coe")
    before = {a.institution_id: len(_versions(a)) for a in meeting.attendance.all()}
    data = _attendance_data(
        [_row(moi, **HEAD_OF_UNIT), _row(coe, en="Programme manager")],
    )
    url = reverse("programme:meeting_attendance", args=[meeting.pk])
    _ok(_client(admin, language).post(url, data))

    rows = {a.institution_id: a for a in meeting.attendance.all()}
    assert set(rows) == {moi.pk, coe.pk}
    for code, text in HEAD_OF_UNIT.items():
        assert getattr(rows[moi.pk], f"representatives_{code}") == text
    assert not rows[coe.pk].representatives_mk and not rows[coe.pk].representatives_sq
    assert text_origin(rows[moi.pk], "representatives", "mk") == TextOrigin.WORKING
    # One version per row the edit changed, with every language in it.
    for institution_id, row in rows.items():
        versions = _versions(row)
        assert len(versions) == before.get(institution_id, 0) + 1
        assert versions[0].history_user == admin
        assert versions[0].representatives_sq == row.representatives_sq

    page = _html(
        _client(admin, language).get(reverse("programme:meeting_detail", args=[meeting.pk]))
    )
    assert HEAD_OF_UNIT[language] in page
    other = "sq" if language == "mk" else "mk"
    assert HEAD_OF_UNIT[other] not in page
    with translation.override(language):
        missing = translation.gettext(
            "Not yet translated into Macedonian"
            if language == "mk"
            else "Not yet translated into Albanian"
        )
    section = page[page.index("Programme manager") :]
    assert missing in section[:600]
    assert '<span lang="en">Programme manager</span>' in page


def test_attendance_saved_again_unchanged_adds_no_version(demo: dict[str, User]) -> None:
    admin = demo["demo-admin"]
    meeting = Meeting.objects.get(number=3)
    moi = Institution.objects.get(code="moi")
    url = reverse("programme:meeting_attendance", args=[meeting.pk])
    client = _client(admin, "sq")
    _ok(client.post(url, _attendance_data([_row(moi, **HEAD_OF_UNIT)])))
    row = MeetingAttendance.objects.get(meeting=meeting, institution=moi)
    count = len(_versions(row))
    _ok(client.post(url, _attendance_data([_row(moi, **HEAD_OF_UNIT)], initial=1)))
    assert len(_versions(row)) == count


# --- The period narrative, on the same mechanism -------------------------------------------


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
def test_the_narrative_form_sets_out_each_text_as_the_other_forms_do(
    demo: dict[str, User], language: str
) -> None:
    period = ReportingPeriod.objects.get(name="2026 H1")
    url = reverse(
        "programme:narrative_part_edit", kwargs={"pk": period.pk, "part": "executive-summary"}
    )
    html = _html(_client(demo["demo-admin"], language).get(url))
    fieldset = re.search(r'<fieldset class="field translated-field".*?</fieldset>', html, re.S)
    assert fieldset is not None
    with translation.override(language):
        names = {code: str(name) for code, name in settings.LANGUAGES}
        summary = translation.gettext("Executive summary")
        origin = translation.gettext("Where this text comes from")
    assert f"<legend>{summary}</legend>" in fieldset.group(0)
    for code in LANGUAGES:
        element = re.search(rf'<textarea\b[^>]*name="executive_summary_{code}"[^>]*>', html)
        assert element is not None and f'lang="{code}"' in element.group(0), code
        label = f'<label for="id_executive_summary_{code}">{summary} ({names[code]})</label>'
        assert label in fieldset.group(0)
    for code in ("mk", "sq"):  # where each translation comes from, beside it
        label = f'<label for="id_executive_summary_origin_{code}">{origin} ({names[code]})'
        assert label in fieldset.group(0)
    assert 'name="executive_summary_origin_en"' not in html
    assert f'name="{OFFICIAL_FIELD}"' not in html  # the choice per language stands for it
    assert "css/translated-fields.css" in html
