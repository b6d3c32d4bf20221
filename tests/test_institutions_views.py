from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from core.models import OutboxEmail
from programme.models import ActionPoint, Meeting
from stakeholders.choices import InstitutionKind, MembershipRequestState, MembershipRole
from stakeholders.models import ContactPerson, Institution, Membership, MembershipRequest, User
from stakeholders.roles import programme_team_add
from stakeholders.services import member_invite, membership_set, user_deactivate

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


def _post_invite(client, institution: Institution, **values: str) -> tuple[Any, list[str]]:
    """Invite through the page, running what waits for the commit (the outbox's sending job,
    in-process in these tests); the answer and the messages it left."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(_invite_url(institution), _invite(**values))
    if response.status_code != 302:
        return response, []
    shown = client.get(response["Location"])  # the page that shows (and uses up) the messages
    return response, [str(m) for m in shown.context["messages"]]


def _answer(response: Any, notes: list[str], email: str) -> tuple[Any, ...]:
    """What the inviter is told, with the address they typed taken out."""
    return (
        response.status_code,
        response.get("Location"),
        [note.replace(email, "<email>") for note in notes],
    )


def _account_state(user: User) -> tuple[Any, ...]:
    user.refresh_from_db()
    return (
        user.is_active,
        user.is_staff,
        user.is_superuser,
        user.password,
        user.first_name,
        user.last_name,
        set(Membership.objects.filter(user=user).values_list("institution_id", "role")),
        _group_names(user),
    )


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
    assert (
        "If New.Person@Example.ORG can be invited to Demo CSO A, we have sent an invitation "
        "or a membership request to that address."
    ) in page


def test_an_existing_account_is_asked_and_added_only_once_it_accepts(client, demo) -> None:
    cso_a = _inst("demo-cso-a")
    ministry_user = demo["demo-ministry"]
    before, users = _account_state(ministry_user), User.objects.count()
    client.force_login(demo["demo-cso-a"])
    response, notes = _post_invite(
        client,
        cso_a,
        email="DEMO-MINISTRY@example.org",
        first_name="X",
        last_name="Y",
        role="viewer",
    )
    assert response.status_code == 302
    assert User.objects.count() == users
    assert _account_state(ministry_user) == before  # not a member, nothing changed
    # The answer names only the address typed: not the person, not that they have an account.
    assert notes == [
        "If DEMO-MINISTRY@example.org can be invited to Demo CSO A, we have sent an invitation "
        "or a membership request to that address."
    ]
    request = MembershipRequest.objects.get(user=ministry_user)
    assert (request.institution, request.role, request.requested_by) == (
        cso_a,
        MembershipRole.VIEWER,
        demo["demo-cso-a"],
    )
    assert request.state == MembershipRequestState.PENDING and request.answered_at is None
    # They are told by email that a request waits, with a link to answer it.
    [message] = mail.outbox
    assert message.to == [ministry_user.email]
    assert "asks you to join Demo Association for Victim Support" in message.body
    assert "/institutions/requests/" in message.body

    client.force_login(ministry_user)
    page = client.get("/").content.decode()
    assert 'href="/institutions/requests/">Membership requests (1)' in page
    assert (
        "Demo Association for Victim Support"
        in client.get("/institutions/requests/").content.decode()
    )
    response = client.post(f"/institutions/requests/{request.pk}/accept/")
    assert response["Location"] == f"/institutions/{cso_a.pk}/"
    assert set(
        Membership.objects.filter(user=ministry_user).values_list("institution__code", "role")
    ) == {("mspdy", "focal_point"), ("demo-cso-a", "viewer")}
    assert f"institution-{cso_a.pk}-members" in _group_names(ministry_user)
    request.refresh_from_db()
    assert request.state == MembershipRequestState.ACCEPTED and request.answered_at is not None
    # Answered once: a second answer changes nothing.
    assert client.post(f"/institutions/requests/{request.pk}/decline/").status_code == 404


def test_declining_a_request_adds_nothing(client, demo) -> None:
    cso_a = _inst("demo-cso-a")
    ministry_user = demo["demo-ministry"]
    before = _account_state(ministry_user)
    client.force_login(demo["demo-cso-a"])
    _post_invite(client, cso_a, email="demo-ministry@example.org", role="focal_point")
    request = MembershipRequest.objects.get(user=ministry_user)
    client.force_login(ministry_user)
    response = client.post(f"/institutions/requests/{request.pk}/decline/")
    assert response["Location"] == "/institutions/requests/"
    assert _account_state(ministry_user) == before
    request.refresh_from_db()
    assert request.state == MembershipRequestState.DECLINED and request.answered_at is not None
    assert client.post(f"/institutions/requests/{request.pk}/accept/").status_code == 404
    assert _account_state(ministry_user) == before


def test_only_the_person_asked_may_answer_a_request(client, demo) -> None:
    cso_a = _inst("demo-cso-a")
    client.force_login(demo["demo-cso-a"])
    _post_invite(client, cso_a, email="demo-ministry@example.org")
    request = MembershipRequest.objects.get(user=demo["demo-ministry"])
    for username in ("demo-cso-a", "demo-cso-b", "demo-admin", "demo-observer"):
        client.force_login(demo[username])
        for answer in ("accept", "decline"):
            assert client.post(f"/institutions/requests/{request.pk}/{answer}/").status_code == 404
        assert "Demo Association" not in client.get("/institutions/requests/").content.decode()
    request.refresh_from_db()
    assert request.state == MembershipRequestState.PENDING
    assert not Membership.objects.filter(user=demo["demo-ministry"], institution=cso_a).exists()


def _deactivated_staff() -> User:
    staff = User.objects.create_user(
        "former.team",
        email="Former.Team@example.org",
        password="an old long password",
        is_staff=True,
    )
    user_deactivate(user=staff, by=None)
    return staff


def test_inviting_a_deactivated_staff_account_changes_nothing_and_answers_as_for_nobody(
    client, demo
) -> None:
    staff = _deactivated_staff()
    cso_a = _inst("demo-cso-a")
    before, emails = _account_state(staff), OutboxEmail.objects.count()
    client.force_login(demo["demo-cso-a"])
    answers = []
    for typed in ("former.team@EXAMPLE.org", "FORMER.TEAM@example.org"):
        response, notes = _post_invite(client, cso_a, email=typed, role="focal_point")
        answers.append(_answer(response, notes, typed))
    assert _account_state(staff) == before  # still inactive, still staff, same password
    assert not staff.is_active and staff.is_staff
    assert not MembershipRequest.objects.filter(user=staff).exists()
    assert OutboxEmail.objects.count() == emails and mail.outbox == []  # nothing sent
    # The same answer as for an address nobody uses.
    response, notes = _post_invite(client, cso_a, email="nobody.yet@example.org")
    assert answers == [_answer(response, notes, "nobody.yet@example.org")] * 2


@pytest.mark.parametrize(
    "who", ["demo-observer", "demo-admin", "staff", "superuser", "programme-team"]
)
def test_observers_staff_and_the_team_get_no_request(client, demo, who) -> None:
    if who.startswith("demo-"):
        user = demo[who]
    else:
        user = User.objects.create_user(
            who,
            email=f"{who}@example.org",
            is_staff=who == "staff",
            is_superuser=who == "superuser",
        )
        if who == "programme-team":
            programme_team_add(user=user)
    cso_a = _inst("demo-cso-a")
    before, emails = _account_state(user), OutboxEmail.objects.count()
    client.force_login(demo["demo-cso-a"])
    response, notes = _post_invite(client, cso_a, email=user.email.upper(), role="focal_point")
    assert response.status_code == 302
    assert _answer(response, notes, user.email.upper()) == _answer(
        *_post_invite(client, cso_a, email="someone.new@example.org"), "someone.new@example.org"
    )
    assert _account_state(user) == before
    assert not MembershipRequest.objects.filter(user=user).exists()
    assert OutboxEmail.objects.count() == emails + 1  # only someone.new's invitation
    assert [m.to for m in mail.outbox] == [["someone.new@example.org"]]


def test_an_invited_member_who_never_came_is_invited_again_by_their_institution(
    client, demo
) -> None:
    cso_a, cso_b = _inst("demo-cso-a"), _inst("demo-cso-b")
    client.force_login(demo["demo-cso-a"])
    _post_invite(client, cso_a, email="pending@example.org")
    pending = User.objects.get(email="pending@example.org")
    OutboxEmail.objects.all().delete()  # as if the first window had passed
    mail.outbox.clear()
    _post_invite(client, cso_a, email="pending@example.org")
    assert [m.to for m in mail.outbox] == [["pending@example.org"]]
    assert "/accounts/invitation/" in mail.outbox[0].body
    # Another institution's focal point only asks them to join.
    mail.outbox.clear()
    client.force_login(demo["demo-cso-b"])
    _post_invite(client, cso_b, email="pending@example.org")
    assert not Membership.objects.filter(user=pending, institution=cso_b).exists()
    assert MembershipRequest.objects.get(user=pending).institution == cso_b
    assert "/accounts/invitation/" not in mail.outbox[0].body


def test_deactivating_an_account_withdraws_its_requests(client, demo) -> None:
    client.force_login(demo["demo-cso-a"])
    _post_invite(client, _inst("demo-cso-a"), email="demo-ministry@example.org")
    user_deactivate(user=demo["demo-ministry"], by=None)
    request = MembershipRequest.objects.get(user=demo["demo-ministry"])
    assert request.state == MembershipRequestState.WITHDRAWN


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
    member_invite(
        institution=_inst("demo-cso-b"),
        email="ana@example.org",
        first_name="Ana",
        last_name="P",
        role=MembershipRole.VIEWER,
        by=None,
    )
    assert User.objects.get(email="ana@example.org").username == "ana@example.org-2"
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
    member_invite(
        institution=cso_b,
        email="viewer.b@example.org",
        first_name="V",
        last_name="B",
        role=MembershipRole.VIEWER,
        by=demo["demo-cso-b"],
    )
    invited = User.objects.get(email="viewer.b@example.org")
    assert _group_names(invited) == {f"institution-{cso_b.pk}-members"}
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
