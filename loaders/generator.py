"""A made-up programme of a chosen size, for benchmarks: five years of trainings, participants,
progress updates, meetings and a results framework on top of the real seed.

Scale 1 is a busy action: 60 institutions with a few hundred users, 2,000 trainings, 50,000
participants with their attendance, 5,000 progress updates on the fifteen recommendations,
100 steering-committee meetings with their action points, and a results framework of 65
indicators (computed by every calculation of the catalogue, and reported ones with their values
through review) with a target in every period; the oldest period is closed by the service.
Fractions make it smaller (0.01 for tests). Everything is written with ``bulk_create`` so that
scale 1 takes a minute or two, and every record carries ``is_demo=True`` where the model has
the flag, so ``remove_demo`` takes it away again and it never counts in the real figures.

Object permissions are written as the rows ``stakeholders.object_permissions`` would write
through the services (``training_share``, ``progress_update_share``, ``recommendation_share``,
``action_point_share`` and ``membership_sync``), in bulk: the same groups, the same codenames,
the same direct-foreign-key tables. tests/test_generator.py checks that rebuilding them through
the services changes nothing.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from dashboard.glance import glance_invalidate
from loaders.demo import FIRST_NAMES, LAST_NAMES, demo_half_years
from programme import services as programme_services
from programme.choices import ActionPointStatus, Aggregation, IndicatorKind, ValueState
from programme.models import (
    Action,
    ActionPoint,
    ActionPointGroupObjectPermission,
    Decision,
    Indicator,
    IndicatorValue,
    IndicatorValueTransition,
    Meeting,
    MeetingAttendance,
    Outcome,
    Output,
    ReportingPeriod,
)
from recommendations.choices import AssignmentKind, ImplementationStatus, UpdateState
from recommendations.models import (
    Assignment,
    ProgressUpdate,
    ProgressUpdateGroupObjectPermission,
    Recommendation,
    RecommendationGroupObjectPermission,
    UpdateTransition,
)
from research.choices import StudyStatus
from research.models import Study
from stakeholders.choices import InstitutionKind, MembershipRole, Sex
from stakeholders.models import Institution, Membership, ProfessionalGroup, User
from stakeholders.roles import programme_team_add
from trainings.choices import TrainingStatus
from trainings.models import (
    Attendance,
    Evaluation,
    Participant,
    Topic,
    Training,
    TrainingGroupObjectPermission,
)

# Every generated login has this password; generated data is refused where demo data is.
GENERATED_PASSWORD = "generated-Skopje-2026"  # noqa: S105 - made-up accounts for benchmarks
CODE_PREFIX = "gen-"
ADMIN_USERNAME = "gen-admin"
BATCH = 5000

# Institution kinds in the proportions of a real national anti-trafficking network.
_KINDS = (
    [InstitutionKind.CSO] * 24
    + [InstitutionKind.MINISTRY] * 10
    + [InstitutionKind.PUBLIC_AGENCY] * 12
    + [InstitutionKind.INTERNATIONAL] * 6
    + [InstitutionKind.ACADEMIA] * 4
    + [InstitutionKind.MEDIA] * 3
    + [InstitutionKind.EU_BODY] * 1
)
_KIND_NAMES = {
    InstitutionKind.CSO: "Demo Association",
    InstitutionKind.MINISTRY: "Demo Ministry",
    InstitutionKind.PUBLIC_AGENCY: "Demo Agency",
    InstitutionKind.INTERNATIONAL: "Demo International Organisation",
    InstitutionKind.ACADEMIA: "Demo Institute",
    InstitutionKind.MEDIA: "Demo Media Centre",
    InstitutionKind.EU_BODY: "Demo EU Office",
}
_CITIES = ["Skopje", "Bitola", "Tetovo", "Ohrid", "Kumanovo", "Štip", "Gostivar", "Strumica"]
_SUBJECTS = [
    "Identifying victims of trafficking",
    "Referral of presumed victims",
    "Labour exploitation in agriculture and construction",
    "Online recruitment and ICT-facilitated trafficking",
    "Child victims and the best interests of the child",
    "Financial investigations in trafficking cases",
    "Free legal aid and compensation",
    "Foster care for child victims",
    "Victim-centred interviewing",
    "Reporting on trafficking for journalists",
]


@dataclass(frozen=True)
class Counts:
    """How much of each kind of record to make."""

    years: int
    institutions: int
    users: int
    trainings: int
    participants: int
    updates: int
    meetings: int
    action_points_per_meeting: int
    studies: int
    outcomes: int
    outputs_per_outcome: int
    indicators_per_output: int

    @classmethod
    def at_scale(cls, scale: float) -> Counts:
        """Scale 1 is the busy action the benchmarks describe; fractions shrink it."""
        if not 0 < scale <= 20:
            raise ValueError(f"The scale must be above 0 and at most 20, not {scale}.")
        institutions = max(6, round(60 * scale))
        return cls(
            years=5,
            institutions=institutions,
            users=max(2 * institutions, round(300 * scale)),
            trainings=max(4, round(2000 * scale)),
            participants=max(40, round(50_000 * scale)),
            updates=max(20, round(5000 * scale)),
            meetings=max(2, round(100 * scale)),
            action_points_per_meeting=5,
            studies=max(2, round(40 * scale)),
            outcomes=max(2, round(5 * scale)),
            outputs_per_outcome=4 if scale >= 0.5 else 2,
            indicators_per_output=3 if scale >= 0.5 else 2,
        )

    @property
    def indicators(self) -> int:
        """Each output's indicators and one outcome-level indicator per outcome."""
        return self.outcomes * (1 + self.outputs_per_outcome * self.indicators_per_output)


