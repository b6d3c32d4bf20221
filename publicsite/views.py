"""The public site's pages: no login, in the reader's language or the one in the URL, kept in
the cache per language (publicsite/cache.py), and the sitemap, robots.txt and published files.

Each page exists twice: at ``/public/<page>`` in the language the switcher chose (cookie,
browser), and at ``/public/<language>/<page>`` in that language whatever the reader chose,
the address the sitemap, the canonical link and the language alternates give.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from core.portal import file_download
from programme.models import Action
from publicsite import selectors
from publicsite.cache import page_cached

# The Open Graph locale of each language.
OG_LOCALES = {"en": "en_GB", "mk": "mk_MK", "sq": "sq_AL"}


@dataclass(frozen=True)
class Page:
    name: str
    title: Any  # lazy text
    template: str
    context: Callable[[Action], dict[str, Any]]


PAGES: dict[str, Page] = {
    page.name: page
    for page in (
        Page(
            "home",
            _("The action and its results"),
            "public/home.html",
            lambda a: {"headline": selectors.headline_public(action=a)},
        ),
        Page(
            "results",
            _("Results framework"),
            "public/results.html",
            lambda a: {"outcomes": selectors.results_public(action=a)},
        ),
        Page(
            "trainings",
            _("Trainings"),
            "public/trainings.html",
            lambda a: {"trainings": selectors.trainings_public(action=a)},
        ),
        Page(
            "research",
            _("Research"),
            "public/research.html",
            lambda a: _research(selectors.research_public(action=a)),
        ),
        Page(
            "recommendations",
            _("Recommendations"),
            "public/recommendations.html",
            lambda a: {"rows": selectors.recommendations_public()},
        ),
        Page(
            "meetings",
            _("Steering committee"),
            "public/meetings.html",
            lambda a: {"meetings": selectors.meetings_public(action=a)},
        ),
    )
}


def _research(stages: list[selectors.PublicStage]) -> dict[str, Any]:
    return {"research": stages, "any_study": any(stage.studies for stage in stages)}


def page_url(name: str, language: str | None = None) -> str:
    """A page's address: in the reader's language, or with ``language`` in it."""
    if language is None:
        return reverse(f"public:{name}")
    return reverse(f"public:{name}_in", kwargs={"language": language})


def page_urls(language: str | None) -> dict[str, str]:
    return {name: page_url(name, language) for name in PAGES}


def absolute(path: str) -> str:
    return f"{settings.PLATFORM_URL}{path}"


@contextmanager
def _in_language(language: str | None) -> Iterator[str]:
    """The language the URL names, else the one the middleware chose for the reader."""
    if language is None:
        yield translation.get_language() or settings.LANGUAGE_CODE
        return
    with translation.override(language):
        yield language


def _content(page: Page, language: str, explicit: bool) -> dict[str, Any]:
    """What is kept of a page: its content and the words its header needs; no request."""
    action = selectors.public_action()
    urls = page_urls(language if explicit else None)
    context: dict[str, Any] = {"action": action, "urls": urls, "page": page.name}
    if action is not None:
        context |= page.context(action)
    summary = action.summary if action is not None else ""
    return {
        "main": render_to_string(page.template, context),
        "action_title": action.title if action is not None else "",
        "description": Truncator(summary).chars(200) if summary else "",
    }


@require_safe
def public_page(request: HttpRequest, page: str, language: str | None = None) -> HttpResponse:
    """One page of the public site."""
    spec = PAGES[page]
    with _in_language(language) as shown_in:
        kept = page_cached(
            page=page,
            language=shown_in,
            variant="in-url" if language else "chosen",
            render=lambda: _content(spec, shown_in, explicit=language is not None),
        )
        context = {
            **kept,
            # Rendered by _content from the site's own templates, which escape every value.
            "main": mark_safe(kept["main"]),  # noqa: S308
            "page": page,
            "page_title": spec.title,
            "urls": page_urls(language),
            "canonical": absolute(page_url(page, shown_in)),
            "alternates": [
                (code, absolute(page_url(page, code))) for code, _name in settings.LANGUAGES
            ],
            "x_default": absolute(page_url(page)),
            "og_locale": OG_LOCALES.get(shown_in, shown_in),
            "og_alternates": [
                OG_LOCALES.get(code, code) for code, _name in settings.LANGUAGES if code != shown_in
            ],
            # The switcher comes back to the page that follows the reader's choice.
            "switch_next": page_url(page),
        }
        response = render(request, "public/base.html", context)
    response["Content-Language"] = shown_in
    return response


@require_safe
def study_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A published language version of a public study: its file, or where it is published."""
    version = get_object_or_404(selectors.study_versions_public().select_related("study"), pk=pk)
    if version.file:
        suffix = Path(version.file.name or "").suffix.lower()
        name = f"{version.study.slug[:80]}-{version.language}"
        return file_download(
            request, version.file, filename=name + (suffix if suffix[1:].isalnum() else "")
        )
    if version.url:
        return redirect(version.url)
    raise Http404


@require_safe
def sitemap(request: HttpRequest) -> HttpResponse:
    """Every public page in every language, each with its alternates (hreflang)."""
    languages = [code for code, _name in settings.LANGUAGES]
    entries = [
        {
            "loc": absolute(page_url(name, code)),
            "alternates": [(other, absolute(page_url(name, other))) for other in languages],
            "x_default": absolute(page_url(name)),
        }
        for name in PAGES
        for code in languages
    ]
    return render(
        request,
        "public/sitemap.xml",
        {"entries": entries},
        content_type="application/xml; charset=utf-8",
    )


@require_safe
def robots(request: HttpRequest) -> HttpResponse:
    """Search engines may read the public site (and its styles and marks), not the portal."""
    lines = [
        "User-agent: *",
        f"Allow: {reverse('public:home')}",
        f"Allow: /{settings.STATIC_URL.strip('/')}/",
        "Disallow: /",
        "",
        f"Sitemap: {absolute(reverse('public:sitemap'))}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
