"""Fields stored once per language (English, Macedonian, Albanian), English the fallback."""

from __future__ import annotations

from modeltranslation.translator import TranslationOptions, register

from recommendations.models import Instrument, Recommendation, RecommendationSet, Theme


@register(RecommendationSet)
class RecommendationSetTranslation(TranslationOptions):
    fields = ("title", "issued_by", "working_group", "session")


@register(Theme)
class ThemeTranslation(TranslationOptions):
    fields = ("name",)


@register(Instrument)
class InstrumentTranslation(TranslationOptions):
    fields = ("name", "short_name")


@register(Recommendation)
class RecommendationTranslation(TranslationOptions):
    fields = ("text",)
