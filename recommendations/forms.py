from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import BLANK_CHOICE_DASH, QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.basemodels import NO_VICTIM_DETAILS
from programme.models import ReportingPeriod
from recommendations.choices import ImplementationStatus
from stakeholders.models import Institution

_NO_VICTIM_DETAILS = _(
    "Describe what institutions did. Never enter names or other details that could identify "
    "a victim of trafficking."
)


class UpdateCreateForm(forms.Form):
    institution: forms.ModelChoiceField[Institution] = forms.ModelChoiceField(
        label=_("Reporting for"), queryset=Institution.objects.none(), empty_label=None
    )
    # The period and the status start blank: nobody sends a value they never chose.
    period: forms.ModelChoiceField[ReportingPeriod] = forms.ModelChoiceField(
        label=_("Reporting period"), queryset=ReportingPeriod.objects.none()
    )
    status = forms.ChoiceField(
        label=_("Implementation status"),
        choices=[*BLANK_CHOICE_DASH, *ImplementationStatus.choices],
    )
    narrative = forms.CharField(
        label=_("What was done"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_NO_VICTIM_DETAILS,
    )

    def __init__(
        self,
        *args: Any,
        institutions: QuerySet[Institution],
        periods: QuerySet[ReportingPeriod],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # Only the institutions the gate allows: a tampered value fails validation.
        self.fields["institution"].queryset = institutions  # type: ignore[attr-defined]
        if institutions.count() > 1:
            # Someone who reports for several (the programme team) chooses one.
            self.fields["institution"].empty_label = "---------"  # type: ignore[attr-defined]
        self.fields["period"].queryset = periods  # type: ignore[attr-defined]


class UpdateEditForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Implementation status"), choices=ImplementationStatus.choices
    )
    narrative = forms.CharField(
        label=_("What was done"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_NO_VICTIM_DETAILS,
    )
    seen_at = forms.DateTimeField(widget=forms.HiddenInput)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve and lock")), ("return", _("Return for revision"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment to the institution"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=format_lazy(
            "{} {}", _("Required when you return the update."), NO_VICTIM_DETAILS
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "return" and not data.get("comment", "").strip():
            raise ValidationError({"comment": _("Say what needs to change.")})
        return data


class RedactForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is removed"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text=_(
            "Shown in its place on the update and in reports. Say why, without repeating "
            "what must not be kept."
        ),
    )


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text=NO_VICTIM_DETAILS,
    )
