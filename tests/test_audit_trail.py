"""Every change to a domain record leaves a trace: who, when, what; the admin restores an
earlier version; the portal shows a progress update's changes; nobody rewrites history."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, cast

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from config.history import acting_as, history_model, is_tracked
from programme.imports import bulk_insert
from recommendations.choices import UpdateState
from recommendations.models import ProgressUpdate
from stakeholders.models import ProfessionalGroup, User
from tests.factories import AttendanceFactory, ParticipantFactory, TrainingFactory
from trainings.models import Attendance, Participant, Training
from trainings.services import ScoreChange, attendance_scores_update

pytestmark = pytest.mark.django_db

DOMAIN_APPS = ("stakeholders", "programme", "trainings", "research", "recommendations")
# Records that are themselves a log, or the platform's own bookkeeping, not domain records.
NOT_TRACKED = {
    "stakeholders.User",
    "stakeholders.UserSession",
    "programme.ImportBatch",
    "programme.Report",
    "programme.Notification",
    "programme.NotificationPreference",
    "programme.OutboxEmail",
    "research.StudyStatusChange",
    "recommendations.UpdateTransition",
    "recommendations.UpdateComment",
}


def _versions(model: Any, pk: int) -> list[Any]:
    return list(history_model(model)._default_manager.filter(id=pk).order_by("history_id"))


def test_every_domain_model_keeps_its_history() -> None:
    untracked = [
        model._meta.label
        for app in DOMAIN_APPS
        for model in apps.get_app_config(app).get_models()
        if not model._meta.auto_created
        and not model.__name__.startswith("Historical")
        and not model.__name__.endswith("ObjectPermission")
        and model._meta.label not in NOT_TRACKED
        and not is_tracked(model)
    ]
    assert untracked == []


def test_a_portal_edit_is_recorded_and_shown_on_the_update(
    client: Client, demo: dict[str, User]
) -> None:
    update = ProgressUpdate.objects.get(institution__code="demo-cso-b", state=UpdateState.RETURNED)
    client.force_login(demo["demo-cso-b"])
    response = client.post(
        reverse("recommendations:update_edit", args=[update.pk]),
        {
            "status": "implemented",
            "narrative": "All schools were reached.",
            "seen_at": update.updated_at.isoformat(),
        },
    )
    assert response.status_code == 302
    latest = _versions(ProgressUpdate, update.pk)[-1]
    assert latest.history_user == demo["demo-cso-b"]
    assert latest.history_type == "~"
    assert latest.narrative == "All schools were reached."

    page = client.get(reverse("recommendations:update_detail", args=[update.pk])).content.decode()
    changes = page.split("<h2>Changes</h2>")[1].split("</ol>")[0]
    assert "Fully implemented)" in changes and "Demo CSO" in changes


def test_an_admin_edit_is_recorded_and_an_earlier_version_restored(
    admin_client: Client, admin_user: User
) -> None:
    training = cast(Training, TrainingFactory(title="Referral of victims"))
    original = _versions(Training, training.pk)[-1]
    training.title = "Renamed"
    training.save()
    history_url = reverse("admin:trainings_training_history", args=[training.pk])
    assert "Renamed" in admin_client.get(history_url).content.decode()

    revert_url = reverse(
        "admin:trainings_training_simple_history", args=[training.pk, original.history_id]
    )
    form = admin_client.get(revert_url)
    assert form.status_code == 200
    data: dict[str, Any] = {
        name: value
        for name, value in form.context["adminform"].form.initial.items()
        if value is not None and not isinstance(value, list | tuple)
    }
    data["topics"] = [t.pk for t in training.topics.all()]
    data["title_en"] = "Referral of victims"
    response = admin_client.post(revert_url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    training.refresh_from_db()
    assert training.title_en == "Referral of victims"
    assert _versions(Training, training.pk)[-1].history_user == admin_user


def test_an_earlier_version_of_a_participant_or_update_is_never_restored(
    admin_client: Client,
) -> None:
    """An erased person stays erased, and an update's state moves only through its review."""
    from trainings.services import participant_erase

    person = cast(Participant, AttendanceFactory().participant)
    original = _versions(Participant, person.pk)[-1]
    participant_erase(participant=person)
    url = reverse(
        "admin:trainings_participant_simple_history", args=[person.pk, original.history_id]
    )
    assert admin_client.post(url, {"full_name": original.full_name}).status_code == 403
    person.refresh_from_db()
    assert person.is_erased
    assert all(v.erased_at is not None for v in _versions(Participant, person.pk))


def test_bulk_writes_are_recorded_with_the_user_a_job_acts_for(demo: dict[str, User]) -> None:
    importer = demo["demo-admin"]
    with acting_as(importer):
        people = bulk_insert(Participant, [Participant(full_name="Ana Petrova", sex="F")])
    created = _versions(Participant, people[0].pk)
    assert [(v.history_type, v.history_user, v.full_name) for v in created] == [
        ("+", importer, "Ana Petrova")
    ]

    row = cast(Attendance, AttendanceFactory(pre_score=Decimal(10)))
    attendance_scores_update(
        training=row.training,
        by=importer,
        changes=[
            ScoreChange(
                attendance_id=row.pk, pre_score=Decimal(20), post_score=None, completed=True
            )
        ],
    )
    latest = _versions(Attendance, row.pk)[-1]
    assert (latest.history_type, latest.pre_score, latest.history_user) == (
        "~",
        Decimal(20),
        importer,
    )


def test_nobody_edits_history_through_the_admin_or_the_portal() -> None:
    registered = {model._meta.label for model in admin.site._registry}
    assert [label for label in registered if ".Historical" in label] == []


def test_erasing_a_participant_erases_their_earlier_versions() -> None:
    from trainings.services import participant_erase

    person = cast(
        Participant, ParticipantFactory(full_name="Elena Stojanovska", email="elena@example.org")
    )
    person.position = "Social worker"
    person.save()
    participant_erase(participant=person)
    for version in _versions(Participant, person.pk):
        assert "Stojanovska" not in version.full_name
        assert (version.email, version.position) == ("", "")


def test_a_second_admin_save_over_anothers_is_refused(admin_client: Client) -> None:
    group = ProfessionalGroup.objects.create(name_en="Labour inspectors", slug="labour-inspectors")
    url = reverse("admin:stakeholders_professionalgroup_change", args=[group.pk])
    found = re.search(r'name="_seen_at" value="([^"]+)"', admin_client.get(url).content.decode())
    assert found is not None
    seen = found.group(1)  # both editors opened the same version

    first = {"name_en": "Labour inspectors (State)", "slug": "labour-inspectors", "_seen_at": seen}
    assert admin_client.post(url, first).status_code == 302
    second = {"name_en": "Inspectors of labour", "slug": "labour-inspectors", "_seen_at": seen}
    response = admin_client.post(url, second)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Someone else saved this record after you opened it" in page
    assert "Inspectors of labour" in page  # what they typed is still on the form
    group.refresh_from_db()
    assert group.name_en == "Labour inspectors (State)"
