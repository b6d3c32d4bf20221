"""The programme at a glance, kept between requests instead of recounted on each one.

The glance counts every attendance row of the action, which costs far more than the rest of
the dashboard together on a large programme. Its figures hold no personal data and are the
same for everyone, so they are kept in Django's cache: only the numbers, by status, sex, group
and stage, never labels, so every language shares one entry and labels follow the reader.

Entries are keyed by the action, the ``until`` day and a version number. Any change to a record
the glance counts moves to a new version (:func:`glance_invalidate`), from one place: the
receivers connected in ``dashboard.apps`` to Django's save and delete signals of the counted
models (:data:`COUNTED`), which cover the services, the admin and the history's restores, and to
``core.signals.rows_changed``, which the services send after a bulk write (imports, loaders,
bulk attendance). Entries of older versions are never read again and expire on their own. The
timeout (``settings.GLANCE_CACHE_SECONDS``) is the safety net for writes that bypass Django,
such as SQL typed in a shell.

The cache is an optimisation, never a dependency: when it cannot be reached, the error is
logged and the figures are counted directly, as they were before.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date as date_type
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q

from core.figures import figures_invalidate, figures_version
from programme.models import Action
from recommendations.models import Recommendation
from recommendations.selectors import recommendation_rows
from stakeholders.choices import Sex
from stakeholders.models import ProfessionalGroup
from trainings.choices import TrainingStatus
from trainings.models import Attendance, Participant
from trainings.selectors import trainings_held

logger = logging.getLogger(__name__)

# Part of every entry's key: a deploy that changes the shape of the figures never reads
# entries the previous code wrote.
FORMAT = 1

Figures = dict[str, Any]

_version = figures_version


# The models whose rows the glance or a computed indicator's calculation counts or names
# (a profession renamed shows at once).
COUNTED = (
    "programme.Action",
    "programme.ReportingPeriod",
    "programme.ActionPoint",
    "stakeholders.ProfessionalGroup",
    "trainings.Training",
    "trainings.Participant",
    "trainings.Attendance",
    "recommendations.Recommendation",
    "recommendations.Assignment",
    "recommendations.ProgressUpdate",
    "research.Study",
    "research.StudyStatusChange",
)
# Relations the calculations filter by (a training's topics and target groups).
COUNTED_RELATIONS = ("trainings.Training.topics", "trainings.Training.target_groups")


def glance_invalidate() -> None:
    """Retire the kept glance figures, and every other kept figure, after a change to what
    they count (``core.figures``)."""
    figures_invalidate()


def glance_on_change(sender: Any, **kwargs: Any) -> None:
    """The receiver of every change to a counted model (connected in dashboard.apps)."""
    glance_invalidate()


def _key(*, action: Action, until: date_type | None, version: int) -> str:
    day = until.isoformat() if until else "now"
    return f"glance:{FORMAT}:{action.pk}:{day}:{version}"


def glance_figures(*, action: Action, until: date_type | None = None) -> Figures:
    """The glance's numbers, from the cache when kept there, else counted and kept."""
    version = _version()
    if version is None:
        return glance_count(action=action, until=until)
    key = _key(action=action, until=until, version=version)
    try:
        figures = cache.get(key)
    except Exception:
        logger.warning("Glance cache unreachable; counting the figures directly", exc_info=True)
        return glance_count(action=action, until=until)
    if figures is not None:
        return dict(figures)
    figures = glance_count(action=action, until=until)
    try:
        cache.set(key, figures, timeout=settings.GLANCE_CACHE_SECONDS)
    except Exception:
        logger.warning("Glance cache unreachable; figures not kept", exc_info=True)
    return figures


def glance_count(*, action: Action, until: date_type | None = None) -> Figures:
    """Count the glance's numbers from the records, in a fixed number of queries.

    Only plain values (status codes, ids, counts, names in every language), so the result
    can be kept in any cache and labelled in any language afterwards. With ``until``, as they
    stood at the end of that day: trainings held by then and the approved assessments of
    periods begun by then. The research pipeline is as it is now.
    """
    from modeltranslation.utils import build_localized_fieldname

    rows = recommendation_rows(queryset=Recommendation.objects.all(), until=until)
    held = trainings_held(action=action, end=until)
    attendance = Attendance.objects.filter(training__in=held)
    # Each person counted once, over the people who attended (a semi-join): the same figures
    # as distinct counts over attendance rows, at about half the cost on a large register.
    people = Participant.objects.filter(pk__in=attendance.values("participant_id"))
    sexes = dict(people.values_list("sex").annotate(n=Count("pk")).order_by())
    per_group = list(
        people.values("professional_group_id")
        .annotate(
            women=Count("pk", filter=Q(sex=Sex.FEMALE)),
            men=Count("pk", filter=Q(sex=Sex.MALE)),
            total=Count("pk"),
        )
        .order_by()
    )
    name_fields = [build_localized_fieldname("name", code) for code, _name in settings.LANGUAGES]
    group_ids = [row["professional_group_id"] for row in per_group if row["professional_group_id"]]
    names = {
        row["pk"]: {
            code: row[field] or ""
            for (code, _n), field in zip(settings.LANGUAGES, name_fields, strict=True)
        }
        for row in ProfessionalGroup.objects.filter(pk__in=group_ids).values("pk", *name_fields)
    }
    # The headline figure (action_overview): everyone listed at any of the action's trainings
    # begun by then, held or planned; a cancelled training counts nobody.
    listed = Attendance.objects.filter(training__action=action).exclude(
        training__status=TrainingStatus.CANCELLED
    )
    if until is not None:
        listed = listed.filter(training__start_date__lte=until)
    return {
        "action_participants": Participant.objects.filter(
            pk__in=listed.values("participant_id")
        ).count(),
        "recommendations_by_status": dict(Counter(r.status or "none" for r in rows)),
        "participants_by_sex": sexes,
        # Everyone has one sex recorded, so the counts by sex add up to the participants.
        "participants": sum(sexes.values()),
        "participants_by_group": [
            {
                "names": names.get(row["professional_group_id"], {}),
                "women": row["women"],
                "men": row["men"],
                "total": row["total"],
            }
            for row in per_group
        ],
        "studies_by_status": dict(Counter(action.studies.values_list("status", flat=True))),
        "trainings_held": held.count(),
    }
