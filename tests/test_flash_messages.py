"""What an action says afterwards: a box in the page's main content, its kind in words as well
as colour, announced (a status, or an alert for an error) and given the focus."""

from __future__ import annotations

import re

import pytest
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from notifications.choices import Frequency
from tests import factories

pytestmark = pytest.mark.django_db


def _main(html: str) -> str:
    found = re.search(r'<main id="main"[^>]*>(.*)</main>', html, re.S)
    assert found is not None
    return found.group(1)


def test_message_after_saving_shows_in_a_status_box_inside_the_main_content() -> None:
    client = Client()
    client.force_login(factories.UserFactory.create())
    response = client.post(
        reverse("notifications:notification_preferences"),
        {"frequency": Frequency.WEEKLY},
        follow=True,
    )
    main = _main(response.content.decode())
    box = re.search(
        r'<div class="messages" id="messages" tabindex="-1" autofocus>\s*'
        r'<div class="message message-success" role="status">\s*'
        r'<strong class="message-kind">Done:</strong>\s*Your email preference is saved.',
        main,
    )
    assert box is not None, main[:600]
    # Shown once: the next page no longer has it.
    again = client.get(reverse("notifications:notification_preferences")).content.decode()
    assert "Your email preference is saved." not in again


@pytest.mark.parametrize(
    ("level", "kind", "role"),
    [
        (messages.SUCCESS, "Done", "status"),
        (messages.INFO, "Note", "status"),
        (messages.WARNING, "Warning", "status"),
        (messages.ERROR, "Error", "alert"),
    ],
)
def test_each_kind_of_message_names_itself_in_words(level, kind, role) -> None:
    request = RequestFactory().get("/")
    request.user = factories.UserFactory.create()
    request.session = {}  # type: ignore[assignment]
    request._messages = FallbackStorage(request)
    messages.add_message(request, level, "Something happened.")
    html = render_to_string("base.html", request=request)
    tag = messages.DEFAULT_TAGS[level]
    assert re.search(
        rf'<div class="message message-{tag}" role="{role}">\s*'
        rf'<strong class="message-kind">{kind}:</strong>\s*Something happened.',
        _main(html),
    )


def test_an_error_summary_keeps_the_focus_over_a_message() -> None:
    """A form sent back with errors focuses its own summary; the message box waits."""
    request = RequestFactory().get("/")
    request.user = factories.UserFactory.create()
    request.session = {}  # type: ignore[assignment]
    request._messages = FallbackStorage(request)
    messages.error(request, "Something went wrong.")

    class Invalid:
        errors = {"name": ["This field is required."]}

    html = render_to_string("base.html", {"form": Invalid()}, request=request)
    assert '<div class="messages" id="messages" tabindex="-1">' in html
