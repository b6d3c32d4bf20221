from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from programme.selectors import action_overview, action_primary


@login_required
def home(request: HttpRequest) -> HttpResponse:
    action = action_primary()
    return render(
        request,
        "programme/home.html",
        {
            "overview": action_overview(action=action) if action else None,
            "memberships": request.user.memberships.select_related("institution"),  # type: ignore[union-attr]
        },
    )


@require_GET
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and docker-compose: answers 200 when the database does."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means unhealthy
        return JsonResponse({"database": "unavailable"}, status=503)
    return JsonResponse({"database": "ok"})
