"""The catalogue's calculations: what each counts per period and to date, by sex where it
applies, with its settings, in one query, and the records behind a value as a reader sees them.

Every expected figure is worked out by hand in a comment beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from programme.calculations import (
    Ask,
    Calculation,
    Measure,
    Span,
    calculation_get,
)
from programme.choices import ActionPointStatus, Aggregation, IndicatorKind
from programme.models import Action, ReportingPeriod
from programme.results import framework_figures
from recommendations.choices import AssignmentKind, ImplementationStatus, UpdateState
from recommendations.models import Recommendation
from recommendations.selectors import recommendation_rows, recommendation_statuses_on
from research.choices import StudyStatus
from research.models import Study, StudyStatusChange
from stakeholders.choices import Sex
from stakeholders.models import Institution, ProfessionalGroup
from tests.factories import (
    ActionFactory,
    ActionPointFactory,
    AssignmentFactory,
    AttendanceFactory,
    IndicatorFactory,
    InstitutionFactory,
    MeetingFactory,
    OutcomeFactory,
    ParticipantFactory,
    ProfessionalGroupFactory,
    ProgressUpdateFactory,
    RecommendationFactory,
    ReportingPeriodFactory,
    StudyFactory,
    StudyStatusChangeFactory,
    TopicFactory,
    TrainingFactory,
    UserFactory,
)
from trainings.choices import TrainingStatus
from trainings.models import Topic, Training

pytestmark = pytest.mark.django_db

D = Decimal
SKOPJE = ZoneInfo("Europe/Skopje")

H1 = Span(date(2025, 1, 1), date(2025, 6, 30))
H2 = Span(date(2025, 7, 1), date(2025, 12, 31))
TO_H1 = Span(None, date(2025, 6, 30))
TO_H2 = Span(None, date(2025, 12, 31))
SPANS = [H1, H2, TO_H1, TO_H2]


def _calculation(key: str) -> Calculation:
    calculation = calculation_get(key)
    assert calculation is not None, key
    return calculation


def _values(key: str, action: Action, spans: list[Span], **parameters: Any) -> dict[Span, Measure]:
    answers = _calculation(key).measure(
        [Ask(indicator=1, action=action.pk, parameters=parameters)], spans
    )
    return {span: answers[(1, span)] for span in spans}


def _totals(key: str, action: Action, spans: list[Span], **parameters: Any) -> list[Decimal | None]:
    values = _values(key, action, spans, **parameters)
    return [values[span].total for span in spans]


def _at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SKOPJE)


# --- Trainings -------------------------------------------------------------------------------


@dataclass
class Trainings:
    action: Action
    police: ProfessionalGroup
    social: ProfessionalGroup
    law: Topic
    care: Topic
    t1: Training
    t2: Training
    t5: Training


def _trainings() -> Trainings:
    """Held trainings t1 (March 2025, topic law, for police), t2 (September 2025, law and
    care, for social workers) and t5 (November 2024); t3 planned, t4 cancelled, t6 another
    action's. Scores are pre → post."""
    action = ActionFactory.create()
    police, social = ProfessionalGroupFactory.create(), ProfessionalGroupFactory.create()
    law, care = TopicFactory.create(), TopicFactory.create()
    held = TrainingStatus.HELD

    def training(start: date, status: str = held, **kwargs: Any) -> Training:
        kwargs.setdefault("action", action)
        return TrainingFactory.create(start_date=start, end_date=start, status=status, **kwargs)

    t1 = training(date(2025, 3, 10), topics=[law])
    t1.target_groups.set([police])
    t2 = training(date(2025, 9, 15), topics=[law, care])
    t2.target_groups.set([social])
    t3 = training(date(2025, 4, 1), TrainingStatus.PLANNED, topics=[law])
    t4 = training(date(2025, 5, 1), TrainingStatus.CANCELLED, topics=[law])
    t5 = training(date(2024, 11, 1))
    t6 = training(date(2025, 3, 1), action=ActionFactory.create())

    def person(sex: str, group: ProfessionalGroup) -> Any:
        return ParticipantFactory.create(sex=sex, professional_group=group)

    ana = person(Sex.FEMALE, police)  # trained twice: t1 and t2
    ben = person(Sex.MALE, police)
    oli = person(Sex.OTHER, social)
    dana = person(Sex.FEMALE, social)  # did not complete t1
    eva = person(Sex.FEMALE, police)  # at the planned and the cancelled training only
    fil = person(Sex.MALE, social)  # trained in 2024
    gus = person(Sex.MALE, police)  # no post-test score
    hana = person(Sex.FEMALE, police)  # another action's training

    def attended(t: Training, p: Any, pre: int | None, post: int | None, done: bool = True) -> None:
        AttendanceFactory.create(
            training=t,
            participant=p,
            pre_score=None if pre is None else D(pre),
            post_score=None if post is None else D(post),
            completed=done,
        )

    attended(t1, ana, 40, 70)  # +30
    attended(t1, ben, 60, 66)  # +6
    attended(t1, gus, 50, None)
    attended(t1, dana, 10, 90, done=False)
    attended(t2, ana, 50, 80)  # +30
    attended(t2, oli, 20, 70)  # +50
    attended(t3, eva, 10, 90)
    attended(t4, eva, 10, 90)
    attended(t5, fil, 30, 40)  # +10
    attended(t6, hana, 10, 90)
    return Trainings(action, police, social, law, care, t1, t2, t5)


