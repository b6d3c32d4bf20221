from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import F, Q
from django.test import Client

from loaders.generator import GENERATED_PASSWORD, Counts
from loaders.grants import object_permissions_rebuild
from programme.calculations import calculation_get
from programme.choices import ValueState
from programme.models import (
    ActionPoint,
    ActionPointGroupObjectPermission,
    Indicator,
    IndicatorValue,
    Meeting,
    ReportingPeriod,
)
from recommendations import permissions as rec_perms
from recommendations.choices import UpdateState
from recommendations.models import (
    Assignment,
    ProgressUpdate,
    ProgressUpdateGroupObjectPermission,
    RecommendationGroupObjectPermission,
)
from stakeholders.choices import InstitutionKind, MembershipRole
from stakeholders.models import Institution, Membership, User
from trainings import permissions as training_perms
from trainings.models import Attendance, Participant, Training, TrainingGroupObjectPermission

pytestmark = pytest.mark.django_db

SCALE = 0.004


@pytest.fixture
def generated(db: None) -> Counts:
    call_command("generate_programme", scale=SCALE, stdout=io.StringIO())
    return Counts.at_scale(SCALE)


def _grants() -> set[tuple[Any, ...]]:
    """Every object permission and institution group membership, by name."""
    rows: set[tuple[Any, ...]] = set()
    for model in (
        TrainingGroupObjectPermission,
        ProgressUpdateGroupObjectPermission,
        RecommendationGroupObjectPermission,
        ActionPointGroupObjectPermission,
    ):
        rows |= {
            (model.__name__, *row)
            for row in model.objects.values_list(
                "content_object_id", "group__name", "permission__codename"
            )
        }
    rows |= {
        ("group", *row)
        for row in User.groups.through.objects.values_list("user__username", "group__name")
    }
    return rows


def test_generator_makes_the_records_asked_for_marked_as_demo(generated: Counts) -> None:
    counts = generated
    made = Institution.objects.filter(code__startswith="gen-")
    assert made.count() == counts.institutions
    assert not made.filter(is_demo=False).exists()
    assert User.objects.filter(username__startswith="gen-", is_demo=True).count() == (
        counts.users + 1
    )
    trainings = Training.objects.filter(organiser__in=made)
    assert trainings.count() == counts.trainings
    assert not trainings.filter(is_demo=False).exists()
    participants = Participant.objects.filter(is_demo=True)
    assert participants.count() == counts.participants
    assert not participants.filter(attendance__isnull=True).exists()
    assert Attendance.objects.filter(participant__in=participants).count() >= counts.participants
    updates = ProgressUpdate.objects.filter(institution__in=made)
    assert updates.count() == counts.updates
    assert set(updates.values_list("recommendation__number", flat=True)) <= set(range(1, 16))
    # Every update is on a recommendation its institution is assigned to.
    assert not updates.exclude(recommendation__assignments__institution=F("institution")).exists()
    meetings = Meeting.objects.filter(is_demo=True)
    assert meetings.count() == counts.meetings
    assert ActionPoint.objects.filter(meeting__in=meetings).count() == (
        counts.meetings * counts.action_points_per_meeting
    )
    assert Membership.objects.filter(user__username__startswith="gen-").count() >= counts.users


def test_generated_permissions_are_those_the_services_grant(generated: Counts) -> None:
    before = _grants()
    assert any(row[0] == "TrainingGroupObjectPermission" for row in before)
    object_permissions_rebuild()  # every grant made afresh through the services' share functions
    assert _grants() == before


def test_generated_cso_user_sees_only_what_the_permission_selectors_allow(
    generated: Counts,
) -> None:
    membership = (
        Membership.objects.filter(
            institution__code__startswith="gen-",
            institution__kind=InstitutionKind.CSO,
            role=MembershipRole.FOCAL_POINT,
        )
        .select_related("user")
        .first()
    )
    assert membership is not None
    user = membership.user
    own = set(user.memberships.values_list("institution_id", flat=True))

    expected = set(Training.objects.filter(Q(organiser__in=own) | Q(partners__in=own)))
    visible = set(training_perms.trainings_visible_to(user))
    assert visible == expected
    assert visible and len(visible) < Training.objects.count()

    updates = set(rec_perms.updates_visible_to(user))
    assert updates == set(
        ProgressUpdate.objects.filter(Q(state=UpdateState.APPROVED) | Q(institution__in=own))
    )
    assert set(rec_perms.recommendations_reportable_by(user)) == {
        a.recommendation for a in Assignment.objects.filter(institution__in=own)
    }
    assert set(rec_perms.updates_editable_by(user)) == set(
        ProgressUpdate.objects.filter(institution=membership.institution)
    )

    client = Client()
    signed_in = client.post(
        "/accounts/login/", {"username": user.username, "password": GENERATED_PASSWORD}
    )
    assert signed_in.status_code == 302, "a generated user signs in with the printed password"
    listed = set(client.get("/trainings/").context["page_obj"].object_list)
    assert listed and listed <= expected
    other = Training.objects.exclude(pk__in=[t.pk for t in expected]).first()
    assert other is not None
    assert client.get(f"/trainings/{other.pk}/").status_code == 404
    assert client.get(f"/trainings/{next(iter(expected)).pk}/").status_code == 200


def test_generator_refuses_to_run_twice(generated: Counts) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="already loaded"):
        call_command("generate_programme", scale=SCALE, stdout=io.StringIO())


def test_generator_makes_a_results_framework_of_both_kinds_with_values(
    generated: Counts,
) -> None:
    indicators = Indicator.objects.filter(outcome__code__startswith="G")
    assert indicators.count() == generated.indicators
    assert not indicators.filter(is_demo=False).exists()
    assert set(indicators.values_list("kind", flat=True)) == {"computed", "reported"}
    for indicator in indicators.filter(kind="computed"):
        calculation = calculation_get(indicator.calculation)
        assert calculation is not None, indicator.calculation
        assert calculation.parameters_clean(indicator.parameters) == indicator.parameters
    assert not indicators.filter(kind="reported", responsible__isnull=True).exists()
    periods = list(ReportingPeriod.objects.order_by("start_date"))
    values = IndicatorValue.objects.filter(indicator__in=indicators)
    assert values.count() == len(periods) * indicators.count()
    assert not values.filter(target__isnull=True).exists()
    assert not values.filter(is_demo=False).exists()
    reported = values.filter(indicator__kind="reported")
    assert ValueState.APPROVED in set(reported.values_list("state", flat=True))
    approved = reported.filter(state=ValueState.APPROVED).first()
    assert approved is not None
    assert [t.to_state for t in approved.transitions.all()] == ["submitted", "approved"]
    assert not values.filter(indicator__kind="computed").exclude(state=ValueState.DRAFT).exists()
    # The oldest period closed through the service: its values frozen, the others open.
    oldest, *later = periods
    assert oldest.is_closed and not any(p.is_closed for p in later)
    assert not values.filter(period=oldest, frozen_at__isnull=True).exists()
    assert not values.filter(period__in=later, frozen_at__isnull=False).exists()
    call_command("remove_demo", stdout=io.StringIO())
    assert not Indicator.objects.exists() and not IndicatorValue.objects.exists()
