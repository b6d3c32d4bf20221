"""Every portal page the seed and the demo set reach, and every report about them, read in
Macedonian and in Albanian, hold none of their English texts.

The pages are found as a reader finds them: from the dashboard and the public site's home, by
following every link to a page of the platform (GET only; no downloads, feeds, logout or the
administration), as the programme team, who may open every one. The English texts are every
English value of every translatable field (modeltranslation's registry) of what the seed and
the demo set wrote, so a record added to either is checked as soon as it is there. Only the
source text a working translation offers one click away, and the English field of a form that
edits all three languages, may hold English (tests/test_content_languages.py says how a page is
read); names are shown as written (``names_kept``).
"""

from __future__ import annotations

from collections.abc import Collection
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from modeltranslation.translator import translator

from programme.models import Meeting, ReportingPeriod
from recommendations.models import Recommendation
from reports.choices import ReportKind
from reports.documents import report_html
from reports.services import report_request
from research.models import Study
from stakeholders.models import Institution, User
from tests.downloads import DOWNLOADS
from tests.test_content_languages import _client, _english_snippets, page_text
from trainings.models import Training

pytestmark = pytest.mark.django_db

LANGUAGES = ("mk", "sq")
# Not pages: files, feeds and machine-readable answers, or a step that leaves the portal.
NOT_PAGES = {"logout", "set_language", "health"} | DOWNLOADS
NOT_PAGE_ENDINGS = ("_download", "_xlsx", "_csv", "_ics", "feed", "public")
NOT_PAGE_APPS = {"admin", "api", "calendars"}
# A list's other pages are pages of their own; other query strings only filter or sort.
KEPT_PARAMETERS = {"page"}


class _Links(HTMLParser):
    """The addresses of a page's links."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href and not href.startswith(("mailto:", "tel:", "javascript:")):
            self.hrefs.append(href)


def _page_address(base: str, href: str) -> str | None:
    """The platform page a link leads to (normalised), or None for anything else."""
    parts = urlsplit(urljoin(base, href))
    if parts.netloc not in ("", "testserver") or not parts.path.startswith("/"):
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None  # static files, uploaded files
    name = match.view_name
    if (
        name in NOT_PAGES
        or match.app_name in NOT_PAGE_APPS
        or name.split(":")[0] in NOT_PAGE_APPS
        or name.endswith(NOT_PAGE_ENDINGS)
    ):
        return None
    query = [(k, v) for k, v in parse_qsl(parts.query) if k in KEPT_PARAMETERS]
    return parts.path + (f"?{urlencode(query)}" if query else "")


def crawl(client: Client) -> dict[str, str]:
    """Every page reachable from the dashboard and the public home: address -> HTML."""
    start = [reverse("dashboard:dashboard"), reverse("public:home")]
    queue, seen, pages = list(start), set(start), {}
    while queue:
        path = queue.pop(0)
        response = client.get(path)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        html = response.content.decode()
        pages[path] = html
        links = _Links()
        links.feed(html)
        for href in links.hrefs:
            address = _page_address(path, href)
            if address is not None and address not in seen:
                seen.add(address)
                queue.append(address)
    return pages


def loaded_english() -> set[str]:
    """What a page would show of the English of every translatable field of every record."""
    found: set[str] = set()
    for model in translator.get_registered_models(abstract=False):
        fields = list(translator.get_options_for_model(model).all_fields)
        for row in model._default_manager.values_list(*(f"{f}_en" for f in fields)):
            for value in row:
                found.update(_english_snippets(str(value or "")))
    return found


def names_kept() -> set[str]:
    """Texts shown as they are written, in no language: people's names (the demo's say what
    the account is for: "Demo CSO focal point (Demo CSO A)") and the other names of an
    institution, as spreadsheets write them ("Also known as")."""
    kept = {str(user) for user in User.objects.all()}
    kept |= {user.get_full_name() for user in User.objects.all()}
    for institution in Institution.objects.all():
        kept.update(institution.alias_list())
    return {name for name in kept if name}


def english_on(html: str, snippets: set[str], kept: Collection[str] = ()) -> set[str]:
    """The English ``snippets`` a page shows, past the names ``kept`` as they are written."""
    text = page_text(html).replace("’", "'")
    for name in sorted(kept, key=len, reverse=True):
        text = text.replace(name.replace("’", "'"), " ")
    return {s for s in snippets if s.replace("’", "'") in text}


@pytest.fixture
def team(demo: dict[str, User]) -> User:
    """The programme team's administrator, on the seed and the demo set."""
    return demo["demo-admin"]


