from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from recommendations import permissions as rec_perms
from recommendations.choices import UpdateState
from recommendations.models import ProgressUpdate
from stakeholders.choices import MembershipRole
from stakeholders.models import Institution, Membership, User
from stakeholders.services import membership_remove, membership_set
from trainings import permissions as training_perms
from trainings.models import Training

pytestmark = pytest.mark.django_db


def test_cso_sees_own_updates_and_everyones_approved_ones(demo) -> None:
    cso_a = demo["demo-cso-a"]
    visible = rec_perms.updates_visible_to(cso_a)
    cso_a_inst = Institution.objects.get(code="demo-cso-a")
    expected = ProgressUpdate.objects.filter(
        institution=cso_a_inst
    ) | ProgressUpdate.objects.filter(state=UpdateState.APPROVED)
    assert set(visible) == set(expected)
    returned_b = ProgressUpdate.objects.get(state=UpdateState.RETURNED)
    assert returned_b.institution.code == "demo-cso-b"
    with pytest.raises(Http404):
        rec_perms.update_for_view(cso_a, returned_b.pk)


def test_cso_cannot_edit_other_institutions_update_but_may_edit_its_draft(demo) -> None:
    cso_b = demo["demo-cso-b"]
    draft_a = ProgressUpdate.objects.get(state=UpdateState.DRAFT)
    with pytest.raises(Http404):
        rec_perms.update_for_change(cso_b, draft_a.pk)
    assert rec_perms.update_for_change(demo["demo-cso-a"], draft_a.pk) == draft_a
    approved_a = ProgressUpdate.objects.filter(
        state=UpdateState.APPROVED, institution__code="demo-cso-a"
    ).get()
    with pytest.raises(PermissionDenied):
        rec_perms.update_for_change(cso_b, approved_a.pk)  # visible, not theirs


def test_observer_reads_all_but_drafts_and_reviews_nothing(demo) -> None:
    observer = demo["demo-observer"]
    visible = rec_perms.updates_visible_to(observer)
    assert set(visible) == set(ProgressUpdate.objects.exclude(state=UpdateState.DRAFT))
    submitted = ProgressUpdate.objects.filter(state=UpdateState.SUBMITTED).first()
    with pytest.raises(PermissionDenied):
        rec_perms.update_for_review(observer, submitted.pk)
    assert not rec_perms.updates_editable_by(observer).exists()


def test_reporting_follows_assignments(demo) -> None:
    numbers = set(
        rec_perms.recommendations_reportable_by(demo["demo-cso-a"]).values_list("number", flat=True)
    )
    assert numbers == {6, 7, 14}
    ministry = set(
        rec_perms.recommendations_reportable_by(demo["demo-ministry"]).values_list(
            "number", flat=True
        )
    )
    assert ministry == {1, 2, 4, 5, 8, 9, 10}
    assert not rec_perms.recommendations_reportable_by(demo["demo-observer"]).exists()


def test_trainings_are_seen_by_organiser_and_partners_only(demo) -> None:
    cso_a, cso_b = demo["demo-cso-a"], demo["demo-cso-b"]
    a_trainings = set(training_perms.trainings_visible_to(cso_a))
    assert a_trainings == set(Training.objects.filter(partners__code="demo-cso-a"))
    assert not training_perms.trainings_visible_to(cso_b).exists()
    assert set(training_perms.trainings_visible_to(demo["demo-observer"])) == set(
        Training.objects.all()
    )
    assert not training_perms.trainings_editable_by(demo["demo-observer"]).exists()


def test_membership_change_takes_effect_at_once(demo) -> None:
    viewer = User.objects.create_user("new-viewer", password="x" * 12)
    mspdy = Institution.objects.get(code="mspdy")
    membership = membership_set(user=viewer, institution=mspdy, role=MembershipRole.VIEWER)
    viewer = User.objects.get(pk=viewer.pk)
    assert training_perms.trainings_visible_to(viewer).exists()
    assert not training_perms.trainings_editable_by(viewer).exists()
    assert not rec_perms.recommendations_reportable_by(viewer).exists()

    membership_set(user=viewer, institution=mspdy, role=MembershipRole.EDITOR)
    viewer = User.objects.get(pk=viewer.pk)
    assert training_perms.trainings_editable_by(viewer).exists()
    assert rec_perms.recommendations_reportable_by(viewer).filter(number=8).exists()

    membership_remove(membership=Membership.objects.get(pk=membership.pk))
    viewer = User.objects.get(pk=viewer.pk)
    assert not training_perms.trainings_visible_to(viewer).exists()
    assert not rec_perms.updates_editable_by(viewer).exists()
