"""Forms of the research pages: moving a study along the pipeline."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core.basemodels import NO_VICTIM_DETAILS
from research.choices import StudyStatus


class StudyAdvanceForm(forms.Form):
    to_status = forms.ChoiceField(label=_("Move to"), choices=StudyStatus.choices)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=format_lazy("{} {}", _("Why, or what happened (optional)."), NO_VICTIM_DETAILS),
    )

    def __init__(
        self, *args: Any, moves: list[tuple[str, str]] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # The page offers only the moves allowed now; a posted stage is checked by the service,
        # which explains a refused move better than "not a valid choice".
        if moves is not None:
            self.fields["to_status"].choices = moves  # type: ignore[attr-defined]
