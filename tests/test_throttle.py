"""The throttle on failed log-ins (stakeholders.auth.login_attempt): it slows guessing at one
user from many addresses and guessing many users from one address, the wait grows and ends,
and the account's owner, in a browser that signed in before, is never held up by it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.test import Client

from stakeholders import auth
from stakeholders.models import User
from tests.jobs.conftest import redis_url_for
from tests.test_deployment import database_url_for_tests, environment

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery staple"
LOGIN = "/accounts/login/"
WRONG = "Please enter a correct username and password"
PROXY = "127.0.0.1"  # the nginx of docs/deployment.md, on the same host


class Clock:
    """The throttle's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(auth, "clock", fake)
    return fake


@pytest.fixture
def behind_the_proxy(settings: Any) -> None:
    """The trusted proxy count docker-compose.yml gives the web service."""
    settings.TRUSTED_PROXY_COUNT = int(environment("web")["DJANGO_TRUSTED_PROXY_COUNT"])


def make_user(username: str, **fields: Any) -> User:
    return User.objects.create_user(
        username, email=f"{username}@example.org", password=PASSWORD, **fields
    )


def via_proxy(address: str, **extra: Any) -> Client:
    """A browser at ``address``, reaching gunicorn through nginx."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=address, **extra)


def log_in(client: Client, username: str, password: str = PASSWORD) -> Any:
    return client.post(LOGIN, {"username": username, "password": password})


def signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def remembered_browser(username: str, address: str = "203.0.113.7") -> Client:
    """The owner's browser: it signed in once, and signed out."""
    browser = via_proxy(address)
    assert log_in(browser, username).status_code == 302
    assert auth.DEVICE_COOKIE in browser.cookies
    browser.post("/accounts/logout/")
    assert not signed_in(browser)
    return browser


# --- Guessing at one user ------------------------------------------------------------------------


@pytest.mark.parametrize("staff", [False, True])
@pytest.mark.usefixtures("behind_the_proxy")
def test_guesses_at_one_user_from_many_addresses_wait_but_the_owner_gets_in(
    clock: Clock, staff: bool
) -> None:
    make_user("elena", is_staff=staff)
    owner = remembered_browser("elena")

    answers = [
        log_in(via_proxy(f"198.51.100.{n % 10}"), "elena", f"guess {n}").status_code
        for n in range(40)
    ]
    # Five passwords were checked; every other guess was refused unchecked.
    assert answers == [200] * 5 + [429] * 35
    # A stranger's browser waits even with the right password.
    stranger = via_proxy("198.51.100.99")
    assert log_in(stranger, "elena").status_code == 429
    assert not signed_in(stranger)

    # The owner's browser is not held up (staff are then asked for their code).
    assert log_in(owner, "elena").status_code == 302
    assert signed_in(owner)


def test_a_try_during_the_wait_is_refused_unchecked_with_a_page_saying_when(
    clock: Clock, settings: Any
) -> None:
    settings.LOGIN_FAILURES_PER_USERNAME = 3
    make_user("elena")
    for _ in range(3):
        assert log_in(Client(), "elena", "wrong").status_code == 200
    checked = sum(AccessAttempt.objects.values_list("failures_since_start", flat=True))

    response = log_in(Client(), "elena")
    assert response.status_code == 429
    assert response["Retry-After"] == "1"
    page = response.content.decode()
    assert "Too many failed log-ins" in page
    assert "Try again in 1 second." in page
    assert 'href="/accounts/password-reset/"' in page
    # The password was not looked at: django-axes saw no new try.
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == checked

    macedonian = Client()
    macedonian.cookies[settings.LANGUAGE_COOKIE_NAME] = "mk"
    response = log_in(macedonian, "elena")
    assert response.status_code == 429
    assert "Премногу неуспешни најавувања" in response.content.decode()


def test_the_wait_doubles_after_each_failure_up_to_the_cap_and_then_ends(
    clock: Clock, settings: Any
) -> None:
    settings.LOGIN_FAILURES_PER_USERNAME = 2
    settings.LOGIN_MAX_DELAY = 10
    make_user("elena")
    browser = Client()
    for _ in range(2):
        assert log_in(browser, "elena", "wrong").status_code == 200

    waits = []
    for _ in range(6):
        refused = log_in(browser, "elena", "wrong")
        assert refused.status_code == 429
        wait = int(refused["Retry-After"])
        waits.append(wait)
        clock.advance(wait - 0.5)
        assert log_in(browser, "elena", "wrong").status_code == 429  # not yet
        clock.advance(0.5)
        assert log_in(browser, "elena", "wrong").status_code == 200  # checked, and wrong
    assert waits == [1, 2, 4, 8, 10, 10]

    clock.advance(10)
    assert log_in(browser, "elena").status_code == 302
    # The right password wiped the username's count: the next mistake is free again.
    other = Client()
    assert log_in(other, "elena", "wrong").status_code == 200
    assert log_in(other, "elena", "wrong").status_code == 200


