"""Schemathesis against the OpenAPI description: generated requests to every operation, as a
token holder, find no server error and no answer that breaks the description."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.test_persona_matrix import World

pytestmark = pytest.mark.django_db

# Small and bounded: a few examples per operation, the whole run well under a minute.
EXAMPLES_PER_OPERATION = 4
BUDGET_SECONDS = 60


@pytest.fixture
def _connection_kept_between_requests() -> Iterator[None]:
    """The WSGI application closes the database connection after each request, which would
    end the test's transaction; Django's test client holds it open the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("_connection_kept_between_requests")
def test_generated_requests_find_no_server_error_or_schema_break(
    world: World, tokens: dict[str, str]
) -> None:
    started = time.monotonic()
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
    headers = {"Authorization": f"Bearer {tokens['demo-cso-b']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 26  # thirteen lists and their details
    answered: dict[str, set[int]] = {}

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call_and_validate(
                headers=headers, checks=[not_a_server_error, response_schema_conformance]
            )
            answered.setdefault(case.operation.label, set()).add(response.status_code)

        check()
    assert time.monotonic() - started < BUDGET_SECONDS
    # The token got through: every list answered a page at least once (and so was checked
    # against the description), not only refusals.
    lists = [label for label in answered if "{id}" not in label]
    assert len(lists) == 13
    assert all(200 in answered[label] for label in lists), answered
