"""Account emails (invitations, password resets, membership requests): queued in the outbox,
made in the recipient's language when the worker sends them.

A request only stores what to make an email from (``account_email_queue``): no request
speaks to the mail server or waits for it, and no one-time link is stored. The outbox
(``core.outbox``) sends it, and the builders in ``stakeholders.account_emails`` look the
account up and render these templates at that moment.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.outbox import outbox_email_build_queue
from stakeholders.choices import ACCOUNT_EMAIL_WINDOW_SECONDS

# The kinds of account email, as the outbox knows them.
PASSWORD_RESET = "password_reset"  # noqa: S105 - a kind of email, not a password
INVITATION = "invitation"
MEMBERSHIP_REQUEST = "membership_request"


def email_language(user: Any, fallback: str = "") -> str:
    """The language someone reads their email in: the one they chose, else ``fallback``,
    else the language of the page that sends it."""
    available = dict(settings.LANGUAGES)
    for language in (getattr(user, "preferred_language", ""), fallback):
        if language in available:
            return str(language)
    return translation.get_language() or settings.LANGUAGE_CODE


def awaits_invitation(user: Any) -> bool:
    """An invited account never taken up: active, no password chosen, never signed in."""
    return bool(user.is_active and not user.has_usable_password() and user.last_login is None)


def address_key(address: str) -> str:
    """An address as it appears in an outbox key: the same whatever its case, not readable."""
    return hashlib.sha256(address.strip().casefold().encode()).hexdigest()[:40]


def current_window() -> int:
    """The number of the current rate-limit window (see ``ACCOUNT_EMAIL_WINDOW_SECONDS``)."""
    return int(timezone.now().timestamp() // ACCOUNT_EMAIL_WINDOW_SECONDS)


def account_email_queue(
    *,
    build: str,
    to: str,
    key: str,
    args: dict[str, Any],
    language: str,
    recipient: Any = None,
) -> None:
    """Store an account email in the outbox, to be made and sent after the commit.

    An email with the same key is never stored twice, which is how the resets and
    invitations are rate-limited (the key names the window).
    """
    outbox_email_build_queue(
        build=build, to=to, key=key, args=args, language=language, recipient=recipient
    )


def account_email_render(
    *, template: str, context: dict[str, Any], language: str
) -> tuple[str, str, str]:
    """Render ``<template>_subject.txt``, ``_email.txt`` and ``_email.html`` in ``language``.

    The text and HTML parts say the same; the subject is one line whatever the template.
    """
    context = {**context, "platform_url": settings.PLATFORM_URL}
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        text = render_to_string(f"{template}_email.txt", context)
        html = render_to_string(f"{template}_email.html", context)
    return subject, text, html
