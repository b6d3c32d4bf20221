"""Forms of the institution pages (inviting a member) and of signing in (login, second
factor, password reset)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from stakeholders import services
from stakeholders.auth import login_attempt
from stakeholders.choices import MembershipRole


class MemberInviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_(
            "Someone who already has an account is asked to join, and becomes a member once "
            "they accept."
        ),
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
    """Django's login form, checking the password through the throttle on failed log-ins
    (``stakeholders.auth.login_attempt``).

    Whatever is wrong with what was typed (a wrong password, an unknown or over-long username,
    a NUL character) gets the one answer "wrong username or password". It has no autofocus:
    the first Tab then reaches the skip link and the language switcher, and a screen reader
    starts reading at the top of the page."""

    # Seconds before another try, when the throttle refused this one (the view says so).
    retry_after = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.pop("autofocus", None)

    def clean(self) -> dict[str, Any]:
        if self.request is None:
            raise TypeError("LoginForm needs the request: the throttle counts by address.")
        refused = bool(self.errors)  # a field error says more than "wrong username or password"
        self.errors.clear()
        if not self.data.get("username") or not self.data.get("password"):
            raise self.get_invalid_login_error()  # nothing was tried: nothing to count
        username = self.cleaned_data.get("username") or str(self.data.get("username", ""))
        password = None if refused else self.cleaned_data.get("password")
        attempt = login_attempt(self.request, username=username, password=password)
        if attempt.retry_after:
            self.retry_after = attempt.retry_after
            raise forms.ValidationError(_("Too many failed log-ins"), code="throttled")
        if attempt.user is None:
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(attempt.user)
        self.user_cache = attempt.user
        return self.cleaned_data


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, whose saving only queues the email in the outbox
    (``stakeholders.services.password_reset_request``): it never looks the account up nor
    speaks to the mail server, so every address gets the same answer as fast. The worker
    finds the account when it sends.

    Someone invited who never chose a password may use it too, once their invitation
    has expired: the link lets them choose one.
    """

    def save(self, *args: Any, **kwargs: Any) -> None:
        services.password_reset_request(
            email=self.cleaned_data["email"], language=get_language() or ""
        )
