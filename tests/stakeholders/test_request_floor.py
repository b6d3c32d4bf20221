"""What every signed-in request asks the database before the page's own work: the floor.

A minimal view (one query of its own) behind the whole middleware stack, for each kind of
reader. A new look-up that every request makes shows here as a failing test, with the query
named, rather than as a slower benchmark.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import include, path

from recommendations.models import Recommendation

pytestmark = pytest.mark.django_db


@login_required
def minimal(request: HttpRequest) -> HttpResponse:
    return HttpResponse(str(Recommendation.objects.count()))


urlpatterns = [path("floor/", minimal), path("", include("config.urls"))]


def _tables(client: Client, url: str) -> list[str]:
    """The table each statement of a request reads, in order; BEGIN and COMMIT for the
    request's transaction (a savepoint inside the test's own transaction)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    found = []
    for query in queries.captured_queries:
        sql = query["sql"]
        if sql.startswith(("BEGIN", "SAVEPOINT")):
            found.append("BEGIN")
        elif sql.startswith(("COMMIT", "RELEASE SAVEPOINT")):
            found.append("COMMIT")
        elif " FROM " in sql:
            assert sql.startswith("SELECT"), sql  # nothing written
            found.append(sql.split(" FROM ", 1)[1].split()[0].strip('"'))
        else:
            found.append(sql)
    return found


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.parametrize(
    ("username", "floor"),
    [
        # A member: their session, their account, and their permissions (the second-factor
        # gate asks whether they hold the programme team's role; the page's persona reuses it).
        (
            "demo-cso-a",
            ["django_session", "stakeholders_user", "auth_permission", "auth_permission"],
        ),
        # A superuser of the programme team: every permission without a query, but the
        # session's verified device is looked up on every request (django-otp).
        ("demo-admin", ["django_session", "stakeholders_user", "otp_totp_totpdevice"]),
    ],
)
def test_a_signed_in_request_asks_only_for_the_session_the_user_and_their_rights(
    client: Client, demo: dict[str, Any], username: str, floor: list[str]
) -> None:
    client.force_login(demo[username])
    client.get("/floor/")
    assert _tables(client, "/floor/") == [
        *floor,
        "BEGIN",
        "recommendations_recommendation",
        "COMMIT",
    ]


def test_an_open_page_looks_up_no_rights(client: Client, demo: dict[str, Any]) -> None:
    """The health check and the language switcher answer anyone: a signed-in member's roles
    are not looked up for them."""
    client.force_login(demo["demo-cso-a"])
    tables = _tables(client, "/health/")
    assert "auth_permission" not in tables
    assert tables[:2] == ["django_session", "stakeholders_user"]
