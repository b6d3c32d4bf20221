from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from programme.portal import AuthenticatedRequest, paginate, query_without_page, search_text
from programme.search import MIN_QUERY, search
from programme.selectors import action_overview, action_primary, dashboard_tasks, programme_glance
from stakeholders.selectors import persona_for

DASHBOARD_TASKS = 15


@login_required
@require_safe
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    action = action_primary()
    tasks = dashboard_tasks(user=request.user)
    all_tasks = request.GET.get("tasks") == "all"
    return render(
        request,
        "programme/dashboard.html",
        {
            "overview": action_overview(action=action) if action else None,
            "glance": programme_glance(action=action) if action else None,
            # The most urgent first; the rest one click away.
            "tasks": tasks if all_tasks else tasks[:DASHBOARD_TASKS],
            "tasks_total": len(tasks),
            "tasks_all": all_tasks,
            "persona": persona_for(request.user),
            "memberships": request.user.memberships.select_related("institution"),
        },
    )


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


@login_required
@require_safe
def search_view(request: AuthenticatedRequest) -> HttpResponse:
    q = search_text(request.GET.get("q", ""))
    hits = search(user=request.user, q=q)
    return render(
        request,
        "programme/search.html",
        {
            "q": q,
            "page_obj": paginate(request, hits),
            "filter_query": query_without_page(request),
            "too_short": 0 < len(q) < MIN_QUERY,
        },
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused for its missing or stale security token, on the platform's own page
    (CSRF_FAILURE_VIEW): Django's page is styled inline, which the CSP blocks."""
    return render(request, "403_csrf.html", status=403)
