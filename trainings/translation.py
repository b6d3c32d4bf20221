"""Fields stored once per language (English, Macedonian, Albanian), English the fallback."""

from __future__ import annotations

from modeltranslation.translator import TranslationOptions, register

from trainings.models import Topic, Training


@register(Topic)
class TopicTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Training)
class TrainingTranslation(TranslationOptions):
    fields = ("title", "methodology")
