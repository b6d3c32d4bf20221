"""Signing in beyond the login form: the second factor, password resets and invitations;
and the language switcher, which remembers a signed-in user's choice."""

from __future__ import annotations

import logging
from base64 import b32encode
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.i18n import set_language
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from core.portal import AuthenticatedRequest
from stakeholders import services, tokens
from stakeholders.admin_site import safe_next
from stakeholders.auth import login_device_remember
from stakeholders.forms import PasswordResetForm, TOTPCodeForm
from stakeholders.roles import holds_programme_team_role, needs_second_factor

log = logging.getLogger(__name__)

ENROL_KEY = "two_factor_enrol_key"


# --- Language ---------------------------------------------------------------------------------


def language_set(request: HttpRequest) -> HttpResponse:
    """The header's language switcher: Django's set_language, which keeps the choice in a
    cookie, and for a signed-in user also in their profile, so it follows them everywhere."""
    if request.method == "POST":
        language = request.POST.get("language", "")
        if language not in dict(settings.LANGUAGES):
            return render(request, "400.html", status=400)
        if request.user.is_authenticated:
            services.user_language_set(user=request.user, language=language)
    return set_language(request)


# --- Second factor (staff) -------------------------------------------------------------------


def _staff_only(request: AuthenticatedRequest) -> None:
    """The code pages are for those who sign in with a code: staff and the programme team."""
    if not needs_second_factor(request.user):
        raise PermissionDenied


def _default_next(request: AuthenticatedRequest) -> str:
    """Where the code leads when nothing asked for a page: the admin for staff who only
    manage it, the dashboard for everyone else."""
    if request.user.is_staff and not holds_programme_team_role(request.user):
        return reverse("admin:index")
    return reverse("dashboard:dashboard")


def _with_next(url_name: str, next_url: str) -> HttpResponse:
    return redirect_to_login(next_url, reverse(url_name))


def _verified(request: AuthenticatedRequest, device: TOTPDevice, next_url: str) -> HttpResponse:
    otp_login(request, device)
    # The session's rights grew: give it a new key, as at sign-in.
    request.session.cycle_key()
    return redirect(next_url)


@login_required
def two_factor_verify(request: AuthenticatedRequest) -> HttpResponse:
    """Staff and the programme team type the code their authenticator app shows; then the
    portal (with the programme team's powers) and the admin open to them."""
    _staff_only(request)
    next_url = safe_next(request, _default_next(request))
    if request.user.is_verified():  # type: ignore[attr-defined]
        return redirect(next_url)
    if not TOTPDevice.objects.devices_for_user(request.user, confirmed=True).exists():
        return _with_next("two_factor_enrol", next_url)
    form = TOTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.two_factor_verify(user=request.user, token=form.cleaned_data["code"])
        if device is not None:
            return _verified(request, device, next_url)
        form.add_error(
            "code",
            _(
                "That code was not accepted. Wait for the next one and try again; after "
                "several wrong codes each new try has to wait a little longer."
            ),
        )
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": next_url})


@login_required
def two_factor_enrol(request: AuthenticatedRequest) -> HttpResponse:
    """Staff without an authenticator app set one up: scan the QR code, type the code.

    Someone who already has one must pass it first, so a password alone never replaces it.
    """
    _staff_only(request)
    next_url = safe_next(request, _default_next(request))
    has_device = TOTPDevice.objects.devices_for_user(request.user, confirmed=True).exists()
    if has_device and not request.user.is_verified():  # type: ignore[attr-defined]
        return _with_next("two_factor_verify", next_url)
    # The secret stays in the session until a code proves the app holds it.
    key = request.session.get(ENROL_KEY) or random_hex(20)
    request.session[ENROL_KEY] = key
    form = TOTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.totp_device_enrol(
                user=request.user, key=key, token=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            del request.session[ENROL_KEY]
            messages.success(request, _("Your authenticator app is set up."))
            return _verified(request, device, next_url)
    preview = TOTPDevice(user=request.user, key=key)
    qr = segno.make(preview.config_url, error="m")
    return render(
        request,
        "registration/two_factor_enrol.html",
        {
            "form": form,
            "next": next_url,
            "replacing": has_device,
            # An SVG image written into the page as a data: URI: no request, no markup to trust.
            "qr_svg_uri": qr.svg_data_uri(scale=5, border=2),
            "secret": " ".join(_groups(b32encode(preview.bin_key).decode(), 4)),
        },
    )


def _groups(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


# --- Password reset and invitations ----------------------------------------------------------


class PasswordResetView(auth_views.PasswordResetView):
    """Anyone types an address; the same page follows, as fast, whether or not an account
    uses it: the request only queues the email, and the worker looks the account up."""

    form_class = PasswordResetForm  # its save() only queues (services.password_reset_request)
    token_generator = tokens.password_reset_tokens


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    token_generator = tokens.password_reset_tokens

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # Whoever chose the password holds the mailbox: strangers' failed log-ins are forgotten,
        # and this browser is remembered as the account's, as at a sign-in.
        services.login_lockout_reset(user=form.user)
        login_device_remember(self.request, response, user=form.user)
        return response


class InvitationAcceptView(PasswordResetConfirmView):
    """An invited member chooses their password, and is signed in."""

    token_generator = tokens.invitation_tokens
    template_name = "registration/invitation_accept.html"
    title = gettext_lazy("Choose your password")
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("dashboard:dashboard")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if not self.validlink:
            context["title"] = _("This invitation has expired")
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Welcome! Your password is set."))
        log.info("Account %s accepted its invitation.", form.user.pk)
        return response
