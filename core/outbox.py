"""The email outbox: every email the platform sends is stored first, sent by a job, retried.

An email is stored in the same transaction as what caused it, queued for sending once that
transaction commits, and retried with a growing wait until it is sent or its last try has
failed; the jobs' sweep (core.jobs) sends whatever a lost queue message left. An email whose
body holds a secret (a one-time link) is stored as a kind and its arguments, and made only when
it is sent by the builder registered under that kind (``builder_register``): the account
emails register theirs (stakeholders.account_emails). The outbox knows no kind itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from core.choices import OUTBOX_MAX_DELAY_SECONDS, EmailStatus
from core.jobs import job_enqueue
from core.models import OutboxEmail

if TYPE_CHECKING:
    from stakeholders.models import User

logger = logging.getLogger(__name__)

# What outbox_email_send did with an email.
SENT, RETRY, FAILED, NOT_DUE, DONE_BEFORE, BUSY, CLOSED = (
    "sent",
    "retry",
    "failed",
    "not_due",
    "done_before",
    "busy",
    "closed",
)


# --- Emails made when sent -------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltEmail:
    """An email made at sending time; it lives in memory only."""

    to: str
    language: str
    subject: str
    text: str
    html: str
    recipient_id: int | None = None


# A builder gets the outbox row and makes its email, or None when there is nothing to send
# (the address has no account, the invitation was taken up): the row is then closed.
Builder = Callable[["OutboxEmail"], BuiltEmail | None]

_builders: dict[str, Builder] = {}


def builder_register(name: str, builder: Builder) -> None:
    if not name:
        raise ValueError("A builder needs a name")
    _builders[name] = builder


def builder_exists(name: str) -> bool:
    return name in _builders


def email_build(email: OutboxEmail) -> BuiltEmail | None:
    builder = _builders.get(email.build)
    if builder is None:
        raise LookupError(f"No email builder is registered as {email.build!r}")
    return builder(email)


# --- The outbox --------------------------------------------------------------------------------


def outbox_due(*, now: datetime, limit: int = 500) -> list[int]:
    """Emails whose next try has come, oldest first."""
    return list(
        OutboxEmail.objects.filter(status=EmailStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def outbox_email_create(
    *,
    recipient: User | None,
    to: str,
    key: str,
    language: str,
    subject: str,
    text: str,
    html: str,
) -> OutboxEmail:
    """Store an email to send; it is queued once the surrounding transaction commits.

    The same key gives back the email already stored: nothing is ever sent twice.
    """
    email, created = OutboxEmail.objects.get_or_create(
        key=key,
        defaults={
            "recipient": recipient,
            "to": to,
            "language": language,
            "subject": subject[:255],
            "body_text": text,
            "body_html": html,
        },
    )
    if created:
        transaction.on_commit(partial(outbox_enqueue, email.pk))
    return email


def outbox_email_build_queue(
    *,
    build: str,
    args: dict[str, Any],
    to: str,
    key: str,
    language: str,
    recipient: User | None = None,
) -> OutboxEmail:
    """Store an email that is made only when it is sent, from ``args`` by the builder
    registered as ``build``; it is queued once the surrounding transaction commits.

    Nothing secret is stored: ``args`` names what to make the email from (ids, an address),
    never a link. The same key gives back the email already stored.
    """
    if not builder_exists(build):
        raise ValueError(f"No email builder is registered as {build!r}")
    available = dict(settings.LANGUAGES)
    email, created = OutboxEmail.objects.get_or_create(
        key=key,
        defaults={
            "recipient": recipient,
            "to": to,
            "language": language if language in available else settings.LANGUAGE_CODE,
            "build": build,
            "build_args": args,
        },
    )
    if created:
        transaction.on_commit(partial(outbox_enqueue, email.pk))
    return email


def outbox_enqueue(email_id: int, countdown: float | None = None) -> bool:
    """Queue the sending job now. Where the queue cannot be reached the email stays in the
    outbox and the sweep sends it; the request that made it goes on regardless."""
    return job_enqueue(outbox_send, email_id, countdown=countdown, what=f"email {email_id}")


def outbox_retry_delay(*, attempts: int) -> timedelta:
    """The wait after the given number of failed tries: it doubles each time, up to a cap."""
    base = settings.OUTBOX_RETRY_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), OUTBOX_MAX_DELAY_SECONDS))


def _message(email: OutboxEmail, built: BuiltEmail | None = None) -> EmailMultiAlternatives:
    """The message to hand to the mail server: the stored email, or the one just ``built``."""
    if built is None:
        built = BuiltEmail(
            to=email.to,
            language=email.language,
            subject=email.subject,
            text=email.body_text,
            html=email.body_html,
        )
    domain = urlsplit(settings.PLATFORM_URL).hostname or "localhost"
    message = EmailMultiAlternatives(
        subject=built.subject,
        body=built.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[built.to],
        headers={
            # The same email keeps the same id, so a receiving server can drop a repeat.
            "Message-ID": f"<outbox.{email.pk}.{email.created_at:%Y%m%d%H%M%S}@{domain}>",
            "Auto-Submitted": "auto-generated",
            "Content-Language": built.language,
        },
        connection=get_connection(fail_silently=False),
    )
    message.attach_alternative(built.html, "text/html")
    return message


def _close(email: OutboxEmail) -> str:
    """Nothing to send (the address has no account, the invitation was taken up)."""
    email.status = EmailStatus.CLOSED
    email.last_error = ""
    email.body_text = email.body_html = ""
    email.save(update_fields=["attempts", "status", "last_error", "body_text", "body_html"])
    logger.info("Email %s (%s) closed: nothing to send", email.pk, email.build)
    return CLOSED


def outbox_email_send(*, email_id: int) -> str:
    """Try to send one email of the outbox once, if it is due; record how it went.

    The row stays locked while the mail server is spoken to, so two workers never send the
    same email; a sent, failed or closed email is left alone. An email made when sent is made
    now, and its body is never written to the row.
    """
    now = timezone.now()
    with transaction.atomic():
        email = OutboxEmail.objects.select_for_update(skip_locked=True).filter(pk=email_id).first()
        if email is None:
            return BUSY
        if email.status != EmailStatus.PENDING:
            return DONE_BEFORE
        if email.next_attempt_at > now:
            return NOT_DUE
        email.attempts += 1
        built: BuiltEmail | None = None
        try:
            if email.build:
                with transaction.atomic():  # a builder's failed write leaves the row usable
                    built = email_build(email)
            if email.build and built is None:
                return _close(email)
            _message(email, built).send()
        except Exception as exc:
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                email.status = EmailStatus.FAILED
                logger.error("Email %s failed after %s tries: %s", email.pk, email.attempts, exc)
                outcome = FAILED
            else:
                email.next_attempt_at = now + outbox_retry_delay(attempts=email.attempts)
                logger.warning("Email %s: try %s failed: %s", email.pk, email.attempts, exc)
                outcome = RETRY
        else:
            email.status = EmailStatus.SENT
            email.sent_at = timezone.now()
            email.last_error = ""
            if built is not None:
                # What was sent, minus the body (never written; cleared should one be
                # there): the subject says what it was.
                email.body_text = email.body_html = ""
                email.subject = built.subject[:255]
                email.language = built.language
                email.recipient_id = built.recipient_id
            outcome = SENT
        email.save(
            update_fields=[
                "attempts",
                "status",
                "next_attempt_at",
                "last_error",
                "sent_at",
                "subject",
                "body_text",
                "body_html",
                "language",
                "recipient",
            ]
        )
    return outcome


def outbox_email_retry(*, email: OutboxEmail) -> None:
    """Give a failed email another round of tries (the admin's "send again")."""
    OutboxEmail.objects.filter(pk=email.pk, status=EmailStatus.FAILED).update(
        status=EmailStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    transaction.on_commit(partial(outbox_enqueue, email.pk))


def outbox_sweep() -> int:
    """Queue every email whose next try has come, including any whose queue message was lost."""
    due = outbox_due(now=timezone.now())
    for email_id in due:
        outbox_enqueue(email_id)
    return len(due)


# --- The job ----------------------------------------------------------------------------------


@shared_task(name="core.outbox_send", acks_late=True)
def outbox_send(email_id: int) -> str:
    """Send one email of the outbox; after a failed try, queue the next one.

    A retry is queued only while its wait is well inside the broker's visibility timeout, so
    Redis never hands the same message out twice; longer waits are left to the sweep.
    """
    outcome = outbox_email_send(email_id=email_id)
    if outcome == RETRY and not settings.CELERY_TASK_ALWAYS_EAGER:
        email = OutboxEmail.objects.filter(pk=email_id).only("next_attempt_at").first()
        if email is not None:
            wait = max((email.next_attempt_at - timezone.now()).total_seconds(), 0)
            if wait < settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] / 2:
                outbox_enqueue(email_id, countdown=wait)
    return outcome
