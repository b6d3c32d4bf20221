"""The calendar settings page, the feeds, and one meeting's or training's event to download."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from calendars import selectors, services
from calendars.choices import REFRESH_INTERVAL
from calendars.ical import CONTENT_TYPE, calendar_ical
from calendars.selectors import CalendarEntry
from core.portal import AuthenticatedRequest, private_download
from programme.permissions import meeting_for_view
from stakeholders.emails import email_language
from trainings.permissions import training_for_view


def _ics(content: bytes, *, filename: str, attachment: bool) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(attachment, filename) or ""
    return response


def _private_ics(content: bytes, *, filename: str, attachment: bool) -> HttpResponse:
    """A calendar only its reader may keep: no shared cache stores it, no search engine
    lists it."""
    response = private_download(_ics(content, filename=filename, attachment=attachment))
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@login_required
@require_safe
def calendar_settings(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "calendars/settings.html",
        {
            "address": selectors.calendar_address_active(user=request.user),
            "public_url": selectors.absolute(reverse("calendars:public")),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def address_create(request: AuthenticatedRequest) -> HttpResponse:
    """Asks first when an address would be replaced; shows the new address once."""
    if request.method == "POST":
        new = services.calendar_address_create(user=request.user)
        # Shown on this response only: the address is never stored in the clear, so no
        # later page can show it again.
        return private_download(
            render(
                request,
                "calendars/address_created.html",
                {"address": new.address, "feed_url": selectors.feed_url(new.token)},
            )
        )
    return render(
        request,
        "calendars/address_confirm.html",
        {"address": selectors.calendar_address_active(user=request.user)},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def address_revoke(request: AuthenticatedRequest) -> HttpResponse:
    """Asks first; the address answers "not found" from then on."""
    if request.method == "POST":
        if services.calendar_address_revoke(user=request.user):
            messages.success(request, _("Your calendar address is stopped."))
        else:
            messages.info(request, _("You had no calendar address to stop."))
        return redirect("calendars:settings")
    return render(
        request,
        "calendars/address_revoke_confirm.html",
        {"address": selectors.calendar_address_active(user=request.user)},
    )


@require_safe
def personal_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed of whoever the address belongs to; the token is the key, no sign-in."""
    address = selectors.calendar_address_for_token(token=token)
    if address is None:
        raise Http404
    services.calendar_address_used(address=address)
    user = address.user
    with translation.override(email_language(user)):
        content = calendar_ical(
            name=_("Anti-trafficking action: my calendar"),
            entries=selectors.personal_entries(user=user, today=timezone.localdate()),
        )
    return _private_ics(content, filename="calendar.ics", attachment=False)


@require_safe
def public_feed(request: HttpRequest) -> HttpResponse:
    """Meetings and trainings for anyone, in the language of the request."""
    content = calendar_ical(
        name=_("Anti-trafficking action: public calendar"),
        entries=selectors.public_entries(),
    )
    response = _ics(content, filename="public.ics", attachment=False)
    patch_cache_control(response, public=True, max_age=int(REFRESH_INTERVAL.total_seconds()))
    return response


def _one_event(entry: CalendarEntry | None, *, filename: str) -> HttpResponse:
    if entry is None:  # no date yet: nothing to put in a calendar
        raise Http404
    content = calendar_ical(name=entry.summary, entries=[entry])
    return _private_ics(content, filename=filename, attachment=True)


@login_required
@require_safe
def meeting_ics(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    meeting = meeting_for_view(request.user, pk)
    return _one_event(selectors.meeting_entry(meeting), filename=f"meeting-{meeting.number}.ics")


@login_required
@require_safe
def training_ics(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    training = training_for_view(request.user, pk)
    return _one_event(selectors.training_entry(training), filename=f"training-{training.pk}.ics")