def test_failures_are_forgotten_a_day_after_the_last(clock: Clock, settings: Any) -> None:
    settings.LOGIN_FAILURES_PER_USERNAME = 2
    day = settings.LOGIN_FAILURES_FORGOTTEN_AFTER
    make_user("elena")
    for _ in range(2):
        log_in(Client(), "elena", "wrong")
    clock.advance(day - 1)
    assert log_in(Client(), "elena", "wrong").status_code == 200  # its one-second wait is over
    refused = log_in(Client(), "elena", "wrong")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "2"  # the failures of a day ago still count
    clock.advance(day)
    assert log_in(Client(), "elena", "wrong").status_code == 200
    assert log_in(Client(), "elena", "wrong").status_code == 200
    refused = log_in(Client(), "elena", "wrong")
    assert refused["Retry-After"] == "1"  # a fresh count


# --- Guessing many users from one address ----------------------------------------------------


@pytest.mark.usefixtures("behind_the_proxy")
def test_a_password_spray_from_one_address_waits(clock: Clock, settings: Any) -> None:
    assert settings.LOGIN_FAILURES_PER_ADDRESS < 30
    make_user("elena")
    owner = remembered_browser("elena", address="192.0.2.10")
    make_user("arben")

    sprayer = via_proxy("192.0.2.66")
    answers = [log_in(sprayer, f"user{n}", "Spring2024!").status_code for n in range(30)]
    limit = settings.LOGIN_FAILURES_PER_ADDRESS
    assert answers == [200] * limit + [429] * (30 - limit)
    # Anyone at that address without a remembered browser waits too, right password or not.
    assert log_in(via_proxy("192.0.2.66"), "arben").status_code == 429
    # The owner's remembered browser at that address gets in, and other addresses are not slowed.
    owner.defaults["HTTP_X_FORWARDED_FOR"] = "192.0.2.66"
    assert log_in(owner, "elena").status_code == 302
    assert log_in(via_proxy("192.0.2.67"), "arben").status_code == 302


