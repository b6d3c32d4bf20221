from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def platform(request: HttpRequest) -> dict[str, Any]:
    """What every page needs to know about how the platform runs."""
    return {
        "tasks_in_process": settings.CELERY_TASK_ALWAYS_EAGER,
    }
