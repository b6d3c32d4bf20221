from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programme.models import ActionPoint, Meeting
from stakeholders.choices import InstitutionKind, MembershipRole
from stakeholders.models import ContactPerson, Institution, Membership, User
from stakeholders.services import member_invite, membership_set

pytestmark = pytest.mark.django_db

PERSONAS = ["demo-admin", "demo-observer", "demo-ministry", "demo-cso-a", "demo-cso-b"]


def _inst(code: str) -> Institution:
    return Institution.objects.get(code=code)


def _members(institution: Institution) -> set[tuple[str, str]]:
    return set(
        Membership.objects.filter(institution=institution).values_list("user__username", "role")
    )


def _invite_url(institution: Institution) -> str:
    return f"/institutions/{institution.pk}/members/invite/"


def _remove_url(membership: Membership) -> str:
    return f"/institutions/members/{membership.pk}/remove/"


def _invite(**values: str) -> dict[str, str]:
    data = {
        "email": "new.person@example.org",
        "first_name": "New",
        "last_name": "Person",
        "role": "editor",
    }
    data.update(values)
    return data


def _viewer_of(code: str, username: str = "viewer") -> Membership:
    user = User.objects.create(username=username, email=f"{username}@example.org")
    return membership_set(user=user, institution=_inst(code), role=MembershipRole.VIEWER)


def _group_names(user: User) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


# --- anonymous -------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_and_changes_nothing(client, demo) -> None:
    cso_a = _inst("demo-cso-a")
    membership = Membership.objects.get(user__username="demo-cso-a")
    users = User.objects.count()
    for url in ("/institutions/", f"/institutions/{cso_a.pk}/", _invite_url(cso_a)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    for url, data in ((_invite_url(cso_a), _invite()), (_remove_url(membership), {})):
        response = client.post(url, data)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert User.objects.count() == users
    assert Membership.objects.filter(pk=membership.pk).exists()


# --- list ------------------------------------------------------------------------------


@pytest.mark.parametrize("username", PERSONAS)
def test_every_persona_reads_every_institution(client, demo, username) -> None:
    client.force_login(demo[username])
    response = client.get("/institutions/")
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == Institution.objects.count()
    for institution in Institution.objects.all():
        assert client.get(f"/institutions/{institution.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Демо здружение", {"demo-cso-a"}),  # Macedonian name
        ("Rrjeti Demo", {"demo-cso-b"}),  # Albanian name
        ("demo cso  b", {"demo-cso-b"}),  # short name, any case and spacing
        ("Victim Support", {"demo-cso-a"}),  # English name
        ("Спас", {"demo-cso-a"}),  # another name (alias), below
    ],
)
def test_search_finds_names_in_every_language_and_aliases(client, demo, query, expected) -> None:
    Institution.objects.filter(code="demo-cso-a").update(aliases="Спас\nSpas Association")
    client.force_login(demo["demo-cso-b"])
    response = client.get("/institutions/", {"q": query})
    assert {i.code for i in response.context["page_obj"]} == expected


def test_kind_filter(client, demo) -> None:
    client.force_login(demo["demo-ministry"])
    response = client.get("/institutions/", {"kind": InstitutionKind.CSO})
    codes = {i.code for i in response.context["page_obj"]}
    assert {"demo-cso-a", "demo-cso-b"} <= codes
    assert all(i.kind == InstitutionKind.CSO for i in response.context["page_obj"])
    response = client.get("/institutions/", {"kind": "planet"})
    assert response.status_code == 200 and response.context["filter"].form.errors


# --- detail ----------------------------------------------------------------------------


def test_detail_shows_kind_parent_children_contacts_and_responsibilities(client, demo) -> None:
    cso_a = _inst("demo-cso-a")
    branch = Institution.objects.create(
        name_en="Demo Association, Tetovo branch", kind=InstitutionKind.CSO, parent=cso_a
    )
    ContactPerson.objects.create(
        institution=cso_a, full_name="Marija Contact", email="marija@example.org", is_primary=True
    )
    client.force_login(demo["demo-cso-b"])
    content = client.get(f"/institutions/{cso_a.pk}/").content.decode()
    assert "Civil society organisation" in content
    assert f"/institutions/{branch.pk}/" in content
    assert "Marija Contact" in content and "marija@example.org" in content
    for number in (6, 7, 14):
        assert f"/recommendations/{number}/" in content
    assert "Propose CSO speakers" in content  # its open action point
    branch_page = client.get(f"/institutions/{branch.pk}/").content.decode()
    assert f"/institutions/{cso_a.pk}/" in branch_page  # part of


