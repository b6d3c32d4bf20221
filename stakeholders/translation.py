"""Fields stored once per language (English, Macedonian, Albanian), English the fallback."""

from __future__ import annotations

from modeltranslation.translator import TranslationOptions, register

from stakeholders.models import Institution, ProfessionalGroup


@register(Institution)
class InstitutionTranslation(TranslationOptions):
    fields = ("name", "short_name")


@register(ProfessionalGroup)
class ProfessionalGroupTranslation(TranslationOptions):
    fields = ("name",)
