"""Small pieces every portal view shares: pagination, filters and searches."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import django_filters
from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header

if TYPE_CHECKING:  # the platform knows accounts only by their type
    from stakeholders.models import User

logger = logging.getLogger(__name__)

R = TypeVar("R", bound=HttpResponseBase)


class AuthenticatedRequest(HttpRequest):
    """A request behind @login_required: its user is a real account."""

    user: User


PAGE_SIZE = 25


def paginate(
    request: HttpRequest, queryset: QuerySet[Any] | Sequence[Any], *, per_page: int = PAGE_SIZE
) -> Page[Any]:
    """The requested page of a list; a page number out of range shows the last page."""
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    """The current filters as a query string, for the pagination links to keep them."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- Free text typed into a search or filter box ----------------------------------------------

SEARCH_MAX_CHARS = 200
# NUL (which PostgreSQL refuses in any text), lone surrogates and the non-characters are
# dropped; the other control characters (tabs, line breaks) separate words like a space.
_DROPPED = re.compile("[\x00\ud800-\udfff\ufffe\uffff]")
_SPACES = re.compile("[\x01-\x1f\x7f-\x9f]")


def search_text(value: Any) -> str:
    """What a search box's text searches for: NUL and invalid characters dropped, other
    control characters made spaces, spaces made single, at most SEARCH_MAX_CHARS characters.
    Every search and free-text filter reads its text through this, so none can hand the
    database a NUL byte."""
    text = "" if value is None else str(value)
    return " ".join(_SPACES.sub(" ", _DROPPED.sub("", text)).split())[:SEARCH_MAX_CHARS]


class SearchField(forms.CharField):
    """A form's free-text search field, cleaned by ``search_text``."""

    def to_python(self, value: Any) -> str:
        return search_text(super().to_python(value))


class SearchFilter(django_filters.CharFilter):
    """A list's free-text filter, cleaned by ``search_text``."""

    field_class = SearchField


# --- Stored files, downloaded after a permission check ----------------------------------------


def private_download(response: R) -> R:
    """Mark a download that passed a permission check as no one else's to keep: neither a
    shared proxy nor the browser's cache stores it, and it is never read as anything but
    its declared type."""
    patch_cache_control(response, private=True, no_store=True)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def file_missing(request: HttpRequest, file: FieldFile) -> HttpResponse:
    """A record whose file is gone from storage: 404 with a page that says so, and a log line
    for the administrators (it means a lost disk or a restore without its media)."""
    logger.error("A stored file is missing: %s", file.name)
    return private_download(render(request, "programme/file_missing.html", status=404))


def file_download(
    request: HttpRequest,
    file: FieldFile,
    *,
    filename: str,
    content_type: str | None = None,
    sha256: str = "",
) -> HttpResponseBase:
    """A stored file as an attachment under a safe name, never cached.

    The caller has passed the permission gate. A record without a file is not found; a file
    missing from storage gets the page that says so. With ``sha256`` the file is read whole
    and served only if it still has that hash (a frozen report), with it as the ETag.
    """
    if not file:
        raise Http404
    try:
        handle = file.open("rb")
    except OSError:
        return file_missing(request, file)
    if sha256:
        with handle:
            content = handle.read()
        if hashlib.sha256(content).hexdigest() != sha256:
            logger.error("A stored file no longer matches its hash: %s", file.name)
            raise Http404
        checked = HttpResponse(content, content_type=content_type or "application/octet-stream")
        checked["Content-Disposition"] = content_disposition_header(True, filename) or ""
        checked["Content-Length"] = str(len(content))
        checked["ETag"] = f'"{sha256}"'
        return private_download(checked)
    streamed = FileResponse(handle, as_attachment=True, filename=filename)
    if content_type:
        streamed["Content-Type"] = content_type
    return private_download(streamed)
