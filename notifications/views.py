"""The notifications page, opening one notification, and the email preferences page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from core.portal import AuthenticatedRequest, paginate
from notifications import selectors, services
from notifications.forms import PreferenceForm


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def notification_list(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "POST":
        services.notifications_read_all(user=request.user)
        return redirect("notifications:notification_list")
    return render(
        request,
        "notifications/notification_list.html",
        {
            "page_obj": paginate(request, selectors.notifications_for(user=request.user)),
            "frequency": selectors.frequency_of(user=request.user),
            "jobs_in_process": services.jobs_in_process(),
        },
    )


@login_required
@require_safe
def notification_open(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Mark one of the user's notifications read and go to what it is about."""
    notification = get_object_or_404(selectors.notifications_for(user=request.user), pk=pk)
    services.notification_read(notification=notification)
    if url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None):
        return redirect(notification.url)
    return redirect("notifications:notification_list")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def notification_preferences(request: AuthenticatedRequest) -> HttpResponse:
    form = PreferenceForm(
        request.POST or None, initial={"frequency": selectors.frequency_of(user=request.user)}
    )
    if request.method == "POST" and form.is_valid():
        services.preference_set(user=request.user, frequency=form.cleaned_data["frequency"])
        messages.success(request, _("Your email preference is saved."))
        return redirect("notifications:notification_preferences")
    return render(
        request,
        "notifications/notification_preferences.html",
        {"form": form, "jobs_in_process": services.jobs_in_process()},
    )
