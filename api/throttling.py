"""How often one token, or one signed-in user, may call the API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from api.models import ApiToken

if TYPE_CHECKING:
    from rest_framework.views import APIView


class TokenOrUserRateThrottle(SimpleRateThrottle):
    """Each token counts apart (two programs of one person do not slow each other); a
    browser session counts for its user."""

    scope = "api"

    def get_rate(self) -> str | None:
        # Read at each request rather than once at import, so the rate follows the settings.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        return None if rate is None else str(rate)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None  # refused before the throttle: nothing to count
        auth: Any = request.auth
        ident = f"token-{auth.pk}" if isinstance(auth, ApiToken) else f"user-{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
