"""Signing in: the admin's second factor, lockout after failed log-ins, password resets,
invitations, the password policy, session timeouts and ending a deactivated user's sessions."""

from __future__ import annotations

import io
import logging
import re
import time
from base64 import b32decode
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.http import HttpRequest
from django.test import Client, RequestFactory, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.choices import EmailStatus
from core.models import OutboxEmail
from loaders.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, demo_totp_code, demo_totp_uri
from stakeholders import auth, services
from stakeholders.auth import client_ip
from stakeholders.choices import MembershipRole
from stakeholders.middleware import LAST_SEEN_AT, SIGNED_IN_AT
from stakeholders.models import MembershipRequest, User, UserSession
from stakeholders.roles import programme_team_add
from tests import factories
from tests.conftest import pass_second_factor
from tests.test_throttle import Clock

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
LOGIN = "/accounts/login/"
ADMIN = "/admin/"


def code_for(key_hex: str, at: float | None = None) -> str:
    """What an authenticator app holding this key shows (now, or at a given time)."""
    totp = TOTP(bytes.fromhex(key_hex))
    if at is not None:
        totp.time = at
    return f"{totp.token():06d}"


def make_user(username: str = "elena", *, staff: bool = False, **fields: Any) -> User:
    user = User.objects.create_user(
        username,
        email=fields.pop("email", f"{username}@example.org"),
        password=PASSWORD,
        is_staff=staff,
        **fields,
    )
    return user


