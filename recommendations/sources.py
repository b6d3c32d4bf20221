"""What the apps above this one contribute to a recommendation's page and dossier.

Trainings serve recommendations, but the trainings app builds on this one, not the other way
round: when it is ready it registers the selector that lists the trainings a user may see that
served a recommendation (``trainings_source_register``). Without one, there are none to list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from recommendations.models import Recommendation

# (recommendation=, user=) -> the trainings the user may see that served it, latest first.
TrainingsSource = Callable[..., QuerySet[Any]]

_trainings: dict[str, TrainingsSource] = {}


def trainings_source_register(source: TrainingsSource) -> None:
    _trainings["source"] = source


def recommendation_trainings(*, recommendation: Recommendation, user: Any) -> QuerySet[Any]:
    """The trainings the user may see that served the recommendation, latest first."""
    source = _trainings.get("source")
    if source is None:
        return Recommendation.objects.none()
    return source(recommendation=recommendation, user=user)
