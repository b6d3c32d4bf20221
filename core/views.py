"""The platform's own pages: the health check and the refused-form page."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


@require_safe
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and docker-compose: answers 200 when the database does (to HEAD as
    well as GET, which some load balancers and uptime checks send)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means unhealthy
        return JsonResponse({"database": "unavailable"}, status=503)
    return JsonResponse({"database": "ok"})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused for its missing or stale security token, on the platform's own page
    (CSRF_FAILURE_VIEW): Django's page is styled inline, which the CSP blocks."""
    return render(request, "403_csrf.html", status=403)
