"""The language a recommendation's text is shown in, so that a page can mark text in another
language than its own with ``lang`` (a screen reader then reads it with the right voice)."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from recommendations.models import Recommendation

register = template.Library()


def _page_language() -> str:
    return get_language() or settings.LANGUAGE_CODE


@register.filter
def text_lang(recommendation: Recommendation) -> str:
    """The language of the text this page shows: the reader's, or English (the original)
    where the reader's translation is missing."""
    language = _page_language()
    return (
        settings.MODELTRANSLATION_DEFAULT_LANGUAGE
        if recommendation.text_status(language) == "missing"
        else language
    )


@register.filter
def text_lang_attr(recommendation: Recommendation) -> SafeString:
    """`` lang="en"`` for an element holding the text when it is not in the page's language,
    nothing when it is: ``<blockquote{{ recommendation|text_lang_attr }}>``."""
    language = text_lang(recommendation)
    if language == _page_language():
        return SafeString("")
    return format_html(' lang="{}"', language)
