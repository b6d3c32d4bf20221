"""The programme's seeded content reads in Macedonian and Albanian, and says where it comes from.

Every portal page the seed reaches (the recommendations and each one's page, meeting 3, the
results framework, the trainings and studies and their pages) is rendered in each language
for the programme team, and its text (between tags, and the attributes people hear or see) is
searched for the seed's English texts. Only the source text a working translation offers one
click away (``<details class="source-text">``) may hold English. See docs/translations.md.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.template import Context, Template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from core.choices import TextOrigin
from core.models import TextProvenance
from core.translations import text_origin, text_origins, text_provenance_set
from loaders.seeding import SEED_FILE, SOURCES_DIR, seed_load
from programme.models import Decision, Meeting, Outcome
from recommendations.models import Recommendation
from research.models import Study
from stakeholders.models import Institution, User
from trainings.models import Training

pytestmark = pytest.mark.django_db

LANGUAGES = ("mk", "sq")
SKIPPED = {"script", "style", "template"}
ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
WORD = re.compile(r"[A-Za-z][A-Za-z’'-]{2,}")


class _PageText(HTMLParser):
    """A page's text as people read or hear it, whatever ``lang`` an element says (English
    shown in a Macedonian page's place is what this test looks for), without the source text
    of a working translation."""

    def __init__(self, left_out: tuple[str, ...] = ("source-text",)) -> None:
        super().__init__()
        self.pieces: list[str] = []
        self._open: list[str] = []  # from the element left out inwards
        self._left_out = set(left_out)  # classes of the elements left out

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if self._open:
            if tag not in VOID:
                self._open.append(tag)
            return
        classes = set((values.get("class") or "").split())
        # A form that edits a text in every language holds its English in the English field.
        english_field = tag == "textarea" and values.get("lang") == "en"
        if tag in SKIPPED or self._left_out & classes or english_field:
            self._open.append(tag)
            return
        self.pieces.extend(values[name] or "" for name in ATTRIBUTES if values.get(name))

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        if not self._open:
            self.pieces.append(data)


def page_text(html: str, left_out: tuple[str, ...] = ("source-text",)) -> str:
    """The text people read or hear on ``html``, without the elements of the classes
    ``left_out`` (a report leaves out the printed status, which names its English source)."""
    parser = _PageText(left_out)
    parser.feed(html)
    return " ".join(" ".join(parser.pieces).split())


def _english_snippets(text: str) -> list[str]:
    """What of an English text a page would show: each line (or paragraph) whole when short,
    else its first six words (lists show the start of a long text)."""
    snippets = []
    for line in text.splitlines():
        line = re.sub(r"^\d+\.\s+", "", " ".join(line.split()))
        words = line.split()
        if len(WORD.findall(line)) < 2:  # an acronym or a number is no sentence of English
            continue
        snippets.append(line if len(words) <= 8 else " ".join(words[:6]))
    return snippets


def seeded_english() -> set[str]:
    """The English texts of the seed that have a Macedonian and an Albanian version: every
    ``{en:, mk:, sq:}`` in the seed file, and the minutes (their English is the source)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "en" in node and all(node.get(language) for language in LANGUAGES):
                found.update(_english_snippets(str(node["en"])))
            for key, value in node.items():
                if key == "minutes" and isinstance(value, dict):
                    continue
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    data = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))
    walk(data)
    for meeting in data["meetings"]:
        source = (SOURCES_DIR / meeting["minutes_source"]).read_text(encoding="utf-8")
        found.update(_english_snippets(source))
    return found


def english_on(html: str, snippets: set[str]) -> set[str]:
    text = page_text(html).replace("’", "'")
    return {s for s in snippets if s.replace("’", "'") in text}


@pytest.fixture
def team(demo: dict[str, User]) -> User:
    """The programme team's administrator, on the seed (with the demo set, as every page test
    has it: the seed's primary keys stay those the other tests expect)."""
    return demo["demo-admin"]


def _client(user: User, language: str) -> Client:
    if user.preferred_language:  # the cookie, not the account, chooses the language here
        user.preferred_language = ""
        user.save(update_fields=["preferred_language"])
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def seeded_pages() -> list[str]:
    """Every portal page that shows the seed's content (the demo set's records left out)."""
    data = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))
    meeting = Meeting.objects.get(number=3)
    recommendations = Recommendation.objects.filter(
        recommendation_set__title_en=data["recommendation_set"]["title"]["en"]
    )
    trainings = Training.objects.filter(title_en__in=[t["title"]["en"] for t in data["trainings"]])
    studies = Study.objects.filter(slug__in=[s["slug"] for s in data["studies"]])
    return [
        reverse("recommendations:list"),
        *(reverse("recommendations:detail", args=[r.pk]) for r in recommendations),
        reverse("programme:meeting_detail", args=[meeting.pk]),
        reverse("programme:results_framework"),
        reverse("trainings:list"),
        *(reverse("trainings:detail", args=[t.pk]) for t in trainings),
        reverse("research:pipeline"),
        *(reverse("research:detail", args=[s.slug]) for s in studies),
    ]