def _expected_pages() -> set[str]:
    """Pages the walk must reach: each training, study and meeting, and the demo's
    institutions and their framework (a walk that stopped early would find nothing)."""
    return {
        reverse("programme:results_framework"),
        reverse("recommendations:list"),
        *(reverse("recommendations:detail", args=[pk]) for pk in _pks(Recommendation)),
        *(reverse("trainings:detail", args=[pk]) for pk in _pks(Training)),
        *(reverse("research:detail", args=[s.slug]) for s in Study.objects.all()),
        *(reverse("programme:meeting_detail", args=[pk]) for pk in _pks(Meeting)),
        *(
            reverse("stakeholders:institution_detail", args=[pk])
            for pk in _pks(Institution, is_demo=True)
        ),
    }


def _pks(model: Any, **filters: Any) -> list[int]:
    return list(model._default_manager.filter(**filters).values_list("pk", flat=True))


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_of_the_seed_or_the_demo_on_any_page_they_reach(
    team: User, language: str
) -> None:
    snippets = loaded_english()
    assert len(snippets) > 100  # the seed's and the demo's texts, not an empty list
    demo_training = Training.objects.get(title_en__startswith="Recognising and referring")
    assert "Recognising and referring child victims of trafficking" in snippets

    pages = crawl(_client(team, language))

    assert _expected_pages() <= set(pages), sorted(_expected_pages() - set(pages))
    assert len(pages) > 100
    kept = names_kept()
    found = {path: english_on(html, snippets, kept) for path, html in pages.items()}
    assert {path: texts for path, texts in found.items() if texts} == {}
    # The English pages show these texts, so the check looks at the right ones.
    english = _client(team, "en").get(reverse("trainings:detail", args=[demo_training.pk]))
    assert "Recognising and referring child victims of trafficking" in english_on(
        english.content.decode(), snippets
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_demo_text_without_its_translation_is_found(team: User, language: str) -> None:
    """Take a demo training's title in the language away: the walk's check finds it."""
    snippets = loaded_english()
    training = Training.objects.get(title_en__startswith="Recognising and referring")
    Training.objects.filter(pk=training.pk).update(**{f"title_{language}": ""})
    client = _client(team, language)
    for path in (reverse("trainings:list"), reverse("trainings:detail", args=[training.pk])):
        html = client.get(path).content.decode()
        assert "Recognising and referring child victims of trafficking" in english_on(
            html, snippets
        ), path


def test_a_link_outside_the_pages_is_not_followed() -> None:
    assert _page_address("/trainings/", "https://example.org/x") is None
    assert _page_address("/trainings/", "/static/app.css") is None
    assert _page_address("/", reverse("logout")) is None
    assert _page_address("/", "/trainings/?page=2&sort=title") == "/trainings/?page=2"
    assert _page_address("/trainings/", "?q=ab") == "/trainings/"


# --- The four reports, about everything the seed and the demo set hold -----------------------


def _report_text(html: str) -> str:
    """A report's text without the English source a printed working translation names."""
    return page_text(html, left_out=("source-text", "text-origin"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_english_of_the_seed_or_the_demo_in_any_report(team: User, language: str) -> None:
    snippets = loaded_english()
    subjects: list[dict[str, Any]] = [
        *(
            {"kind": ReportKind.COMMITTEE, "period": p}
            for p in ReportingPeriod.objects.filter(name__in=["2024 H2", "2025 H1"])
        ),
        {"kind": ReportKind.RECOMMENDATION, "recommendation": None},
        *({"kind": ReportKind.TRAINING, "training": t} for t in Training.objects.all()),
        *({"kind": ReportKind.MEETING, "meeting": m} for m in Meeting.objects.all()),
    ]
    assert len(subjects) >= 2 + 1 + 6 + 4
    found = {}
    for subject in subjects:
        report = report_request(by=team, language=language, **subject)
        text = _report_text(report_html(report=report)).replace("’", "'")
        found[report.series] = {s for s in snippets if s.replace("’", "'") in text}
    assert {series: sorted(t) for series, t in found.items() if t} == {}
    # A report in English holds them, so the check looks at the right texts.
    with translation.override("en"):
        report = report_request(
            by=team, language="en", kind=ReportKind.MEETING, meeting=subjects[-1]["meeting"]
        )
    assert {s for s in snippets if s in _report_text(report_html(report=report))}
