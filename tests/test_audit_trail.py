"""Every change to a domain record leaves a trace: who, when, what; the admin restores an
earlier version; the portal shows a progress update's changes; nobody rewrites history."""

from __future__ import annotations

import re
from base64 import b32encode
from decimal import Decimal
from typing import Any, cast

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from core.choices import EmailStatus
from core.history import acting_as, history_model, is_tracked
from core.imports import bulk_insert
from recommendations.choices import UpdateState
from recommendations.models import ProgressUpdate, UpdateComment
from stakeholders.choices import AccountEventKind
from stakeholders.models import AccountEvent, ProfessionalGroup, User
from stakeholders.services import totp_device_enrol
from tests.factories import (
    AttendanceFactory,
    OutboxEmailFactory,
    ParticipantFactory,
    TrainingFactory,
    UserFactory,
)
from trainings.models import Attendance, Participant, Training
from trainings.services import ScoreChange, attendance_scores_update

pytestmark = pytest.mark.django_db

DOMAIN_APPS = ("stakeholders", "programme", "trainings", "research", "recommendations")
# Records that are themselves a log, or the platform's own bookkeeping, not domain records.
NOT_TRACKED = {
    "stakeholders.UserSession",
    "stakeholders.AccountEvent",
    # Its row records who asked, when, and the one answer (accepted, declined, withdrawn).
    "stakeholders.MembershipRequest",
    "programme.ImportBatch",
    "programme.Report",
    "programme.Notification",
    "programme.NotificationPreference",
    "programme.OutboxEmail",
    "research.StudyStatusChange",
    "recommendations.UpdateTransition",
    "programme.IndicatorValueTransition",
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


# --- Accounts, authenticator apps, comments and the admin's actions --------------------------


def _account_versions(user: User) -> list[Any]:
    return _versions(User, user.pk)


def _admin_log(obj: Any) -> list[LogEntry]:
    content_type = ContentType.objects.get_for_model(obj)
    return list(
        LogEntry.objects.filter(content_type=content_type, object_id=str(obj.pk)).order_by("pk")
    )


def test_deactivating_a_user_in_the_admin_is_recorded_with_who_and_when(
    admin_client: Client, admin_user: User
) -> None:
    member = cast(User, UserFactory())
    started = timezone.now()
    response = admin_client.post(
        reverse("admin:stakeholders_user_changelist"),
        {"action": "deactivate", "_selected_action": [member.pk]},
    )
    assert response.status_code == 302

    latest = _account_versions(member)[-1]
    assert (latest.is_active, latest.history_user, latest.history_type) == (
        False,
        admin_user,
        "~",
    )
    assert latest.history_date >= started
    [entry] = _admin_log(member)
    assert (entry.user, entry.change_message) == (
        admin_user,
        "Deactivate the selected users and end their sessions",
    )
    assert entry.action_time >= started
    event = AccountEvent.objects.get(user=member)
    assert (event.kind, event.by, event.username) == (
        AccountEventKind.DEACTIVATED,
        admin_user,
        member.username,
    )

    page = admin_client.get(reverse("admin:stakeholders_user_history", args=[member.pk]))
    text = page.content.decode()
    assert "Deactivate the selected users and end their sessions" in text  # the admin's log
    assert "Account deactivated, its sessions ended" in text  # the account's events
    versions = " ".join(text.split('id="change-history"')[1].split("</table>")[0].split())
    assert "<strong>Active:</strong> True &nbsp;&rarr;&nbsp;&nbsp;False" in versions


def test_reactivating_a_user_in_the_admin_is_recorded_with_who(
    admin_client: Client, admin_user: User
) -> None:
    member = cast(User, UserFactory(is_active=False))
    response = admin_client.post(
        reverse("admin:stakeholders_user_changelist"),
        {"action": "reactivate", "_selected_action": [member.pk]},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.is_active
    latest = _account_versions(member)[-1]
    assert (latest.is_active, latest.history_user) == (True, admin_user)
    assert [(e.kind, e.by) for e in member.account_events.all()] == [
        (AccountEventKind.REACTIVATED, admin_user)
    ]
    assert [e.change_message for e in _admin_log(member)] == ["Reactivate the selected users"]


def test_enrolling_and_removing_an_authenticator_is_recorded_without_its_key(
    admin_client: Client, admin_user: User
) -> None:
    staff = cast(User, UserFactory(is_staff=True))
    key = default_key()
    totp_device_enrol(user=staff, key=key, token=f"{TOTP(bytes.fromhex(key)).token():06d}")
    response = admin_client.post(
        reverse("admin:stakeholders_user_changelist"),
        {"action": "two_factor_reset", "_selected_action": [staff.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=staff).exists()

    events = [(e.kind, e.by) for e in staff.account_events.order_by("at", "pk")]
    assert events == [
        (AccountEventKind.DEVICE_ADDED, staff),
        (AccountEventKind.DEVICE_REMOVED, admin_user),
    ]
    assert [e.user for e in _admin_log(staff)] == [admin_user]

    # The secret is in no audit table, in any of the forms it can be written in.
    secrets = {key.lower(), key.upper(), b32encode(bytes.fromhex(key)).decode()}
    audit_tables = [
        table
        for table in connection.introspection.table_names()
        if "historical" in table or table in (AccountEvent._meta.db_table, LogEntry._meta.db_table)
    ]
    with connection.cursor() as cursor:
        for table in audit_tables:
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from the database
            stored = repr(cursor.fetchall())
            assert not any(secret in stored for secret in secrets), table


def test_the_account_history_keeps_no_password_and_no_sign_in_time() -> None:
    table = history_model(User)._meta.db_table
    with connection.cursor() as cursor:
        columns = {c.name for c in connection.introspection.get_table_description(cursor, table)}
    assert {"username", "is_active", "is_staff", "is_superuser", "history_user_id"} <= columns
    assert not columns & {"password", "last_login"}


def test_signing_in_adds_no_version_of_the_account(client: Client) -> None:
    member = cast(User, UserFactory())
    before = len(_account_versions(member))
    client.force_login(member)
    member.refresh_from_db()
    assert member.last_login is not None
    assert len(_account_versions(member)) == before


def test_a_group_given_from_the_groups_side_is_recorded_on_the_account(
    admin_user: User,
) -> None:
    member = cast(User, UserFactory())
    reviewers = Group.objects.create(name="Reviewers")
    with acting_as(admin_user):
        reviewers.user_set.add(member)
        reviewers.user_set.clear()
    versions = _account_versions(member)[-2:]
    assert [[row.group for row in v.groups.all()] for v in versions] == [[reviewers], []]
    assert [v.history_user for v in versions] == [admin_user, admin_user]


def test_a_comment_is_kept_in_history_with_its_author(
    client: Client, admin_client: Client, demo: dict[str, User]
) -> None:
    update = ProgressUpdate.objects.filter(
        state=UpdateState.APPROVED, institution__code="demo-cso-a"
    ).get()
    observer = demo["demo-observer"]
    client.force_login(observer)
    client.post(reverse("recommendations:update_comment", args=[update.pk]), {"text": "Well done."})
    comment = UpdateComment.objects.get(update=update, text="Well done.")
    [created] = _versions(UpdateComment, comment.pk)
    assert (created.history_type, created.history_user, created.text) == (
        "+",
        observer,
        "Well done.",
    )
    history_url = reverse("admin:recommendations_updatecomment_history", args=[comment.pk])
    assert "Well done." in admin_client.get(history_url).content.decode()


def test_the_admins_actions_on_participants_are_logged(admin_client: Client) -> None:
    person = cast(Participant, AttendanceFactory().participant)
    url = reverse("admin:trainings_participant_changelist")
    selected = {"_selected_action": [person.pk]}
    admin_client.post(url, {"action": "download_data", **selected})
    admin_client.post(url, {"action": "erase", **selected})
    log = _admin_log(person)
    assert [e.change_message for e in log] == [
        "Download the selected participant's data (JSON)",
        "Erase the selected participants' details",
    ]
    assert log[-1].object_repr == f"Erased participant {person.pk}"
    history = admin_client.get(reverse("admin:trainings_participant_history", args=[person.pk]))
    assert "Erase the selected participants&#x27; details" in history.content.decode()


def test_an_email_sent_again_from_the_admin_is_logged(admin_client: Client) -> None:
    email = OutboxEmailFactory(status=EmailStatus.FAILED)
    admin_client.post(
        reverse("admin:core_outboxemail_changelist"),
        {"action": "send_again", "_selected_action": [email.pk]},
    )
    assert [e.change_message for e in _admin_log(email)] == [
        "Send again (failed emails get a new round of tries)"
    ]
