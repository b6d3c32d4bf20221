"""A private calendar address: kept hashed, shown once, replaced or stopped by its owner."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from calendars.models import CalendarAddress
from calendars.services import calendar_address_create
from stakeholders.models import User
from tests import factories

pytestmark = pytest.mark.django_db

FEED = re.compile(r"https?://[^\s\"<]+/calendars/feed/([A-Za-z0-9_-]+)\.ics")


def _signed_in(client: Client) -> User:
    user: User = factories.UserFactory.create()
    client.force_login(user)
    return user


def _create_by_post(client: Client) -> str:
    response = client.post(reverse("calendars:address_create"))
    assert response.status_code == 200
    match = FEED.search(response.content.decode())
    assert match, "the new address is not on the page"
    return match.group(1)


def _feed(token: str) -> int:
    return Client().get(reverse("calendars:feed", kwargs={"token": token})).status_code


def test_the_address_is_kept_hashed_and_shown_once(client: Client) -> None:
    user = _signed_in(client)
    token = _create_by_post(client)
    address = CalendarAddress.objects.get(user=user)
    assert address.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert len(token) >= 43  # 32 random bytes
    stored = " ".join(str(v) for v in CalendarAddress.objects.values_list().get())
    assert token not in stored
    page = client.get(reverse("calendars:settings")).content.decode()
    assert token not in page
    assert FEED.search(page) is None
    assert _feed(token) == 200


def test_a_new_address_replaces_the_old_one(client: Client) -> None:
    user = _signed_in(client)
    first = _create_by_post(client)
    second = _create_by_post(client)
    assert first != second
    assert _feed(first) == 404
    assert _feed(second) == 200
    assert CalendarAddress.objects.filter(user=user, revoked_at__isnull=True).count() == 1
    assert CalendarAddress.objects.filter(user=user).count() == 2


def test_stopping_the_address_makes_it_answer_not_found(client: Client) -> None:
    user = _signed_in(client)
    token = _create_by_post(client)
    response = client.post(reverse("calendars:address_revoke"))
    assert response.status_code == 302
    assert response["Location"] == reverse("calendars:settings")
    assert _feed(token) == 404
    assert not CalendarAddress.objects.filter(user=user, revoked_at__isnull=True).exists()
    page = client.get(reverse("calendars:settings")).content.decode()
    assert 'action="/calendars/address/new/"' in page  # offers to create one again


def test_confirmation_pages_change_nothing(client: Client) -> None:
    user = _signed_in(client)
    token = calendar_address_create(user=user).token
    for name in ("calendars:address_create", "calendars:address_revoke"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert b'method="post"' in response.content
    assert _feed(token) == 200


def test_an_unknown_token_or_a_deactivated_account_answers_not_found() -> None:
    user: User = factories.UserFactory.create()
    token = calendar_address_create(user=user).token
    assert _feed(token[:-1] + ("A" if token[-1] != "A" else "B")) == 404
    assert _feed(token) == 200
    user.is_active = False
    user.save()
    assert _feed(token) == 404


def _address_writes(token: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert _feed(token) == 200
    return sum(
        1
        for q in queries.captured_queries
        if q["sql"].startswith("UPDATE") and "calendars_calendaraddress" in q["sql"]
    )


def test_last_use_is_written_at_most_once_an_hour() -> None:
    user: User = factories.UserFactory.create()
    token = calendar_address_create(user=user).token
    assert _address_writes(token) == 1
    assert _address_writes(token) == 0
    address = CalendarAddress.objects.get(user=user)
    assert address.last_used_at is not None
    CalendarAddress.objects.filter(pk=address.pk).update(
        last_used_at=timezone.now() - timedelta(minutes=61)
    )
    assert _address_writes(token) == 1


def test_the_settings_page_says_when_the_address_was_made_and_last_used(client: Client) -> None:
    user = _signed_in(client)
    token = calendar_address_create(user=user).token
    page = client.get(reverse("calendars:settings")).content.decode()
    assert "not yet" in page
    assert _feed(token) == 200
    page = client.get(reverse("calendars:settings")).content.decode()
    assert "not yet" not in page
    assert reverse("calendars:address_revoke") in page


def test_the_personal_feed_is_private_and_a_calendar() -> None:
    user: User = factories.UserFactory.create()
    token = calendar_address_create(user=user).token
    response = Client().get(reverse("calendars:feed", kwargs={"token": token}))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert 'filename="calendar.ics"' in response["Content-Disposition"]
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
    assert Client().post(reverse("calendars:feed", kwargs={"token": token})).status_code == 405


def test_the_preferences_page_links_to_the_calendar_settings(client: Client) -> None:
    _signed_in(client)
    page = client.get(reverse("notifications:notification_preferences")).content.decode()
    assert reverse("calendars:settings") in page


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
def test_the_calendar_pages_answer_in_each_language(client: Client, language: str) -> None:
    user: User = factories.UserFactory.create(preferred_language=language)
    client.force_login(user)
    for name in ("calendars:settings", "calendars:address_create", "calendars:address_revoke"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert f'<html lang="{language}"' in response.content.decode()
    response = client.post(reverse("calendars:address_create"))
    assert f'<html lang="{language}"' in response.content.decode()
    assert FEED.search(response.content.decode())
