"""Forms of the programme's pages: reporting progress on an action point."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from programme.models import ActionPoint


class ActionPointForm(forms.ModelForm):
    """Only the progress fields: what was asked, of whom and where cannot change here."""

    seen_at = forms.DateTimeField(widget=forms.HiddenInput)

    class Meta:
        model = ActionPoint
        fields = ["status", "progress_note", "closed_on"]
        widgets = {
            "progress_note": forms.Textarea(attrs={"rows": 5}),
            "closed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "status": _("Done and cancelled action points need their closing date."),
            "closed_on": _("Leave empty while the action point is open or in progress."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk:
            self.initial["seen_at"] = self.instance.updated_at