def generated_exists() -> bool:
    return Institution.objects.filter(code__startswith=CODE_PREFIX).exists()


def generated_institutions() -> int:
    """How many generated institutions there are: what a benchmark checks its scale by."""
    return Institution.objects.filter(code__startswith=CODE_PREFIX).count()


@transaction.atomic
def programme_generate(*, action: Action, counts: Counts, seed: int = 2026) -> dict[str, int]:
    """Add a made-up programme of this size to a seeded action; returns rows made per table."""
    if not settings.DEMO_DATA_ALLOWED:
        raise ImproperlyConfigured(
            "Generated data is demo data, and demo data is switched off for this installation "
            "(DJANGO_DEMO_DATA_ALLOWED is false)."
        )
    if generated_exists():
        raise ImproperlyConfigured(
            "A generated programme is already loaded; remove it first (manage.py remove_demo)."
        )
    rng = random.Random(seed)  # noqa: S311 - reproducible made-up data, not security
    today = timezone.localdate()
    made: dict[str, int] = {}
    institutions = _institutions(rng, counts)
    groups = _groups(institutions)
    admin, users, memberships = _users(rng, counts, institutions)
    _user_groups(memberships, groups)
    periods = _periods(action, counts, today)
    recommendations = list(Recommendation.objects.order_by("number"))
    assignments = _assignments(rng, counts, institutions, recommendations, len(periods))
    trainings = _trainings(rng, action, counts, institutions, recommendations, today)
    attendance = _participants(rng, counts, institutions, trainings)
    updates = _updates(rng, counts, assignments, periods, memberships, admin, today)
    meetings, points = _meetings(rng, action, counts, institutions, recommendations, today)
    studies = _studies(rng, action, counts, institutions, recommendations, today)
    framework = _framework(rng, action, counts, institutions, periods, memberships, admin, today)
    grants = _grant_all(trainings, updates, assignments, points, groups)
    glance_invalidate()
    made.update(
        institutions=len(institutions),
        users=len(users) + 1,
        memberships=len(memberships),
        periods=len(periods),
        assignments=len(assignments),
        trainings=len(trainings),
        participants=counts.participants,
        attendance=attendance,
        updates=len(updates),
        meetings=len(meetings),
        action_points=len(points),
        studies=len(studies),
        **framework,
        object_permissions=grants,
    )
    return made


# --- Institutions, users and their groups -----------------------------------------------------


