"""The language cookie is as guarded as the session's; /health/ answers HEAD; the pages Django
and its apps draw themselves (the CSRF failure, the admin's history) hold nothing inline that
the Content-Security-Policy blocks."""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from typing import Any, cast

import pytest
from django.test import Client

from stakeholders.models import Institution, User
from tests import factories
from tests.test_deployment import PUBLIC_HOST, ROOT, native_environment

pytestmark = pytest.mark.django_db

LANGUAGE_COOKIE = "django_language"


# --- The language cookie ----------------------------------------------------------------------


def _cookie_flags(cookie: Any) -> dict[str, Any]:
    return {
        "secure": bool(cookie["secure"]),
        "httponly": bool(cookie["httponly"]),
        "samesite": cookie["samesite"],
    }


def test_the_language_switcher_sets_a_same_site_cookie_scripts_cannot_read(
    client: Client,
) -> None:
    response = client.post("/i18n/setlang/", {"language": "sq", "next": "/accounts/login/"})
    assert response.status_code == 302
    cookie = response.cookies[LANGUAGE_COOKIE]
    assert cookie.value == "sq"
    assert _cookie_flags(cookie) == {"secure": False, "httponly": True, "samesite": "Lax"}


def test_a_users_preferred_language_cookie_has_the_same_flags(client: Client) -> None:
    user = cast(User, factories.UserFactory(preferred_language="mk"))
    client.force_login(user)
    response = client.get("/")
    cookie = response.cookies[LANGUAGE_COOKIE]
    assert cookie.value == "mk"
    assert _cookie_flags(cookie) == {"secure": False, "httponly": True, "samesite": "Lax"}


PRODUCTION_PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client()
response = client.post(
    "/i18n/setlang/", {{"language": "mk", "next": "/"}}, secure=True, HTTP_HOST={host!r}
)
cookie = response.cookies["django_language"]
print(json.dumps({{"status": response.status_code, "secure": bool(cookie["secure"]),
                  "httponly": bool(cookie["httponly"]), "samesite": cookie["samesite"]}}))
"""


@pytest.mark.parametrize(("secure_cookies", "secure"), [("true", True), ("false", False)])
def test_in_production_the_language_cookie_is_secure_as_the_session_cookie_is(
    secure_cookies: str, secure: bool
) -> None:
    environment = native_environment(
        "web",
        DJANGO_SETTINGS_MODULE="config.settings.base",
        DJANGO_SECURE_COOKIES=secure_cookies,
    )
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE.format(host=PUBLIC_HOST)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe == {"status": 302, "secure": secure, "httponly": True, "samesite": "Lax"}


# --- /health/ ---------------------------------------------------------------------------------


def test_health_answers_head_as_it_answers_get(client: Client) -> None:
    assert client.get("/health/").status_code == 200
    head = client.head("/health/")
    assert head.status_code == 200
    assert head.content == b""
    assert client.post("/health/").status_code == 405


# --- Pages with nothing inline that the policy blocks -------------------------------------------


class _Inline(HTMLParser):
    """Inline styles and scripts in a page, leaving out those that carry the policy's nonce."""

    def __init__(self, nonce: str) -> None:
        super().__init__()
        self.nonce = nonce
        self.found: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        allowed = bool(self.nonce) and attributes.get("nonce") == self.nonce
        if "style" in attributes:
            self.found.append(f"<{tag} style={attributes['style']!r}>")
        self.found += [f"<{tag} {name}=…>" for name in attributes if name.startswith("on")]
        if tag == "style" and not allowed:
            self.found.append("<style> element")
        if tag == "script" and not attributes.get("src") and not allowed:
            self._open = "script"

    def handle_data(self, data: str) -> None:
        if self._open == "script" and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:60]}")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            self._open = None


def blocked_inline(response: Any) -> list[str]:
    """What the page holds inline that its Content-Security-Policy header would block."""
    policy = response["Content-Security-Policy"]
    assert "style-src 'self'" in policy and "'unsafe-inline'" not in policy
    nonce = ""
    if "'nonce-" in policy:
        nonce = policy.split("'nonce-", 1)[1].split("'", 1)[0]
    parser = _Inline(nonce)
    parser.feed(response.content.decode())
    return parser.found


def test_a_refused_form_gets_the_platforms_own_page_with_nothing_inline() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "The form could not be sent" in page
    assert "css/site.css" in page  # the platform's own stylesheet, through base.html
    assert blocked_inline(response) == []


def test_the_admin_history_page_holds_nothing_the_policy_blocks(admin_client) -> None:
    institution = factories.InstitutionFactory(name_en="Institution with a history")
    institution.name_en = "Institution with a longer history"
    institution.save()
    assert Institution.history.filter(id=institution.pk).count() >= 2
    response = admin_client.get(f"/admin/stakeholders/institution/{institution.pk}/history/")
    assert response.status_code == 200
    assert "change-history" in response.content.decode()  # the versions list is there
    assert blocked_inline(response) == []
