"""The public site (public/): open to anyone, in three languages, kept in the cache, and
never showing a person's name, a progress update's narrative or a small number of people."""

from __future__ import annotations

import re
from collections import deque
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programme.models import Action, Decision, Indicator, Meeting
from publicsite.views import PAGES
from recommendations.models import Evidence, ProgressUpdate
from research.choices import LanguageVersion, StudyStatus
from research.models import Study, StudyVersion
from stakeholders.choices import Sex
from stakeholders.models import Institution, ProfessionalGroup, User
from trainings.choices import TrainingStatus
from trainings.models import Attendance, Participant, Topic, Training

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SMALL_GROUP_NAME = "Zorica Testovska"  # a participant of the small training below


# --- Reading pages as a visitor does -------------------------------------------------------


class _Page(HTMLParser):
    """The links of a page and its tables of people: each row's cells as text."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.tables: list[dict[str, Any]] = []
        self._table: dict[str, Any] | None = None
        self._row: list[tuple[str, bool]] | None = None
        self._cell: list[str] | None = None
        self._hidden = False
        self._section = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        if tag == "link" and a.get("rel") in ("canonical", "alternate") and a.get("href"):
            self.links.append(str(a["href"]))
        if tag == "table":
            classes = (a.get("class") or "").split()
            self._table = {
                "people": "people" in classes,
                "held": "trainings-held" in classes,
                "body": [],
                "foot": [],
            }
            self.tables.append(self._table)
        if tag in ("thead", "tbody", "tfoot"):
            self._section = tag
        if tag == "tr" and self._table is not None:
            self._row = []
        if tag in ("td", "th") and self._row is not None:
            self._cell = []
            self._hidden = "suppressed" in (a.get("class") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append((" ".join("".join(self._cell).split()), self._hidden))
            self._cell = None
        if tag == "tr" and self._table is not None and self._row is not None:
            if self._section == "tbody":
                self._table["body"].append(self._row)
            elif self._section == "tfoot":
                self._table["foot"].append(self._row)
            self._row = None
        if tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _number(cell: tuple[str, bool]) -> int | None:
    """A shown count, or None for a hidden one (in any language: marked as suppressed)."""
    text, hidden = cell
    if hidden:
        return None
    return int(text.replace(",", "").replace(".", "").replace("\xa0", ""))


def _work_back(rows: list[list[int | None]], foot: list[int | None] | None) -> set[tuple[int, int]]:
    """Every hidden cell a reader can compute from the totals beside it: each row's last
    cell is the sum of the others, and the total row the sum of each column. Repeats until
    nothing more comes out, as someone with a pencil would."""
    grid = [list(r) for r in rows] + ([list(foot)] if foot else [])
    lines: list[tuple[list[tuple[int, int]], tuple[int, int]]] = []
    width = len(grid[0]) if grid else 0
    for i in range(len(grid)):
        lines.append(([(i, j) for j in range(width - 1)], (i, width - 1)))
    if foot:
        last = len(grid) - 1
        for j in range(width):
            lines.append(([(i, j) for i in range(last)], (last, j)))
    found: set[tuple[int, int]] = set()
    progress = True
    while progress:
        progress = False
        for parts, total in lines:
            unknown = [c for c in (*parts, total) if grid[c[0]][c[1]] is None]
            if len(unknown) != 1:
                continue
            (i, j) = unknown[0]
            known = sum(grid[p[0]][p[1]] or 0 for p in parts if p != (i, j))
            grid[i][j] = grid[total[0]][total[1]] - known if (i, j) != total else known  # type: ignore[operator]
            found.add((i, j))
            progress = True
    return found


# --- The data the pages show ---------------------------------------------------------------


@pytest.fixture
def site(demo: dict[str, User], settings: Any, tmp_path: Any) -> dict[str, Any]:
    """The demo, plus a small training (three people) and studies at the publication's edges."""
    settings.MEDIA_ROOT = tmp_path
    action = Action.objects.get()
    group = ProfessionalGroup.objects.order_by("pk").first()
    topic = Topic.objects.create(name="Small-number topic", slug="small-number-topic")
    organiser = Institution.objects.get(code="demo-cso-a")
    held = timezone_today() - timedelta(days=10)
    training = Training.objects.create(
        action=action,
        title="A small workshop",
        organiser=organiser,
        status=TrainingStatus.HELD,
        start_date=held,
        end_date=held,
        city="Ohrid",
    )
    training.topics.set([topic])
    for name, sex in (
        (SMALL_GROUP_NAME, Sex.FEMALE),
        ("Ana Malaš", Sex.FEMALE),
        ("Petar Mal", Sex.MALE),
    ):
        person = Participant.objects.create(
            full_name=name, sex=sex, professional_group=group, registered_by_institution=organiser
        )
        Attendance.objects.create(training=training, participant=person)

    def study(slug: str, *, public: bool, published: bool) -> StudyVersion:
        s = Study.objects.create(
            action=action,
            slug=slug,
            title_en=f"Study {slug}",
            status=StudyStatus.PUBLISHED if published else StudyStatus.DRAFT,
            published_on=date(2025, 1, 10) if published else None,
            is_public=public,
        )
        return StudyVersion.objects.create(
            study=s, language=LanguageVersion.ENGLISH, file=SimpleUploadedFile(f"{slug}.pdf", PDF)
        )

    update = ProgressUpdate.objects.exclude(narrative="").order_by("pk").first()
    assert update is not None
    evidence = Evidence.objects.create(
        update=update,
        title="Confidential evidence of the shelter visit",
        file=SimpleUploadedFile("e.pdf", PDF),
    )
    return {
        "published": study("published-public", public=True, published=True),
        "hidden": study("published-hidden", public=False, published=True),
        "draft": study("draft-public", public=True, published=False),
        "evidence": evidence,
        "training": training,
    }