def test_participants_trained_counts_each_person_once_by_sex_per_period_and_to_date() -> None:
    data = _trainings()
    values = _values("participants_trained", data.action, SPANS)
    # H1: t1 — ana (woman), ben, gus (men); dana did not complete; eva's trainings not held
    assert values[H1] == Measure(D(3), D(1), D(2), D(0))
    # H2: t2 — ana (woman), oli (other)
    assert values[H2] == Measure(D(2), D(1), D(0), D(1))
    # to mid-2025: fil (t5, 2024) + ana, ben, gus
    assert values[TO_H1] == Measure(D(4), D(1), D(3), D(0))
    # to the end of 2025: fil, ana, ben, gus, oli — ana once although trained twice (3 + 2 + 1 = 6
    # if added up)
    assert values[TO_H2] == Measure(D(5), D(1), D(3), D(1))


def test_participants_trained_keeps_to_the_professional_groups_and_topics_chosen() -> None:
    data = _trainings()
    # police: H1 ana, ben, gus; H2 ana; to the end of 2025 ana, ben, gus (fil is a social worker)
    assert _totals(
        "participants_trained", data.action, SPANS, professional_groups=[str(data.police.pk)]
    ) == [D(3), D(1), D(3), D(3)]
    # care is only t2's topic: ana and oli in H2
    assert _totals("participants_trained", data.action, SPANS, topics=[str(data.care.pk)]) == [
        D(0),
        D(2),
        D(0),
        D(2),
    ]


def test_trainings_held_counts_held_trainings_by_start_date() -> None:
    data = _trainings()
    # H1: t1 (t3 planned, t4 cancelled, t6 another action's); H2: t2; to mid-2025: t5, t1; to the
    # end of 2025: t5, t1, t2
    assert _totals("trainings_held", data.action, SPANS) == [D(1), D(1), D(2), D(3)]
    values = _values("trainings_held", data.action, SPANS)
    assert not values[H1].has_sexes


def test_trainings_held_keeps_to_topics_and_target_groups_counting_each_training_once() -> None:
    data = _trainings()
    both = [str(data.law.pk), str(data.care.pk)]
    # law or care: t1 (law), t2 (both topics, once); t5 has neither
    assert _totals("trainings_held", data.action, SPANS, topics=both) == [D(1), D(1), D(1), D(2)]
    # aimed at social workers: t2 only
    assert _totals("trainings_held", data.action, SPANS, target_groups=[str(data.social.pk)]) == [
        D(0),
        D(1),
        D(0),
        D(1),
    ]


