"""Reads about trainings, their participants and what the tests before and after showed."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from modeltranslation.utils import build_localized_fieldname

from core.collation import alphabetical, sorted_alphabetically
from core.translations import name_or_not_stated, texts_by_pk
from programme.models import Action, Outcome
from recommendations.models import Recommendation
from stakeholders.choices import Sex
from stakeholders.models import Institution, ProfessionalGroup, User
from stakeholders.selectors import persona_for
from trainings.choices import TrainingStatus
from trainings.models import Attendance, Evaluation, Participant, Topic, Training
from trainings.permissions import participants_visible_to, trainings_visible_to


def trainings_listed(*, queryset: QuerySet[Training]) -> QuerySet[Training]:
    """Trainings for a list page, latest first: organiser joined and participants counted in
    one query.

    Each training's people are counted by a subquery rather than by grouping the trainings
    with every attendance row: the database counts only for the rows of the page, after
    sorting, and the paginator's count leaves it out (a grouped count would join the whole
    programme's attendance, for every page)."""
    listed = (
        Attendance.objects.filter(training=OuterRef("pk"))
        .order_by()
        .values("training")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        queryset.select_related("organiser")
        .annotate(participant_count=Coalesce(Subquery(listed), Value(0)))
        .order_by(F("start_date").desc(nulls_last=True), "title", "pk")
    )


def _title_key(title: str) -> str:
    return " ".join(title.split()).casefold()


def trainings_like(
    *,
    organiser: Institution,
    title: str,
    start_date: date | None,
    exclude_pk: int | None = None,
) -> list[Training]:
    """Trainings that look like the one being saved: the same organiser, start date (or
    none) and title, in any of its languages, whatever the case and spacing. Saving one
    more asks first, so that a form sent twice does not log a training twice."""
    key = _title_key(title)
    if not key:
        return []
    # ``start_date=None`` matches trainings without a start date.
    candidates = Training.objects.filter(organiser=organiser, start_date=start_date)
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    titles = [build_localized_fieldname("title", code) for code, _name in settings.LANGUAGES]
    return [
        training
        for training in candidates.order_by("pk")
        if any(_title_key(getattr(training, name) or "") == key for name in titles)
    ]


def training_with_relations(*, queryset: QuerySet[Training], pk: int) -> Training:
    """One training with everything its page names, fetched in a fixed number of queries."""
    return (
        queryset.select_related("organiser", "action", "intervention")
        .prefetch_related(
            Prefetch("topics", queryset=Topic.objects.order_by(alphabetical("name"))),
            Prefetch(
                "target_groups",
                queryset=ProfessionalGroup.objects.order_by(alphabetical("name")),
            ),
            Prefetch("partners", queryset=Institution.objects.order_by(alphabetical("name"))),
            Prefetch("recommendations", queryset=Recommendation.objects.order_by("number")),
            Prefetch("outcomes", queryset=Outcome.objects.order_by("code")),
        )
        .get(pk=pk)
    )


def training_attendance(*, training: Training) -> QuerySet[Attendance]:
    """The attendance list of a training, each row with its participant's details joined."""
    return training.attendance.select_related(
        "participant", "participant__professional_group", "participant__institution"
    ).order_by(alphabetical("participant__full_name"), "pk")


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


def _average(values: Sequence[Decimal]) -> Decimal | None:
    return _rounded(sum(values) / len(values)) if values else None


