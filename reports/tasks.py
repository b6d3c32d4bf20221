"""The report job, for Celery to find: it is defined beside the service it runs."""

from __future__ import annotations

from reports.services import report_generate

__all__ = ["report_generate"]
