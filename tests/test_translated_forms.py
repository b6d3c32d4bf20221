"""Portal forms edit every translated field in English, Macedonian and Albanian, and a record
written in one language says on the others' pages that it is not yet translated.

See docs/translations.md, "Editing in three languages". Built on the seed and demo set: the
programme team (demo-admin) records meetings and decisions; ministry staff (demo-ministry)
log and change their ministry's trainings.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.text import capfirst
from modeltranslation.admin import TranslationAdmin
from modeltranslation.translator import translator

from core.choices import TextOrigin
from core.forms import OFFICIAL_FIELD
from core.translation_work import missing_translations
from core.translations import text_origin, text_provenance_set
from programme.models import Decision, Meeting
from stakeholders.models import User
from trainings.models import Training

pytestmark = pytest.mark.django_db

LANGUAGES = [code for code, _name in settings.LANGUAGES]
MSPDY_ONLY = "Free legal aid for trafficking victims: regional follow-up"  # MSPDY, no partners


def _client(user: User, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


def _ok(response: Any) -> None:
    errors = re.findall(r'class="error"[^>]*>(.*?)</div>', response.content.decode(), re.S)
    assert response.status_code == 302, errors or response.status_code


def _input(html: str, name: str) -> str:
    """The element (input or textarea) named ``name``."""
    found = re.search(rf'<(?:input|textarea)\b[^>]*\bname="{name}"[^>]*>', html)
    assert found is not None, name
    return found.group(0)


def _training_form(training: Training, **changes: Any) -> dict[str, Any]:
    """A training's form as its page posts it, every language of its texts included."""
    data: dict[str, Any] = {
        "organiser": training.organiser_id,
        "partners": [p.pk for p in training.partners.all()],
        "topics": [t.pk for t in training.topics.all()],
        "target_groups": [g.pk for g in training.target_groups.all()],
        "status": training.status,
        "start_date": training.start_date.isoformat() if training.start_date else "",
        "end_date": training.end_date.isoformat() if training.end_date else "",
        "venue": training.venue,
        "city": training.city,
        "recommendations": [r.pk for r in training.recommendations.all()],
        "outcomes": [o.pk for o in training.outcomes.all()],
        "seen_at": training.updated_at.isoformat(),
    }
    for field in ("title", "methodology"):
        for language in LANGUAGES:
            data[f"{field}_{language}"] = getattr(training, f"{field}_{language}") or ""
    data.update(changes)
    return data


# --- The forms --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_training_form_has_an_input_per_language_labelled_in_the_readers_language(
    demo: dict[str, User], language: str
) -> None:
    html = _html(_client(demo["demo-ministry"], language).get(reverse("trainings:create")))
    with translation.override(language):
        title = capfirst(str(Training._meta.get_field("title").verbose_name))
        names = {code: str(name) for code, name in settings.LANGUAGES}
    for field in ("title", "methodology"):
        assert f'name="{field}"' not in html
        for code in LANGUAGES:
            element = _input(html, f"{field}_{code}")
            assert f'lang="{code}"' in element
    for code in LANGUAGES:
        assert f'<label for="id_title_{code}">{title} ({names[code]})</label>' in html
    # One fieldset per field, its legend the field's label, its three inputs side by side.
    fieldset = re.search(r'<fieldset class="field translated-field".*?</fieldset>', html, re.S)
    assert fieldset is not None
    assert f"<legend>{title} " in fieldset.group(0)
    assert fieldset.group(0).count('<div class="language">') == len(LANGUAGES)
    assert "css/translated-fields.css" in html
    assert f'name="{OFFICIAL_FIELD}"' in html


@pytest.mark.parametrize(
    ("url", "fields"),
    [
        (lambda m: reverse("programme:meeting_create"), ("purpose", "agenda", "minutes")),
        (lambda m: reverse("programme:meeting_edit", args=[m.pk]), ("purpose", "agenda")),
        (lambda m: reverse("programme:meeting_decision_add", args=[m.pk]), ("text",)),
    ],
)
def test_the_programme_teams_meeting_forms_have_every_language(
    demo: dict[str, User], url: Any, fields: tuple[str, ...]
) -> None:
    meeting = Meeting.objects.get(number=3)
    html = _html(_client(demo["demo-admin"], "mk").get(url(meeting)))
    for field in fields:
        for code in LANGUAGES:
            assert f'lang="{code}"' in _input(html, f"{field}_{code}")
    if "edit" in url(meeting):  # the stored texts, each in its own language's input
        for code in LANGUAGES:
            stored = getattr(meeting, f"purpose_{code}")
            shown = html.split(f'name="purpose_{code}"')[1].split("</textarea>")[0]
            assert stored and escape(stored.splitlines()[0]) in shown, code


