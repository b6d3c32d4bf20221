"""A signed-in page view writes nothing to the database unless something changed.

The session's last-seen time is written at most once per ``LAST_SEEN_RESOLUTION``, and the
user's list of sessions once per session key (stakeholders/middleware.py); sign-in stamps
(``last_login``, django-axes' log) are written when signing in, never on a page view.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from recommendations.models import Recommendation
from stakeholders.middleware import LAST_SEEN_AT, LAST_SEEN_RESOLUTION, RECORDED_KEY
from stakeholders.models import User, UserSession

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")
PAGES = [
    "/",
    "/trainings/",
    "/recommendations/",
    "/meetings/",
    "/institutions/",
    "/research/",
    "/results/",
]


def _writes(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)
    ]


def _view(client: Client, url: str) -> list[str]:
    """GET a page as the client's user; the statements that wrote something."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return _writes(queries)


def _last_seen(client: Client, seconds_ago: int) -> int:
    session = client.session
    at = int(time.time()) - seconds_ago
    session[LAST_SEEN_AT] = at
    session.save()
    return at


@pytest.mark.parametrize("username", ["demo-admin", "demo-cso-a", "demo-observer"])
def test_a_signed_in_page_view_writes_nothing(
    client: Client, demo: dict[str, Any], username: str
) -> None:
    user = demo[username]
    client.force_login(user)
    last_login = User.objects.get(pk=user.pk).last_login
    recommendation = Recommendation.objects.order_by("pk").first()
    assert recommendation is not None
    pages = [*PAGES, f"/recommendations/{recommendation.pk}/"]
    # Twice round: the first view of a page (nothing kept yet) and a later one.
    for url in pages + pages:
        assert _view(client, url) == [], url
    assert User.objects.get(pk=user.pk).last_login == last_login


def test_the_last_seen_time_is_written_once_the_resolution_has_passed(
    client: Client, demo: dict[str, Any]
) -> None:
    client.force_login(demo["demo-cso-a"])
    _last_seen(client, LAST_SEEN_RESOLUTION + 5)
    (write,) = _view(client, "/trainings/")
    assert write.startswith('UPDATE "django_session"')
    assert int(time.time()) - client.session[LAST_SEEN_AT] < 5
    # Then nothing again until the resolution has passed once more.
    assert _view(client, "/trainings/") == []
    assert _view(client, "/") == []


def test_within_the_resolution_the_last_seen_time_is_left_alone(
    client: Client, demo: dict[str, Any]
) -> None:
    client.force_login(demo["demo-cso-a"])
    at = _last_seen(client, LAST_SEEN_RESOLUTION - 10)
    assert _view(client, "/trainings/") == []
    assert client.session[LAST_SEEN_AT] == at


def test_a_session_is_recorded_under_its_user_once_per_session_key(
    client: Client, demo: dict[str, Any]
) -> None:
    """A session whose key is not on the user's list yet (a session older than the list) is
    added at its next page view, and only then."""
    user = demo["demo-cso-a"]
    client.force_login(user)
    key = client.session.session_key
    session = client.session
    del session[RECORDED_KEY]
    session.save()
    UserSession.objects.filter(user=user).delete()
    writes = _view(client, "/")
    assert any('"stakeholders_usersession"' in sql for sql in writes)
    assert UserSession.objects.filter(user=user, session_key=key).exists()
    assert _view(client, "/") == []
    assert _view(client, "/trainings/") == []
