"""The public pages, kept between requests per language and retired when the data change.

The rendered content of a page (never its header, which holds the language form's token) is
kept with ``core.figures.figures_cached``: under the platform's one version number, which
moves on any change to a counted model (the receivers of ``dashboard.apps``). The public
pages show more models than the glance counts; ``publicsite.apps`` connects the same kind of
receiver to those (:data:`SHOWN` less the dashboard's ``COUNTED``), so a decision published, an
indicator hidden or a study renamed retires every kept page at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone

from core.figures import figures_cached, figures_invalidate

# Part of every key: a deploy that changes the pages never reads what the previous code kept.
FORMAT = 1

# Every model a public page reads, and the relations it follows.
SHOWN = (
    "programme.Programme",
    "programme.Action",
    "programme.ReportingPeriod",
    "programme.Outcome",
    "programme.Output",
    "programme.Indicator",
    "programme.IndicatorValue",
    "programme.Meeting",
    "programme.Decision",
    "stakeholders.Institution",
    "stakeholders.ProfessionalGroup",
    "trainings.Topic",
    "trainings.Training",
    "trainings.Participant",
    "trainings.Attendance",
    "research.Study",
    "research.StudyVersion",
    "research.StudyStatusChange",
    "recommendations.RecommendationSet",
    "recommendations.Recommendation",
    "recommendations.Assignment",
    "recommendations.ProgressUpdate",
)
SHOWN_RELATIONS = (
    "programme.Programme.partners",
    "trainings.Training.topics",
    "trainings.Training.target_groups",
)


def public_on_change(sender: Any, **kwargs: Any) -> None:
    """The receiver of a change to a model only the public pages show (``publicsite.apps``)."""
    figures_invalidate()


def page_cached(*, page: str, language: str, variant: str, render: Callable[[], Any]) -> Any:
    """A page's content in ``language`` as kept, else rendered and kept.

    The day is part of the key: which meetings are past and which period an indicator is
    judged at change with it.
    """
    day = timezone.localdate().isoformat()
    return figures_cached(f"public:{FORMAT}:{page}:{language}:{variant}:{day}", render)
