"""Translated fields on pages: the text in the reader's language with its ``lang``, and, when
that text is a working or machine translation, its status with the English source one click
away (docs/translations.md).

- ``{% translated obj "field" %}`` shows the text (``paragraphs=True`` for a long text,
  ``truncate=24`` for a list, ``status=False`` where the status cannot stand: a heading, a
  link; then ``{% text_status obj "field" %}`` puts it after).
- ``{% text_origins_for objects "field" path="recommendation" as origins %}`` looks up the
  origins of a whole list in one query; pass ``origins=origins`` to the tags in the loop.
- ``printed=True`` (PDF reports) prints the source text after the status: a PDF has no click.
- ``fallback_lang`` marks an element whose text falls back to another language.
- A text the reader's language does not have yet shows the fallback (English, else the language
  that has one) with "Not yet translated into …" in small print where the status goes; a PDF
  marks it with the language's code instead (``FALLBACK_MARK``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import template
from django.conf import settings
from django.db import models
from django.template.defaultfilters import linebreaks_filter, linebreaksbr
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from core.choices import TextOrigin
from core.translations import ShownText, fallback_languages, shown_text, text_origins

register = template.Library()


# After a printed text shown in English on a Macedonian or Albanian page; a report that holds
# one says once, near its start, what the mark means (reports.documents).
FALLBACK_MARK = SafeString(' <span class="fallback-mark note" lang="en">EN</span>')

# Said, in the reader's language, beside a text shown through the fallback.
NOT_TRANSLATED = {
    "en": gettext_lazy("Not yet translated into English"),
    "mk": gettext_lazy("Not yet translated into Macedonian"),
    "sq": gettext_lazy("Not yet translated into Albanian"),
}


def _page_language() -> str:
    return get_language() or settings.LANGUAGE_CODE


@register.filter
def fallback_lang(obj: Any, field: str) -> SafeString:
    """`` lang="en"`` for ``<p{{ decision|fallback_lang:"text" }}>`` when the decision's text
    is shown in English (or another fallback language) because the page's language has none;
    nothing when it is in the page's language (or the field is not translated)."""
    language = _page_language()
    if not hasattr(obj, f"{field}_{language}") or getattr(obj, f"{field}_{language}"):
        return SafeString("")
    for other in fallback_languages(language):
        if getattr(obj, f"{field}_{other}", None):
            return format_html(' lang="{}"', other)
    return SafeString("")


def _fallback_mark(language: str) -> SafeString:
    if language == settings.MODELTRANSLATION_DEFAULT_LANGUAGE:
        return FALLBACK_MARK
    return format_html(
        ' <span class="fallback-mark note" lang="{}">{}</span>', language, language.upper()
    )


def _shown(obj: models.Model, field: str, origins: Mapping[int, TextOrigin] | None) -> ShownText:
    origin = origins.get(obj.pk) if origins is not None else None
    return shown_text(obj, field, _page_language(), origin=origin)


def _status_html(shown: ShownText, *, printed: bool = False, source: bool = True) -> SafeString:
    if shown.missing and shown.text and not printed:  # on paper the mark is FALLBACK_MARK
        note = NOT_TRANSLATED.get(_page_language())
        return (
            format_html('<p class="text-missing small muted">{}</p>', note)
            if note
            else SafeString("")
        )
    if not shown.needs_status:
        return SafeString("")
    if printed and not source:  # a report's small print: the status alone, on its own line
        return format_html(
            '<span class="text-origin note line">{}</span>', TextOrigin(shown.origin).label
        )
    if printed:  # a PDF has no click: the source is printed beside the status
        return format_html(
            '<p class="text-origin small">{}. {}: <span lang="{}">{}</span></p>',
            TextOrigin(shown.origin).label,
            _("Source text"),
            _source_language(),
            shown.source,
        )
    original = (
        format_html('<div lang="{}">{}</div>', _source_language(), linebreaks_filter(shown.source))
        if "\n" in shown.source.strip()
        else format_html('<p lang="{}">{}</p>', _source_language(), shown.source)
    )
    return format_html(
        '<div class="text-origin small muted"><p>{}</p>'
        '<details class="source-text"><summary>{}</summary>{}</details></div>',
        TextOrigin(shown.origin).label,
        _("Source text"),
        original,
    )


