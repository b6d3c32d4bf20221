"""A read-only REST API for other systems, above every domain app (docs/api.md)."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        # Registers the bearer tokens' description with drf-spectacular.
        from api import schema  # noqa: F401
