"""The programme team is a role given deliberately and proved with the second factor.

A staff account alone, or the role in a session that has not given its code, has none of the
programme team's powers in the portal; a support account that may only view records imports,
exports and rolls back nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from imports.choices import ImportKind, ImportStatus
from imports.models import ImportBatch
from recommendations.choices import UpdateState
from recommendations.models import ProgressUpdate
from stakeholders.models import User
from stakeholders.roles import programme_team_add, programme_team_members
from stakeholders.selectors import persona_for

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password-0123"


def _account(username: str, *, staff: bool = False, team: bool = False) -> User:
    user = User.objects.create_user(
        username, email=f"{username}@example.org", password=PASSWORD, is_staff=staff
    )
    if team:
        programme_team_add(user=user)
    return User.objects.get(pk=user.pk)  # no permission cache


def _password_only(client: Client, user: User) -> None:
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "the password was accepted"


def _give_code(client: Client, user: User) -> Any:
    device = TOTPDevice.objects.get(user=user)
    code = f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"
    return client.post("/accounts/two-factor/", {"code": code, "next": "/"})


def _draft() -> ProgressUpdate:
    return ProgressUpdate.objects.get(state=UpdateState.DRAFT)  # CSO A's, in the demo set


def test_a_staff_password_without_the_code_reaches_no_team_page(demo) -> None:
    team = _account("team-member", staff=True, team=True)
    TOTPDevice.objects.create(user=team, name="phone", confirmed=True)
    client = Client()
    _password_only(client, team)

    for url in (
        f"/recommendations/updates/{_draft().pk}/",
        "/imports/new/institutions/",
        "/exports/institutions.csv",
        "/",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/two-factor/"), url

    assert _give_code(client, team).status_code == 302
    assert client.get(f"/recommendations/updates/{_draft().pk}/").status_code == 200
    assert client.get("/imports/new/institutions/").status_code == 200


def test_the_persona_is_the_programme_team_only_in_a_verified_session(demo) -> None:
    team = _account("team-member", team=True)
    team.is_verified = lambda: False
    assert not persona_for(team).is_programme_team
    team = User.objects.get(pk=team.pk)
    team.is_verified = lambda: True
    assert persona_for(team).is_programme_team


def test_a_staff_account_without_the_role_is_not_the_programme_team(client, demo) -> None:
    staff = _account("support", staff=True)
    client.force_login(staff)  # past the second factor, as the code page leaves it

    assert not persona_for(User.objects.get(pk=staff.pk)).is_programme_team
    assert client.get(f"/recommendations/updates/{_draft().pk}/").status_code == 404
    assert client.get("/imports/new/institutions/").status_code == 403
    assert staff not in programme_team_members()


def test_a_view_only_support_account_imports_exports_and_rolls_back_nothing(client, demo) -> None:
    """The role without the model permissions: it reads, and changes nothing by spreadsheet."""
    support = _account("support", staff=True)
    support.user_permissions.add(
        Permission.objects.get(codename="programme_team"),
        Permission.objects.get(codename="view_progressupdate"),
    )
    client.force_login(support)
    assert client.get(f"/recommendations/updates/{_draft().pk}/").status_code == 200

    assert client.get("/imports/new/institutions/").status_code == 403
    upload = SimpleUploadedFile("institutions.csv", b"Name,Kind\nNew body,cso\n")
    response = client.post("/imports/new/institutions/", {"file": upload})
    assert response.status_code == 403
    assert not ImportBatch.objects.exists()
    assert client.get("/exports/institutions.csv").status_code == 403

    batch = ImportBatch.objects.create(
        kind=ImportKind.INSTITUTIONS,
        status=ImportStatus.APPLIED,
        original_name="x.csv",
        size=1,
        sha256="0" * 64,
        created_by=demo["demo-admin"],
    )
    assert client.post(f"/imports/{batch.pk}/rollback/").status_code == 403


def test_the_programme_team_group_imports_and_exports(client, demo) -> None:
    team = _account("team-member", staff=True, team=True)
    client.force_login(team)
    assert client.get("/imports/new/institutions/").status_code == 200
    assert client.get("/exports/institutions.csv").status_code == 200
    assert team in programme_team_members()


def test_the_demo_programme_team_holds_the_role_through_the_group(demo) -> None:
    admin = demo["demo-admin"]
    assert admin.groups.filter(name="Programme team").exists()
    assert admin in programme_team_members()
    assert demo["demo-observer"] not in programme_team_members()


def test_only_a_superuser_makes_superusers_in_the_admin(client, demo) -> None:
    team = _account("team-member", staff=True, team=True)
    client.force_login(team)
    page = client.get(f"/admin/stakeholders/user/{team.pk}/change/").content.decode()
    assert 'name="groups"' in page  # the programme team gives roles through groups
    assert 'name="is_superuser"' not in page
    assert 'name="user_permissions"' not in page

    client.force_login(demo["demo-admin"])  # a superuser
    page = client.get(f"/admin/stakeholders/user/{team.pk}/change/").content.decode()
    assert 'name="is_superuser"' in page
