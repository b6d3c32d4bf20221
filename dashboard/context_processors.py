from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import F, Func, IntegerField, Subquery
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from notifications.selectors import notifications_unread
from stakeholders.models import User
from stakeholders.permissions import membership_requests_for
from stakeholders.roles import needs_second_factor, session_verified
from stakeholders.selectors import persona_for

# COUNT as a plain function, not Django's aggregate: that would make the subquery group its
# rows, and the outer query a GROUP BY.
_COUNT = Func(F("pk"), function="COUNT", output_field=IntegerField())


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

        # The header's badges: counted only when a page shows them, both in one query.
        badges = SimpleLazyObject(lambda: header_badges(user=user))
        context["notifications_unread"] = SimpleLazyObject(lambda: badges[0])
        # Shown in the header only while someone asks the user to join an institution.
        context["membership_requests_waiting"] = SimpleLazyObject(lambda: badges[1])

        # The footer's link to the content translations, the programme team's task.
        context["is_programme_team"] = SimpleLazyObject(lambda: persona_for(user).is_programme_team)
    return context


def header_badges(*, user: User) -> tuple[int, int]:
    """The user's unread notifications and the membership requests waiting for their answer,
    each as its own app's selector has it, counted in one query."""
    # SELECT COUNT(*) FROM <unread> with the requests' count as a second column: one round
    # trip, and no more work for Django than two separate counts.
    unread, waiting = (
        notifications_unread(user=user)
        .order_by()
        .values_list(_COUNT, Subquery(membership_requests_for(user).order_by().values(n=_COUNT)))
        .get()
    )
    return unread, waiting or 0
