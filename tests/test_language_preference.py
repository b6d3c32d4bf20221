"""A signed-in user chooses a language once and the platform remembers it on every device;
anonymous visitors keep the cookie and their browser's language."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client

from stakeholders import services
from stakeholders.models import User
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password-42"
SWITCH = "/i18n/setlang/"
LOGIN = "/accounts/login/"


def _lang(response: Any) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.content.decode())
    assert match, "no <html lang> on the page"
    return match.group(1)


def _user(**fields: object) -> User:
    user: User = factories.UserFactory.create(**fields)
    user.set_password(PASSWORD)
    user.save()
    return user


def _log_in(client: Client, user: User) -> None:
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "the login was refused"


def test_switching_language_signed_in_stores_it_in_the_profile() -> None:
    user = _user()
    client = Client()
    _log_in(client, user)
    response = client.post(SWITCH, {"language": "sq", "next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sq"
    user.refresh_from_db()
    assert user.preferred_language == "sq"
    assert _lang(client.get("/")) == "sq"


def test_the_stored_language_follows_the_user_to_a_new_browser() -> None:
    user = _user(preferred_language="mk")
    client = Client()  # no language cookie, a browser that asks for English
    assert _lang(client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en")) == "en"
    _log_in(client, user)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert _lang(response) == "mk"
    assert response["Content-Language"] == "mk"
    # The cookie follows the profile, so the login page after signing out stays in Macedonian.
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "mk"
    client.post("/accounts/logout/")
    assert _lang(client.get(LOGIN, HTTP_ACCEPT_LANGUAGE="en")) == "mk"


def test_the_profile_wins_over_an_old_cookie() -> None:
    user = _user(preferred_language="sq")
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "mk"
    _log_in(client, user)
    assert _lang(client.get("/")) == "sq"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "sq"


def test_without_a_preference_the_cookie_and_browser_decide() -> None:
    user = _user(preferred_language="")
    client = Client()
    _log_in(client, user)
    assert _lang(client.get("/", HTTP_ACCEPT_LANGUAGE="sq")) == "sq"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "mk"
    assert _lang(client.get("/", HTTP_ACCEPT_LANGUAGE="sq")) == "mk"


def test_anonymous_switching_sets_the_cookie_only() -> None:
    client = Client()
    response = client.post(SWITCH, {"language": "mk", "next": LOGIN})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "mk"
    assert _lang(client.get(LOGIN)) == "mk"
    assert not User.objects.exclude(preferred_language="").exists()


def test_an_invalid_language_is_refused() -> None:
    user = _user(preferred_language="mk")
    client = Client()
    _log_in(client, user)
    # German has Django's own translations, but it is not one of the platform's languages.
    for language in ("de", "xx", ""):
        response = client.post(SWITCH, {"language": language, "next": "/"})
        assert response.status_code == 400
        assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    user.refresh_from_db()
    assert user.preferred_language == "mk"
    assert _lang(client.get("/")) == "mk"


def test_the_service_refuses_a_language_the_platform_does_not_offer() -> None:
    user = _user()
    with pytest.raises(ValidationError):
        services.user_language_set(user=user, language="de")
    services.user_language_set(user=user, language="sq")
    user.refresh_from_db()
    assert user.preferred_language == "sq"


def test_switching_without_javascript_needs_the_csrf_token() -> None:
    user = _user()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(SWITCH, {"language": "sq", "next": "/"})
    assert response.status_code == 403
    user.refresh_from_db()
    assert user.preferred_language == ""
