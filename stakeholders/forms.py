"""Forms of the institution pages: inviting a member."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from stakeholders.choices import MembershipRole


class MemberInviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("Someone who already has an account is added with that account."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    role = forms.ChoiceField(
        label=_("Role"),
        choices=MembershipRole.choices,
        initial=MembershipRole.VIEWER,
        help_text=_(
            "Focal points manage the members; editors and focal points report for the "
            "institution; viewers read what the institution may see."
        ),
    )
