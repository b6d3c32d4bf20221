"""How the API's lists are paged."""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination


class ApiPagination(PageNumberPagination):
    """Pages of 50 by default (``?page_size=`` up to 200); every list is in a stable order."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