def _institutions(rng: random.Random, counts: Counts) -> list[Institution]:
    kinds = [_KINDS[i * len(_KINDS) // counts.institutions] for i in range(counts.institutions)]
    # A tiny programme still needs a CSO, a ministry and an EU body (whose members observe).
    for i, needed in enumerate(
        (InstitutionKind.CSO, InstitutionKind.MINISTRY, InstitutionKind.EU_BODY)
    ):
        if needed not in kinds:
            kinds[-1 - i] = needed
    rows = []
    for n, kind in enumerate(kinds, start=1):
        base = _KIND_NAMES[kind]
        city = rng.choice(_CITIES)
        rows.append(
            Institution(
                code=f"{CODE_PREFIX}{n}",
                name_en=f"{base} {n} ({city})",
                short_name_en=f"{base.split()[1][:5]} {n}",
                kind=kind,
                country="North Macedonia",
                is_demo=True,
            )
        )
    return Institution.objects.bulk_create(rows, batch_size=BATCH)


def _groups(institutions: Sequence[Institution]) -> dict[tuple[int, str], Group]:
    """Each institution's two permission groups, named as object_permissions names them."""
    rows = [
        Group(name=f"institution-{i.pk}-{level}")
        for i in institutions
        for level in ("members", "editors")
    ]
    Group.objects.bulk_create(rows, batch_size=BATCH)
    by_name = {
        g.name: g for g in Group.objects.filter(name__in=[r.name for r in rows]).only("pk", "name")
    }
    return {
        (i.pk, level): by_name[f"institution-{i.pk}-{level}"]
        for i in institutions
        for level in ("members", "editors")
    }


def _users(
    rng: random.Random, counts: Counts, institutions: Sequence[Institution]
) -> tuple[User, list[User], list[Membership]]:
    """The programme team's administrator, and users spread over the institutions.

    Each institution has a focal point, then editors and viewers; one in ten users also
    belongs to a second institution.
    """
    password = make_password(GENERATED_PASSWORD)  # hashed once: the same for every login
    admin = User.objects.create(
        username=ADMIN_USERNAME,
        first_name="Generated",
        last_name="Programme team",
        email="gen-admin@generated.example.org",
        password=password,
        is_staff=True,
        is_superuser=True,
        is_demo=True,
    )
    programme_team_add(user=admin)
    rows = []
    for n in range(1, counts.users + 1):
        sex = Sex.FEMALE if n % 3 else Sex.MALE
        rows.append(
            User(
                username=f"{CODE_PREFIX}user-{n}",
                first_name=FIRST_NAMES[sex][n % 16],
                last_name=LAST_NAMES[n % len(LAST_NAMES)],
                email=f"user-{n}@generated.example.org",
                password=password,
                is_demo=True,
            )
        )
    users = User.objects.bulk_create(rows, batch_size=BATCH)
    memberships = []
    seen: set[tuple[int, int]] = set()
    for n, user in enumerate(users):
        institution = institutions[n % len(institutions)]
        if n < len(institutions):
            role = MembershipRole.FOCAL_POINT
        elif n < 2 * len(institutions) or rng.random() < 0.3:
            role = MembershipRole.EDITOR
        else:
            role = MembershipRole.VIEWER
        memberships.append(Membership(user=user, institution=institution, role=role))
        seen.add((user.pk, institution.pk))
        if n >= len(institutions) and rng.random() < 0.1:
            other = rng.choice(institutions)
            if (user.pk, other.pk) not in seen:
                seen.add((user.pk, other.pk))
                memberships.append(
                    Membership(user=user, institution=other, role=MembershipRole.VIEWER)
                )
    Membership.objects.bulk_create(memberships, batch_size=BATCH)
    return admin, users, memberships


def _user_groups(memberships: Iterable[Membership], groups: dict[tuple[int, str], Group]) -> None:
    """What membership_sync does for each user: the members group, and editors for editors."""
    through = User.groups.through
    rows = []
    for m in memberships:
        rows.append(through(user_id=m.user_id, group_id=groups[(m.institution_id, "members")].pk))
        if m.role in (MembershipRole.FOCAL_POINT, MembershipRole.EDITOR):
            rows.append(
                through(user_id=m.user_id, group_id=groups[(m.institution_id, "editors")].pk)
            )
    through.objects.bulk_create(rows, batch_size=BATCH)


# --- Reporting periods and recommendations -----------------------------------------------------


def _periods(action: Action, counts: Counts, today: date) -> list[ReportingPeriod]:
    """Half-year periods of the programme's years, up to the one running today."""
    years = range(today.year - counts.years + 1, today.year + 1)
    return demo_half_years(action=action, years=years, until=today)


def _reporting(institutions: Sequence[Institution]) -> list[Institution]:
    return [i for i in institutions if i.kind != InstitutionKind.EU_BODY]


def _assignments(
    rng: random.Random,
    counts: Counts,
    institutions: Sequence[Institution],
    recommendations: Sequence[Recommendation],
    n_periods: int,
) -> list[Assignment]:
    """Enough institutions on each recommendation for the updates asked for."""
    reporting = _reporting(institutions)
    per_institution = min(
        len(recommendations),
        max(1, math.ceil(counts.updates / (len(reporting) * max(1, n_periods)) * 1.1)),
    )
    rows = []
    for n, institution in enumerate(reporting):
        for rec in rng.sample(list(recommendations), per_institution):
            kind = AssignmentKind.RESPONSIBLE if n % 3 else AssignmentKind.INVITED
            rows.append(
                Assignment(recommendation=rec, institution=institution, kind=kind, is_demo=True)
            )
    return Assignment.objects.bulk_create(rows, batch_size=BATCH)


def _updates(
    rng: random.Random,
    counts: Counts,
    assignments: Sequence[Assignment],
    periods: Sequence[ReportingPeriod],
    memberships: Sequence[Membership],
    admin: User,
    today: date,
) -> list[ProgressUpdate]:
    """Progress updates through their workflow: older periods approved, the open one mixed."""
    editors: dict[int, int] = {}
    for m in memberships:
        if m.role != MembershipRole.VIEWER:
            editors.setdefault(m.institution_id, m.user_id)
    pairs = [(a, p) for p in periods for a in assignments]
    rng.shuffle(pairs)
    pairs = pairs[: counts.updates]
    statuses = ImplementationStatus.values
    updates = []
    for a, period in pairs:
        age = (today - period.due_date).days
        draw = rng.random()
        if age > 90:  # long closed: reviewed, a few still waiting
            state = UpdateState.APPROVED if draw < 0.97 else UpdateState.SUBMITTED
        elif draw < 0.4:
            state = UpdateState.DRAFT
        elif draw < 0.7:
            state = UpdateState.SUBMITTED
        elif draw < 0.8:
            state = UpdateState.RETURNED
        else:
            state = UpdateState.APPROVED
        # Later periods report further along.
        step = min(len(statuses) - 1, max(0, (period.start_date.year - periods[0].start_date.year)))
        status = statuses[min(len(statuses) - 1, step + rng.randint(0, 1))]
        submitted = _at(period.due_date - timedelta(days=rng.randint(0, 20)))
        updates.append(
            ProgressUpdate(
                recommendation_id=a.recommendation_id,
                institution_id=a.institution_id,
                period=period,
                status=status,
                narrative=(
                    f"Made-up report of {a.institution.name} on recommendation "
                    f"{a.recommendation.number} for {period.name}: meetings held, guidance "
                    "drafted, staff trained."
                ),
                state=state,
                reviewer_comment="Please add the number of people reached."
                if state == UpdateState.RETURNED
                else "",
                created_by_id=editors.get(a.institution_id),
                submitted_at=submitted if state != UpdateState.DRAFT else None,
                reviewed_at=submitted + timedelta(days=10)
                if state in (UpdateState.APPROVED, UpdateState.RETURNED)
                else None,
                reviewed_by=admin
                if state in (UpdateState.APPROVED, UpdateState.RETURNED)
                else None,
                is_demo=True,
            )
        )
    updates = ProgressUpdate.objects.bulk_create(updates, batch_size=BATCH)
    steps = {
        UpdateState.SUBMITTED: [(UpdateState.DRAFT, UpdateState.SUBMITTED)],
        UpdateState.RETURNED: [
            (UpdateState.DRAFT, UpdateState.SUBMITTED),
            (UpdateState.SUBMITTED, UpdateState.RETURNED),
        ],
        UpdateState.APPROVED: [
            (UpdateState.DRAFT, UpdateState.SUBMITTED),
            (UpdateState.SUBMITTED, UpdateState.APPROVED),
        ],
    }
    transitions = [
        UpdateTransition(
            update=u,
            from_state=before,
            to_state=after,
            status=u.status,
            by_id=admin.pk if after != UpdateState.SUBMITTED else u.created_by_id,
        )
        for u in updates
        for before, after in steps.get(UpdateState(u.state), [])
    ]
    UpdateTransition.objects.bulk_create(transitions, batch_size=BATCH)
    return updates


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


# --- Trainings and participants --------------------------------------------------------------


def _trainings(
    rng: random.Random,
    action: Action,
    counts: Counts,
    institutions: Sequence[Institution],
    recommendations: Sequence[Recommendation],
    today: date,
) -> list[Training]:
    """Trainings spread over the programme's years; those still to come are planned."""
    organisers = _reporting(institutions)
    first = date(today.year - counts.years + 1, 1, 1)
    span = (date(today.year, 12, 31) - first).days
    topics = list(Topic.objects.all())
    groups = list(ProfessionalGroup.objects.all())
    rows = []
    for n in range(counts.trainings):
        start = first + timedelta(days=span * n // counts.trainings)
        city = rng.choice(_CITIES)
        rows.append(
            Training(
                action=action,
                title_en=f"{rng.choice(_SUBJECTS)} ({city}, {start:%B %Y}, no. {n + 1})",
                organiser=rng.choice(organisers),
                venue=f"Training centre, {city}",
                city=city,
                start_date=start,
                end_date=start + timedelta(days=rng.randint(0, 2)),
                status=TrainingStatus.HELD if start < today else TrainingStatus.PLANNED,
                methodology="Interactive methods: case studies and role play",
                is_demo=True,
            )
        )
    trainings = Training.objects.bulk_create(rows, batch_size=BATCH)
    # The many-to-many tables, written directly (django-stubs cannot type their models).
    partner_link: Any = Training.partners.through
    topic_link: Any = Training.topics.through
    group_link: Any = Training.target_groups.through
    rec_link: Any = Training.recommendations.through
    partners, topic_rows, group_rows, rec_rows = [], [], [], []
    for t in trainings:
        for p in {i.pk for i in rng.sample(organisers, rng.randint(0, 2))} - {t.organiser_id}:
            partners.append(partner_link(training_id=t.pk, institution_id=p))
        for topic in rng.sample(topics, min(len(topics), rng.randint(1, 2))):
            topic_rows.append(topic_link(training_id=t.pk, topic_id=topic.pk))
        for group in rng.sample(groups, min(len(groups), rng.randint(1, 3))):
            group_rows.append(group_link(training_id=t.pk, professionalgroup_id=group.pk))
        for rec in rng.sample(list(recommendations), rng.randint(0, 2)):
            rec_rows.append(rec_link(training_id=t.pk, recommendation_id=rec.pk))
    partner_link.objects.bulk_create(partners, batch_size=BATCH)
    topic_link.objects.bulk_create(topic_rows, batch_size=BATCH)
    group_link.objects.bulk_create(group_rows, batch_size=BATCH)
    rec_link.objects.bulk_create(rec_rows, batch_size=BATCH)
    # Prefetch-like cache of the partners, for the grants.
    by_training: dict[int, list[int]] = {}
    for row in partners:
        by_training.setdefault(row.training_id, []).append(row.institution_id)
    for t in trainings:
        t._generated_partner_ids = by_training.get(t.pk, [])  # type: ignore[attr-defined]
    evaluations = [
        Evaluation(
            training=t,
            respondents=rng.randint(10, 25),
            overall_rating=Decimal(rng.randint(35, 50)) / 10,
            relevance_rating=Decimal(rng.randint(35, 50)) / 10,
            summary="Participants valued the case studies.",
        )
        for t in trainings
        if t.status == TrainingStatus.HELD and rng.random() < 0.6
    ]
    Evaluation.objects.bulk_create(evaluations, batch_size=BATCH)
    return trainings


def _participant_name(n: int) -> tuple[str, str]:
    """A unique name for participant n: first name, middle initial, double surname."""
    sex = Sex.FEMALE if n % 32 < 16 else Sex.MALE
    first = FIRST_NAMES[sex][n % 16]
    rest = n // 32
    initial = chr(ord("A") + rest % 26)
    rest //= 26
    last = f"{LAST_NAMES[rest % 20]}-{LAST_NAMES[(rest // 20) % 20]}"
    suffix = f" {rest // 400 + 1}" if rest >= 400 else ""
    return f"{first} {initial}. {last}{suffix}", sex


def _participants(
    rng: random.Random,
    counts: Counts,
    institutions: Sequence[Institution],
    trainings: Sequence[Training],
) -> int:
    """Participants shared out over the held trainings; one in five came back to another."""
    held = [t for t in trainings if t.status == TrainingStatus.HELD] or list(trainings)
    groups = list(ProfessionalGroup.objects.all())
    workplaces = _reporting(institutions)
    people = []
    for n in range(counts.participants):
        name, sex = _participant_name(n)
        people.append(
            Participant(
                full_name=name,
                sex=sex,
                professional_group=rng.choice(groups),
                institution=rng.choice(workplaces) if n % 10 else None,
                email=f"p{n}@generated.example.org" if n % 3 == 0 else "",
                is_demo=True,
            )
        )
    people = Participant.objects.bulk_create(people, batch_size=BATCH)
    order = list(range(len(people)))
    rng.shuffle(order)
    rows = []
    for k, n in enumerate(order):
        chosen = [held[k % len(held)]]
        if rng.random() < 0.2 and len(held) > 1:
            other = rng.choice(held)
            if other.pk != chosen[0].pk:
                chosen.append(other)
        for training in chosen:
            pre = rng.randint(30, 70)
            rows.append(
                Attendance(
                    training=training,
                    participant=people[n],
                    pre_score=Decimal(pre),
                    post_score=Decimal(min(100, pre + rng.randint(0, 30))),
                    completed=rng.random() < 0.95,
                    # Three in four consented, at the training they came to.
                    consent=n % 4 != 0,
                    consent_date=date(2022, 1, 1) + timedelta(days=n % 1500) if n % 4 else None,
                )
            )
    Attendance.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


# --- Meetings and research -------------------------------------------------------------------


def _meetings(
    rng: random.Random,
    action: Action,
    counts: Counts,
    institutions: Sequence[Institution],
    recommendations: Sequence[Recommendation],
    today: date,
) -> tuple[list[Meeting], list[ActionPoint]]:
    """Steering-committee meetings after the seed's, with attendance, decisions, action points."""
    start = (Meeting.objects.filter(action=action).aggregate(n=Max("number"))["n"] or 0) + 1
    first = date(today.year - counts.years + 1, 1, 15)
    span = (today - first).days
    meetings = Meeting.objects.bulk_create(
        [
            Meeting(
                action=action,
                number=start + n,
                date=first + timedelta(days=span * n // counts.meetings),
                place=f"Demo venue, {rng.choice(_CITIES)}",
                purpose="Review progress and agree the next steps.",
                agenda="1. Progress since the last meeting\n2. Open action points\n3. Plans",
                minutes="Made-up minutes: the committee reviewed progress and open points.",
                is_demo=True,
            )
            for n in range(counts.meetings)
        ],
        batch_size=BATCH,
    )
    owners = _reporting(institutions)
    attendance, decisions = [], []
    for m in meetings:
        for i in rng.sample(list(institutions), min(len(institutions), rng.randint(5, 8))):
            attendance.append(MeetingAttendance(meeting=m, institution=i))
        for number in range(1, rng.randint(2, 3) + 1):
            decisions.append(
                Decision(
                    meeting=m,
                    number=number,
                    text_en=f"The committee agreed step {number} of meeting {m.number}.",
                    is_demo=True,
                )
            )
    MeetingAttendance.objects.bulk_create(attendance, batch_size=BATCH)
    decisions = Decision.objects.bulk_create(decisions, batch_size=BATCH)
    _link_recommendations(
        Decision.recommendations.through, "decision_id", decisions, recommendations, rng
    )
    by_meeting: dict[int, list[Decision]] = {}
    for decision in decisions:
        by_meeting.setdefault(decision.meeting_id, []).append(decision)
    points = []
    for m in meetings:
        assert m.date is not None  # noqa: S101 - every generated meeting has a date
        for k in range(counts.action_points_per_meeting):
            due = m.date + timedelta(days=rng.randint(30, 120))
            if due < today and rng.random() < 0.85:
                status, closed = ActionPointStatus.DONE, min(today, due + timedelta(days=5))
            else:
                status, closed = (
                    rng.choice([ActionPointStatus.OPEN, ActionPointStatus.IN_PROGRESS]),
                    None,
                )
            points.append(
                ActionPoint(
                    meeting=m,
                    decision=rng.choice(by_meeting[m.pk]) if k % 2 else None,
                    description=f"Made-up action point {k + 1} of meeting {m.number}.",
                    owner=rng.choice(owners),
                    due_date=due,
                    status=status,
                    closed_on=closed,
                    is_demo=True,
                )
            )
    points = ActionPoint.objects.bulk_create(points, batch_size=BATCH)
    return meetings, points


def _studies(
    rng: random.Random,
    action: Action,
    counts: Counts,
    institutions: Sequence[Institution],
    recommendations: Sequence[Recommendation],
    today: date,
) -> list[Study]:
    statuses = StudyStatus.values
    academia = [
        i for i in institutions if i.kind in (InstitutionKind.ACADEMIA, InstitutionKind.CSO)
    ]
    studies = Study.objects.bulk_create(
        [
            Study(
                action=action,
                title_en=f"Made-up study {n + 1}: {rng.choice(_SUBJECTS).lower()}",
                slug=f"{CODE_PREFIX}study-{n + 1}",
                status=statuses[n % len(statuses)],
                authors="Demo research team",
                contractor=rng.choice(academia) if academia else None,
                start_date=today - timedelta(days=rng.randint(30, 1500)),
                summary_en="A made-up study for benchmarks.",
                is_demo=True,
            )
            for n in range(counts.studies)
        ],
        batch_size=BATCH,
    )
    _link_recommendations(Study.recommendations.through, "study_id", studies, recommendations, rng)
    return studies


def _link_recommendations(
    link: Any,
    column: str,
    records: Sequence[models.Model],
    recommendations: Sequence[Recommendation],
    rng: random.Random,
) -> None:
    """Link each record to one or two of the recommendations, picked at random."""
    link.objects.bulk_create(
        [
            link(**{column: record.pk, "recommendation_id": r.pk})
            for record in records
            for r in rng.sample(list(recommendations), rng.randint(1, 2))
        ],
        batch_size=BATCH,
    )


# --- The results framework ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    """A kind of generated indicator: its calculation (empty: reported) and settings."""

    calculation: str
    unit: str
    title: str
    aggregation: str = Aggregation.SUM
    by_sex: bool = False
    setting: str = ""  # which parameter gets a value picked at random


# Every calculation comes within an outcome's first eight indicators, so that a framework of
# two outcomes already asks each one (the benchmark compares queries at 10 and 200 rows).
_KINDS_OF_INDICATOR = [
    _Kind("participants_trained", "persons", "People trained", by_sex=True),
    _Kind("trainings_held", "trainings", "Trainings held on a topic", setting="topics"),
    _Kind("score_gain", "points", "Test score gain", Aggregation.AVERAGE, setting="topics"),
    _Kind("studies_at_stage", "studies", "Studies validated", setting="stage"),
    _Kind("action_points_closed_on_time", "%", "Action points closed on time", Aggregation.AVERAGE),
    _Kind("updates_approved_on_time", "%", "Updates approved on time", Aggregation.AVERAGE),
    _Kind("", "persons", "People reached by outreach", by_sex=True),
    _Kind(
        "participants_trained",
        "persons",
        "Professionals of a group trained",
        by_sex=True,
        setting="professional_groups",
    ),
    _Kind("", "cases", "Cases referred"),
    _Kind("", "%", "Share of staff applying the guidelines", Aggregation.LATEST),
    _Kind("trainings_held", "trainings", "Trainings held"),
]
_OUTCOME_LEVEL = [
    _Kind(
        "recommendations_at_status",
        "recommendations",
        "Recommendations in progress or beyond",
        Aggregation.LATEST,
        setting="status",
    ),
    _Kind("", "institutions", "Institutions with an action plan", Aggregation.LATEST),
]


def _framework(
    rng: random.Random,
    action: Action,
    counts: Counts,
    institutions: Sequence[Institution],
    periods: Sequence[ReportingPeriod],
    memberships: Sequence[Membership],
    admin: User,
    today: date,
) -> dict[str, int]:
    """Outcomes, outputs and indicators of both kinds, with a target for every period and the
    reported indicators' values through their review; the oldest period closed."""
    outcomes = Outcome.objects.bulk_create(
        Outcome(
            action=action,
            code=f"G{o}",
            title_en=f"Made-up outcome {o}: institutions protect and assist victims",
            is_demo=True,
        )
        for o in range(1, counts.outcomes + 1)
    )
    outputs = Output.objects.bulk_create(
        Output(
            outcome=outcome,
            code=f"{outcome.code}.{p}",
            title_en=f"Made-up output {outcome.code}.{p}: trainings, studies and outreach",
            is_demo=True,
        )
        for outcome in outcomes
        for p in range(1, counts.outputs_per_outcome + 1)
    )
    settings = {
        "topics": [str(pk) for pk in Topic.objects.values_list("pk", flat=True)],
        "professional_groups": [
            str(pk) for pk in ProfessionalGroup.objects.values_list("pk", flat=True)
        ],
        "stage": [StudyStatus.VALIDATED.value, StudyStatus.PUBLISHED.value],
        "status": [ImplementationStatus.IN_PROGRESS.value, ImplementationStatus.ADVANCED.value],
    }
    reporting = _reporting(institutions)
    planned: list[tuple[Indicator, _Kind]] = []
    n = 0
    for outcome in outcomes:
        kind = _OUTCOME_LEVEL[len(planned) % len(_OUTCOME_LEVEL)]
        planned.append((_indicator(rng, outcome, None, "a", kind, settings, reporting), kind))
        for output in (o for o in outputs if o.outcome_id == outcome.pk):
            for i in range(counts.indicators_per_output):
                kind = _KINDS_OF_INDICATOR[n % len(_KINDS_OF_INDICATOR)]
                n += 1
                letter = chr(ord("a") + i)
                planned.append(
                    (_indicator(rng, outcome, output, letter, kind, settings, reporting), kind)
                )
    indicators = Indicator.objects.bulk_create([indicator for indicator, _kind in planned])
    kinds = dict(zip([i.pk for i in indicators], [k for _i, k in planned], strict=True))
    values = _indicator_values(rng, counts, indicators, kinds, periods, memberships, admin, today)
    if periods:
        # Closed as the programme team closes a period, so the frozen values are the service's.
        programme_services.reporting_period_close(period=periods[0], by=admin)
    return {
        "outcomes": len(outcomes),
        "outputs": len(outputs),
        "indicators": len(indicators),
        "indicator_values": len(values),
    }


def _indicator(
    rng: random.Random,
    outcome: Outcome,
    output: Output | None,
    letter: str,
    kind: _Kind,
    settings: dict[str, list[str]],
    reporting: Sequence[Institution],
) -> Indicator:
    parameters: dict[str, Any] = {}
    if kind.setting and settings[kind.setting]:
        choice = rng.choice(settings[kind.setting])
        many = kind.setting in ("topics", "professional_groups")
        parameters[kind.setting] = [choice] if many else choice
    code = f"{output.code if output else outcome.code}.{letter}"
    return Indicator(
        outcome=outcome,
        output=output,
        code=code,
        title_en=f"{kind.title} ({code})",
        unit_en=kind.unit,
        baseline=Decimal(0),
        baseline_year=2020,
        by_sex=kind.by_sex,
        kind=IndicatorKind.COMPUTED if kind.calculation else IndicatorKind.REPORTED,
        calculation=kind.calculation,
        parameters=parameters,
        responsible=rng.choice(reporting) if not kind.calculation else None,
        aggregation=kind.aggregation,
        source="Made-up source of verification",
        is_demo=True,
    )


def _target(rng: random.Random, counts: Counts, kind: _Kind) -> Decimal:
    """A period target near what the generated records give, so that some indicators are on
    track and others behind."""
    half_years = 2 * counts.years
    per_period = {
        "participants_trained": counts.participants * 1.1 / half_years,
        "trainings_held": counts.trainings / half_years,
        "studies_at_stage": max(1, counts.studies / half_years / 2),
        "recommendations_at_status": 8,
        "score_gain": 15,
    }
    if kind.unit == "%":
        base = 80.0
    elif kind.calculation in per_period:
        base = per_period[kind.calculation]
        if kind.setting in ("topics", "professional_groups"):
            base /= 6
    else:
        base = {"persons": 400, "cases": 25, "institutions": 20}.get(kind.unit, 50)
    return Decimal(max(1, round(base * rng.uniform(0.7, 1.3))))


def _indicator_values(
    rng: random.Random,
    counts: Counts,
    indicators: Sequence[Indicator],
    kinds: dict[int, _Kind],
    periods: Sequence[ReportingPeriod],
    memberships: Sequence[Membership],
    admin: User,
    today: date,
) -> list[IndicatorValue]:
    """A target for every indicator in every period; reported values through their review:
    older periods approved (the oldest wholly, for closing), the latest ones mixed."""
    editors: dict[int, int] = {}
    for m in memberships:
        if m.role != MembershipRole.VIEWER:
            editors.setdefault(m.institution_id, m.user_id)
    rows = []
    for indicator in indicators:
        kind = kinds[indicator.pk]
        end = Decimal(0)
        for index, period in enumerate(periods):
            target = _target(rng, counts, kind)
            end = target if kind.aggregation != Aggregation.SUM else end + target
            value = IndicatorValue(indicator=indicator, period=period, target=target, is_demo=True)
            if not indicator.is_computed:
                _reported(rng, value, index, period, editors, admin, today)
            rows.append(value)
        indicator.target_end = end
    Indicator.objects.bulk_update(indicators, ["target_end"], batch_size=BATCH)
    values = IndicatorValue.objects.bulk_create(rows, batch_size=BATCH)
    steps = {
        ValueState.SUBMITTED: [(ValueState.DRAFT, ValueState.SUBMITTED)],
        ValueState.RETURNED: [
            (ValueState.DRAFT, ValueState.SUBMITTED),
            (ValueState.SUBMITTED, ValueState.RETURNED),
        ],
        ValueState.APPROVED: [
            (ValueState.DRAFT, ValueState.SUBMITTED),
            (ValueState.SUBMITTED, ValueState.APPROVED),
        ],
    }
    IndicatorValueTransition.objects.bulk_create(
        (
            IndicatorValueTransition(
                value=v,
                from_state=before,
                to_state=after,
                actual=v.actual,
                by_id=admin.pk if after != ValueState.SUBMITTED else v.created_by_id,
            )
            for v in values
            if v.actual is not None
            for before, after in steps.get(ValueState(v.state), [])
        ),
        batch_size=BATCH,
    )
    return values


def _reported(
    rng: random.Random,
    value: IndicatorValue,
    index: int,
    period: ReportingPeriod,
    editors: dict[int, int],
    admin: User,
    today: date,
) -> None:
    """A reported value as its institution entered it and the programme team reviewed it."""
    age = (today - period.due_date).days
    draw = rng.random()
    if index == 0 or (age > 90 and draw < 0.97):
        state = ValueState.APPROVED
    elif age > 90:
        state = ValueState.SUBMITTED
    elif draw < 0.3:
        state = ValueState.DRAFT
    elif draw < 0.6:
        state = ValueState.SUBMITTED
    elif draw < 0.7:
        state = ValueState.RETURNED
    else:
        state = ValueState.APPROVED
    assert value.target is not None  # noqa: S101 - every generated value has its target
    actual = Decimal(round(float(value.target) * rng.uniform(0.6, 1.3)))
    value.actual = actual
    if value.indicator.by_sex:
        women = Decimal(round(float(actual) * rng.uniform(0.45, 0.65)))
        other = min(actual - women, Decimal(round(float(actual) * 0.02)))
        value.actual_women, value.actual_men, value.actual_other = (
            women,
            actual - women - other,
            other,
        )
    value.state = state
    value.created_by_id = editors.get(value.indicator.responsible_id or 0)
    submitted = _at(period.due_date - timedelta(days=rng.randint(0, 20)))
    if state != ValueState.DRAFT:
        value.submitted_at = submitted
    if state in (ValueState.APPROVED, ValueState.RETURNED):
        value.reviewed_at = submitted + timedelta(days=7)
        value.reviewed_by = admin
    if state == ValueState.RETURNED:
        value.reviewer_comment = "Please attach the list the figure comes from."


# --- Object permissions, as the services grant them ------------------------------------------


def _perm(model: type[models.Model], codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label=model._meta.app_label, codename=codename)


def _grant_all(
    trainings: Sequence[Training],
    updates: Sequence[ProgressUpdate],
    assignments: Sequence[Assignment],
    points: Sequence[ActionPoint],
    groups: dict[tuple[int, str], Group],
) -> int:
    """The rows training_share, progress_update_share, recommendation_share and
    action_point_share write, written at once."""
    rows: list[Any] = []
    view, change = _perm(Training, "view_training"), _perm(Training, "change_training")
    for t in trainings:
        for inst in {t.organiser_id, *t._generated_partner_ids}:  # type: ignore[attr-defined]
            rows.append(_row(TrainingGroupObjectPermission, t, view, groups[(inst, "members")]))
            rows.append(_row(TrainingGroupObjectPermission, t, change, groups[(inst, "editors")]))
    view = _perm(ProgressUpdate, "view_progressupdate")
    change = _perm(ProgressUpdate, "change_progressupdate")
    for u in updates:
        members, editors = (
            groups[(u.institution_id, "members")],
            groups[(u.institution_id, "editors")],
        )
        rows.append(_row(ProgressUpdateGroupObjectPermission, u, view, members))
        rows.append(_row(ProgressUpdateGroupObjectPermission, u, change, editors))
    report = _perm(Recommendation, "report_on_recommendation")
    for a in assignments:
        rows.append(
            RecommendationGroupObjectPermission(
                content_object_id=a.recommendation_id,
                permission=report,
                group=groups[(a.institution_id, "editors")],
            )
        )
    change = _perm(ActionPoint, "change_actionpoint")
    for p in points:
        rows.append(
            _row(ActionPointGroupObjectPermission, p, change, groups[(p.owner_id, "editors")])
        )
    by_model: dict[type[models.Model], list[Any]] = {}
    for row in rows:
        by_model.setdefault(type(row), []).append(row)
    for model, model_rows in by_model.items():
        model._default_manager.bulk_create(model_rows, batch_size=BATCH)
    return len(rows)


def _row(model: type[Any], obj: models.Model, permission: Permission, group: Group) -> Any:
    return model(content_object_id=obj.pk, permission=permission, group=group)
