"""Reads about trainings, their participants and what the tests before and after showed."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, F, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from programme.models import Outcome
from recommendations.models import Recommendation
from stakeholders.choices import Sex
from stakeholders.models import Institution, ProfessionalGroup
from trainings.models import Attendance, Evaluation, Participant, Topic, Training


def trainings_listed(*, queryset: QuerySet[Training]) -> QuerySet[Training]:
    """Trainings for a list page: organiser joined and participants counted in one query."""
    return (
        queryset.select_related("organiser")
        .annotate(participant_count=Count("attendance", distinct=True))
        .order_by(F("start_date").desc(nulls_last=True), "title", "pk")
    )


def training_with_relations(*, queryset: QuerySet[Training], pk: int) -> Training:
    """One training with everything its page names, fetched in a fixed number of queries."""
    return (
        queryset.select_related("organiser", "action", "intervention")
        .prefetch_related(
            Prefetch("topics", queryset=Topic.objects.order_by("name")),
            Prefetch("target_groups", queryset=ProfessionalGroup.objects.order_by("name")),
            Prefetch("partners", queryset=Institution.objects.order_by("name")),
            Prefetch("recommendations", queryset=Recommendation.objects.order_by("number")),
            Prefetch("outcomes", queryset=Outcome.objects.order_by("code")),
        )
        .get(pk=pk)
    )


def training_attendance(*, training: Training) -> QuerySet[Attendance]:
    """The attendance list of a training, each row with its participant's details joined."""
    return training.attendance.select_related(
        "participant", "participant__professional_group", "participant__institution"
    ).order_by("participant__full_name", "pk")


@dataclass(frozen=True)
class Tally:
    label: str
    count: int


@dataclass(frozen=True)
class AttendanceSummary:
    """The figures a training's page shows about who came and how their scores moved."""

    participants: int
    completed: int
    by_sex: list[Tally]
    by_group: list[Tally]
    average_pre: Decimal | None
    average_post: Decimal | None
    average_change: Decimal | None


def _rounded(value: Decimal | float | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(Decimal("0.1"))


def attendance_summary(*, training: Training) -> AttendanceSummary:
    """Counts and average scores, worked out by the database in three queries."""
    rows = Attendance.objects.filter(training=training)
    both = Q(pre_score__isnull=False, post_score__isnull=False)
    figures = rows.aggregate(
        participants=Count("participant", distinct=True),
        completed=Count("pk", filter=Q(completed=True)),
        average_pre=Avg("pre_score"),
        average_post=Avg("post_score"),
        average_change=Avg(F("post_score") - F("pre_score"), filter=both),
    )
    sexes = dict(
        rows.values_list("participant__sex").annotate(n=Count("participant", distinct=True))
    )
    groups = (
        rows.values("participant__professional_group__name")
        .annotate(n=Count("participant", distinct=True))
        .order_by("-n", "participant__professional_group__name")
    )
    return AttendanceSummary(
        participants=figures["participants"],
        completed=figures["completed"],
        by_sex=[Tally(str(label), sexes.get(value, 0)) for value, label in Sex.choices],
        by_group=[
            Tally(row["participant__professional_group__name"] or _("Not stated"), row["n"])
            for row in groups
        ],
        average_pre=_rounded(figures["average_pre"]),
        average_post=_rounded(figures["average_post"]),
        average_change=_rounded(figures["average_change"]),
    )


@dataclass(frozen=True)
class TrainingRecord:
    """A training with everything its page shows."""

    training: Training
    attendance: list[Attendance]
    summary: AttendanceSummary
    evaluation: Evaluation | None


def training_record(*, training: Training) -> TrainingRecord:
    """Everything the training page shows, in a fixed number of queries however many came."""
    training = training_with_relations(queryset=Training.objects.all(), pk=training.pk)
    return TrainingRecord(
        training=training,
        attendance=list(training_attendance(training=training)),
        summary=attendance_summary(training=training),
        evaluation=Evaluation.objects.filter(training=training).first(),
    )


def participant_matching(
    *, full_name: str, institution: Institution | None, email: str
) -> Participant | None:
    """The registered participant these details describe, if any.

    The same email is the same person; so is the same name (ignoring case and spacing) at
    the same institution, or, for people registered without institution or email, the
    same name alone.
    """
    full_name = " ".join(full_name.split())
    email = email.strip()
    if email:
        found = Participant.objects.filter(email__iexact=email).first()
        if found is not None:
            return found
    if institution is not None:
        return Participant.objects.filter(
            full_name__iexact=full_name, institution=institution
        ).first()
    return (
        Participant.objects.filter(full_name__iexact=full_name, institution__isnull=True, email="")
        .order_by("pk")
        .first()
    )
