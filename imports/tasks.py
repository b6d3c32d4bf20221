"""The import jobs, for Celery to find: each is defined beside the service it runs."""

from __future__ import annotations

from imports.services import import_apply, import_check

__all__ = ["import_apply", "import_check"]