def test_score_gain_averages_post_minus_pre_over_completed_attendance_with_both_scores() -> None:
    data = _trainings()
    assert _totals("score_gain", data.action, SPANS) == [
        D("18.0"),  # t1: ana +30, ben +6 (gus has no post score, dana did not complete): 36 / 2
        D("40.0"),  # t2: ana +30, oli +50: 80 / 2
        D("15.3"),  # fil +10, ana +30, ben +6: 46 / 3 = 15.33
        D("25.2"),  # fil +10, ana +30, ben +6, ana +30, oli +50: 126 / 5
    ]


def test_score_gain_keeps_to_groups_and_topics_and_has_no_value_without_scores() -> None:
    data = _trainings()
    # social workers: oli +50 (t2), fil +10 (t5); nobody in H1
    assert _totals("score_gain", data.action, SPANS, professional_groups=[str(data.social.pk)]) == [
        None,
        D("50.0"),
        D("10.0"),
        D("30.0"),
    ]
    # law or care, t2 having both: each attendance once, (30 + 6 + 30 + 50) / 4 to the end of 2025
    both = [str(data.law.pk), str(data.care.pk)]
    assert _totals("score_gain", data.action, SPANS, topics=both) == [
        D("18.0"),
        D("40.0"),
        D("18.0"),
        D("29.0"),
    ]
    assert _totals("score_gain", ActionFactory.create(), SPANS) == [None, None, None, None]


def test_a_person_trained_in_two_periods_counts_once_to_date_in_the_framework() -> None:
    data = _trainings()
    for year, half in ((2024, 2), (2025, 1), (2025, 2)):
        ReportingPeriodFactory.create(
            action=data.action,
            name=f"{year} H{half}",
            start_date=date(year, 1 if half == 1 else 7, 1),
            end_date=date(year, 6, 30) if half == 1 else date(year, 12, 31),
            due_date=date(year + 1, 1, 31),
        )
    IndicatorFactory.create(
        outcome=OutcomeFactory.create(action=data.action),
        kind=IndicatorKind.COMPUTED,
        calculation="participants_trained",
        aggregation=Aggregation.SUM,
        by_sex=True,
    )
    [block] = framework_figures(action=data.action)
    [figures] = block.indicators
    periods = [(f.value.total, f.to_date.total) for f in figures.periods]
    # values: fil; ana, ben, gus; ana, oli. To date: 1; 1 + 3; fil, ana, ben, gus, oli = 5, not
    # the 6 the periods add up to
    assert periods == [(D(1), D(1)), (D(3), D(4)), (D(2), D(5))]
    assert figures.to_date == Measure(D(5), D(1), D(3), D(1))


def test_training_sources_list_the_trainings_counted_that_the_reader_may_see() -> None:
    data = _trainings()
    team = UserFactory.create(programme_team=True)
    ask = Ask(indicator=1, action=data.action.pk, parameters={})
    held = _calculation("trainings_held").sources(ask, TO_H2, team)
    assert [s.label for s in held] == [data.t5.title, data.t1.title, data.t2.title]
    assert held[1].url == f"/trainings/{data.t1.pk}/"
    scored = _calculation("score_gain").sources(ask, H1, team)
    assert [s.label for s in scored] == [data.t1.title]
    outsider = UserFactory.create()
    assert _calculation("trainings_held").sources(ask, TO_H2, outsider) == []
    assert _calculation("participants_trained").sources(ask, TO_H2, AnonymousUser()) == []


# --- Studies ---------------------------------------------------------------------------------


def _moved(study: Study, from_status: str, to_status: str, day: date) -> None:
    change = StudyStatusChangeFactory.create(
        study=study, from_status=from_status, to_status=to_status
    )
    StudyStatusChange.objects.filter(pk=change.pk).update(changed_at=_at(day))


