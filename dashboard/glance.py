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

The same version keeps the rest of what the dashboard shows every reader alike: the headline
figures (with the glance's entry), the action itself (:func:`action_kept`) and the indicators at
a glance (:func:`indicators_figures`); ``dashboard.selectors`` keeps the rendered sections and
each reader's tasks under it too, so :data:`COUNTED` names every model any of them is made of.

The cache is an optimisation, never a dependency: when it cannot be reached, the error is
logged and the figures are counted directly, as they were before.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date as date_type
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Func, Q, QuerySet, Subquery, Value
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import translation

from core.collation import sorted_alphabetically
from core.figures import figures_cached, figures_invalidate, figures_version
from core.translations import name_or_not_stated, texts_by_pk
from programme.choices import OPEN_ACTION_POINT_STATUSES
from programme.models import Action, ActionPoint
from programme.results import framework_figures, period_current
from programme.selectors import action_primary
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
FORMAT = 2

Figures = dict[str, Any]

_version = figures_version


# The models whose rows the glance, the headline figures, the indicators at a glance, the
# dashboard's tasks or a computed indicator's calculation count or name (a profession renamed
# shows at once).
COUNTED = (
    "programme.Programme",
    "programme.Action",
    "programme.ReportingPeriod",
    "programme.ActionPoint",
    "programme.Meeting",
    "programme.Outcome",
    "programme.Output",
    "programme.Indicator",
    "programme.IndicatorValue",
    "stakeholders.Institution",
    "stakeholders.Membership",
    "stakeholders.ProfessionalGroup",
    "trainings.Training",
    "trainings.Participant",
    "trainings.Attendance",
    "recommendations.Recommendation",
    "recommendations.Assignment",
    "recommendations.ProgressUpdate",
    "research.Study",
    "research.StudyStatusChange",
    # The object permissions that say whose tasks a record is (a training to complete is a
    # task for those who may change it): guardian's rows, the generic ones and the direct ones
    # of the big tables, so that ``object_permissions_rebuild``, the admin or a grant typed in
    # a shell renews the tasks at once.
    "guardian.UserObjectPermission",
    "guardian.GroupObjectPermission",
    "programme.ActionPointGroupObjectPermission",
    "recommendations.RecommendationGroupObjectPermission",
    "recommendations.ProgressUpdateGroupObjectPermission",
    "trainings.TrainingGroupObjectPermission",
)
# Relations the calculations filter by (a training's topics and target groups), and the
# institution groups an account is in, through which it holds those object permissions.
COUNTED_RELATIONS = (
    "trainings.Training.topics",
    "trainings.Training.target_groups",
    "stakeholders.User.groups",
)


def glance_invalidate() -> None:
    """Retire the kept glance figures, and every other kept figure, after a change to what
    they count (``core.figures``)."""
    figures_invalidate()


def glance_on_change(sender: Any, **kwargs: Any) -> None:
    """The receiver of every change to a counted model (connected in dashboard.apps)."""
    glance_invalidate()


def action_kept() -> Action | None:
    """The action the installation runs (``programme.selectors.action_primary``), with its
    programme: kept with the figures, as every dashboard names it."""
    return figures_cached(f"dashboard:action:{FORMAT}", action_primary)


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
    group_ids = [row["professional_group_id"] for row in per_group if row["professional_group_id"]]
    names = texts_by_pk(ProfessionalGroup.objects.filter(pk__in=group_ids), "name")
    # The headline figure (action_overview): everyone listed at any of the action's trainings
    # begun by then, held or planned; a cancelled training counts nobody.
    listed = Attendance.objects.filter(training__action=action).exclude(
        training__status=TrainingStatus.CANCELLED
    )
    if until is not None:
        listed = listed.filter(training__start_date__lte=until)
    action_participants = Participant.objects.filter(pk__in=listed.values("participant_id")).count()
    return {
        "action_participants": action_participants,
        "overview": _overview_count(action=action, until=until, participants=action_participants),
        "recommendations_by_status": dict(Counter(r.status or "none" for r in rows)),
        "participants_by_sex": sexes,
        # Everyone has one sex recorded, so the counts by sex add up to the participants.
        "participants": sum(sexes.values()),
        "participants_by_group": _with_places(
            [
                {
                    "names": names.get(row["professional_group_id"], {}),
                    "women": row["women"],
                    "men": row["men"],
                    "total": row["total"],
                }
                for row in per_group
            ]
        ),
        "studies_by_status": dict(Counter(action.studies.values_list("status", flat=True))),
        "trainings_held": held.count(),
    }


def _with_places(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows, each with its place by name in every language's alphabet (ICU, one query
    per language, core.collation): kept with the numbers, so that showing the glance in any
    language orders the professions without asking the database."""
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            labels = [name_or_not_stated(group["names"], code) for group in groups]
            ordered = sorted_alphabetically(range(len(groups)), key=labels.__getitem__)
        for place, index in enumerate(ordered):
            groups[index].setdefault("places", {})[code] = place
    return groups


def _count_of(queryset: QuerySet[Any]) -> Subquery:
    """The rows of ``queryset`` counted in a scalar subquery, so that several counts come back
    in one query."""
    return Subquery(queryset.order_by().annotate(n=Func(Value(1), function="COUNT")).values("n"))


def _overview_count(*, action: Action, until: date_type | None, participants: int) -> Figures:
    """The headline figures about the action (``dashboard.selectors.action_overview``), in one
    query.

    With ``until``, trainings, participants and meetings count up to that day (a planned
    training counts whenever it starts); studies, recommendations and open action points are
    as they stand now.
    """
    trainings = action.trainings.all()
    meetings = action.meetings.all()
    if until is not None:
        trainings = trainings.filter(Q(start_date__lte=until) | Q(status=TrainingStatus.PLANNED))
        meetings = meetings.filter(Q(date__lte=until) | Q(date__isnull=True))
    counts = {
        "recommendations": Recommendation.objects.all(),
        "trainings_held": trainings.filter(status=TrainingStatus.HELD),
        "trainings_planned": trainings.filter(status=TrainingStatus.PLANNED),
        "studies": action.studies.all(),
        "meetings": meetings,
        "open_action_points": ActionPoint.objects.filter(
            meeting__action=action, status__in=OPEN_ACTION_POINT_STATUSES
        ),
    }
    # Named apart from the action's relations (its studies, meetings), which they would clash with.
    row = cast(
        "dict[str, int]",
        Action.objects.filter(pk=action.pk)
        .values(**{f"n_{name}": _count_of(queryset) for name, queryset in counts.items()})
        .get(),
    )
    return {**{name: row[f"n_{name}"] for name in counts}, "participants": participants}


def indicators_figures(*, action: Action, today: date_type) -> Figures:
    """The indicators at a glance as plain values, kept until a change to the framework, its
    values or what its calculations count (:data:`COUNTED`), and for the day: the period the
    indicators are judged at follows the date."""
    return figures_cached(
        f"dashboard:indicators:{FORMAT}:{action.pk}:{today.isoformat()}",
        lambda: indicators_count(action=action, today=today),
    )


def indicators_count(*, action: Action, today: date_type) -> Figures:
    """Every indicator's value to date, end-of-action target and status at the current period,
    in the framework's order, from ``framework_figures`` (the one rule the framework pages,
    the reports and the public site follow): only what the dashboard shows.

    Each line holds its link, and its title and numbers written out for a reader of every
    language (the title's fallbacks, the decimal separator), so every reader's language
    shares the entry and the page only prints them.
    """
    period = period_current(action=action, today=today)
    figures = [f for block in framework_figures(action=action, at=period) for f in block.indicators]
    lines: list[Figures] = [
        {
            "code": f.indicator.code,
            "url": reverse("programme:results_indicator", args=[f.indicator.pk]),
            "status": str(f.status.value),
            "texts": {},
        }
        for f in figures
    ]
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for line, f in zip(lines, figures, strict=True):
                percent = f.percent_of_end
                line["texts"][code] = {
                    "title": str(f.indicator.title),
                    "to_date": str(floatformat(f.to_date.total, "-2")) or "—",
                    "target_end": str(floatformat(f.indicator.target_end, "-2")) or "—",
                    "percent_of_end": (
                        f"{floatformat(percent, '-1')} %" if percent is not None else "—"
                    ),
                }
    return {"period": period.name if period is not None else None, "lines": lines}
