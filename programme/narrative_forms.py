"""Forms of the period narrative: one text (or a risk's two) in every language side by side,
with where each translation comes from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from core.basemodels import NO_VICTIM_DETAILS
from core.choices import TextOrigin
from core.translation_work import source_language
from core.translations import text_origin
from programme.choices import RiskLevel

TEXT_ROWS = 8


@dataclass(frozen=True)
class FieldInLanguage:
    """One text's field in one language, and beside it the field for its origin (none for
    the source language: English is the original)."""

    text: forms.BoundField
    origin: forms.BoundField | None


@dataclass(frozen=True)
class LanguageColumn:
    """A language's column of the form: its texts, one under the other."""

    code: str
    name: str
    fields: list[FieldInLanguage]


class NarrativeTextsForm(forms.Form):
    """Some texts of a record of the period narrative, each in English, Macedonian and
    Albanian, with the origin of each translation."""

    def __init__(
        self,
        *args: Any,
        texts: Sequence[tuple[str, Any]],
        instance: Model | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.texts = list(texts)
        self.instance = instance
        for name, label in self.texts:
            for code, language in settings.LANGUAGES:
                self.fields[f"{name}_{code}"] = forms.CharField(
                    label=format_label(label, language),
                    required=False,
                    strip=True,
                    widget=forms.Textarea(attrs={"rows": TEXT_ROWS, "lang": code}),
                    help_text=NO_VICTIM_DETAILS if code == source_language() else "",
                    initial=getattr(instance, f"{name}_{code}", "") if instance else "",
                )
                if code == source_language():
                    continue
                self.fields[f"{name}_origin_{code}"] = forms.ChoiceField(
                    label=format_label(_("Where this text comes from"), language),
                    choices=TextOrigin.choices,
                    initial=(
                        text_origin(instance, name, code)
                        if instance is not None and instance.pk
                        else TextOrigin.WORKING
                    ),
                )

    def columns(self) -> list[LanguageColumn]:
        """The form's fields as the page sets them out: a column per language."""
        return [
            LanguageColumn(
                code=code,
                name=str(language),
                fields=[
                    FieldInLanguage(
                        text=self[f"{name}_{code}"],
                        origin=(
                            self[f"{name}_origin_{code}"]
                            if f"{name}_origin_{code}" in self.fields
                            else None
                        ),
                    )
                    for name, _label in self.texts
                ],
            )
            for code, language in settings.LANGUAGES
        ]

    def cleaned_texts(self) -> dict[str, dict[str, str]]:
        """field → language → text, as the services take them."""
        return {
            name: {code: self.cleaned_data[f"{name}_{code}"] for code, _l in settings.LANGUAGES}
            for name, _label in self.texts
        }

    def cleaned_origins(self) -> dict[str, dict[str, str]]:
        """field → language → origin of each translation, as the services take them."""
        return {
            name: {
                code: self.cleaned_data[f"{name}_origin_{code}"]
                for code, _l in settings.LANGUAGES
                if f"{name}_origin_{code}" in self.cleaned_data
            }
            for name, _label in self.texts
        }


def format_label(label: Any, language: Any) -> str:
    """ "Executive summary (Macedonian)": the label names the column's language, so that a
    screen reader and a phone (one column under the other) say which text is which."""
    return f"{label} ({language})"


class PeriodRiskForm(NarrativeTextsForm):
    """A risk to the action in the period, its mitigation, and how serious it is."""

    likelihood = forms.ChoiceField(
        label=_("Likelihood"), choices=[("", "—"), *RiskLevel.choices], required=False
    )
    impact = forms.ChoiceField(
        label=_("Impact"), choices=[("", "—"), *RiskLevel.choices], required=False
    )
    order = forms.IntegerField(label=_("Place in the list"), min_value=1, max_value=999)

    def __init__(self, *args: Any, instance: Model | None = None, **kwargs: Any) -> None:
        super().__init__(
            *args,
            texts=[("description", _("Risk")), ("mitigation", _("Mitigation"))],
            instance=instance,
            **kwargs,
        )
        if instance is not None:
            for name in ("likelihood", "impact", "order"):
                self.fields[name].initial = getattr(instance, name)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        english = f"description_{source_language()}"
        if not cleaned.get(english):
            # English is every language's fallback: a risk is never without it.
            self.add_error(english, _("Describe the risk in English."))
        return cleaned

    def choices_data(self) -> Mapping[str, Any]:
        return {
            "likelihood": self.cleaned_data["likelihood"],
            "impact": self.cleaned_data["impact"],
            "order": self.cleaned_data["order"],
        }