def attendance_summary(
    *, training: Training, attendance: Sequence[Attendance] | None = None
) -> AttendanceSummary:
    """Counts and average scores of the training's attendance list (``training_attendance``,
    which its page shows already, or read here), worked out as the database would: each
    person is listed once at a training. One query for the professions' names."""
    if attendance is None:
        attendance = list(training_attendance(training=training))
    people = [a.participant for a in attendance]
    sexes = Counter(person.sex for person in people)
    groups = Counter(person.professional_group_id for person in people)
    return AttendanceSummary(
        participants=len(attendance),
        completed=sum(1 for a in attendance if a.completed),
        by_sex=[Tally(str(label), sexes.get(value, 0)) for value, label in Sex.choices],
        by_group=[Tally(name, n) for name, n in _by_profession(groups.items())],
        average_pre=_average([a.pre_score for a in attendance if a.pre_score is not None]),
        average_post=_average([a.post_score for a in attendance if a.post_score is not None]),
        average_change=_average(
            [change for a in attendance if (change := a.score_change) is not None]
        ),
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
    return training_record_among(queryset=Training.objects.all(), pk=training.pk)


def training_record_among(*, queryset: QuerySet[Training], pk: int) -> TrainingRecord:
    """``training_record`` of the training ``pk`` in ``queryset`` (the trainings a user may
    see: one query both finds it and reads it); ``Training.DoesNotExist`` when it is not."""
    # The evaluation (one to one) joined to the training's own query rather than asked apart.
    training = training_with_relations(queryset=queryset.select_related("evaluation"), pk=pk)
    try:
        evaluation: Evaluation | None = training.evaluation
    except Evaluation.DoesNotExist:
        evaluation = None
    # The timestamps are not shown: left unread, they are not converted on every row.
    # (Deferred rather than ``only()``: the translated names need all their language columns.)
    attendance = list(
        training_attendance(training=training).defer(
            *(
                f"{prefix}{field}"
                for prefix in (
                    "",
                    "participant__",
                    "participant__professional_group__",
                    "participant__institution__",
                )
                for field in ("created_at", "updated_at")
            )
        )
    )
    return TrainingRecord(
        training=training,
        attendance=attendance,
        summary=attendance_summary(training=training, attendance=attendance),
        evaluation=evaluation,
    )


def participants_for_matching(*, by: User) -> QuerySet[Participant]:
    """The register an entry by the user is matched against, whichever way it comes (the
    form, a paste, an import; the rule is ``trainings.matching``'s): only the people the
    user may already see (``participants_visible_to``), the records the user may fill in
    first, then the oldest.

    Anyone outside it is registered anew, for the user's institution: a record another
    institution registered is never found by an email or a name alone.
    """
    persona = persona_for(by)
    among = participants_visible_to(by)
    if persona.is_programme_team or not persona.edits_for:
        return among.order_by("pk")
    own = When(registered_by_institution__in=persona.edits_for, then=Value(0))
    return among.order_by(Case(own, default=Value(1)), "pk")


@dataclass(frozen=True)
class TrainingFigures:
    """A held training with who came, by sex, and how their scores moved on average."""

    training: Training
    participants: int
    women: int
    men: int
    average_pre: Decimal | None
    average_post: Decimal | None
    average_change: Decimal | None


def trainings_held(
    *, action: Action, start: date | None = None, end: date | None = None
) -> QuerySet[Training]:
    """The action's held trainings that started between ``start`` and ``end`` (each optional)."""
    queryset = Training.objects.filter(action=action, status=TrainingStatus.HELD)
    if start is not None:
        queryset = queryset.filter(start_date__gte=start)
    if end is not None:
        queryset = queryset.filter(start_date__lte=end)
    return queryset


def trainings_with_figures(*, trainings: QuerySet[Training]) -> list[TrainingFigures]:
    """Trainings, oldest first, each with its participants and average scores.

    Three queries whatever the number of trainings: the figures are worked out by the
    database, the topics and target groups fetched once for all.
    """
    both = Q(attendance__pre_score__isnull=False, attendance__post_score__isnull=False)
    person = "attendance__participant"
    rows = (
        trainings.select_related("organiser")
        .prefetch_related(
            Prefetch("topics", queryset=Topic.objects.order_by(alphabetical("name"))),
            Prefetch(
                "target_groups",
                queryset=ProfessionalGroup.objects.order_by(alphabetical("name")),
            ),
        )
        .annotate(
            n_participants=Count(person, distinct=True),
            n_women=Count(person, distinct=True, filter=Q(**{f"{person}__sex": Sex.FEMALE})),
            n_men=Count(person, distinct=True, filter=Q(**{f"{person}__sex": Sex.MALE})),
            avg_pre=Avg("attendance__pre_score"),
            avg_post=Avg("attendance__post_score"),
            avg_change=Avg(F("attendance__post_score") - F("attendance__pre_score"), filter=both),
        )
        .order_by(F("start_date").asc(nulls_last=True), "title", "pk")
    )
    return [
        TrainingFigures(
            training=t,
            participants=t.n_participants,
            women=t.n_women,
            men=t.n_men,
            average_pre=_rounded(t.avg_pre),
            average_post=_rounded(t.avg_post),
            average_change=_rounded(t.avg_change),
        )
        for t in rows
    ]


def participants_by_group(*, attendance: QuerySet[Attendance]) -> list[tuple[str, int, int, int]]:
    """Distinct participants per profession: (profession, women, men, total), largest first.

    Counted over the people who attended (a semi-join) rather than as distinct counts over
    attendance rows: the same figures, at about half the cost on a large register.
    """
    people = Participant.objects.filter(pk__in=attendance.values("participant_id"))
    per_group = people.values_list("professional_group").annotate(
        total=Count("pk"),
        women=Count("pk", filter=Q(sex=Sex.FEMALE)),
        men=Count("pk", filter=Q(sex=Sex.MALE)),
    )
    return [(name, women, men, total) for name, total, women, men in _by_profession(per_group)]


def _by_profession(rows: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows of (profession's pk, count, ...) with the profession's name for the current reader
    (``core.translations.name_or_not_stated``: the language fallback, else "Not stated").

    Largest count first, then by name in the reader's alphabet. The name is looked up rather
    than grouped on: a lookup such as ``professional_group__name`` in ``values()`` reads the
    untranslated column.
    """
    rows = list(rows)
    pks = [row[0] for row in rows if row[0] is not None]
    names = texts_by_pk(ProfessionalGroup.objects.filter(pk__in=pks), "name")
    named = [(name_or_not_stated(names.get(pk, {})), *figures) for pk, *figures in rows]
    return sorted(sorted_alphabetically(named, key=lambda row: row[0]), key=lambda row: -row[1])


@dataclass(frozen=True)
class TopicFigures:
    """How many trainings covered a topic and how many people they reached, by sex."""

    topic: Topic
    trainings: int
    women: int
    men: int
    participants: int
    average_pre: Decimal | None
    average_post: Decimal | None


def participants_by_topic(*, trainings: QuerySet[Training]) -> list[TopicFigures]:
    """Per topic of these trainings: trainings, distinct participants, average scores.

    One query. The averages are over every attendance, so a person who came to two trainings
    on the topic counts twice there, as their two tests do.
    """
    person = "trainings__attendance__participant"
    topics = (
        Topic.objects.filter(trainings__in=trainings)
        .annotate(
            n_trainings=Count("trainings", distinct=True),
            n_women=Count(person, distinct=True, filter=Q(**{f"{person}__sex": Sex.FEMALE})),
            n_men=Count(person, distinct=True, filter=Q(**{f"{person}__sex": Sex.MALE})),
            n_participants=Count(person, distinct=True),
            avg_pre=Avg("trainings__attendance__pre_score"),
            avg_post=Avg("trainings__attendance__post_score"),
        )
        .order_by("-n_participants", alphabetical("name"))
    )
    return [
        TopicFigures(
            topic=t,
            trainings=t.n_trainings,
            women=t.n_women,
            men=t.n_men,
            participants=t.n_participants,
            average_pre=_rounded(t.avg_pre),
            average_post=_rounded(t.avg_post),
        )
        for t in topics
    ]


# --- A participant's own data (data protection) -------------------------------------------


def participant_data(*, participant: Participant) -> dict[str, object]:
    """Everything the platform holds on one person, as they may ask for it (GDPR art. 15)."""
    attended = (
        Attendance.objects.filter(participant=participant)
        .select_related("training__organiser")
        .order_by("training__start_date", "pk")
    )
    return {
        "full_name": participant.full_name,
        "sex": participant.get_sex_display(),
        "profession": str(participant.professional_group or ""),
        "institution": str(participant.institution or ""),
        "position": participant.position,
        "email": participant.email,
        "recorded_on": participant.created_at.date().isoformat(),
        "trainings": [
            {
                "title": str(row.training.title),
                "organiser": str(row.training.organiser),
                "start_date": row.training.start_date.isoformat()
                if row.training.start_date
                else None,
                "end_date": row.training.end_date.isoformat() if row.training.end_date else None,
                "city": row.training.city,
                "pre_score": str(row.pre_score) if row.pre_score is not None else None,
                "post_score": str(row.post_score) if row.post_score is not None else None,
                "completed": row.completed,
                "consent": row.consent,
                "consent_date": row.consent_date.isoformat() if row.consent_date else None,
            }
            for row in attended
        ],
    }


def participants_past_retention(*, before: date) -> QuerySet[Participant]:
    """Participants not yet erased whose last training ended before the given day.

    A participant recorded without any training counts from the day they were recorded.
    """
    return (
        Participant.objects.filter(erased_at__isnull=True)
        .annotate(
            last_day=Max(
                Coalesce("attendance__training__end_date", "attendance__training__start_date")
            )
        )
        .filter(Q(last_day__lt=before) | Q(last_day__isnull=True, created_at__date__lt=before))
    )


def trainings_organised_by(institution: Institution, user: Any) -> list[Training]:
    """The trainings the institution organises that the user may see, latest first (its page)."""
    return list(
        trainings_visible_to(user).filter(organiser=institution).order_by("-start_date", "title")
    )


def trainings_serving(*, recommendation: Any, user: Any) -> QuerySet[Training]:
    """The trainings the user may see that served the recommendation, latest first (its page
    and its report list them; registered with recommendations.sources)."""
    return (
        trainings_visible_to(user)
        .filter(recommendations=recommendation)
        .select_related("organiser")
        .order_by("-start_date", "-pk")
    )


def trainings_to_complete(
    *, today: date, among: QuerySet[Training] | None = None
) -> QuerySet[Training]:
    """Trainings whose record waits to be completed: held but nobody's attendance recorded, or
    past their end and still marked planned. The dashboard asks the editors to complete them
    and the reminders remind their organisers, from this one rule."""
    # NOT EXISTS rather than a join on attendance made distinct: the join reads every
    # attendance row of every held training.
    has_attendance = Exists(Attendance.objects.filter(training=OuterRef("pk")))
    trainings = Training.objects.all() if among is None else among
    return trainings.filter(
        Q(status=TrainingStatus.HELD) & ~has_attendance
        | Q(status=TrainingStatus.PLANNED, end_date__lt=today)
    )


def evaluation_of(training: Training) -> Evaluation | None:
    """The training's evaluation, or None while nobody has recorded one."""
    return Evaluation.objects.filter(training=training).first()


def participants_by_profession(*, training_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Per training, its distinct participants per profession, largest first; two queries."""
    rows = (
        Attendance.objects.filter(training_id__in=training_ids)
        .order_by()
        .values_list("training_id", "participant__professional_group")
        .annotate(n=Count("participant", distinct=True))
    )
    counted = list(rows)
    names = dict(
        ProfessionalGroup.objects.filter(
            pk__in={group for _t, group, _n in counted if group is not None}
        ).values_list("pk", "slug")
    )
    answer: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for training_id, group, n in sorted(counted, key=lambda r: (-r[2], names.get(r[1], ""))):
        answer[training_id].append({"group": names.get(group, "not_stated"), "count": n})
    return answer