def log_in(client: Client, username: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


# --- The admin asks staff for a second factor --------------------------------------------------


def test_staff_signed_in_with_a_password_only_is_sent_to_the_code_page(client) -> None:
    staff = make_user("team", staff=True, is_superuser=True)
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    assert log_in(client, "team").status_code == 302
    response = client.get(ADMIN, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/two-factor/?next=/admin/"
    assert response.templates[0].name == "registration/two_factor_verify.html"
    # Every admin page, not only the index.
    users_page = reverse("admin:stakeholders_user_changelist")
    assert client.get(users_page, follow=True).redirect_chain[-1][0].startswith("/accounts/two-")
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_the_code_from_the_device_opens_the_admin_and_rotates_the_session(client) -> None:
    staff = make_user("team", staff=True, is_superuser=True)
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    log_in(client, "team")
    before = client.session.session_key
    response = client.post("/accounts/two-factor/", {"code": code_for(device.key), "next": ADMIN})
    assert response.status_code == 302
    assert response["Location"] == ADMIN
    assert client.get(ADMIN).status_code == 200
    assert client.session.session_key != before
    assert not Session.objects.filter(session_key=before).exists()


def test_a_wrong_code_is_refused_logged_and_then_throttled(client, caplog, settings) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # the next try must wait a minute
    staff = make_user("team", staff=True, is_superuser=True)
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    log_in(client, "team")
    wrong = f"{(int(code_for(device.key)) + 1) % 1_000_000:06d}"
    with caplog.at_level(logging.WARNING):
        response = client.post("/accounts/two-factor/", {"code": wrong})
    assert response.status_code == 200
    assert "That code was not accepted" in response.content.decode()
    assert f"Two-factor code refused for account {staff.pk}" in caplog.text
    assert client.get(ADMIN).status_code == 302
    # After a failure django-otp makes the next try wait, even with the right code.
    client.post("/accounts/two-factor/", {"code": code_for(device.key)})
    assert client.get(ADMIN).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


def test_a_code_cannot_be_used_twice(client) -> None:
    staff = make_user("team", staff=True, is_superuser=True)
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    code = code_for(device.key)
    log_in(client, "team")
    client.post("/accounts/two-factor/", {"code": code})
    assert client.get(ADMIN).status_code == 200

    other = Client()
    log_in(other, "team")
    other.post("/accounts/two-factor/", {"code": code})
    assert other.get(ADMIN).status_code == 302


def test_the_admin_login_page_never_opens_the_admin_without_a_code(client) -> None:
    staff = make_user("team", staff=True, is_superuser=True)
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    # Django's admin login form (username, password) posted as it would be.
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "team", "password": PASSWORD, "next": ADMIN},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"
    assert not signed_in(client)
    assert client.get(ADMIN)["Location"].startswith("/admin/login/")
    # Signed in with the password, the admin login sends them to the code, not inside.
    log_in(client, "team")
    response = client.get("/admin/login/?next=/admin/")
    assert response["Location"] == "/accounts/two-factor/?next=/admin/"
    assert client.get(ADMIN).status_code == 302


def test_a_device_of_another_user_in_the_session_does_not_count(client) -> None:
    make_user("team", staff=True, is_superuser=True)
    other = make_user("other", staff=True)
    foreign = TOTPDevice.objects.create(user=other, name="phone", confirmed=True)
    log_in(client, "team")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = foreign.persistent_id
    session.save()
    assert client.get(ADMIN).status_code == 302


def test_staff_without_a_device_enrol_by_qr_code_and_reach_the_admin(client) -> None:
    make_user("team", staff=True, is_superuser=True)
    log_in(client, "team")
    response = client.get(ADMIN, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/two-factor/enrol/?next=/admin/"
    page = response.content.decode()
    assert 'src="data:image/svg+xml' in page
    key = client.session["two_factor_enrol_key"]
    shown = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page)
    assert shown is not None
    assert b32decode(shown.group(1).replace(" ", "")).hex() == key

    assert client.post("/accounts/two-factor/enrol/", {"code": "000000"}).status_code == 200
    assert not TOTPDevice.objects.exists()
    response = client.post("/accounts/two-factor/enrol/", {"code": code_for(key), "next": ADMIN})
    assert response["Location"] == ADMIN
    device = TOTPDevice.objects.get()
    assert device.confirmed and device.key == key
    assert client.get(ADMIN).status_code == 200


def test_a_password_alone_cannot_enrol_a_new_device_over_an_existing_one(client) -> None:
    staff = make_user("team", staff=True, is_superuser=True)
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    log_in(client, "team")
    response = client.get("/accounts/two-factor/enrol/")
    assert response["Location"].startswith("/accounts/two-factor/?next=")
    client.post("/accounts/two-factor/enrol/", {"code": "123456"})
    assert list(TOTPDevice.objects.all()) == [device]


def test_a_verified_staff_member_may_replace_their_device(client) -> None:
    staff = make_user("team", staff=True, is_superuser=True)
    old = pass_second_factor(client, staff)
    client.get("/accounts/two-factor/enrol/")
    key = client.session["two_factor_enrol_key"]
    client.post("/accounts/two-factor/enrol/", {"code": code_for(key)})
    assert list(TOTPDevice.objects.values_list("key", flat=True)) == [key]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()


@pytest.mark.parametrize("url", ["/accounts/two-factor/", "/accounts/two-factor/enrol/"])
def test_two_factor_pages_are_for_staff_only(client, url) -> None:
    make_user("member")
    log_in(client, "member")
    assert client.get(url).status_code == 403
    assert Client().get(url)["Location"].startswith(f"{LOGIN}?next=")


def test_a_signed_in_member_who_is_not_staff_is_refused_by_the_admin(client) -> None:
    make_user("member")
    log_in(client, "member")
    assert client.get("/admin/login/").status_code == 403


def test_the_next_address_must_stay_on_the_site(client) -> None:
    staff = make_user("team", staff=True)
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    log_in(client, "team")
    response = client.post(
        "/accounts/two-factor/", {"code": code_for(device.key), "next": "https://evil.example/"}
    )
    assert response["Location"] == ADMIN


def test_losing_the_device_the_admin_removes_it_and_ends_the_sessions(admin_client) -> None:
    staff = make_user("team", staff=True)
    their_client = Client()
    pass_second_factor(their_client, staff)
    assert their_client.get(ADMIN).status_code == 200
    response = admin_client.post(
        reverse("admin:stakeholders_user_changelist"),
        {"action": "two_factor_reset", "_selected_action": [staff.pk]},
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert their_client.get(ADMIN)["Location"].startswith("/admin/login/")
    log_in(their_client, "team")
    assert their_client.get("/accounts/two-factor/")["Location"].startswith(
        "/accounts/two-factor/enrol/"
    )


def test_the_two_factor_reset_command_is_the_last_resort() -> None:
    staff = make_user("team", staff=True)
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    out = io.StringIO()
    call_command("two_factor_reset", "team", stdout=out)
    assert "Removed 1 authenticator app(s) of team" in out.getvalue()
    assert not TOTPDevice.objects.exists()


def test_demo_admin_has_a_device_with_the_printed_secret(demo) -> None:
    device = TOTPDevice.objects.get(user=demo["demo-admin"])
    assert device.confirmed
    assert f"secret={DEMO_TOTP_SECRET}" in device.config_url
    assert device.config_url == demo_totp_uri()
    assert not TOTPDevice.objects.exclude(user=demo["demo-admin"]).exists()

    out = io.StringIO()
    call_command("load_demo", "--list-logins", stdout=out)
    assert demo_totp_uri() in out.getvalue()
    assert "manage.py demo_totp" in out.getvalue()

    out = io.StringIO()
    call_command("demo_totp", stdout=out)
    printed = out.getvalue().split()[0]
    assert re.fullmatch(r"\d{6}", printed)

    client = Client()
    log_in(client, "demo-admin", DEMO_PASSWORD)
    client.post("/accounts/two-factor/", {"code": demo_totp_code()})
    assert client.get(ADMIN).status_code == 200


# --- Failed log-ins make further tries wait (more in tests/test_throttle.py) -------------------


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The throttle's clock, stopped: waits end only when the test moves it."""
    fake = Clock()
    monkeypatch.setattr(auth, "clock", fake)
    return fake


def test_failures_make_the_username_wait_even_with_the_right_password(
    client, settings, caplog, clock
) -> None:
    settings.LOGIN_FAILURES_PER_USERNAME = 3
    make_user("elena")
    with caplog.at_level(logging.INFO):
        for _ in range(3):
            response = log_in(client, "elena", "wrong password")
        assert response.status_code == 200
        response = log_in(client, "elena")
    assert response.status_code == 429
    assert not signed_in(client)
    page = response.content.decode()
    assert "Too many failed log-ins" in page
    assert "Try again in 1 second." in page
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address) == ("elena", "127.0.0.1")
    assert attempt.failures_since_start == 3
    assert "3 failed log-ins for username 'elena': the next try waits 1 s." in caplog.text
    assert "AXES: Repeated login failure" in caplog.text


def test_a_wait_leaves_other_usernames_and_the_owners_browser_alone(
    client, settings, clock
) -> None:
    settings.LOGIN_FAILURES_PER_USERNAME = 3
    make_user("elena")
    make_user("arben")
    owners = Client(REMOTE_ADDR="10.1.2.3")
    assert log_in(owners, "elena").status_code == 302
    owners.post("/accounts/logout/")
    for _ in range(3):
        log_in(client, "elena", "wrong password")
    assert log_in(client, "elena").status_code == 429
    # Another address is no way round it...
    assert log_in(Client(REMOTE_ADDR="10.9.9.9"), "elena").status_code == 429
    # ...but the browser Elena signed in with before is not held up.
    assert log_in(owners, "elena").status_code == 302
    assert signed_in(owners)

    same_address = Client()
    assert log_in(same_address, "arben").status_code == 302
    assert signed_in(same_address)


def test_changing_the_case_of_the_username_does_not_dodge_the_count(
    client, settings, clock
) -> None:
    settings.LOGIN_FAILURES_PER_USERNAME = 3
    make_user("elena")
    for name in ("elena", "Elena", "ELENA"):
        log_in(client, name, "wrong password")
    assert log_in(client, "elena").status_code == 429


def test_a_wait_ends_by_itself(client, settings, clock) -> None:
    settings.LOGIN_FAILURES_PER_USERNAME = 3
    make_user("elena")
    for _ in range(3):
        log_in(client, "elena", "wrong password")
    assert log_in(client, "elena").status_code == 429
    clock.advance(1)
    assert log_in(client, "elena").status_code == 302


def test_failures_stay_listed_in_the_admin_after_a_success(client, admin_client, clock) -> None:
    make_user("elena")
    log_in(client, "elena", "wrong password")
    log_in(client, "elena", "wrong password")
    assert log_in(client, "elena").status_code == 302
    assert AccessAttempt.objects.get().failures_since_start == 2
    page = admin_client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "elena" in page


def test_a_success_clears_the_usernames_earlier_failures(client, settings, clock) -> None:
    settings.LOGIN_FAILURES_PER_USERNAME = 3
    make_user("elena")
    log_in(client, "elena", "wrong password")
    log_in(client, "elena", "wrong password")
    assert log_in(client, "elena").status_code == 302
    stranger = Client(REMOTE_ADDR="10.9.9.9")
    for _ in range(3):
        assert log_in(stranger, "elena", "wrong password").status_code == 200
    assert log_in(stranger, "elena", "wrong password").status_code == 429


def test_test_clients_log_in_with_force_login_and_with_login_given_a_request() -> None:
    """django-axes needs the request to count a log-in; the test client's login() passes
    none unless given one, force_login() checks no password."""
    make_user("elena")
    client = Client()
    assert client.login(request=HttpRequest(), username="elena", password=PASSWORD)
    assert client.get("/").status_code == 200
    other = Client()
    other.force_login(User.objects.get(username="elena"))
    assert other.get("/").status_code == 200


def test_the_client_address_comes_from_trusted_proxies_only(settings) -> None:
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4"
    )
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.9"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "1.2.3.4"  # the forged first entry is ignored
    settings.TRUSTED_PROXY_COUNT = 3
    assert client_ip(request) == "10.0.0.9"  # fewer hops than proxies: not trusted


