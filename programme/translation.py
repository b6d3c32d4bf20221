"""Fields stored once per language (English, Macedonian, Albanian), English the fallback."""

from __future__ import annotations

from modeltranslation.translator import TranslationOptions, register

from programme.models import (
    Action,
    Decision,
    Indicator,
    Intervention,
    Meeting,
    MeetingAttendance,
    Outcome,
    OutcomeNarrative,
    Output,
    PeriodNarrative,
    PeriodRisk,
    Programme,
)


@register(Programme)
class ProgrammeTranslation(TranslationOptions):
    fields = ("name", "description")


@register(Action)
class ActionTranslation(TranslationOptions):
    fields = ("title", "summary")


@register(Outcome)
class OutcomeTranslation(TranslationOptions):
    fields = ("title", "description")


@register(Output)
class OutputTranslation(TranslationOptions):
    fields = ("title",)


@register(Indicator)
class IndicatorTranslation(TranslationOptions):
    fields = ("title", "unit")


@register(Decision)
class DecisionTranslation(TranslationOptions):
    fields = ("text",)


@register(Intervention)
class InterventionTranslation(TranslationOptions):
    fields = ("title", "description")


@register(Meeting)
class MeetingTranslation(TranslationOptions):
    fields = ("purpose", "agenda", "minutes")


@register(MeetingAttendance)
class MeetingAttendanceTranslation(TranslationOptions):
    # Names stay as they are, but the positions beside them are words of a language.
    fields = ("representatives",)


@register(PeriodNarrative)
class PeriodNarrativeTranslation(TranslationOptions):
    fields = ("executive_summary", "next_steps")


@register(OutcomeNarrative)
class OutcomeNarrativeTranslation(TranslationOptions):
    fields = ("text",)


@register(PeriodRisk)
class PeriodRiskTranslation(TranslationOptions):
    fields = ("description", "mitigation")
