"""Staff and the programme team give their second factor before the portal opens to them.

After the password, such a person is sent to the code page (or to set up an authenticator app)
and comes back to the page they asked for. Until then no portal page answers them; the
persona (``stakeholders.selectors.persona_for``) also refuses the programme team's powers to a
session that was not verified, so a page that forgot this middleware still gives nothing away.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from stakeholders.roles import needs_second_factor, session_verified

# Pages that must answer before the code is given: signing in and out, the code pages
# themselves, a forgotten password, the language switcher, the health check. The admin site
# asks for the code itself (stakeholders.admin_site).
OPEN_BEFORE_CODE = frozenset(
    {
        "login",
        "logout",
        "two_factor_verify",
        "two_factor_enrol",
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
        "password_reset_complete",
        "invitation_accept",
        "set_language",
        "health",
    }
)


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        # The page first: an open page (the health check, the language switcher) needs no
        # look-up of the user's roles, which costs queries for anyone but a superuser.
        match = request.resolver_match
        if match is None or match.url_name in OPEN_BEFORE_CODE or "admin" in match.namespaces:
            return None
        user = request.user
        if not needs_second_factor(user) or session_verified(user):
            return None
        next_url = request.get_full_path() if request.method in ("GET", "HEAD") else "/"
        return redirect_to_login(next_url, reverse("two_factor_verify"))