def _get(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_seeded_english_on_any_page_of_the_seed(team: User, language: str) -> None:
    snippets = seeded_english()
    assert len(snippets) > 60  # the seed's texts were found, not an empty list
    client = _client(team, language)
    pages = seeded_pages()
    assert len(pages) == 1 + 15 + 1 + 1 + 1 + 3 + 1 + 4
    found = {path: english_on(_get(client, path), snippets) for path in pages}
    assert {path: texts for path, texts in found.items() if texts} == {}
    # The English pages show them, so the check looks at the right texts.
    shown = english_on(_get(_client(team, "en"), pages[0]), snippets)
    assert any(s.startswith("To work on the development") for s in shown)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_missing_translation_shows_english_and_is_found(team: User, language: str) -> None:
    """Take one text's translation away: the check finds its English on the pages."""
    snippets = seeded_english()
    client = _client(team, language)
    rec = Recommendation.objects.get(number=5)
    decision = Decision.objects.get(meeting__number=3, number=2)
    Recommendation.objects.filter(pk=rec.pk).update(**{f"text_{language}": ""})
    Decision.objects.filter(pk=decision.pk).update(**{f"text_{language}": None})
    rec_page = _get(client, reverse("recommendations:detail", args=[rec.pk]))
    assert english_on(rec_page, snippets) == {"To create training programs in order"}
    listing = english_on(_get(client, reverse("recommendations:list")), snippets)
    assert "To create training programs in order" in listing
    meeting_page = _get(client, reverse("programme:meeting_detail", args=[decision.meeting_id]))
    assert "The research commissioned by the action" in english_on(meeting_page, snippets)
    # Shown in English, it says so and offers no "source text" of itself.
    assert re.search(r'<span lang="en">The research commissioned by the action', meeting_page)


def test_the_check_ignores_only_the_source_text() -> None:
    html = (
        '<html lang="mk"><p lang="en">Fourth session</p>'
        '<details class="source-text"><summary>Извор</summary><p lang="en">Working group 4</p>'
        '</details><a title="Care for child trafficking victims by foster families">x</a></html>'
    )
    snippets = {"Fourth session", "Working group 4", "Care for child trafficking victims by"}
    assert english_on(html, snippets) == {
        "Fourth session",
        "Care for child trafficking victims by",
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_working_translation_says_so_with_its_source_one_click_away(
    team: User, language: str
) -> None:
    rec = Recommendation.objects.get(number=8)
    html = _get(_client(team, language), reverse("recommendations:detail", args=[rec.pk]))
    with translation.override(language):
        label = str(TextOrigin.WORKING.label)
    own = getattr(rec, f"text_{language}")
    assert f'<blockquote class="recommendation-text">{escape(own)}' in html
    status = re.search(
        r'</blockquote>\s*<div class="text-origin small muted"><p>([^<]+)</p>'
        r'<details class="source-text"><summary>[^<]+</summary><p lang="en">([^<]+)</p>'
        r"</details></div>",
        html,
    )
    assert status is not None
    assert status.group(1) == label
    assert status.group(2) == escape(rec.text_en)
    # An official text shows no status: mark it official and the status goes.
    text_provenance_set(obj=rec, field="text", language=language, origin=TextOrigin.OFFICIAL)
    html = _get(_client(team, language), reverse("recommendations:detail", args=[rec.pk]))
    assert not re.search(r"</blockquote>\s*<div class=\"text-origin", html)
    # In English, the original: no status anywhere on the page.
    assert 'class="source-text"' not in _get(
        _client(team, "en"), reverse("recommendations:detail", args=[rec.pk])
    )


def test_a_pdf_prints_the_status_and_the_source(team: User) -> None:
    rec = Recommendation.objects.get(number=8)
    with translation.override("mk"):
        label = str(TextOrigin.WORKING.label)
        html = Template('{% load translated %}{% translated rec "text" printed=True %}').render(
            Context({"rec": rec})
        )
    assert html.startswith(f'{escape(rec.text_mk)}<p class="text-origin small">{label}.')
    assert html.endswith(f'<span lang="en">{escape(rec.text_en)}</span></p>')
    assert "<details" not in html


def test_the_framework_shows_an_outcomes_machine_translation(team: User) -> None:
    outcome = Outcome.objects.order_by("pk").first()
    assert outcome is not None
    Outcome.objects.filter(pk=outcome.pk).update(title_mk="Исход преведен машински")
    text_provenance_set(obj=outcome, field="title", language="mk", origin=TextOrigin.MACHINE)
    html = _get(_client(team, "mk"), reverse("programme:results_framework"))
    with translation.override("mk"):
        label = str(TextOrigin.MACHINE.label)
    assert "Исход преведен машински</h2>" in html
    assert f'</h2>\n  <div class="text-origin small muted"><p>{label}</p>' in html


def test_the_meeting_page_shows_each_text_in_the_readers_language(team: User) -> None:
    meeting = Meeting.objects.get(number=3)
    html = _get(_client(team, "sq"), reverse("programme:meeting_detail", args=[meeting.pk]))
    assert "<div><p>1. Arritjet aktuale të veprimit" in html
    assert "Ekipi programor i veprimit" in html
    assert "Veprimi do të forcojë bashkëpunimin" in html  # decision 3
    assert html.count('class="source-text"') >= 3 + 3 + 1  # purpose, agenda, minutes; decisions


def test_the_recommendation_list_looks_up_origins_in_one_query(team: User) -> None:
    client = _client(team, "mk")
    client.get(reverse("recommendations:list"))  # per-process caches filled
    with CaptureQueriesContext(connection) as queries:
        html = _get(client, reverse("recommendations:list"))
    table = TextProvenance._meta.db_table
    assert len([q for q in queries.captured_queries if table in q["sql"]]) == 1
    assert html.count('class="source-text"') == 15


def test_seeding_writes_the_provenance_the_seed_gives(team: User) -> None:
    rec = Recommendation.objects.get(number=1)
    assert text_origin(rec, "text", "mk") == TextOrigin.WORKING
    assert text_origin(rec, "text", "en") == TextOrigin.OFFICIAL
    moi, mspdy = Institution.objects.get(code="moi"), Institution.objects.get(code="mspdy")
    # The ministries' own names are official; a name of our own making is a working one.
    assert text_origins([moi, mspdy], "name", "mk") == {
        moi.pk: TextOrigin.OFFICIAL,
        mspdy.pk: TextOrigin.OFFICIAL,
    }
    assert text_origins([moi, mspdy], "name", "sq") == {
        moi.pk: TextOrigin.OFFICIAL,
        mspdy.pk: TextOrigin.WORKING,
    }
    meeting = Meeting.objects.get(number=3)
    for field in ("purpose", "agenda", "minutes"):
        assert text_origin(meeting, field, "sq") == TextOrigin.WORKING
    assert (
        TextProvenance.objects.filter(
            content_type=ContentType.objects.get_for_model(Recommendation), origin="working"
        ).count()
        == 15 * 2
    )


def _provenance_rows() -> list[tuple[Any, ...]]:
    return sorted(
        TextProvenance.objects.values_list(
            "content_type_id", "object_id", "field", "language", "origin", "updated_at"
        )
    )


def test_seeding_twice_changes_nothing(team: User) -> None:
    rows = _provenance_rows()
    assert len(rows) > 100
    result = seed_load()
    assert result == {"created": {}, "updated": {}}
    assert _provenance_rows() == rows


def test_an_administrators_choice_is_kept_and_overwrite_puts_the_seeds_back(team: User) -> None:
    rec = Recommendation.objects.get(number=2)
    text_provenance_set(obj=rec, field="text", language="mk", origin=TextOrigin.OFFICIAL)
    Recommendation.objects.filter(pk=rec.pk).update(text_sq="Teksti i administratorit.")
    text_provenance_set(obj=rec, field="text", language="sq", origin=TextOrigin.OFFICIAL)
    seed_load()
    assert text_origin(rec, "text", "mk") == TextOrigin.OFFICIAL
    rec.refresh_from_db()
    assert rec.text_sq == "Teksti i administratorit."
    seed_load(overwrite=True)
    rec.refresh_from_db()
    assert rec.text_sq.startswith("Në organet ekzistuese")
    assert text_origin(rec, "text", "mk") == TextOrigin.WORKING
    assert text_origin(rec, "text", "sq") == TextOrigin.WORKING


def test_a_missing_translation_is_filled_by_the_seed_with_its_provenance(team: User) -> None:
    study = Study.objects.get(slug="ict-and-human-trafficking")
    Study.objects.filter(pk=study.pk).update(title_mk="")
    TextProvenance.objects.filter(object_id=study.pk, field="title", language="mk").delete()
    seed_load()
    study.refresh_from_db()
    assert study.title_mk == "ИКТ и трговија со луѓе"
    assert text_origin(study, "title", "mk") == TextOrigin.WORKING


def test_provenance_set_refuses_an_unknown_language(team: User) -> None:
    rec = Recommendation.objects.get(number=1)
    with pytest.raises(ValueError):
        text_provenance_set(obj=rec, field="text", language="de", origin=TextOrigin.WORKING)
    assert text_provenance_set(obj=rec, field="text", language="mk", origin="working") is False
    assert text_provenance_set(obj=rec, field="text", language="mk", origin="machine") is True
    assert text_origin(rec, "text", "mk") == TextOrigin.MACHINE


def test_the_seed_keeps_the_english_recommendations_word_for_word() -> None:
    text = (Path(SOURCES_DIR) / "wg4-recommendations.txt").read_text(encoding="utf-8")
    expected = {int(n): b.strip() for n, b in re.findall(r"^(\d+)\.\s+(.+)$", text, re.M)}
    data = yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))
    assert {r["number"]: r["text"]["en"] for r in data["recommendations"]} == expected
    for r in data["recommendations"]:
        assert r["text"]["mk"] and r["text"]["sq"], r["number"]
