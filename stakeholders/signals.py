"""Sign-in bookkeeping: a session's clocks start, and the user's list of sessions is kept."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from stakeholders import services
from stakeholders.middleware import session_signed_in


@receiver(user_logged_in, dispatch_uid="stakeholders.session_signed_in")
def _signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        session_signed_in(request, user)


@receiver(user_logged_out, dispatch_uid="stakeholders.session_signed_out")
def _signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    key = request.session.session_key if request is not None else None
    if key:
        services.user_session_forget(session_key=key)
