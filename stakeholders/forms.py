"""Forms of the institution pages (inviting a member) and of signing in (login, second
factor, password reset)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from stakeholders import emails, tokens
from stakeholders.choices import MembershipRole
from stakeholders.models import User


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
    language = forms.ChoiceField(
        label=_("Language of the invitation"),
        choices=settings.LANGUAGES,
        required=False,
        help_text=_(
            "A new member gets the invitation, and later emails, in this language; someone "
            "who already has an account gets the language they chose."
        ),
    )


class TOTPCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text=_("Six digits; a new code appears every 30 seconds."),
    )

    def clean_code(self) -> str:
        code = "".join(str(self.cleaned_data["code"]).split())
        if not (code.isdigit() and len(code) in (6, 8)):
            raise forms.ValidationError(_("Enter the six digits the app shows."))
        return code


class LoginForm(auth_forms.AuthenticationForm):
    """Django's login form without its autofocus: the first Tab then reaches the skip link and
    the language switcher, and a screen reader starts reading at the top of the page."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.pop("autofocus", None)


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, emailing in the account's language through the account emails.

    Someone invited who never chose a password may use it too, once their invitation
    has expired: the link lets them choose one.
    """

    def get_users(self, email: str) -> Iterator[Any]:
        wanted = email.casefold()
        for user in User.objects.filter(email__iexact=email, is_active=True):
            if user.email.casefold() == wanted:
                yield user

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user = context["user"]
        emails.account_email_send(
            to=to_email,
            template="registration/password_reset",
            context={
                "user": user,
                "link": tokens.password_reset_link(user),
                "valid_hours": tokens.link_valid_hours(),
            },
            language=emails.email_language(user),
        )