def test_a_required_field_needs_one_language_and_the_error_is_tied_to_its_input(
    demo: dict[str, User],
) -> None:
    training = Training.objects.get(title_en=MSPDY_ONLY)
    client = _client(demo["demo-ministry"], "sq")
    data = _training_form(training, title_en="", title_mk="", title_sq="")
    html = _html(client.post(reverse("trainings:edit", args=[training.pk]), data))
    for code in LANGUAGES:  # each input names the error of the field as a whole
        element = _input(html, f"title_{code}")
        assert 'aria-invalid="true"' in element
        assert 'aria-describedby="id_title_error"' in element
    with translation.override("sq"):
        message = translation.gettext("Write this in at least one of the three languages.")
    assert f'<div class="error" id="id_title_error"><p>{message}</p></div>' in html
    assert '<a href="#id_title_en">' in html.split('id="form-errors"')[1].split("</ul>")[0]
    training.refresh_from_db()
    assert training.title_en == MSPDY_ONLY


# --- Saving -----------------------------------------------------------------------------------


def test_logging_a_training_writes_every_language_and_marks_the_translations_working(
    demo: dict[str, User],
) -> None:
    """Ministry staff log a training in three languages: English is the source, the others are
    working translations; with "official wording" ticked, every text is official."""
    model = Training.objects.get(title_en=MSPDY_ONLY)
    client = _client(demo["demo-ministry"], "mk")
    data = _training_form(
        model,
        title_en="Screening interviews",
        title_mk="Интервјуа за проверка",
        title_sq="Intervista shqyrtuese",
        methodology_en="Role play.",
        methodology_mk="",
        methodology_sq="",
        start_date="2031-05-04",
        end_date="2031-05-04",
        status="planned",
    )
    del data["seen_at"]
    _ok(client.post(reverse("trainings:create"), data))
    training = Training.objects.get(title_en="Screening interviews")
    assert training.title_mk == "Интервјуа за проверка"
    assert training.title_sq == "Intervista shqyrtuese"
    assert not training.methodology_mk and not training.methodology_sq
    assert text_origin(training, "title", "mk") == TextOrigin.WORKING
    assert text_origin(training, "title", "sq") == TextOrigin.WORKING
    assert text_origin(training, "title", "en") == TextOrigin.OFFICIAL
    # The empty languages are what /translations/ lists as missing.
    kinds = {kind.model_label: kind for kind in missing_translations()}
    record = next(r for r in kinds["trainings.training"].records if r.pk == training.pk)
    assert [(f.name, f.languages) for f in record.fields] == [("methodology", ["mk", "sq"])]

    # Ticked, the same texts are the official wording: the provenance rows go.
    edit = _training_form(training, **{OFFICIAL_FIELD: "on"})
    _ok(client.post(reverse("trainings:edit", args=[training.pk]), edit))
    assert text_origin(training, "title", "mk") == TextOrigin.OFFICIAL
    assert text_origin(training, "title", "sq") == TextOrigin.OFFICIAL


def test_editing_one_language_leaves_the_others_and_their_origin(demo: dict[str, User]) -> None:
    training = Training.objects.get(title_en=MSPDY_ONLY)
    text_provenance_set(obj=training, field="title", language="mk", origin=TextOrigin.OFFICIAL)
    before_mk = training.title_mk
    client = _client(demo["demo-ministry"])
    data = _training_form(training, title_sq="Ndihmë juridike falas: ndjekje rajonale")
    _ok(client.post(reverse("trainings:edit", args=[training.pk]), data))
    training.refresh_from_db()
    assert training.title_en == MSPDY_ONLY
    assert training.title_mk == before_mk
    assert training.title_sq == "Ndihmë juridike falas: ndjekje rajonale"
    assert text_origin(training, "title", "mk") == TextOrigin.OFFICIAL  # untouched
    assert text_origin(training, "title", "sq") == TextOrigin.WORKING
    # The latest history row names who saved, and holds every language as saved.
    latest = training.history.latest()
    assert latest.history_user == demo["demo-ministry"]
    assert latest.title_sq == training.title_sq


def test_the_programme_team_records_a_meeting_and_a_decision_in_three_languages(
    demo: dict[str, User],
) -> None:
    Meeting.objects.filter(number=9).delete()
    client = _client(demo["demo-admin"], "sq")
    texts = {
        "purpose_en": "Plan the year.",
        "purpose_mk": "Планирање на годината.",
        "purpose_sq": "Planifikimi i vitit.",
        "agenda_en": "1. The plan",
        "agenda_mk": "",
        "agenda_sq": "1. Plani",
        "minutes_en": "",
        "minutes_mk": "",
        "minutes_sq": "",
    }
    base = {"number": "9", "status": "planned", "place": "Tetovo", "format": "online"}
    _ok(client.post(reverse("programme:meeting_create"), {**base, **texts}))
    meeting = Meeting.objects.get(number=9)
    for name, text in texts.items():
        assert (getattr(meeting, name) or "") == text, name
    assert text_origin(meeting, "purpose", "mk") == TextOrigin.WORKING
    assert text_origin(meeting, "agenda", "sq") == TextOrigin.WORKING
    assert text_origin(meeting, "agenda", "mk") == TextOrigin.OFFICIAL  # no text, no row

    decision_texts = {"text_en": "", "text_mk": "", "text_sq": "Plani miratohet."}
    url = reverse("programme:meeting_decision_add", args=[meeting.pk])
    _ok(client.post(url, {"number": "1", **decision_texts}))
    decision = Decision.objects.get(meeting=meeting, number=1)
    assert not decision.text_en and not decision.text_mk
    assert decision.text_sq == "Plani miratohet."
    # Written in Albanian alone, the Albanian text is the original: official.
    assert text_origin(decision, "text", "sq") == TextOrigin.OFFICIAL


