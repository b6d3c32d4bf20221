from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.filters import FilterForm
from core.portal import SearchField
from recommendations.choices import ImplementationStatus
from recommendations.models import Assignment, Theme
from stakeholders.models import Institution


class RecommendationFilterForm(FilterForm):
    """Recommendations are few and their status is derived, so a plain form filters them."""

    q = SearchField(label=_("Text contains"), required=False)
    theme: forms.ModelChoiceField[Theme] = forms.ModelChoiceField(
        label=_("Theme"), queryset=Theme.objects.all(), required=False, to_field_name="slug"
    )
    institution: forms.ModelChoiceField[Institution] = forms.ModelChoiceField(
        label=_("Responsible institution"),
        # Only the columns the labels print, without a DISTINCT over every other column.
        queryset=Institution.objects.filter(
            pk__in=Assignment.objects.values("institution_id")
        ).only("pk", "name", "short_name"),
        required=False,
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), ("none", _("Not yet assessed")), *ImplementationStatus.choices],
    )