# --- Password reset by email -------------------------------------------------------------------


def _link_path(message: Any) -> str:
    found = re.search(r"https?://[^/\s]+(/accounts/[^\s]+/)", message.body)
    assert found, message.body
    return found.group(1)


def ask_reset(client: Client, email: str) -> Any:
    """Ask for a reset and run what waits for the commit: the outbox's sending job (in-process
    in these tests, as without Redis)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/accounts/password-reset/", {"email": email})


def test_password_reset_end_to_end(client) -> None:
    user = make_user("elena", email="Elena@Example.org")
    response = ask_reset(client, "elena@example.org")
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email] == ["Elena@example.org"]
    assert message.subject == "Choose a new password for the anti-trafficking platform"
    html, kind = message.alternatives[0]
    assert kind == "text/html"
    link = _link_path(message)
    assert 'href="http' in html and link in html
    assert "Your username is elena" in message.body

    response = client.get(link, follow=True)
    assert response.redirect_chain[-1][0].endswith("/set-password/")
    form_url = response.redirect_chain[-1][0]
    assert "15 or more is recommended" in response.content.decode()
    response = client.post(
        form_url,
        {
            "new_password1": "a new and long passphrase",
            "new_password2": "a new and long passphrase",
        },
    )
    assert response["Location"] == "/accounts/password-reset/done/"

    assert log_in(Client(), "elena", PASSWORD).status_code == 200  # the old one fails
    assert log_in(Client(), "elena", "a new and long passphrase").status_code == 302
    # The link worked once.
    assert "does not work any more" in Client().get(link, follow=True).content.decode()
    user.refresh_from_db()
    assert user.check_password("a new and long passphrase")


def test_password_reset_email_is_in_the_accounts_language(client) -> None:
    make_user("arta", preferred_language="sq")
    make_user("marija", preferred_language="mk")
    ask_reset(client, "arta@example.org")
    ask_reset(client, "marija@example.org")
    sq, mk = mail.outbox
    assert sq.subject == "Zgjidhni një fjalëkalim të ri për platformën kundër trafikimit"
    assert "Emri juaj i përdoruesit është arta" in sq.body
    assert mk.subject == "Изберете нова лозинка за платформата против трговија со луѓе"
    assert 'lang="mk"' in mk.alternatives[0][0]


def test_password_reset_for_an_unknown_or_deactivated_address_sends_nothing(client) -> None:
    make_user("gone", is_active=False)
    for email in ("nobody@example.org", "gone@example.org"):
        response = ask_reset(client, email)
        assert response["Location"] == "/accounts/password-reset/sent/"
    assert mail.outbox == []
    # Each was stored, looked up by the sending job, and closed without sending.
    assert sorted(OutboxEmail.objects.values_list("to", "status", "body_text")) == [
        ("gone@example.org", EmailStatus.CLOSED, ""),
        ("nobody@example.org", EmailStatus.CLOSED, ""),
    ]


def _statements(client: Client, email: str) -> tuple[int, str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/accounts/password-reset/", {"email": email})
    # The SQL run, without the values it was given.
    sql = [q["sql"].replace(email, "?") for q in queries.captured_queries]
    sql = [re.sub(r"'[^']*'|\b\d+\b|\"s\d+_x\d+\"", "?", statement) for statement in sql]
    return response.status_code, response["Location"], sql


def test_a_reset_request_does_the_same_work_for_a_known_and_an_unknown_address() -> None:
    make_user("elena")
    make_user("gone", is_active=False)
    answers = [
        _statements(Client(), email)
        for email in ("elena@example.org", "nobody@example.org", "gone@example.org")
    ]
    # Same answer, same statements: the account is looked up by the worker, not the request.
    assert answers[0] == answers[1] == answers[2]
    assert not any("stakeholders_user" in statement for statement in answers[0][2])
    # Exactly one outbox row per typed address, holding no link and no body.
    rows = list(OutboxEmail.objects.order_by("pk"))
    assert [row.to for row in rows] == [
        "elena@example.org",
        "nobody@example.org",
        "gone@example.org",
    ]
    for row in rows:
        assert (row.build, row.subject, row.body_text, row.body_html) == (
            "password_reset",
            "",
            "",
            "",
        )
        assert row.build_args == {"email": row.to, "language": "en"}
        assert row.status == EmailStatus.PENDING


def test_reset_requests_are_rate_limited_per_address_alike_for_known_and_unknown(client) -> None:
    make_user("elena")
    for email in ("elena@example.org", "ELENA@example.org", "nobody@example.org"):
        assert ask_reset(client, email)["Location"] == "/accounts/password-reset/sent/"
    assert ask_reset(client, "NOBODY@example.org")["Location"] == "/accounts/password-reset/sent/"
    # One row per address (whatever its case) in the window, one email for the account.
    assert OutboxEmail.objects.count() == 2
    assert len(mail.outbox) == 1


def test_accounts_sharing_an_address_each_get_their_own_reset_email(client) -> None:
    make_user("elena", email="elena@example.org")
    make_user("elena.p", email="Elena@example.org")
    ask_reset(client, "ELENA@example.org")
    sent = {message.to[0]: message.body for message in mail.outbox}
    assert len(mail.outbox) == 2
    assert "Your username is elena. The link" in sent["elena@example.org"]
    assert "Your username is elena.p. The link" in sent["Elena@example.org"]
    # The request stored one row; the worker made one more for the second account.
    assert sorted(OutboxEmail.objects.values_list("status", "build")) == [
        (EmailStatus.SENT, "password_reset"),
        (EmailStatus.SENT, "password_reset"),
    ]


def test_the_admins_outgoing_emails_never_show_a_link(client, admin_client) -> None:
    make_user("elena")
    ask_reset(client, "elena@example.org")
    [message] = mail.outbox
    link = _link_path(message)
    row = OutboxEmail.objects.get()
    assert row.status == EmailStatus.SENT
    assert row.subject == "Choose a new password for the anti-trafficking platform"
    assert (row.body_text, row.body_html) == ("", "")  # nothing kept once sent
    for url in (
        reverse("admin:core_outboxemail_changelist"),
        reverse("admin:core_outboxemail_change", args=[row.pk]),
    ):
        page = admin_client.get(url).content.decode()
        assert row.to in page
        assert link not in page and "/accounts/password-reset/" not in page.replace(
            "/accounts/password-reset/sent/", ""
        )


def test_a_reset_link_stops_working_when_the_account_is_deactivated(client) -> None:
    user = make_user("elena")
    ask_reset(client, "elena@example.org")
    link = _link_path(mail.outbox[0])
    services.user_deactivate(user=user, by=None)
    assert "does not work any more" in client.get(link, follow=True).content.decode()


def test_choosing_a_new_password_by_email_lifts_the_wait_and_remembers_the_browser(
    client, settings, clock
) -> None:
    settings.LOGIN_FAILURES_PER_USERNAME = 3
    make_user("elena")
    for _ in range(3):
        log_in(Client(REMOTE_ADDR="10.9.9.9"), "elena", "wrong password")
    ask_reset(client, "elena@example.org")
    form_url = client.get(_link_path(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    client.post(
        form_url,
        {
            "new_password1": "a new and long passphrase",
            "new_password2": "a new and long passphrase",
        },
    )
    assert auth.DEVICE_COOKIE in client.cookies
    # The strangers' failures are forgotten...
    attacker = Client(REMOTE_ADDR="10.9.9.9")
    for _ in range(3):
        assert log_in(attacker, "elena", "wrong password").status_code == 200
    # ...and when they start again, the browser that chose the password is not held up.
    assert log_in(Client(), "elena", "a new and long passphrase").status_code == 429
    assert log_in(client, "elena", "a new and long passphrase").status_code == 302


# --- Invitations -------------------------------------------------------------------------------


def _invite(client: Client, institution: Any, email: str, language: str = "en") -> Any:
    return client.post(
        f"/institutions/{institution.pk}/members/invite/",
        {
            "email": email,
            "first_name": "Arta",
            "last_name": "Krasniqi",
            "role": MembershipRole.EDITOR,
            "language": language,
        },
    )


def test_invitation_end_to_end(client, django_capture_on_commit_callbacks) -> None:
    institution: Any = factories.InstitutionFactory(name="Demo Shelter")
    focal_point = make_user("focal")
    services.membership_set(user=focal_point, institution=institution, role="focal_point")
    client.force_login(focal_point)
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(client, institution, "arta@example.org")
    assert response.status_code == 302
    user = User.objects.get(email="arta@example.org")
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["arta@example.org"]
    assert message.subject == "You are invited to the anti-trafficking platform for Demo Shelter"
    assert (
        "focal added you to the anti-trafficking platform as editor for Demo Shelter"
        in message.body
    )
    assert message.alternatives[0][1] == "text/html"
    link = _link_path(message)
    assert link.startswith("/accounts/invitation/")

    newcomer = Client()
    response = newcomer.get(link, follow=True)
    assert "Choose your password" in response.content.decode()
    form_url = response.redirect_chain[-1][0]
    response = newcomer.post(
        form_url,
        {
            "new_password1": "shelter visits on tuesdays",
            "new_password2": "shelter visits on tuesdays",
        },
    )
    assert response["Location"] == "/"
    assert newcomer.session[SESSION_KEY] == str(user.pk)
    assert newcomer.get("/").status_code == 200
    # Once used, the link is spent.
    assert "does not work any more" in Client().get(link, follow=True).content.decode()
    assert log_in(Client(), "arta@example.org", "shelter visits on tuesdays").status_code == 302


def test_invitation_is_in_the_language_chosen_for_a_new_member(
    client, django_capture_on_commit_callbacks
) -> None:
    institution = factories.InstitutionFactory(name="Demo Shelter")
    team = make_user("team", staff=True)
    programme_team_add(user=team)
    client.force_login(team)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client, institution, "new@example.org", language="mk")
    assert User.objects.get(email="new@example.org").preferred_language == "mk"
    assert mail.outbox[0].subject.startswith("Поканети сте")


def test_reinviting_a_deactivated_member_leaves_the_account_alone(
    client, django_capture_on_commit_callbacks
) -> None:
    institution: Any = factories.InstitutionFactory()
    user = make_user("arta")
    services.membership_set(user=user, institution=institution, role="viewer")
    services.user_deactivate(user=user, by=None)
    focal_point = make_user("focal")
    services.membership_set(user=focal_point, institution=institution, role="focal_point")
    client.force_login(focal_point)
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(client, institution, "ARTA@example.org")
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_active  # only the programme team reactivates, in the admin
    assert user.check_password(PASSWORD)
    assert mail.outbox == [] and not OutboxEmail.objects.exists()
    assert log_in(Client(), "arta").status_code == 200  # still refused


def test_someone_with_a_password_is_asked_to_join_not_added(
    client, django_capture_on_commit_callbacks
) -> None:
    institution: Any = factories.InstitutionFactory(name="Demo Shelter")
    user = make_user("arta")
    focal_point = make_user("focal")
    services.membership_set(user=focal_point, institution=institution, role="focal_point")
    client.force_login(focal_point)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(client, institution, "arta@example.org")
    assert not user.memberships.exists()
    assert MembershipRequest.objects.get(user=user).institution == institution
    [message] = mail.outbox
    assert message.subject == "Demo Shelter asks you to join it on the anti-trafficking platform"
    assert "/accounts/" not in message.body  # no link that signs anyone in


# --- Password policy ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "refusal"),
    [
        ("Sk0pje!", "too short"),
        ("password123", "too common"),
        ("4719305826451", "entirely numeric"),
        ("elena.petrovska", "too similar"),
    ],
)
def test_weak_passwords_are_refused(password, refusal) -> None:
    user = User(username="elena.petrovska", email="elena.petrovska@example.org")
    with pytest.raises(ValidationError) as error:
        validate_password(password, user)
    assert refusal in " ".join(error.value.messages)


@pytest.mark.parametrize("length", [8, 15, 64, 100])
def test_long_passwords_are_accepted(client, length) -> None:
    password = ("nine lakes of ohrid and prespa " * 4)[:length]
    user = make_user("elena")
    validate_password(password, user)
    ask_reset(client, "elena@example.org")
    form_url = client.get(_link_path(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": password, "new_password2": password})
    assert response.status_code == 302
    assert log_in(Client(), "elena", password).status_code == 302


def test_a_refused_password_is_named_in_the_error_summary_and_under_its_field(client) -> None:
    make_user("elena")
    ask_reset(client, "elena@example.org")
    form_url = client.get(_link_path(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "Sk0pje!", "new_password2": "Sk0pje!"})
    page = response.content.decode()
    assert response.status_code == 200
    summary = page[
        page.index('id="form-errors"') : page.index("</ul>", page.index('id="form-errors"'))
    ]
    assert 'href="#id_new_password2"' in summary and "too short" in summary
    assert 'id="id_new_password2_error"' in page
    field = page[page.index('<input type="password" name="new_password2"') :].split(">", 1)[0]
    assert 'aria-invalid="true"' in field and "id_new_password2_error" in field


def test_the_help_text_recommends_fifteen_characters() -> None:
    texts = " ".join(password_validators_help_texts())
    assert "at least 8 characters; 15 or more is recommended" in texts


# --- Sessions ----------------------------------------------------------------------------------


def test_the_session_id_changes_at_login(client) -> None:
    make_user("elena")
    session = client.session
    session["language_hint"] = "mk"
    session.save()
    before = session.session_key
    assert log_in(client, "elena").status_code == 302
    after = client.cookies["sessionid"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert Session.objects.filter(session_key=after).exists()


def _age(client: Client, **seconds_ago: int) -> None:
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()


def test_an_idle_session_ends(client, settings) -> None:
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    user = make_user("elena")
    client.force_login(user)
    key = client.session.session_key
    _age(client, **{LAST_SEEN_AT: 30 * 60 + 5})
    response = client.get("/trainings/")
    assert response["Location"] == f"{LOGIN}?next=/trainings/"
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(session_key=key).exists()
    assert client.get("/trainings/")["Location"].startswith(LOGIN)
    assert "Your session ended" in client.get(LOGIN).content.decode()


def test_a_session_in_use_goes_on_and_is_kept_fresh(client, settings) -> None:
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    client.force_login(make_user("elena"))
    _age(client, **{LAST_SEEN_AT: 29 * 60})
    assert client.get("/").status_code == 200
    assert int(time.time()) - client.session[LAST_SEEN_AT] < 5


def test_a_session_ends_after_the_absolute_limit_however_busy(client, settings) -> None:
    settings.SESSION_ABSOLUTE_TIMEOUT = 12 * 60 * 60
    client.force_login(make_user("elena"))
    _age(client, **{SIGNED_IN_AT: 12 * 60 * 60 + 5, LAST_SEEN_AT: 10})
    response = client.post("/accounts/two-factor/")
    assert response["Location"] == LOGIN
    assert not signed_in(client)


def test_the_session_cookie_does_not_outlive_the_absolute_limit(settings) -> None:
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_ABSOLUTE_TIMEOUT == 12 * 60 * 60
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"DJANGO_SESSION_IDLE_MINUTES": "half an hour"}, "DJANGO_SESSION_IDLE_MINUTES"),
        ({"DJANGO_SESSION_IDLE_MINUTES": "900"}, "DJANGO_SESSION_IDLE_MINUTES"),
        ({"LOGIN_FAILURES_PER_USERNAME": "0"}, "LOGIN_FAILURES_PER_USERNAME"),
        ({"LOGIN_FAILURES_PER_ADDRESS": "none"}, "LOGIN_FAILURES_PER_ADDRESS"),
        ({"LOGIN_MAX_DELAY_MINUTES": "0"}, "LOGIN_MAX_DELAY_MINUTES"),
        ({"DJANGO_TRUSTED_PROXY_COUNT": "-1"}, "DJANGO_TRUSTED_PROXY_COUNT"),
        ({"DJANGO_PLATFORM_URL": "platform.example.org"}, "DJANGO_PLATFORM_URL"),
    ],
)
def test_bad_sign_in_settings_stop_start_up(variables, named) -> None:
    from tests.test_settings import error_line, load_settings

    result = load_settings({"DJANGO_DEBUG": "true", **variables})
    assert result.returncode != 0
    assert named in error_line(result)


def test_sign_in_settings_come_from_the_environment() -> None:
    from tests.test_settings import load_settings

    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_IDLE_TIMEOUT, s.SESSION_ABSOLUTE_TIMEOUT, s.LOGIN_FAILURES_PER_USERNAME, "
        "s.LOGIN_FAILURES_PER_ADDRESS, s.LOGIN_MAX_DELAY, s.TRUSTED_PROXY_COUNT, s.PLATFORM_URL)"
    )
    result = load_settings(
        {
            "DJANGO_DEBUG": "true",
            "DJANGO_SESSION_IDLE_MINUTES": "15",
            "DJANGO_SESSION_ABSOLUTE_HOURS": "8",
            "LOGIN_FAILURES_PER_USERNAME": "10",
            "LOGIN_FAILURES_PER_ADDRESS": "50",
            "LOGIN_MAX_DELAY_MINUTES": "5",
            "DJANGO_TRUSTED_PROXY_COUNT": "2",
            "DJANGO_PLATFORM_URL": "https://platform.example.org/",
        },
        f"import django; django.setup(); {code}",
    )
    assert result.stdout.split() == [
        "900",
        "28800",
        "10",
        "50",
        "300",
        "2",
        "https://platform.example.org",
    ]


# --- Deactivation ends sessions ----------------------------------------------------------------


def test_deactivating_a_user_ends_every_session_they_have(client) -> None:
    user = make_user("elena")
    laptop, phone = Client(), Client()
    log_in(laptop, "elena")
    phone.force_login(user)
    keys = {laptop.session.session_key, phone.session.session_key}
    assert set(UserSession.objects.filter(user=user).values_list("session_key", flat=True)) == keys

    bystander = make_user("arben")
    client.force_login(bystander)

    services.user_deactivate(user=user, by=None)
    assert not Session.objects.filter(session_key__in=keys).exists()
    assert not UserSession.objects.filter(user=user).exists()
    for device in (laptop, phone):
        assert device.get("/")["Location"].startswith(LOGIN)
    assert client.get("/").status_code == 200  # others are not touched


def test_deactivating_in_the_admin_ends_the_sessions(admin_client) -> None:
    user = make_user("elena")
    theirs = Client()
    theirs.force_login(user)
    response = admin_client.post(
        reverse("admin:stakeholders_user_changelist"),
        {"action": "deactivate", "_selected_action": [user.pk]},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    assert theirs.get("/")["Location"].startswith(LOGIN)


def test_unticking_active_on_the_user_page_ends_the_sessions(admin_client) -> None:
    from tests.test_admin import _form_data

    user = make_user("elena")
    theirs = Client()
    theirs.force_login(user)
    url = reverse("admin:stakeholders_user_change", args=[user.pk])
    data = _form_data(admin_client.get(url))
    data.pop("is_active")
    assert admin_client.post(url, data).status_code == 302
    assert theirs.get("/")["Location"].startswith(LOGIN)


def test_nobody_deactivates_themselves(admin_client, admin_user) -> None:
    with pytest.raises(ValidationError):
        services.user_deactivate(user=admin_user, by=admin_user)
    admin_client.post(
        reverse("admin:stakeholders_user_changelist"),
        {"action": "deactivate", "_selected_action": [admin_user.pk]},
    )
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_logging_out_forgets_the_session(client) -> None:
    user = make_user("elena")
    log_in(client, "elena")
    assert UserSession.objects.filter(user=user).count() == 1
    client.post("/accounts/logout/")
    assert not UserSession.objects.filter(user=user).exists()


def test_signing_in_forgets_sessions_that_ended_on_their_own(client) -> None:
    user = make_user("elena")
    old = Client()
    log_in(old, "elena")
    Session.objects.filter(session_key=old.session.session_key).delete()  # expired, cleared
    log_in(client, "elena")
    assert list(UserSession.objects.filter(user=user).values_list("session_key", flat=True)) == [
        client.session.session_key
    ]
