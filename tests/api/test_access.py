"""Who gets in: tokens, sessions, anonymous callers; what writes answer; how often."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from api.models import ApiToken
from api.services import LAST_USED_EVERY, api_token_create, api_token_touch
from api.throttling import TokenOrUserRateThrottle
from tests.api.conftest import bearer
from tests.test_persona_matrix import World

pytestmark = pytest.mark.django_db

LISTS = [
    "institutions",
    "actions",
    "periods",
    "outcomes",
    "indicators",
    "indicator-values",
    "recommendations",
    "updates",
    "trainings",
    "meetings",
    "decisions",
    "action-points",
    "studies",
]


@pytest.mark.parametrize("endpoint", LISTS)
def test_anonymous_callers_get_401_with_a_bearer_challenge(world: World, endpoint: str) -> None:
    response = Client().get(f"/api/v1/{endpoint}/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_every_write_method_answers_405(world: World, tokens: dict[str, str], method: str) -> None:
    client = Client()
    for endpoint in LISTS:
        listed = client.get(f"/api/v1/{endpoint}/", headers=bearer(tokens["demo-admin"])).json()
        urls = [f"/api/v1/{endpoint}/"]
        if listed["results"]:
            urls.append(f"/api/v1/{endpoint}/{listed['results'][0]['id']}/")
        for url in urls:
            response = getattr(client, method)(
                url, data={}, content_type="application/json", headers=bearer(tokens["demo-admin"])
            )
            assert response.status_code == 405, (method, url)


def test_a_session_reads_the_api_too(world: World) -> None:
    client = Client()
    client.force_login(world.users["demo-cso-b"])
    assert client.get("/api/v1/trainings/").status_code == 200


def test_a_revoked_token_answers_401_at_once(world: World) -> None:
    token, clear = api_token_create(user=world.users["demo-cso-b"], name="CI", second_factor=False)
    client = Client()
    assert client.get("/api/v1/institutions/", headers=bearer(clear)).status_code == 200
    browser = Client()
    browser.force_login(world.users["demo-cso-b"])
    revoke = reverse("api:token_revoke", kwargs={"pk": token.pk})
    assert browser.get(revoke).status_code == 200  # asks first
    token.refresh_from_db()
    assert token.revoked_at is None
    assert browser.post(revoke).status_code == 302
    response = client.get("/api/v1/institutions/", headers=bearer(clear))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer", "Bearer a b", "Token x"])
def test_a_wrong_token_answers_401(world: World, header: str) -> None:
    response = Client().get("/api/v1/institutions/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401


def test_another_persons_token_cannot_be_revoked(world: World) -> None:
    token, clear = api_token_create(user=world.users["demo-cso-b"], name="CI", second_factor=False)
    browser = Client()
    browser.force_login(world.users["demo-cso-a"])
    revoke = reverse("api:token_revoke", kwargs={"pk": token.pk})
    assert browser.get(revoke).status_code == 404
    assert browser.post(revoke).status_code == 404
    assert Client().get("/api/v1/institutions/", headers=bearer(clear)).status_code == 200


def test_the_token_is_shown_once_and_never_stored_in_clear(world: World) -> None:
    browser = Client()
    browser.force_login(world.users["demo-cso-b"])
    made = browser.post(reverse("api:tokens"), {"name": "Ministry reporting system"})
    assert made.status_code == 200
    assert made["Cache-Control"] == "no-store"
    clear = made.context["clear"]
    assert len(clear) >= 43
    assert clear in made.content.decode()
    token = ApiToken.objects.get(name="Ministry reporting system")
    assert token.digest == hashlib.sha256(clear.encode()).hexdigest()
    assert clear.startswith(token.prefix)
    # Nowhere in the table: not in any column of any row.
    with connection.cursor() as cursor:
        cursor.execute("SELECT t::text FROM api_apitoken t")
        assert all(clear not in row[0] for row in cursor.fetchall())
    again = browser.get(reverse("api:tokens"))
    assert clear not in again.content.decode()
    assert token.prefix in again.content.decode()
    assert Client().get("/api/v1/institutions/", headers=bearer(clear)).status_code == 200


def test_a_token_needs_a_name(world: World) -> None:
    browser = Client()
    browser.force_login(world.users["demo-cso-b"])
    response = browser.post(reverse("api:tokens"), {"name": "   "})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_last_use_is_written_at_most_once_a_minute(world: World) -> None:
    token, clear = api_token_create(user=world.users["demo-cso-b"], name="CI", second_factor=False)
    client = Client()
    client.get("/api/v1/institutions/", headers=bearer(clear))
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/institutions/", headers=bearer(clear))
    token.refresh_from_db()
    assert token.last_used_at == first
    api_token_touch(token=token, now=first + LAST_USED_EVERY)
    token.refresh_from_db()
    assert token.last_used_at == first + LAST_USED_EVERY


def _rest_framework(settings: Any, rate: str) -> dict[str, Any]:
    return {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": rate},
    }


def test_too_many_requests_answer_429_then_recover(
    world: World, tokens: dict[str, str], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.clear()
    client = Client()
    with override_settings(REST_FRAMEWORK=_rest_framework(settings, "2/minute")):
        for _ in range(2):
            assert (
                client.get("/api/v1/periods/", headers=bearer(tokens["demo-cso-b"])).status_code
                == 200
            )
        refused = client.get("/api/v1/periods/", headers=bearer(tokens["demo-cso-b"]))
        assert refused.status_code == 429
        assert refused["Content-Type"] == "application/json"
        assert 0 < int(refused["Retry-After"]) <= 60
        assert "throttled" in refused.json()["detail"]
        # Another token has its own count.
        assert (
            client.get("/api/v1/periods/", headers=bearer(tokens["demo-cso-a"])).status_code == 200
        )
        # A minute later the window has passed.
        later = time.time() + 61
        monkeypatch.setattr(TokenOrUserRateThrottle, "timer", lambda self: later)
        assert (
            client.get("/api/v1/periods/", headers=bearer(tokens["demo-cso-b"])).status_code == 200
        )


def test_the_schema_is_openapi_3(world: World) -> None:
    response = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/trainings/" in schema["paths"]
    assert "post" not in schema["paths"]["/api/v1/trainings/"]
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_the_api_page_lists_every_endpoint(world: World) -> None:
    browser = Client()
    browser.force_login(world.users["demo-cso-a"])
    page = browser.get(reverse("api:docs")).content.decode()
    for endpoint in LISTS:
        assert f"/api/v1/{endpoint}/" in page
    assert reverse("api:tokens") in page
    assert "start_after" in page
    tokens_page = browser.get(reverse("api:tokens")).content.decode()
    assert reverse("api:docs") in tokens_page
