"""Who may see and revoke API tokens: each person their own, nobody anyone else's.

What the API itself shows is decided by each domain app's gate (``api.views`` calls them);
this app adds no rule about the records.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from api.models import ApiToken
from stakeholders.models import User
from stakeholders.selectors import persona_for


def api_tokens_of(user: User) -> QuerySet[ApiToken]:
    if not persona_for(user).is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user)


def api_token_for_revoke(user: User, pk: int) -> ApiToken:
    """One of the user's own tokens; anyone else's answers 404."""
    return get_object_or_404(api_tokens_of(user), pk=pk)
