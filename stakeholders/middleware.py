"""Signed-in sessions end when idle too long, and in any case some hours after sign-in.

The session holds when it was signed in and when it was last used (Unix seconds). The last-use
time is written at most once a minute, so a busy page does not save the session on every
request. The middleware also keeps the list of a user's sessions up to date when Django gives
a session a new key (a password change does), so that deactivation can find them all.

A second middleware here shows a signed-in user the platform in their preferred language.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _

from stakeholders import services
from stakeholders.models import User

SIGNED_IN_AT = "signed_in_at"
LAST_SEEN_AT = "last_seen_at"
RECORDED_KEY = "recorded_session_key"
LAST_SEEN_RESOLUTION = 60  # seconds


def session_signed_in(request: HttpRequest, user: User) -> None:
    """Start the session's clocks and record it under its user; called at every sign-in."""
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN_AT] = now
    _record(request, user)


def _record(request: HttpRequest, user: User) -> None:
    key = request.session.session_key
    if key and request.session.get(RECORDED_KEY) != key:
        request.session[RECORDED_KEY] = key
        services.user_session_record(user=user, session_key=key)


def _expired(request: HttpRequest, now: int) -> bool:
    signed_in_at = request.session.get(SIGNED_IN_AT)
    last_seen_at = request.session.get(LAST_SEEN_AT)
    if signed_in_at is None or last_seen_at is None:
        return True  # a session older than these rules: start again
    return (
        now - signed_in_at > settings.SESSION_ABSOLUTE_TIMEOUT
        or now - last_seen_at > settings.SESSION_IDLE_TIMEOUT
    )


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            if _expired(request, now):
                logout(request)
                messages.info(request, _("Your session ended. Please log in again."))
                if request.method == "GET":
                    return redirect_to_login(request.get_full_path())
                return redirect(settings.LOGIN_URL)
            if now - request.session[LAST_SEEN_AT] >= LAST_SEEN_RESOLUTION:
                request.session[LAST_SEEN_AT] = now
        response = self.get_response(request)
        if request.user.is_authenticated:
            _record(request, request.user)
        return response


class UserLanguageMiddleware:
    """A signed-in user sees the platform in their preferred language, on every device.

    LocaleMiddleware has already chosen a language from the cookie or the browser; a user's
    profile overrides it. The cookie follows the profile, so the login page after signing out
    stays in the same language. Without a preference, the cookie and the browser decide.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = _preferred_language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        # Read again: the request may have signed the user in, or changed their preference.
        language = _preferred_language(request)
        cookie = settings.LANGUAGE_COOKIE_NAME
        if language and request.COOKIES.get(cookie) != language and cookie not in response.cookies:
            response.set_cookie(
                cookie,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type]  # "Lax"
            )
        return response


def _preferred_language(request: HttpRequest) -> str:
    user = request.user
    if not user.is_authenticated:
        return ""
    language: str = getattr(user, "preferred_language", "")
    return language if language in dict(settings.LANGUAGES) else ""