def test_detail_lists_only_trainings_the_user_may_see(client, demo) -> None:
    coe = _inst("coe")
    client.force_login(demo["demo-cso-a"])
    content = client.get(f"/institutions/{coe.pk}/").content.decode()
    assert "Reporting on human trafficking" in content  # Demo CSO A is a partner
    assert "Identifying victims of trafficking for labour exploitation" not in content
    client.force_login(demo["demo-observer"])
    content = client.get(f"/institutions/{coe.pk}/").content.decode()
    assert "Identifying victims of trafficking for labour exploitation" in content


def test_closed_action_points_are_not_listed(client, demo) -> None:
    mspdy = _inst("mspdy")
    client.force_login(demo["demo-ministry"])
    content = client.get(f"/institutions/{mspdy.pk}/").content.decode()
    assert "Share the list of social workers" not in content  # done in 2024


@pytest.mark.parametrize(
    ("username", "sees_members"),
    [
        ("demo-cso-a", True),  # its own members
        ("demo-admin", True),  # programme team
        ("demo-observer", True),  # EU observer
        ("demo-cso-b", False),
        ("demo-ministry", False),
    ],
)
def test_member_list_is_shown_only_to_members_team_and_observers(
    client, demo, username, sees_members
) -> None:
    cso_a = _inst("demo-cso-a")
    client.force_login(demo[username])
    response = client.get(f"/institutions/{cso_a.pk}/")
    assert (response.context["profile"].members is not None) == sees_members
    assert ("demo-cso-a@example.org" in response.content.decode()) == sees_members


def test_a_viewer_sees_members_but_cannot_manage_them(client, demo) -> None:
    viewer = _viewer_of("demo-cso-a").user
    client.force_login(viewer)
    response = client.get(f"/institutions/{_inst('demo-cso-a').pk}/")
    assert response.context["profile"].members is not None
    assert not response.context["can_manage"]
    assert "/members/invite/" not in response.content.decode()


def test_unknown_institution_is_404(client, demo) -> None:
    client.force_login(demo["demo-admin"])
    assert client.get("/institutions/999999/").status_code == 404
    assert client.get("/institutions/999999/members/invite/").status_code == 404
    assert client.post("/institutions/members/999999/remove/").status_code == 404


# --- invite ----------------------------------------------------------------------------


def test_focal_point_invites_a_new_person(client, demo) -> None:
    cso_a = _inst("demo-cso-a")
    client.force_login(demo["demo-cso-a"])
    assert client.get(_invite_url(cso_a)).status_code == 200
    response = client.post(_invite_url(cso_a), _invite(email="New.Person@Example.ORG"))
    assert response.status_code == 302 and response["Location"] == f"/institutions/{cso_a.pk}/"
    user = User.objects.get(email__iexact="new.person@example.org")
    assert user.username == "new.person@example.org"
    assert (user.first_name, user.last_name) == ("New", "Person")
    assert user.is_active and not user.has_usable_password() and not user.is_staff
    assert Membership.objects.get(user=user).institution == cso_a
    assert Membership.objects.get(user=user).role == MembershipRole.EDITOR
    # membership_set synced the guardian groups: the editor edits for Demo CSO A.
    assert _group_names(user) == {
        f"institution-{cso_a.pk}-members",
        f"institution-{cso_a.pk}-editors",
    }
    page = client.get(f"/institutions/{cso_a.pk}/").content.decode()
    assert "is now a member of Demo CSO A" in page


def test_an_existing_account_is_reused_whatever_the_case_of_the_email(client, demo) -> None:
    cso_a = _inst("demo-cso-a")
    ministry_user = demo["demo-ministry"]
    users = User.objects.count()
    client.force_login(demo["demo-cso-a"])
    response = client.post(
        _invite_url(cso_a),
        _invite(email="DEMO-MINISTRY@example.org", first_name="X", last_name="Y", role="viewer"),
    )
    assert response.status_code == 302
    assert User.objects.count() == users
    ministry_user.refresh_from_db()
    assert ministry_user.first_name == "Demo"  # a name already given is not overwritten
    assert set(
        Membership.objects.filter(user=ministry_user).values_list("institution__code", "role")
    ) == {("mspdy", "focal_point"), ("demo-cso-a", "viewer")}


