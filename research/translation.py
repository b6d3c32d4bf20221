"""Fields stored once per language (English, Macedonian, Albanian), English the fallback."""

from __future__ import annotations

from modeltranslation.translator import TranslationOptions, register

from research.models import Study


@register(Study)
class StudyTranslation(TranslationOptions):
    fields = ("title", "summary", "key_findings")