def test_an_ipv6_client_counts_as_its_whole_64_network(clock: Clock, settings: Any) -> None:
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    for n in range(3):
        log_in(Client(REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}"), f"user{n}", "wrong")
    assert log_in(Client(REMOTE_ADDR="2001:db8:1:2:ffff::9"), "user9", "wrong").status_code == 429
    assert log_in(Client(REMOTE_ADDR="2001:db8:1:3::1"), "user9", "wrong").status_code == 200


def test_signing_in_to_ones_own_account_does_not_clear_the_address_count(
    clock: Clock, settings: Any
) -> None:
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    make_user("mallory")
    sprayer = Client(REMOTE_ADDR="192.0.2.66")
    for n in range(2):
        log_in(sprayer, f"user{n}", "wrong")
    assert log_in(sprayer, "mallory").status_code == 302
    assert log_in(Client(REMOTE_ADDR="192.0.2.66"), "user2", "wrong").status_code == 200
    assert log_in(Client(REMOTE_ADDR="192.0.2.66"), "user3", "wrong").status_code == 429


# --- The remembered browser -------------------------------------------------------------------


def test_a_forged_old_or_another_users_browser_cookie_is_no_pass(
    clock: Clock, settings: Any
) -> None:
    settings.LOGIN_FAILURES_PER_USERNAME = 2
    make_user("elena")
    make_user("arben")
    arbens = remembered_browser("arben")
    elenas = remembered_browser("elena")
    for _ in range(2):
        log_in(Client(), "elena", "wrong")

    # Arben's browser is remembered for Arben, not for Elena.
    assert log_in(arbens, "elena").status_code == 429
    # A cookie the site did not sign counts for nothing.
    value = elenas.cookies[auth.DEVICE_COOKIE].value
    forged = Client()
    forged.cookies[auth.DEVICE_COOKIE] = value[:-3] + ("AAA" if value[-3:] != "AAA" else "BBB")
    assert log_in(forged, "elena").status_code == 429
    # Elena's own cookie, once older than its age, is forgotten.
    settings.LOGIN_DEVICE_COOKIE_AGE = -1
    assert log_in(elenas, "elena").status_code == 429
    settings.LOGIN_DEVICE_COOKIE_AGE = 3600
    assert log_in(elenas, "elena").status_code == 302


def test_failures_from_a_remembered_browser_make_that_browser_wait(
    clock: Clock, settings: Any
) -> None:
    """A stolen cookie is not a free pass: the browser it names has a count of its own."""
    settings.LOGIN_FAILURES_PER_USERNAME = 3
    make_user("elena")
    browser = remembered_browser("elena")
    for _ in range(3):
        assert log_in(browser, "elena", "wrong").status_code == 200
    assert log_in(browser, "elena").status_code == 429
    # Its failures were its own: strangers' browsers have a clean slate for Elena.
    assert log_in(Client(), "elena", "wrong").status_code == 200


def test_a_shared_computer_remembers_each_person_who_signed_in(clock: Clock, settings: Any) -> None:
    settings.LOGIN_FAILURES_PER_USERNAME = 1
    make_user("elena")
    make_user("arben")
    shared = Client()
    for name in ("elena", "arben"):
        assert log_in(shared, name).status_code == 302
        shared.post("/accounts/logout/")
    for name in ("elena", "arben"):
        log_in(Client(), name, "wrong")
        assert log_in(Client(), name).status_code == 429
        assert log_in(shared, name).status_code == 302
        shared.post("/accounts/logout/")


# --- What cannot be a username --------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("a" * 256, PASSWORD),
        ("é" * 300, PASSWORD),
        ("elena" + "x" * 10_000, PASSWORD),
        ("ele\x00na", PASSWORD),
        ("elena", "correct\x00horse"),
    ],
    ids=["256-characters", "300-accented", "10000-characters", "nul-in-username", "nul-in-pw"],
)
def test_an_impossible_username_or_password_gets_the_wrong_password_answer(
    client: Client, username: str, password: str
) -> None:
    make_user("elena")
    response = log_in(client, username, password)
    assert response.status_code == 200
    assert WRONG in response.content.decode()
    assert not signed_in(client)


def test_a_blank_form_is_answered_but_not_counted(
    client: Client, clock: Clock, settings: Any
) -> None:
    settings.LOGIN_FAILURES_PER_ADDRESS = 2
    make_user("elena")
    for data in (
        {},
        {"username": "elena"},
        {"password": PASSWORD},
        {"username": "", "password": ""},
    ):
        response = client.post(LOGIN, data)
        assert response.status_code == 200
        assert WRONG in response.content.decode()
    assert log_in(client, "elena").status_code == 302


# --- Every worker, and a cache that is down ----------------------------------------------------


def test_the_wait_holds_in_every_worker_process_through_redis(clock: Clock, settings: Any) -> None:
    redis_url = redis_url_for(2)  # a database of its own
    # The cache as the settings make it from REDIS_URL in production.
    worker_env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url_for_tests(),
        "REDIS_URL": redis_url,
    }
    probe = (
        "import django; django.setup(); from django.conf import settings; "
        "c = settings.CACHES['default']; print(c['BACKEND'], c['LOCATION'], c['KEY_PREFIX'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=worker_env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.cache.backends.redis.RedisCache",
        redis_url,
        "cache",
    ]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "cache",
        }
    }
    cache.clear()
    try:
        make_user("elena")
        for _ in range(settings.LOGIN_FAILURES_PER_USERNAME):
            assert log_in(Client(), "elena", "wrong").status_code == 200
        assert log_in(Client(), "elena").status_code == 429

        # Another gunicorn worker: its own process, the same Redis, the same moment.
        other_worker = (
            "import django; django.setup(); "
            "from django.test import RequestFactory; from stakeholders import auth; "
            f"auth.clock = lambda: {clock.now!r}; "
            "request = RequestFactory().post('/accounts/login/', REMOTE_ADDR='10.9.9.9'); "
            "print(auth.login_attempt(request, username='Elena', password='x').retry_after)"
        )
        result = subprocess.run(
            [sys.executable, "-c", other_worker],
            cwd=ROOT,
            env=worker_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "1"
    finally:
        cache.clear()


def test_a_cache_that_is_down_lets_people_sign_in_and_says_so(
    clock: Clock, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.test_deployment import free_port

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    make_user("elena")
    started = time.monotonic()
    browser = Client()
    assert log_in(browser, "elena").status_code == 302
    assert time.monotonic() - started < 5
    assert "The sign-in throttle could not be read" in caplog.text
