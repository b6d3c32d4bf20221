"""Pages of the steering committee: its meetings and the action points they raised."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from core.portal import AuthenticatedRequest, paginate, query_without_page
from programme import permissions, selectors, services
from programme.filters import MeetingFilter
from programme.forms import ActionPointForm


@login_required
@require_safe
def meeting_list(request: AuthenticatedRequest) -> HttpResponse:
    meetings = permissions.meetings_visible_to(request.user)
    filterset = MeetingFilter(request.GET or None, queryset=meetings)
    rows = selectors.meetings_with_counts(queryset=filterset.qs)
    return render(
        request,
        "programme/meeting_list.html",
        {
            "filter": filterset,
            "page_obj": paginate(request, rows),
            "filter_query": query_without_page(request),
        },
    )


@login_required
@require_safe
def meeting_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(
        permissions.meetings_visible_to(request.user).select_related("action"), pk=pk
    )
    record = selectors.meeting_record(meeting=meeting)
    shown = [p.pk for p in record.action_points] + [p.pk for p in record.carried_in]
    editable = set(
        permissions.action_points_editable_by(request.user)
        .filter(pk__in=shown)
        .values_list("pk", flat=True)
    )
    return render(
        request,
        "programme/meeting_detail.html",
        {"meeting": meeting, "record": record, "editable": editable},
    )


@login_required
def action_point_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    action_point = permissions.action_point_for_change(request.user, pk)
    # The form works on its own copy, so the page keeps showing what is saved.
    form = ActionPointForm(request.POST or None, instance=copy.copy(action_point))
    if request.method == "POST" and form.is_valid():
        try:
            services.action_point_update(
                action_point=action_point,
                by=request.user,
                status=form.cleaned_data["status"],
                progress_note=form.cleaned_data["progress_note"],
                closed_on=form.cleaned_data["closed_on"],
                seen_at=form.cleaned_data["seen_at"],
            )
        except ValidationError as exc:
            if getattr(exc, "code", None) == "stale":
                # Show what is saved now; saving again is then a deliberate choice.
                action_point.refresh_from_db()
                data = request.POST.copy()
                data["seen_at"] = action_point.updated_at.isoformat()
                form = ActionPointForm(data, instance=copy.copy(action_point))
                form.is_valid()
            form.add_error(None, exc)
        else:
            messages.success(request, _("Action point updated."))
            return redirect("programme:meeting_detail", pk=action_point.meeting_id)
    return render(
        request,
        "programme/action_point_form.html",
        {"form": form, "action_point": action_point},
    )
