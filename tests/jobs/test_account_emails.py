"""Account emails (password resets, invitations, membership requests) through the outbox, on a
real worker, a real Redis and a real SMTP server that is down when they are asked for.

The web requests run in this process with an SMTP backend pointed at the stopped server, as in
production: a request that spoke to the mail server would fail here.
"""

from __future__ import annotations

import json
import re
import time
from email.message import EmailMessage
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.test import Client

from core import tasks as core_tasks
from core.choices import EmailStatus
from core.models import OutboxEmail
from stakeholders.models import Membership, MembershipRequest, User
from stakeholders.services import membership_set
from tests import factories
from tests.jobs.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery staple"


def _text(message: EmailMessage) -> str:
    return "".join(
        part.get_content() for part in message.walk() if part.get_content_type() == "text/plain"
    )


def _stored(row: OutboxEmail) -> str:
    """Everything the row keeps, as text."""
    return json.dumps(model_to_dict(row), default=str)


def _answer(client: Client, response: Any, typed: str) -> tuple[Any, ...]:
    """What the inviter is told, with the address they typed taken out."""
    shown = client.get(response["Location"])  # the page that shows (and uses up) the messages
    notes = [str(m).replace(typed, "<email>") for m in shown.context["messages"]]
    return response.status_code, response["Location"], notes


def test_smtp_down_resets_and_invitations_answer_alike_and_arrive_once_it_is_back(
    broker, start_worker, smtp_sink, settings
) -> None:
    smtp_sink.stop()  # the mail server is down from the start
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_sink.port
    User.objects.create_user("elena", email="elena@example.org", password=PASSWORD)
    arta = User.objects.create_user("arta", email="arta@example.org", password=PASSWORD)
    shelter = factories.InstitutionFactory.create(name="Demo Shelter")
    focal_point = User.objects.create_user("focal", email="focal@example.org", password=PASSWORD)
    membership_set(user=focal_point, institution=shelter, role="focal_point")
    web = Client(raise_request_exception=False)

    # A reset for an address with an account and for one without: the same answer.
    known = web.post("/accounts/password-reset/", {"email": "elena@example.org"})
    unknown = web.post("/accounts/password-reset/", {"email": "nobody@example.org"})
    assert (known.status_code, known["Location"]) == (302, "/accounts/password-reset/sent/")
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])

    # An invitation for a new address and for an existing account: the same answer.
    web.force_login(focal_point)
    invite = f"/institutions/{shelter.pk}/members/invite/"
    answers = []
    for typed in ("new.member@example.org", "arta@example.org"):
        response = web.post(
            invite,
            {
                "email": typed,
                "first_name": "A",
                "last_name": "B",
                "role": "editor",
                "language": "en",
            },
        )
        answers.append(_answer(web, response, typed))
    assert answers[0] == answers[1]
    assert answers[0][:2] == (302, f"/institutions/{shelter.pk}/")
    new_member = User.objects.get(email="new.member@example.org")
    assert Membership.objects.filter(user=new_member, institution=shelter).exists()
    assert not Membership.objects.filter(user=arta).exists()
    assert MembershipRequest.objects.filter(user=arta, institution=shelter).exists()

    # Before sending: one row for each, holding what to make the email from, never a link.
    rows = {row.to: row for row in OutboxEmail.objects.all()}
    assert set(rows) == {
        "elena@example.org",
        "nobody@example.org",
        "new.member@example.org",
        "arta@example.org",
    }
    for row in rows.values():
        assert row.status == EmailStatus.PENDING and row.build
        assert (row.body_text, row.body_html) == ("", "")
        assert "/accounts/" not in _stored(row) and "token" not in _stored(row)

    start_worker()
    unknown_row = rows["nobody@example.org"]
    wait_for(
        lambda: OutboxEmail.objects.get(pk=unknown_row.pk).status == EmailStatus.CLOSED,
        what="the reset for an unknown address to be closed",
    )
    others = [row.pk for to, row in rows.items() if to != "nobody@example.org"]
    wait_for(
        lambda: all(row.attempts >= 2 for row in OutboxEmail.objects.filter(pk__in=others)),
        what="two failed tries of each email while SMTP is down",
    )
    for row in OutboxEmail.objects.filter(pk__in=others):
        assert row.status == EmailStatus.PENDING and (row.body_text, row.body_html) == ("", "")
        assert "Connection refused" in row.last_error or "ConnectionRefused" in row.last_error
    assert smtp_sink.received == []

    smtp_sink.start()  # the mail server is back
    wait_for(
        lambda: OutboxEmail.objects.filter(pk__in=others, status=EmailStatus.SENT).count() == 3,
        timeout=60,
        what="the three emails to be sent once SMTP is back",
    )
    core_tasks.jobs_sweep.delay()  # a sweep after they were sent sends nothing more
    time.sleep(3)
    received = {message["To"]: message for message in smtp_sink.messages}
    assert len(smtp_sink.received) == 3 and len(received) == 3  # exactly once each
    assert set(received) == {"elena@example.org", "new.member@example.org", "arta@example.org"}
    assert "/accounts/password-reset/" in _text(received["elena@example.org"])
    assert "/accounts/invitation/" in _text(received["new.member@example.org"])
    assert "Demo Shelter asks you to join it" in received["arta@example.org"]["Subject"]
    assert "/accounts/" not in _text(received["arta@example.org"])

    # After sending: no body is kept, nor any link.
    for row in OutboxEmail.objects.all():
        assert (row.body_text, row.body_html) == ("", "")
        assert "/accounts/" not in _stored(row)

    # The link made at sending time works.
    found = re.search(
        r"https?://[^/\s]+(/accounts/password-reset/\S+/)", _text(received["elena@example.org"])
    )
    assert found
    page = Client().get(found.group(1), follow=True)
    assert page.redirect_chain[-1][0].endswith("/set-password/")
