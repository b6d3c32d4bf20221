"""Forms of the period narrative: one text (or a risk's two) in every language side by side,
with where each translation comes from (the portal's one mechanism, ``core.forms``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from core.basemodels import NO_VICTIM_DETAILS
from core.forms import TranslatedForm
from core.translation_work import source_language
from programme.choices import RiskLevel

TEXT_ROWS = 8


def _text_field(label: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.Textarea(attrs={"rows": TEXT_ROWS}),
        help_text=NO_VICTIM_DETAILS,
    )


class NarrativeTextsForm(TranslatedForm):
    """Some texts of a record of the period narrative, each in English, Macedonian and
    Albanian, with the origin of each translation."""

    # The programme team curates these texts: it says of each translation where it comes from.
    origin_per_language = True

    def __init__(
        self,
        *args: Any,
        texts: Sequence[tuple[str, Any]],
        instance: Model | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            *args,
            texts={name: _text_field(label) for name, label in texts},
            instance=instance,
            **kwargs,
        )


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