def test_programme_team_invites_to_any_institution(client, demo) -> None:
    moi = _inst("moi")
    client.force_login(demo["demo-admin"])
    response = client.post(_invite_url(moi), _invite(role="focal_point"))
    assert response.status_code == 302
    assert ("new.person@example.org", "focal_point") in _members(moi)


@pytest.mark.parametrize(
    ("username", "code"),
    [
        ("demo-cso-b", "demo-cso-a"),  # another institution's focal point
        ("demo-ministry", "demo-cso-a"),
        ("demo-observer", "eu-delegation"),  # a viewer, even of their own institution
        ("demo-observer", "demo-cso-a"),
        ("demo-cso-a", "coe"),
    ],
)
def test_others_may_not_invite(client, demo, username, code) -> None:
    institution = _inst(code)
    before, users = _members(institution), User.objects.count()
    client.force_login(demo[username])
    assert client.get(_invite_url(institution)).status_code == 403
    assert client.post(_invite_url(institution), _invite()).status_code == 403
    assert _members(institution) == before and User.objects.count() == users


def test_an_editor_may_not_invite(client, demo) -> None:
    cso_a = _inst("demo-cso-a")
    editor = User.objects.create(username="editor-a", email="editor-a@example.org")
    membership_set(user=editor, institution=cso_a, role=MembershipRole.EDITOR)
    client.force_login(editor)
    assert client.post(_invite_url(cso_a), _invite()).status_code == 403
    assert not User.objects.filter(email="new.person@example.org").exists()


def test_tampering_with_the_institution_is_ignored(client, demo) -> None:
    cso_a, cso_b = _inst("demo-cso-a"), _inst("demo-cso-b")
    before_b = _members(cso_b)
    client.force_login(demo["demo-cso-a"])
    response = client.post(
        _invite_url(cso_a), _invite(institution=str(cso_b.pk), institution_id=str(cso_b.pk))
    )
    assert response.status_code == 302
    assert _members(cso_b) == before_b
    assert ("new.person@example.org", "editor") in _members(cso_a)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"email": ""}, "This field is required."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"first_name": ""}, "This field is required."),
        ({"role": "superuser"}, "Select a valid choice."),
        ({"role": "owner"}, "Select a valid choice."),
    ],
)
def test_bad_invitations_are_explained_and_nothing_is_created(
    client, demo, values, message
) -> None:
    cso_a = _inst("demo-cso-a")
    before, users = _members(cso_a), User.objects.count()
    client.force_login(demo["demo-cso-a"])
    response = client.post(_invite_url(cso_a), _invite(**values))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _members(cso_a) == before and User.objects.count() == users


def test_a_focal_point_cannot_change_their_own_role_by_inviting_themselves(client, demo) -> None:
    cso_a = _inst("demo-cso-a")
    client.force_login(demo["demo-cso-a"])
    response = client.post(
        _invite_url(cso_a), _invite(email="demo-cso-a@example.org", role="viewer")
    )
    assert response.status_code == 200
    assert "You cannot change your own role" in response.content.decode()
    assert ("demo-cso-a", "focal_point") in _members(cso_a)


def test_member_invite_service_numbers_a_taken_username(demo) -> None:
    User.objects.create(username="ana@example.org", email="someone.else@example.org")
    membership = member_invite(
        institution=_inst("demo-cso-b"),
        email="ana@example.org",
        first_name="Ana",
        last_name="P",
        role=MembershipRole.VIEWER,
        by=None,
    )
    assert membership.user.username == "ana@example.org-2"
    with pytest.raises(ValidationError):
        member_invite(
            institution=_inst("demo-cso-b"),
            email="x@example.org",
            first_name="X",
            last_name="Y",
            role="admin",
            by=None,
        )
    assert not User.objects.filter(email="x@example.org").exists()


# --- remove ----------------------------------------------------------------------------