def _recorded(study: Study, day: date) -> None:
    Study.objects.filter(pk=study.pk).update(created_at=_at(day))


@dataclass
class Studies:
    action: Action
    s1: Study
    s2: Study
    s3: Study
    s4: Study
    s6: Study


def _studies() -> Studies:
    action = ActionFactory.create()
    s = StudyStatus
    # s1 validated in March 2025
    s1 = StudyFactory.create(action=action, status=s.VALIDATED)
    _moved(s1, s.PLANNED, s.DRAFT, date(2024, 12, 1))
    _moved(s1, s.UNDER_REVIEW, s.VALIDATED, date(2025, 3, 5))
    # s2 validated in May, published in September 2025
    s2 = StudyFactory.create(action=action, status=s.PUBLISHED, published_on=date(2025, 9, 20))
    _moved(s2, s.DRAFT, s.UNDER_REVIEW, date(2025, 2, 1))
    _moved(s2, s.UNDER_REVIEW, s.VALIDATED, date(2025, 5, 10))
    _moved(s2, s.VALIDATED, s.PUBLISHED, date(2025, 9, 20))
    # s3 recorded already published (on 1 August 2025), today, with no history
    s3 = StudyFactory.create(action=action, status=s.PUBLISHED, published_on=date(2025, 8, 1))
    # s4 recorded already validated, as the seed does, on 20 November 2025
    s4 = StudyFactory.create(action=action, status=s.VALIDATED)
    _recorded(s4, date(2025, 11, 20))
    # s5 under review: not validated
    s5 = StudyFactory.create(action=action, status=s.UNDER_REVIEW)
    _moved(s5, s.DRAFT, s.UNDER_REVIEW, date(2025, 4, 1))
    # s6 recorded validated in June 2024, published in October 2025
    s6 = StudyFactory.create(action=action, status=s.PUBLISHED, published_on=date(2025, 10, 1))
    _recorded(s6, date(2024, 6, 1))
    _moved(s6, s.VALIDATED, s.PUBLISHED, date(2025, 10, 1))
    # another action's study
    s7 = StudyFactory.create(status=s.VALIDATED)
    _moved(s7, s.UNDER_REVIEW, s.VALIDATED, date(2025, 3, 5))
    return Studies(action, s1, s2, s3, s4, s6)


def test_studies_at_stage_counts_studies_on_the_day_they_reached_it() -> None:
    data = _studies()
    validated = _totals("studies_at_stage", data.action, SPANS, stage="validated")
    # H1: s1 (5 March), s2 (10 May); H2: s3 (published 1 August, recorded later), s4 (recorded
    # 20 November); to mid-2025: s1, s2 and s6 (recorded validated in June 2024); to the end of
    # 2025: s1, s2, s3, s4, s6 — s5 is under review, s7 another action's
    assert validated == [D(2), D(2), D(3), D(5)]
    # published: s2 (20 September), s3 (1 August), s6 (1 October), all in H2
    published = _totals("studies_at_stage", data.action, SPANS, stage="published")
    assert published == [D(0), D(3), D(0), D(3)]
    # without a stage chosen, validated
    assert _totals("studies_at_stage", data.action, SPANS) == validated


def test_studies_at_stage_sources_give_the_day_each_study_reached_it() -> None:
    data = _studies()
    ask = Ask(indicator=1, action=data.action.pk, parameters={"stage": "validated"})
    sources = _calculation("studies_at_stage").sources(ask, H1, UserFactory.create())
    assert [(s.label, s.detail) for s in sources] == [
        (data.s1.title, "2025-03-05"),
        (data.s2.title, "2025-05-10"),
    ]
    assert sources[0].url == f"/research/{data.s1.slug}/"
    assert _calculation("studies_at_stage").sources(ask, H1, AnonymousUser()) == []