def timezone_today() -> date:
    from django.utils import timezone

    return timezone.localdate()


# --- The acceptance crawl ------------------------------------------------------------------


def test_a_visitor_crawling_the_public_site_meets_no_login_no_name_no_narrative_and_no_small_number(
    site: dict[str, Any],
) -> None:
    client = Client()
    host = urlsplit(settings.PLATFORM_URL).netloc
    names = set(Participant.objects.exclude(full_name="").values_list("full_name", flat=True))
    assert SMALL_GROUP_NAME in names
    narratives = {
        n for n in ProgressUpdate.objects.values_list("narrative", flat=True) if len(n) > 20
    }
    assert narratives, "the demo's narratives must exist, or this test proves nothing"
    evidence_titles = set(Evidence.objects.values_list("title", flat=True))

    queue = deque([reverse("public:home")])
    seen: set[str] = set()
    pages: dict[str, str] = {}
    checked: dict[str, int] = {}
    while queue:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        if hasattr(response, "streaming_content"):  # a file: read to its end, which closes it
            b"".join(response.streaming_content)
        checked[path] = response.status_code
        assert response.status_code == 200, f"{path}: {response.status_code}"
        if not path.startswith("/public/") or "text/html" not in response["Content-Type"]:
            continue
        html = response.content.decode()
        pages[path] = html
        parser = _Page()
        parser.feed(html)
        for href in parser.links:
            parts = urlsplit(href)
            if parts.netloc and parts.netloc != host:
                continue  # another site
            if not parts.path:
                continue  # a link within the page (the skip link)
            if parts.path.startswith(
                settings.STATIC_URL
                if settings.STATIC_URL.startswith("/")
                else f"/{settings.STATIC_URL}"
            ):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))

    # Every page, in every language, reached from the home page.
    for name in PAGES:
        for code, _label in settings.LANGUAGES:
            assert reverse(f"public:{name}_in", kwargs={"language": code}) in pages
    # The published study's file is linked and served; the others are neither.
    published = reverse("public:study_file", kwargs={"pk": site["published"].pk})
    assert checked.get(published) == 200
    for other in ("hidden", "draft"):
        url = reverse("public:study_file", kwargs={"pk": site[other].pk})
        assert url not in checked
        assert client.get(url).status_code == 404
    # The portal's sign-in page is the only page outside the site it links to.
    assert {p for p in checked if not p.startswith("/public/")} == {reverse("login")}

    small = withheld = 0
    for path, html in pages.items():
        for name in names:
            assert name not in html, f"{path} names a participant"
        for text in narratives:
            assert text not in html, f"{path} shows a progress update's narrative"
        for title in evidence_titles:
            assert title not in html, f"{path} shows a piece of evidence"
        parser = _Page()
        parser.feed(html)
        for table in parser.tables:
            if table["held"]:  # a training's participants, the last column
                for row in (r for r in table["body"] if len(r) > 1):
                    assert _number(row[-1]) is None or (_number(row[-1]) or 0) >= 11, path
            if not table["people"]:
                continue
            # Tables of people: the first cell is the label; a topic table's trainings
            # column counts trainings, not people, and is left out.
            first = table["body"][0] if table["body"] else []
            skip = 2 if len(first) == 6 else 1
            rows = [[_number(c) for c in row[skip:]] for row in table["body"] if len(row) > 1]
            foot = [_number(c) for c in table["foot"][0][1:]] if table["foot"] else None
            for row in [*rows, *([foot] if foot else [])]:
                assert all(v is None or v >= 11 for v in row), f"{path}: a small number {row}"
            assert _work_back(rows, foot) == set(), f"{path}: a hidden cell can be worked back"
        small += html.count("fewer than 11")
        withheld += html.count(">withheld<")
    assert small and withheld, "no suppressed cell met: the crawl proved nothing"
    # A training's participants are suppressed too.
    trainings = pages[reverse("public:trainings_in", kwargs={"language": "en"})]
    row = re.search(r"A small workshop.*?</tr>", trainings, re.S)
    assert row is not None and "fewer than 11" in row.group(0)