def test_focal_point_removes_a_member(client, demo) -> None:
    membership = _viewer_of("demo-cso-a")
    viewer = membership.user
    assert _group_names(viewer)
    client.force_login(demo["demo-cso-a"])
    assert client.get(_remove_url(membership)).status_code == 405
    response = client.post(_remove_url(membership))
    assert response.status_code == 302
    assert response["Location"] == f"/institutions/{membership.institution_id}/"
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert _group_names(viewer) == set()  # the groups followed at once
    assert User.objects.filter(pk=viewer.pk).exists()  # the account stays


def test_programme_team_removes_any_member(client, demo) -> None:
    membership = Membership.objects.get(user__username="demo-cso-b")
    client.force_login(demo["demo-admin"])
    assert client.post(_remove_url(membership)).status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()


@pytest.mark.parametrize("username", ["demo-cso-b", "demo-ministry", "demo-observer"])
def test_others_may_not_remove(client, demo, username) -> None:
    membership = _viewer_of("demo-cso-a")
    client.force_login(demo[username])
    assert client.post(_remove_url(membership)).status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert _group_names(membership.user)


def test_a_viewer_may_not_remove_a_fellow_member(client, demo) -> None:
    first = _viewer_of("demo-cso-a", "viewer-1")
    second = _viewer_of("demo-cso-a", "viewer-2")
    client.force_login(first.user)
    assert client.post(_remove_url(second)).status_code == 403
    assert Membership.objects.filter(pk=second.pk).exists()


def test_a_focal_point_cannot_remove_themselves(client, demo) -> None:
    own = Membership.objects.get(user__username="demo-cso-a")
    client.force_login(demo["demo-cso-a"])
    response = client.post(_remove_url(own), follow=True)
    assert response.status_code == 200
    assert "You cannot remove yourself" in response.content.decode()
    assert Membership.objects.filter(pk=own.pk).exists()


def test_groups_are_kept_in_step_by_invite_and_remove(demo) -> None:
    cso_b = _inst("demo-cso-b")
    membership = member_invite(
        institution=cso_b,
        email="viewer.b@example.org",
        first_name="V",
        last_name="B",
        role=MembershipRole.VIEWER,
        by=demo["demo-cso-b"],
    )
    assert _group_names(membership.user) == {f"institution-{cso_b.pk}-members"}
    assert Group.objects.filter(name=f"institution-{cso_b.pk}-editors").exists()


# --- query counts ------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _add_institutions(n: int) -> None:
    parent = _inst("demo-cso-a")
    start = Institution.objects.count()
    for i in range(start, start + n):
        Institution.objects.create(
            name_en=f"Extra institution {i}",
            short_name_en=f"EI{i}",
            kind=InstitutionKind.CSO if i % 2 else InstitutionKind.PUBLIC_AGENCY,
            parent=parent if i % 3 else None,
        )


@pytest.mark.parametrize("username", ["demo-cso-a", "demo-admin"])
def test_institution_list_runs_the_same_queries_for_10_and_200_rows(client, demo, username) -> None:
    client.force_login(demo[username])
    urls = ["/institutions/", "/institutions/?kind=cso&q=extra&page=2"]
    _add_institutions(10)  # a handful more than the seed and demo give
    small = [_queries(client, url) for url in urls]
    _add_institutions(200 - Institution.objects.count())
    assert Institution.objects.count() == 200
    assert [_queries(client, url) for url in urls] == small


def test_institution_detail_runs_the_same_queries_for_10_and_200_rows(client, demo) -> None:
    cso_a = _inst("demo-cso-a")
    meeting = Meeting.objects.get(number=4)
    client.force_login(demo["demo-cso-a"])

    def add(n: int) -> None:
        start = Membership.objects.count()
        for i in range(start, start + n):
            user = User.objects.create(username=f"member-{i}", email=f"member-{i}@example.org")
            Membership.objects.create(user=user, institution=cso_a, role=MembershipRole.VIEWER)
            ContactPerson.objects.create(institution=cso_a, full_name=f"Contact {i}")
            ActionPoint.objects.create(meeting=meeting, owner=cso_a, description=f"Task {i}")
            Institution.objects.create(name_en=f"Branch {i}", kind="cso", parent=cso_a)

    add(10)
    small = _queries(client, f"/institutions/{cso_a.pk}/")
    add(190)
    assert _queries(client, f"/institutions/{cso_a.pk}/") == small
