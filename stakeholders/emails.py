"""Account emails (invitations, password resets): rendered in the recipient's language and sent.

``account_email_send`` is the one place these emails leave the platform.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation


def email_language(user: Any, fallback: str = "") -> str:
    """The language someone reads their email in: the one they chose, else ``fallback``,
    else the language of the page that sends it."""
    available = dict(settings.LANGUAGES)
    for language in (getattr(user, "preferred_language", ""), fallback):
        if language in available:
            return str(language)
    return translation.get_language() or settings.LANGUAGE_CODE


def account_email_send(*, to: str, template: str, context: dict[str, Any], language: str) -> None:
    """Render ``<template>_subject.txt``, ``_email.txt`` and ``_email.html`` and send them.

    The text and HTML parts say the same; the subject is one line whatever the template.
    """
    context = {**context, "platform_url": settings.PLATFORM_URL}
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        text = render_to_string(f"{template}_email.txt", context)
        html = render_to_string(f"{template}_email.html", context)
    send_mail(subject, text, None, [to], html_message=html)
