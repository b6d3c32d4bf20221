"""Small pieces every portal view shares: pagination and filters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

from stakeholders.models import User


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