def test_every_validated_study_of_the_demo_counts_to_date(demo: dict[str, Any]) -> None:
    """The seed records its studies validated with no history: they count from the day they
    were recorded, so the demo's studies indicator leaves none out."""
    action = Action.objects.get()
    held = Study.objects.filter(
        action=action, status__in=[StudyStatus.VALIDATED, StudyStatus.PUBLISHED]
    )
    assert held.filter(status_changes=None).exists()
    last_recorded = max(timezone.localdate(s.created_at) for s in held)
    assert _totals("studies_at_stage", action, [Span(None, last_recorded)]) == [D(held.count())]


# --- Recommendations at a status ---------------------------------------------------------------


@dataclass
class Statuses:
    action: Action
    r1: Recommendation
    r3: Recommendation
    r4: Recommendation


def _statuses() -> Statuses:
    action = ActionFactory.create()
    p1 = ReportingPeriodFactory.create(
        action=action, start_date=H1.start, end_date=H1.end, due_date=date(2025, 7, 31)
    )
    p2 = ReportingPeriodFactory.create(
        action=action, start_date=H2.start, end_date=H2.end, due_date=date(2026, 1, 31)
    )
    a, b, c, d, e, f = (InstitutionFactory.create() for _ in range(6))
    st, approved = ImplementationStatus, UpdateState.APPROVED

    def update(r: Recommendation, i: Institution, p: ReportingPeriod, s: str, state: str) -> None:
        ProgressUpdateFactory.create(
            recommendation=r, institution=i, period=p, status=s, state=state
        )

    # r1: a in progress then implemented; b largely implemented, then returned
    r1 = RecommendationFactory.create()
    AssignmentFactory.create(recommendation=r1, institution=a)
    AssignmentFactory.create(recommendation=r1, institution=b)
    update(r1, a, p1, st.IN_PROGRESS, approved)
    update(r1, a, p2, st.IMPLEMENTED, approved)
    update(r1, b, p1, st.ADVANCED, approved)
    update(r1, b, p2, st.IMPLEMENTED, UpdateState.RETURNED)
    # r2: planned
    r2 = RecommendationFactory.create()
    AssignmentFactory.create(recommendation=r2, institution=a)
    update(r2, a, p1, st.PLANNED, approved)
    # r3: implemented from H2
    r3 = RecommendationFactory.create()
    AssignmentFactory.create(recommendation=r3, institution=a)
    update(r3, a, p2, st.IMPLEMENTED, approved)
    # r4: an invited institution says implemented: it is assigned, so it speaks
    r4 = RecommendationFactory.create()
    AssignmentFactory.create(recommendation=r4, institution=c, kind=AssignmentKind.INVITED)
    update(r4, c, p1, st.IMPLEMENTED, approved)
    # r5: only a submitted update; r6: the institution that said implemented was withdrawn
    r5 = RecommendationFactory.create()
    AssignmentFactory.create(recommendation=r5, institution=d)
    update(r5, d, p1, st.IMPLEMENTED, UpdateState.SUBMITTED)
    r6 = RecommendationFactory.create()
    AssignmentFactory.create(recommendation=r6, institution=f)
    update(r6, e, p1, st.IMPLEMENTED, approved)
    return Statuses(action, r1, r3, r4)


def test_recommendations_at_status_is_where_they_stand_at_the_end_of_each_span() -> None:
    data = _statuses()
    # end of H1: r1 in progress (the least advanced of a in progress, b largely), r2 planned,
    # r4 implemented; r3 not yet assessed, r5 and r6 have no approved update of an assigned
    # institution. End of H2: r1 largely (a implemented, b still largely), r2 planned,
    # r3 implemented, r4 implemented. A stock: "to date" is the same as the period ending then.
    in_progress = _totals("recommendations_at_status", data.action, SPANS, status="in_progress")
    assert in_progress == [D(2), D(3), D(2), D(3)]  # r1, r4 | r1, r3, r4
    implemented = _totals("recommendations_at_status", data.action, SPANS, status="implemented")
    assert implemented == [D(1), D(2), D(1), D(2)]  # r4 | r3, r4
    # any status: r1, r2, r4 | r1, r2, r3, r4
    assert _totals("recommendations_at_status", data.action, SPANS) == [D(3), D(4), D(3), D(4)]