def _source_language() -> str:
    return str(settings.MODELTRANSLATION_DEFAULT_LANGUAGE)


@register.simple_tag
def translated(
    obj: models.Model,
    field: str,
    *,
    origins: Mapping[int, TextOrigin] | None = None,
    paragraphs: bool = False,
    truncate: int = 0,
    status: bool = True,
    printed: bool = False,
    source: bool = True,
) -> SafeString:
    """``obj``'s ``field`` in the reader's language (or, where it has none yet, the fallback
    in an element marked with its ``lang``), followed by its status when it is not official
    or "Not yet translated into …" when it is the fallback. ``printed=True`` marks a fallback
    with a small "EN" (``FALLBACK_MARK``) instead; with ``source=False`` its status is printed
    without the English source."""
    shown = _shown(obj, field, origins)
    # ``lang`` only where the text is not in the page's language (the fallback to English).
    lang = format_html(' lang="{}"', shown.language) if shown.language != _page_language() else ""
    if paragraphs:
        text = format_html("<div{}>{}</div>", lang, linebreaks_filter(shown.text))
    else:
        body = Truncator(shown.text).words(truncate) if truncate else shown.text
        # Inline, a text in the page's language needs no element of its own.
        text = linebreaksbr(body)
        if lang:
            text = format_html("<span{}>{}</span>", lang, text)
    if lang and printed:  # on paper the reader cannot ask: the mark says so
        text = format_html("{}{}", text, _fallback_mark(shown.language))
    if not status:
        return text
    return format_html("{}{}", text, _status_html(shown, printed=printed, source=source))


@register.simple_tag
def text_status(
    obj: models.Model,
    field: str,
    *,
    origins: Mapping[int, TextOrigin] | None = None,
    printed: bool = False,
    source: bool = True,
) -> SafeString:
    """The status of ``obj``'s ``field`` as the page shows it, with the source text, or "Not
    yet translated into …" for a fallback; nothing for an official text. ``printed=True`` for
    a PDF (where the fallback has its mark after the text instead): the source text
    printed in full after the status instead of behind a click (``source=False``: not at
    all)."""
    return _status_html(_shown(obj, field, origins), printed=printed, source=source)


@register.simple_tag
def shown_text_of(
    obj: models.Model, field: str, *, origins: Mapping[int, TextOrigin] | None = None
) -> ShownText:
    """What the page shows of ``obj``'s ``field``: ``{% shown_text_of r "text" as shown %}``
    gives ``shown.text``, ``shown.language``, ``shown.origin``, ``shown.needs_status``."""
    return _shown(obj, field, origins)


def _walk(items: Iterable[Any], path: str) -> list[models.Model]:
    """The records at ``path`` ("indicators.indicator") from each item, lists flattened."""
    found: list[Any] = list(items)
    for step in filter(None, path.split(".")):
        following: list[Any] = []
        for item in found:
            value = getattr(item, step)
            if isinstance(value, list | tuple):
                following.extend(value)
            elif value is not None:
                following.append(value)
        found = following
    return [item for item in found if isinstance(item, models.Model)]


@register.simple_tag
def text_origins_for(items: Iterable[Any], field: str, *, path: str = "") -> dict[int, TextOrigin]:
    """The origins of ``field`` in the reader's language of the records of a list (or at
    ``path`` from each of its items), in one query: for ``origins=`` in the loop."""
    objects = _walk(items or [], path)
    language = _page_language()
    if language == settings.MODELTRANSLATION_DEFAULT_LANGUAGE:
        return {obj.pk: TextOrigin.OFFICIAL for obj in objects}
    return text_origins(objects, field, language)
