"""HTTP hardening: headers, cookies, hosts, error pages, and Django's deployment check.

Production behaviour is checked in a separate process started with the environment
docker-compose.yml gives the web service, since settings are read once per process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path

from tests.test_deployment import PUBLIC_HOST, ROOT, native_environment

pytestmark = pytest.mark.django_db

REQUIRED_CSP = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
}


def _directives(header: str) -> set[str]:
    return {part.strip() for part in header.split(";") if part.strip()}


def test_pages_carry_the_content_security_policy_and_hardening_headers(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert _directives(response["Content-Security-Policy"]) >= REQUIRED_CSP
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_no_template_relies_on_inline_script_or_style() -> None:
    """The policy forbids inline code, so a template that used it would silently break."""
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        for needle in (
            "<script>",
            "<style",
            " onclick=",
            " onchange=",
            " onsubmit=",
            "javascript:",
        ):
            if needle in text:
                offenders.append(f"{template.relative_to(ROOT)}: {needle.strip()}")
    assert offenders == []


def test_an_unknown_host_answers_400(client: Client) -> None:
    assert client.get("/accounts/login/", HTTP_HOST="attacker.example").status_code == 400


def _explode(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret-internal-detail: database password is hunter2")


urlpatterns = [path("explode/", _explode)]


@override_settings(ROOT_URLCONF=__name__)
def test_a_server_error_shows_a_plain_page_without_internals() -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/explode/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    for leak in ("secret-internal-detail", "hunter2", "Traceback", "RuntimeError", "_explode"):
        assert leak not in body


PRODUCTION_PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client()
page = client.get("/accounts/login/", secure=True, HTTP_HOST={host!r})
cookie = page.cookies["csrftoken"]
print(json.dumps({{
    "status": page.status_code,
    "hsts": page.get("Strict-Transport-Security", ""),
    "csp": page.get("Content-Security-Policy", ""),
    "csrf_cookie": {{"secure": bool(cookie["secure"]), "httponly": bool(cookie["httponly"]),
                    "samesite": cookie["samesite"]}},
    "plain_http": client.get("/accounts/login/", HTTP_HOST={host!r}).status_code,
}}))
"""


def _production(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environment = native_environment("web", DJANGO_SETTINGS_MODULE="config.settings.base", **env)
    return subprocess.run(
        args, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.django_db(transaction=True)
def test_production_settings_pass_the_deployment_check_without_warnings() -> None:
    result = _production(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db(transaction=True)
def test_production_sends_hsts_and_secure_cookies_and_redirects_http(tmp_path: Path) -> None:
    static = {"DJANGO_STATIC_ROOT": str(tmp_path)}
    collected = _production([sys.executable, "manage.py", "collectstatic", "--noinput"], **static)
    assert collected.returncode == 0, collected.stderr
    result = _production(
        [sys.executable, "-c", PRODUCTION_PROBE.format(host=PUBLIC_HOST)], **static
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["status"] == 200
    assert "max-age=31536000" in probe["hsts"] and "includeSubDomains" in probe["hsts"]
    assert _directives(probe["csp"]) >= REQUIRED_CSP
    assert probe["csrf_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert probe["plain_http"] == 301