def test_recommendations_at_status_follows_the_overall_status_rule_of_the_pages() -> None:
    _statuses()
    days = [H1.end, H2.end, date(2024, 12, 31)]
    on = recommendation_statuses_on(days=days)
    for day in days:
        rows = recommendation_rows(queryset=Recommendation.objects.all(), until=day)
        assert on[day] == {r.recommendation.pk: r.status for r in rows if r.status}


def test_recommendations_at_status_sources_name_each_recommendation_and_its_status() -> None:
    data = _statuses()
    ask = Ask(indicator=1, action=data.action.pk, parameters={"status": "advanced"})
    sources = _calculation("recommendations_at_status").sources(ask, H2, UserFactory.create())
    assert [(s.label, s.detail) for s in sources] == [
        (str(data.r1), "Largely implemented"),
        (str(data.r3), "Fully implemented"),
        (str(data.r4), "Fully implemented"),
    ]
    assert sources[0].url == f"/recommendations/{data.r1.pk}/"
    assert _calculation("recommendations_at_status").sources(ask, H2, AnonymousUser()) == []


# --- Progress updates approved on time ---------------------------------------------------------

H1_2026 = Span(date(2026, 1, 1), date(2026, 6, 30))


@dataclass
class OnTime:
    action: Action
    late: Any
    waiting: Any


def _on_time() -> OnTime:
    """Periods 2025 H1 (due 31 July 2025) and H2 (due 31 January 2026), and one whose due
    date is still ahead. x and y are responsible for ra, x for rb; z is invited to report on
    rb; w reported on rb but is no longer assigned."""
    action = ActionFactory.create()
    p1 = ReportingPeriodFactory.create(
        action=action, start_date=H1.start, end_date=H1.end, due_date=date(2025, 7, 31)
    )
    p2 = ReportingPeriodFactory.create(
        action=action, start_date=H2.start, end_date=H2.end, due_date=date(2026, 1, 31)
    )
    today = timezone.localdate()
    ahead = ReportingPeriodFactory.create(
        action=action,
        start_date=today - timedelta(days=20),
        end_date=today + timedelta(days=10),
        due_date=today + timedelta(days=20),
    )
    x, y, z, w = (InstitutionFactory.create() for _ in range(4))
    ra, rb = RecommendationFactory.create(), RecommendationFactory.create()
    AssignmentFactory.create(recommendation=ra, institution=x)
    AssignmentFactory.create(recommendation=ra, institution=y)
    AssignmentFactory.create(recommendation=rb, institution=x)
    AssignmentFactory.create(recommendation=rb, institution=z, kind=AssignmentKind.INVITED)

    def update(r: Recommendation, i: Institution, p: ReportingPeriod, state: str, sent: Any) -> Any:
        return ProgressUpdateFactory.create(
            recommendation=r, institution=i, period=p, state=state, submitted_at=sent
        )

    approved = UpdateState.APPROVED
    # 2025 H1, due 31 July 2025
    update(ra, x, p1, approved, _at(date(2025, 7, 20)))  # on time
    # half past midnight on 1 August in Skopje, still 31 July in UTC: late
    late = update(ra, y, p1, approved, _at(date(2025, 8, 1), 0, 30))
    waiting = update(rb, x, p1, UpdateState.SUBMITTED, _at(date(2025, 7, 30)))  # not approved
    update(rb, z, p1, approved, _at(date(2025, 7, 1)))  # invited: owed nothing
    # 2025 H2, due 31 January 2026
    update(ra, x, p2, approved, _at(date(2026, 1, 31), 23, 30))  # on time, on the day
    update(rb, x, p2, approved, _at(date(2026, 1, 2)))  # on time
    update(ra, y, p2, UpdateState.RETURNED, _at(date(2026, 1, 20)))
    update(rb, w, p2, approved, _at(date(2026, 1, 2)))  # no longer assigned
    # not due yet
    update(ra, x, ahead, approved, _at(today - timedelta(days=1)))
    return OnTime(action, late, waiting)


