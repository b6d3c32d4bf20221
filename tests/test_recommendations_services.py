from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from loaders.seeding import seed_load
from programme.models import Action, ReportingPeriod
from recommendations import services
from recommendations.choices import ImplementationStatus, UpdateState
from recommendations.models import Recommendation
from stakeholders.models import Institution, User
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup() -> dict:
    seed_load()
    action = Action.objects.get()
    period = ReportingPeriod.objects.create(
        action=action,
        name="2025 H1",
        start_date=date(2025, 1, 1),
        end_date=date(2025, 6, 30),
        due_date=date(2025, 7, 15),
    )
    mspdy = Institution.objects.get(code="mspdy")
    author = User.objects.create_user("author", password="x" * 12)
    factories.MembershipFactory(user=author, institution=mspdy)  # an editor reports for it
    return {
        "rec": Recommendation.objects.get(number=8),  # MSPDY is responsible
        "mspdy": mspdy,
        "moi": Institution.objects.get(code="moi"),
        "period": period,
        "author": author,
        "reviewer": factories.UserFactory.create(
            username="reviewer", is_staff=True, programme_team=True
        ),
    }


def _draft(s: dict):
    return services.progress_update_create(
        recommendation=s["rec"],
        institution=s["mspdy"],
        period=s["period"],
        status=ImplementationStatus.PLANNED,
        narrative="A support programme is drafted.",
        by=s["author"],
    )


def test_unassigned_institution_cannot_report_on_a_recommendation(setup) -> None:
    with pytest.raises(ValidationError, match="not assigned"):
        services.progress_update_create(
            recommendation=setup["rec"],
            institution=setup["moi"],
            period=setup["period"],
            status=ImplementationStatus.PLANNED,
            narrative="x",
            by=setup["author"],
        )


def test_update_goes_draft_submitted_returned_submitted_approved(setup) -> None:
    update = _draft(setup)
    assert update.state == UpdateState.DRAFT
    update = services.progress_update_submit(update=update, by=setup["author"])
    assert update.state == UpdateState.SUBMITTED and update.submitted_at
    with pytest.raises(ValidationError):
        services.progress_update_edit(update=update, by=setup["author"], narrative="sneaky")
    update = services.progress_update_return(
        update=update, by=setup["reviewer"], comment="Add figures."
    )
    assert update.state == UpdateState.RETURNED and update.reviewer_comment == "Add figures."
    update = services.progress_update_edit(
        update=update, by=setup["author"], narrative="Adopted; two municipalities started."
    )
    update = services.progress_update_submit(update=update, by=setup["author"])
    update = services.progress_update_approve(update=update, by=setup["reviewer"])
    assert update.is_locked
    assert [(t.from_state, t.to_state) for t in update.transitions.all()] == [
        ("draft", "submitted"),
        ("submitted", "returned"),
        ("returned", "submitted"),
        ("submitted", "approved"),
    ]


def test_approved_update_is_locked(setup) -> None:
    update = services.progress_update_submit(update=_draft(setup), by=setup["author"])
    update = services.progress_update_approve(update=update, by=setup["reviewer"])
    for attempt in (
        lambda: services.progress_update_edit(update=update, by=setup["author"], narrative="x"),
        lambda: services.progress_update_submit(update=update, by=setup["author"]),
        lambda: services.progress_update_return(update=update, by=setup["reviewer"], comment="x"),
        lambda: services.progress_update_approve(update=update, by=setup["reviewer"]),
    ):
        with pytest.raises(ValidationError):
            attempt()
    update.refresh_from_db()
    assert update.narrative == "A support programme is drafted."


def test_return_needs_a_comment_and_submit_needs_a_narrative(setup) -> None:
    update = _draft(setup)
    with pytest.raises(ValidationError):
        services.progress_update_edit(update=update, by=setup["author"], narrative="   ")
    update = services.progress_update_submit(update=update, by=setup["author"])
    with pytest.raises(ValidationError):
        services.progress_update_return(update=update, by=setup["reviewer"], comment=" ")
    update.refresh_from_db()
    assert update.state == UpdateState.SUBMITTED


def test_second_update_for_the_same_period_is_refused(setup) -> None:
    _draft(setup)
    with pytest.raises(ValidationError, match="already has an update"):
        _draft(setup)