def test_a_page_of_before_that_sends_one_text_changes_only_the_readers_language(
    demo: dict[str, User],
) -> None:
    meeting = Meeting.objects.get(number=3)
    english, albanian = meeting.purpose_en, meeting.purpose_sq
    data = {
        "number": "3",
        "status": meeting.status,
        "date": meeting.date.isoformat() if meeting.date else "",
        "place": meeting.place,
        "format": meeting.format,
        "purpose": "Цел на состанокот.",
        "agenda": meeting.agenda_mk,
        "minutes": meeting.minutes_mk,
    }
    _ok(
        _client(demo["demo-admin"], "mk").post(
            reverse("programme:meeting_edit", args=[meeting.pk]), data
        )
    )
    meeting.refresh_from_db()
    assert meeting.purpose_mk == "Цел на состанокот."
    assert (meeting.purpose_en, meeting.purpose_sq) == (english, albanian)


# --- Not yet translated -------------------------------------------------------------------------


def test_a_training_written_only_in_macedonian_says_it_is_not_yet_translated(
    demo: dict[str, User],
) -> None:
    """Ministry staff log a training in Macedonian alone; the English and Albanian pages show
    the Macedonian title, marked as such, and say, in their own language, that it is not yet
    translated; the Macedonian page says nothing of the kind."""
    model = Training.objects.get(title_en=MSPDY_ONLY)
    title = "Обука за идентификација на жртви на трговија со луѓе"
    data = _training_form(
        model,
        title_en="",
        title_mk=title,
        title_sq="",
        methodology_en="",
        methodology_mk="",
        methodology_sq="",
        start_date="2031-06-01",
        end_date="2031-06-01",
        status="planned",
    )
    del data["seen_at"]
    _ok(_client(demo["demo-ministry"], "mk").post(reverse("trainings:create"), data))
    training = Training.objects.get(title_mk=title)
    assert not training.title_en and not training.title_sq
    assert text_origin(training, "title", "mk") == TextOrigin.OFFICIAL
    url = reverse("trainings:detail", args=[training.pk])
    for language, msgid in [
        ("en", "Not yet translated into English"),
        ("sq", "Not yet translated into Albanian"),
    ]:
        html = _html(_client(demo["demo-ministry"], language).get(url))
        assert f'<h1><span lang="mk">{title}</span>' in html, language
        with translation.override(language):
            mark = translation.gettext(msgid)
        assert f'<p class="text-missing small muted">{mark}</p>' in html, language
    html = _html(_client(demo["demo-ministry"], "mk").get(url))
    assert f"<h1>{title}" in html
    assert "text-missing" not in html


def test_a_pdf_marks_a_macedonian_fallback_with_its_code(demo: dict[str, User]) -> None:
    training = Training.objects.get(title_en=MSPDY_ONLY)
    Training.objects.filter(pk=training.pk).update(title_en="", title_sq="")
    training.refresh_from_db()
    template = Template('{% load translated %}{% translated t "title" printed=True %}')
    with translation.override("sq"):
        html = template.render(Context({"t": training}))
    assert html == (
        f'<span lang="mk">{training.title_mk}</span>'
        ' <span class="fallback-mark note" lang="mk">MK</span>'
    )
    assert "text-missing" not in html


def test_the_english_fallback_shows_the_macedonian_text(demo: dict[str, User]) -> None:
    """modeltranslation falls back past an empty English text too: the page is never blank."""
    training = Training.objects.get(title_en=MSPDY_ONLY)
    Training.objects.filter(pk=training.pk).update(title_en="", title_sq="")
    training.refresh_from_db()
    with translation.override("en"):
        assert training.title == training.title_mk
    with translation.override("sq"):
        assert training.title == training.title_mk


# --- The admin ----------------------------------------------------------------------------------


def test_every_translated_model_is_edited_in_every_language_in_the_admin() -> None:
    for model in translator.get_registered_models(abstract=False):
        model_admin = admin.site._registry.get(model)
        if model_admin is not None:
            assert isinstance(model_admin, TranslationAdmin), model._meta.label