def test_updates_approved_on_time_is_the_share_of_owed_updates_sent_by_the_due_date() -> None:
    data = _on_time()
    far = Span(None, timezone.localdate() + timedelta(days=60))
    spans = [H1, H2, H1_2026, far]
    assert _totals("updates_approved_on_time", data.action, spans) == [
        None,  # no period falls due in 2025 H1
        D("33.3"),  # H1 is due 31 July 2025: 3 owed (ra-x, ra-y, rb-x), 1 on time (ra-x)
        D("66.7"),  # H2 is due 31 January 2026: 3 owed, 2 on time (ra-x, rb-x)
        D("50.0"),  # 3 of 6; the period still ahead owes nothing yet
    ]


def test_updates_approved_on_time_sources_show_what_the_reader_may_see() -> None:
    data = _on_time()
    ask = Ask(indicator=1, action=data.action.pk, parameters={})
    team = UserFactory.create(programme_team=True)
    sources = _calculation("updates_approved_on_time").sources(ask, H2, team)
    # ra-x on time, ra-y late, rb-x waiting; the invited institution's update is not listed
    assert [s.detail for s in sources] == [
        "Approved, submitted by the due date",
        "Approved, submitted after the due date",
        "Submitted: not approved",
    ]
    assert sources[1].url == f"/recommendations/updates/{data.late.pk}/"
    # anyone else reads only approved updates
    seen = _calculation("updates_approved_on_time").sources(ask, H2, UserFactory.create())
    assert [s.url for s in seen] == [s.url for s in sources[:2]]
    assert f"/recommendations/updates/{data.waiting.pk}/" not in {s.url for s in seen}


# --- Action points closed on time ------------------------------------------------------------


@dataclass
class Points:
    action: Action
    o2: Institution


def _points() -> Points:
    action = ActionFactory.create()
    meeting = MeetingFactory.create(action=action, date=date(2025, 1, 15))
    o1, o2 = InstitutionFactory.create(), InstitutionFactory.create()
    st = ActionPointStatus
    today = timezone.localdate()

    def point(due: date | None, status: str, closed: date | None, owner: Institution) -> None:
        ActionPointFactory.create(
            meeting=meeting, due_date=due, status=status, closed_on=closed, owner=owner
        )

    point(date(2025, 3, 31), st.DONE, date(2025, 3, 20), o1)  # a1 on time
    point(date(2025, 4, 30), st.DONE, date(2025, 5, 10), o2)  # a2 late
    point(date(2025, 5, 31), st.OPEN, None, o1)  # a3 still open
    point(date(2025, 6, 15), st.CANCELLED, date(2025, 6, 1), o1)  # a4 cancelled
    point(date(2025, 9, 30), st.DONE, date(2025, 9, 30), o2)  # a5 on the day
    point(None, st.OPEN, None, o1)  # a6 no due date
    point(date(2025, 10, 31), st.IN_PROGRESS, None, o1)  # a7 still in progress
    point(today + timedelta(days=30), st.OPEN, None, o1)  # a9 not due yet
    point(today + timedelta(days=30), st.DONE, today - timedelta(days=1), o1)  # a10 done early
    ActionPointFactory.create(
        meeting=MeetingFactory.create(date=date(2025, 1, 15)),
        due_date=date(2025, 3, 1),
        status=st.DONE,
        closed_on=date(2025, 2, 1),
    )  # another action's
    return Points(action, o2)