def test_the_work_back_check_finds_a_hidden_cell_beside_its_total() -> None:
    assert _work_back([[30, None, 12, 67]], None) == {(0, 1)}
    assert _work_back([[30, None, None, 67]], None) == set()
    assert _work_back([[None, None, 12], [20, 30, 50]], [25, 38, 62]) == {(0, 0), (0, 1)}


# --- Languages, links and metadata ---------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
def test_each_page_follows_the_language_switch_and_names_its_language(
    demo: dict[str, User], language: str
) -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for name in PAGES:
        response = client.get(reverse(f"public:{name}"))
        assert response.status_code == 200
        html = response.content.decode()
        assert f'<html lang="{language}"' in html
        assert response["Content-Language"] == language
        canonical = f"{settings.PLATFORM_URL}/public/{language}/"
        assert f'<link rel="canonical" href="{canonical}' in html
        assert 'property="og:title"' in html and 'property="og:url"' in html


def test_a_language_in_the_address_wins_over_the_switch(demo: dict[str, User]) -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/public/sq/results/").content.decode()
    assert '<html lang="sq"' in html
    assert 'hreflang="mk" href="' in html
    # Its links stay in Albanian, the switcher comes back to the page that follows the choice.
    assert 'href="/public/sq/trainings/"' in html
    assert 'name="next" value="/public/results/"' in html


def test_the_pages_show_only_published_indicators_and_decisions(demo: dict[str, User]) -> None:
    client = Client()
    hidden = Indicator.objects.filter(is_public=False).first()
    shown = Indicator.objects.filter(is_public=True).first()
    assert hidden is not None and shown is not None
    html = client.get("/public/en/results/").content.decode()
    assert shown.title in html and hidden.title not in html
    assert "Value to date" in html and "End-of-action target" in html

    meetings = client.get("/public/en/meetings/").content.decode()
    public = Decision.objects.filter(is_public=True).first()
    assert public is not None
    assert public.text[:60] in meetings
    private = Decision.objects.create(
        meeting=Meeting.objects.get(number=3), number=99, text="A decision kept internal"
    )
    assert "A decision kept internal" not in client.get("/public/en/meetings/").content.decode()
    private.is_public = True
    private.save()
    assert "A decision kept internal" in client.get("/public/en/meetings/").content.decode()


def test_a_change_to_the_data_retires_the_kept_pages(demo: dict[str, User]) -> None:
    client = Client()
    indicator = Indicator.objects.filter(is_public=True).first()
    assert indicator is not None
    assert indicator.title in client.get("/public/en/results/").content.decode()
    indicator.is_public = False
    indicator.save()
    assert indicator.title not in client.get("/public/en/results/").content.decode()


