from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from notifications.selectors import notifications_unread_count
from stakeholders.permissions import membership_requests_for
from stakeholders.roles import needs_second_factor, session_verified
from stakeholders.selectors import persona_for


def platform(request: HttpRequest) -> dict[str, Any]:
    """What every page needs to know about how the platform runs."""
    context: dict[str, Any] = {
        "tasks_in_process": settings.CELERY_TASK_ALWAYS_EAGER,
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # Until staff and the programme team give their code, the header offers only the
        # way out: every other page sends them back to the code page.
        context["awaiting_code"] = needs_second_factor(user) and not session_verified(user)

        # Counted only when a page shows it (the header), once per page.
        context["notifications_unread"] = SimpleLazyObject(
            lambda: notifications_unread_count(user=user)
        )

        # The footer's link to the content translations, the programme team's task.
        context["is_programme_team"] = SimpleLazyObject(lambda: persona_for(user).is_programme_team)

        # Shown in the header only while someone asks the user to join an institution.
        context["membership_requests_waiting"] = SimpleLazyObject(
            lambda: membership_requests_for(user).count()
        )
    return context
