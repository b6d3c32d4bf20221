from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.choices import Frequency


class PreferenceForm(forms.Form):
    frequency = forms.ChoiceField(
        label=_("Email me about my notifications"),
        choices=Frequency.choices,
        widget=forms.RadioSelect,
    )
