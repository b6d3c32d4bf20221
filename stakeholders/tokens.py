"""One-time links in account emails: choosing a password from an invitation, or resetting it.

Django's password-reset tokens: a link stops working once the password changes, once the
person signs in, after ``PASSWORD_RESET_TIMEOUT``, and here also once the account is
deactivated. Invitation and reset links are signed apart, so one cannot stand for the other.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode


class AccountTokenGenerator(PasswordResetTokenGenerator):
    def _make_hash_value(self, user: Any, timestamp: int) -> str:
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}"


class InvitationTokenGenerator(AccountTokenGenerator):
    key_salt = "stakeholders.tokens.InvitationTokenGenerator"


password_reset_tokens = AccountTokenGenerator()
invitation_tokens = InvitationTokenGenerator()


def _link(url_name: str, user: Any, generator: PasswordResetTokenGenerator) -> str:
    path = reverse(
        url_name,
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": generator.make_token(user),
        },
    )
    return f"{settings.PLATFORM_URL}{path}"


def invitation_link(user: Any) -> str:
    return _link("invitation_accept", user, invitation_tokens)


def password_reset_link(user: Any) -> str:
    return _link("password_reset_confirm", user, password_reset_tokens)


def link_valid_hours() -> int:
    return max(1, settings.PASSWORD_RESET_TIMEOUT // (60 * 60))
