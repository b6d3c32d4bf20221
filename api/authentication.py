"""How the API knows who asks: a personal token (``Authorization: Bearer …``) or the session."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from api.models import ApiToken
from api.selectors import api_token_active
from api.services import api_token_touch

KEYWORD = "Bearer"


class BearerTokenAuthentication(BaseAuthentication):
    """A personal API token. Listed first, so that a request without credentials answers
    401 with ``WWW-Authenticate: Bearer`` rather than 403."""

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send the token as “Bearer <token>”."))
        try:
            clear = parts[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from None
        token = api_token_active(clear=clear)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The token is not valid or was revoked."))
        user = token.user
        # The programme team's powers need the second factor (stakeholders.roles): a token
        # carries it only when the session that made it had given it.
        verified = token.second_factor
        setattr(user, "is_verified", lambda: verified)  # noqa: B010
        api_token_touch(token=token)
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{KEYWORD} realm="api"'