def test_action_points_closed_on_time_is_the_share_done_by_their_due_date() -> None:
    data = _points()
    today = timezone.localdate()
    ahead = Span(today, today + timedelta(days=60))
    spans = [*SPANS, ahead, Span(date(2024, 1, 1), date(2024, 12, 31))]
    assert _totals("action_points_closed_on_time", data.action, spans) == [
        D("33.3"),  # H1: a1, a2, a3 due (a4 cancelled), a1 on time: 1 / 3
        D("50.0"),  # H2: a5, a7 due, a5 on time: 1 / 2
        D("33.3"),  # to mid-2025: as H1
        D("40.0"),  # to the end of 2025: a1, a2, a3, a5, a7, of which a1 and a5: 2 / 5
        D("100.0"),  # ahead: a10 is done; a9, open, is not due yet: 1 / 1
        None,  # nothing due in 2024
    ]


def test_action_points_closed_on_time_keeps_to_the_owners_chosen() -> None:
    data = _points()
    # o2's: a2 (late) in H1, a5 (on time) in H2
    assert _totals(
        "action_points_closed_on_time", data.action, SPANS, owners=[str(data.o2.pk)]
    ) == [D("0.0"), D("100.0"), D("0.0"), D("50.0")]


def test_action_point_sources_say_how_each_point_stands() -> None:
    data = _points()
    ask = Ask(indicator=1, action=data.action.pk, parameters={})
    sources = _calculation("action_points_closed_on_time").sources(ask, H1, UserFactory.create())
    assert [s.detail for s in sources] == [
        "due 2025-03-31, closed on time on 2025-03-20",
        "due 2025-04-30, closed late on 2025-05-10",
        "due 2025-05-31, still open",
    ]
    assert sources[0].url.startswith("/meetings/")
    assert _calculation("action_points_closed_on_time").sources(ask, H1, AnonymousUser()) == []


# --- One query each ----------------------------------------------------------------------------

KEYS = [
    "participants_trained",
    "trainings_held",
    "score_gain",
    "studies_at_stage",
    "recommendations_at_status",
    "updates_approved_on_time",
    "action_points_closed_on_time",
]
PARAMETERS: dict[str, list[dict[str, Any]]] = {
    "participants_trained": [{}, {"professional_groups": ["1"]}, {"topics": ["1", "2"]}],
    "trainings_held": [{}, {"target_groups": ["1"]}, {"topics": ["1"]}],
    "score_gain": [{}, {"professional_groups": ["1"]}, {"topics": ["1"]}],
    "studies_at_stage": [{"stage": "validated"}, {"stage": "published"}, {}],
    "recommendations_at_status": [{"status": "planned"}, {"status": "implemented"}, {}],
    "updates_approved_on_time": [{}],
    "action_points_closed_on_time": [{}, {"owners": ["1", "2"]}],
}


# People trained are counted in two reads: by period, and from the beginning by each
# person's first training (counting distinct people per span in one read sorts once per span).
QUERIES = {"participants_trained": 2}


@pytest.mark.parametrize("key", KEYS)
def test_every_indicator_and_span_is_measured_in_one_query(key: str) -> None:
    _trainings()
    _studies()
    _statuses()
    _on_time()
    data = _points()
    calculation = _calculation(key)
    choices = PARAMETERS[key]
    many = [
        Ask(indicator=n, action=data.action.pk, parameters=choices[n % len(choices)])
        for n in range(5)
    ]
    six = [H1, H2, TO_H1, TO_H2, H1_2026, Span(None, date(2026, 6, 30))]
    for asks, spans in (([many[0]], [H1]), (many, six)):
        with CaptureQueriesContext(connection) as queries:
            answers = calculation.measure(asks, spans)
        assert len(queries) <= QUERIES.get(key, 1), [q["sql"] for q in queries]
        assert set(answers) == {(a.indicator, s) for a in asks for s in spans}
