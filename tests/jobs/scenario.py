"""Records the job tests share: an institution that owes a progress update, and its people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from notifications.services import preference_set
from programme.models import ReportingPeriod
from recommendations.models import Recommendation
from stakeholders.choices import MembershipRole
from stakeholders.models import Institution, User
from stakeholders.services import membership_set
from tests import factories


@dataclass
class Owing:
    institution: Institution
    period: ReportingPeriod
    recommendation: Recommendation
    focal_point: User
    editor: User
    team: User  # the programme team


def owing_update(
    *, due_in_days: int = 0, language: str = "mk", frequency: str = "immediately"
) -> Owing:
    """An institution responsible for a recommendation whose update for a period is due."""
    today = timezone.localdate()
    institution = factories.InstitutionFactory.create(short_name="MLSP")
    period = factories.ReportingPeriodFactory.create(
        name="2026 H2",
        start_date=today - timedelta(days=180),
        end_date=today - timedelta(days=1),
        due_date=today + timedelta(days=due_in_days),
    )
    recommendation = factories.RecommendationFactory.create(number=7)
    factories.AssignmentFactory.create(recommendation=recommendation, institution=institution)
    focal_point = factories.UserFactory.create(username="focal", preferred_language=language)
    editor = factories.UserFactory.create(username="editor", preferred_language="en")
    team = factories.UserFactory.create(
        username="team", is_staff=True, programme_team=True, preferred_language="en"
    )
    membership_set(user=focal_point, institution=institution, role=MembershipRole.FOCAL_POINT)
    membership_set(user=editor, institution=institution, role=MembershipRole.EDITOR)
    for user in (focal_point, editor, team):
        preference_set(user=user, frequency=frequency)
    return Owing(institution, period, recommendation, focal_point, editor, team)
