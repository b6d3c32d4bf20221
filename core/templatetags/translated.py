"""Marks a translated field's text with ``lang`` where the page shows it in English because
the reader's language has no text yet (django-modeltranslation falls back to English)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()


@register.filter
def fallback_lang(obj: Any, field: str) -> SafeString:
    """`` lang="en"`` for ``<p{{ decision|fallback_lang:"text" }}>`` when the decision's text
    is shown in English on a Macedonian or Albanian page; nothing when it is in the page's
    language (or the field is not translated)."""
    default = settings.MODELTRANSLATION_DEFAULT_LANGUAGE
    language = get_language() or settings.LANGUAGE_CODE
    if language == default or not hasattr(obj, f"{field}_{language}"):
        return SafeString("")
    if getattr(obj, f"{field}_{language}") or not getattr(obj, f"{field}_{default}", ""):
        return SafeString("")
    return format_html(' lang="{}"', default)