def test_the_recommendations_page_lists_every_recommendation_with_its_status(
    demo: dict[str, User],
) -> None:
    html = Client().get("/public/en/recommendations/").content.decode()
    parser = _Page()
    parser.feed(html)
    (table,) = parser.tables
    assert len(table["body"]) == 15
    assert all(row[3][0] for row in table["body"])  # the institutions assigned


def test_sitemap_lists_every_page_in_three_languages(demo: dict[str, User]) -> None:
    response = Client().get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    xml = response.content.decode()
    assert xml.count("<url>") == len(PAGES) * 3
    for code in ("en", "mk", "sq"):
        assert f"<loc>{settings.PLATFORM_URL}/public/{code}/results/</loc>" in xml
        assert f'hreflang="{code}"' in xml


def test_robots_allows_the_public_site_and_disallows_the_portal() -> None:
    response = Client().get("/robots.txt")
    assert response.status_code == 200
    lines = response.content.decode().splitlines()
    assert "Allow: /public/" in lines and "Disallow: /" in lines
    assert f"Sitemap: {settings.PLATFORM_URL}/sitemap.xml" in lines


def test_the_login_page_carries_the_visibility_marks() -> None:
    html = Client().get(reverse("login")).content.decode()
    assert "visibility/eu-emblem.svg" in html and "visibility/coe-mark.svg" in html
    assert "Funded by the European Union and the Council of Europe" in html
    assert 'alt="Flag of the European Union"' in html


def test_every_public_page_carries_the_marks_and_the_disclaimer(demo: dict[str, User]) -> None:
    client = Client()
    for name in PAGES:
        html = client.get(reverse(f"public:{name}_in", kwargs={"language": "en"})).content.decode()
        assert "Implemented by the Council of Europe" in html
        assert "This website was produced with the financial support" in html
        assert "public/public.css" in html  # with its print rules


# --- The cache and the query count ---------------------------------------------------------


def _queries(client: Client, path: str) -> int:
    """The queries a page runs, less the savepoints of the request's transaction."""
    with CaptureQueriesContext(connection) as context:
        assert client.get(path).status_code == 200
    return sum(1 for q in context.captured_queries if "SAVEPOINT" not in q["sql"])


def _more_of_everything() -> None:
    """Trainings, people, studies, decisions and indicators on top of the demo."""
    action = Action.objects.get()
    organiser = Institution.objects.get(code="demo-cso-b")
    groups = list(ProfessionalGroup.objects.all()[:3])
    topic = Topic.objects.order_by("pk").first()
    assert topic is not None
    day = timezone_today() - timedelta(days=30)
    for i in range(4):
        t = Training.objects.create(
            action=action,
            title=f"Extra {i}",
            organiser=organiser,
            status=TrainingStatus.HELD,
            start_date=day,
            end_date=day,
        )
        t.topics.set([topic])
        t.target_groups.set(groups)
        for j in range(12):
            p = Participant.objects.create(
                full_name=f"Extra {i}-{j}", sex=Sex.MALE, professional_group=groups[j % 3]
            )
            Attendance.objects.create(training=t, participant=p)
        Study.objects.create(
            action=action, slug=f"extra-{i}", title_en=f"Extra {i}", is_public=True
        )
        Decision.objects.create(
            meeting=Meeting.objects.get(number=3), number=50 + i, text="Extra", is_public=True
        )
    Indicator.objects.filter(is_public=False).update(is_public=True)


def test_each_page_runs_a_fixed_number_of_queries_and_none_once_kept(
    demo: dict[str, User],
) -> None:
    from django.core.cache import cache

    client = Client()
    paths = [reverse(f"public:{name}_in", kwargs={"language": "en"}) for name in PAGES]
    cold = {path: _queries(client, path) for path in paths}
    warm = {path: _queries(client, path) for path in paths}
    assert all(n == 0 for n in warm.values()), warm
    _more_of_everything()
    cache.clear()
    assert {path: _queries(client, path) for path in paths} == cold


def test_pages_are_kept_per_language(demo: dict[str, User]) -> None:
    client = Client()
    english = client.get("/public/en/trainings/").content.decode()
    macedonian = client.get("/public/mk/trainings/").content.decode()
    assert '<html lang="mk"' in macedonian
    assert english != macedonian
    assert "<h1>Trainings</h1>" in english and "<h1>Trainings</h1>" not in macedonian
