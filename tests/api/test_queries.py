"""Each list page costs the same number of queries however many records it holds."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import bearer
from tests.api.test_access import LISTS
from tests.test_persona_matrix import World

pytestmark = pytest.mark.django_db


def _queries(client: Client, url: str, token: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=bearer(token))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("persona", ["demo-cso-b", "demo-admin"])
def test_a_page_of_200_costs_no_more_than_a_page_of_10(
    world: World, tokens: dict[str, str], persona: str, django_assert_max_num_queries: Any
) -> None:
    client = Client()
    for endpoint in LISTS:
        url = f"/api/v1/{endpoint}/"
        client.get(f"{url}?page_size=200", headers=bearer(tokens[persona]))  # warms kept figures
        small = _queries(client, f"{url}?page_size=10", tokens[persona])
        with django_assert_max_num_queries(small, info=endpoint):
            large = client.get(f"{url}?page_size=200", headers=bearer(tokens[persona]))
        # Fewer than 10 only where there are no more (the action, its periods, outcomes).
        data = large.json()
        assert len(data["results"]) > 10 or data["count"] <= 10, endpoint
        assert small <= 15, endpoint
