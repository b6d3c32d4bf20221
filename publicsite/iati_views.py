"""The IATI export: the action's activity file, for anyone and for the IATI Registry."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from publicsite.iati import iati_file
from publicsite.selectors import public_action

XML_TYPE = "application/xml; charset=utf-8"
# Readers and the Registry's crawler may keep the file this long before asking again; the
# ETag then answers 304 as long as nothing in it changed.
MAX_AGE = 60 * 60


@require_safe
def iati_activities(request: HttpRequest) -> HttpResponse:
    """The action as an IATI 2.03 ``iati-activities`` file (docs/iati.md)."""
    action = public_action()
    if action is None:
        raise Http404(_("No action is recorded yet."))
    document = iati_file(action=action, now=timezone.now())
    etag = f'"{document.etag}"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(document.content, content_type=XML_TYPE)
        response["Content-Disposition"] = f'inline; filename="{document.filename}"'
    response["ETag"] = etag
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response
