"""Reads about API tokens."""

from __future__ import annotations

from django.db.models import QuerySet

from api.models import ApiToken
from api.services import api_token_digest


def api_token_active(*, clear: str) -> ApiToken | None:
    """The unrevoked token with this value, with its user; None for anything else."""
    return (
        ApiToken.objects.select_related("user")
        .filter(digest=api_token_digest(clear), revoked_at__isnull=True)
        .first()
    )


def api_tokens_listed(*, tokens: QuerySet[ApiToken]) -> QuerySet[ApiToken]:
    """Tokens for the tokens page: the active first, newest first."""
    return tokens.order_by("revoked_at", "-created_at", "-pk")
