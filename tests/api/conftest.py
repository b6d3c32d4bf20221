"""The persona world of the persona matrix, and a token per persona."""

from __future__ import annotations

import pytest
from django.test import Client

from api.services import api_token_create
from tests.test_persona_matrix import World, world  # noqa: F401

PERSONAS = ["demo-cso-a", "demo-cso-b", "demo-ministry", "demo-observer", "demo-admin"]


@pytest.fixture
def tokens(world: World) -> dict[str, str]:  # noqa: F811
    """A token in clear per persona; the programme team's made after the second factor."""
    return {
        persona: api_token_create(
            user=world.users[persona], name="Tests", second_factor=persona == "demo-admin"
        )[1]
        for persona in PERSONAS
    }


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def api_ids(client: Client, token: str, path: str) -> list[int]:
    """Every id a list answers, page after page."""
    ids: list[int] = []
    url: str | None = f"{path}{'&' if '?' in path else '?'}page_size=200"
    while url:
        response = client.get(url, headers=bearer(token))
        assert response.status_code == 200, (path, response.status_code, response.content[:300])
        data = response.json()
        ids += [row["id"] for row in data["results"]]
        url = data["next"]
    return ids
