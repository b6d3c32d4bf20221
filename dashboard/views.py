from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from core.portal import AuthenticatedRequest, paginate, query_without_page, search_text
from dashboard.glance import action_kept
from dashboard.search import MIN_QUERY, search
from dashboard.selectors import (
    action_overview,
    dashboard_tasks_kept,
    glance_section,
    indicators_glance,
    latest_report_for,
    programme_glance,
)
from stakeholders.selectors import persona_for

DASHBOARD_TASKS = 15


@login_required
@require_safe
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    action = action_kept()
    all_tasks = request.GET.get("tasks") == "all"
    # The most urgent first; the rest one click away, written out only when asked for.
    tasks = dashboard_tasks_kept(user=request.user, limit=None if all_tasks else DASHBOARD_TASKS)
    persona = persona_for(request.user)
    # The indicators at a glance are for those who follow the whole action.
    sees_indicators = action is not None and (persona.is_observer or persona.is_programme_team)
    return render(
        request,
        "dashboard/dashboard.html",
        {
            "overview": action_overview(action=action) if action else None,
            "glance": programme_glance(action=action) if action else None,
            "glance_section": glance_section(action=action) if action else None,
            "tasks": tasks.tasks,
            "tasks_total": tasks.total,
            "tasks_all": all_tasks,
            "indicators": (
                indicators_glance(action=action, today=timezone.localdate())
                if action is not None and sees_indicators
                else None
            ),
            "latest_report": latest_report_for(request.user) if sees_indicators else None,
            "persona": persona,
            "memberships": request.user.memberships.select_related("institution"),
        },
    )


@login_required
@require_safe
def search_view(request: AuthenticatedRequest) -> HttpResponse:
    q = search_text(request.GET.get("q", ""))
    hits = search(user=request.user, q=q)
    return render(
        request,
        "dashboard/search.html",
        {
            "q": q,
            "page_obj": paginate(request, hits),
            "filter_query": query_without_page(request),
            "too_short": 0 < len(q) < MIN_QUERY,
        },
    )
