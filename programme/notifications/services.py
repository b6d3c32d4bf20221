"""Writes for the notifications: tell people things, choose how often to email, send the outbox.

Every email goes through the outbox: it is stored in the same transaction as what caused it,
queued for sending once that transaction commits, and retried with a growing wait until it is
sent or its last try has failed. A periodic sweep sends whatever a lost queue message left.
Account emails (password resets, invitations) are stored as what to make them from and made
only when sent (``builders``), so that no one-time link is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import ngettext

from programme.notifications import account_emails  # noqa: F401 - registers their builders
from programme.notifications.builders import BuiltEmail, builder_exists, email_build
from programme.notifications.choices import (
    OUTBOX_MAX_DELAY_SECONDS,
    EmailStatus,
    Frequency,
    NotificationEmailState,
    NotificationKind,
)
from programme.notifications.models import Notification, NotificationPreference, OutboxEmail
from programme.notifications.selectors import (
    frequency_of,
    institution_members,
    outbox_due,
    programme_team,
)
from stakeholders.models import User

if TYPE_CHECKING:
    from programme.reports.models import Report
    from recommendations.models import ProgressUpdate

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


# --- Preferences ------------------------------------------------------------------------------


@transaction.atomic
def preference_set(*, user: User, frequency: str) -> NotificationPreference:
    """Choose how often to get email. Switching email off drops what waited for a digest."""
    if frequency not in Frequency.values:
        raise ValueError(f"Unknown frequency: {frequency}")
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults={"frequency": frequency}
    )
    if frequency == Frequency.OFF:
        Notification.objects.filter(
            recipient=user, email_state=NotificationEmailState.PENDING
        ).update(email_state=NotificationEmailState.SKIPPED)
    return preference


# --- Notifying --------------------------------------------------------------------------------


@transaction.atomic
def notification_notify(
    *,
    recipients: Iterable[User],
    kind: str,
    key: str,
    url: str,
    params: dict[str, Any] | None = None,
    stage: str = "",
) -> list[Notification]:
    """Tell each recipient once: a key someone was already told about adds nothing.

    Returns the notifications made now. Whoever chose immediate email gets one once this
    transaction commits; the others find it in their digest or only on the page.
    """
    made: list[Notification] = []
    for user in {u.pk: u for u in recipients if u.is_active}.values():
        notification, created = Notification.objects.get_or_create(
            recipient=user,
            key=key,
            defaults={"kind": kind, "stage": stage, "url": url, "params": params or {}},
        )
        if not created:
            continue
        frequency = frequency_of(user=user)
        if frequency == Frequency.OFF or not user.email:
            notification.email_state = NotificationEmailState.SKIPPED
            notification.save(update_fields=["email_state"])
        elif frequency == Frequency.IMMEDIATELY:
            email = _email_for(
                user=user, key=f"notification:{notification.pk}", items=[notification]
            )
            notification.email = email
            notification.email_state = NotificationEmailState.EMAILED
            notification.save(update_fields=["email", "email_state"])
        made.append(notification)
    return made


def notification_read(*, notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])


def notifications_read_all(*, user: User) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def _update_params(update: ProgressUpdate) -> dict[str, Any]:
    return {
        "institution": update.institution.label,
        "number": update.recommendation.number,
        "period": update.period.name,
    }


def notify_update_submitted(*, update: ProgressUpdate, by: User | None) -> list[Notification]:
    """The programme team is told an update waits for their review."""
    stamp = update.submitted_at.isoformat() if update.submitted_at else ""
    return notification_notify(
        recipients=[u for u in programme_team() if u != by],
        kind=NotificationKind.UPDATE_SUBMITTED,
        key=f"update_submitted:{update.pk}:{stamp}",
        url=reverse("recommendations:update_detail", args=[update.pk]),
        params=_update_params(update),
    )


def notify_update_reviewed(*, update: ProgressUpdate, by: User | None) -> list[Notification]:
    """The reporting institution is told its update was returned or approved."""
    from recommendations.choices import UpdateState

    kind = (
        NotificationKind.UPDATE_RETURNED
        if update.state == UpdateState.RETURNED
        else NotificationKind.UPDATE_APPROVED
    )
    stamp = update.reviewed_at.isoformat() if update.reviewed_at else ""
    return notification_notify(
        recipients=[
            u for u in institution_members(institution_ids=[update.institution_id]) if u != by
        ],
        kind=kind,
        key=f"{kind}:{update.pk}:{stamp}",
        url=reverse("recommendations:update_detail", args=[update.pk]),
        params=_update_params(update),
    )


def notify_report_finished(*, report: Report) -> list[Notification]:
    """Whoever asked for a report is told it is ready, or why it failed, with a link to it."""
    if report.requested_by is None or not report.is_finished:
        return []
    return notification_notify(
        recipients=[report.requested_by],
        kind=NotificationKind.REPORT_FINISHED,
        key=f"report:{report.pk}:{report.status}",
        url=report.get_absolute_url(),
        params={
            "status": report.status,
            "report": f"{report.get_kind_display()} {report.subject}".strip(),
            "reason": report.failure_reason,
        },
    )


# --- Emails -----------------------------------------------------------------------------------


def _language_of(user: User) -> str:
    available = dict(settings.LANGUAGES)
    return user.preferred_language if user.preferred_language in available else "en"


def _absolute(path: str) -> str:
    return f"{settings.PLATFORM_URL}{path}"


def _email_for(*, user: User, key: str, items: list[Notification]) -> OutboxEmail:
    """Render one email in the user's language, store it and queue it after the commit."""
    language = _language_of(user)
    with translation.override(language):
        rows = [
            {"text": n.text, "url": _absolute(n.url), "kind": n.get_kind_display()} for n in items
        ]
        digest = len(items) > 1
        if digest:
            subject = ngettext(
                "%(count)s notification from the anti-trafficking platform",
                "%(count)s notifications from the anti-trafficking platform",
                len(items),
            ) % {"count": len(items)}
        else:
            subject = Truncator(rows[0]["text"]).chars(150)
        context = {
            "user": user,
            "items": rows,
            "digest": digest,
            "platform_url": settings.PLATFORM_URL,
            "notifications_url": _absolute(reverse("programme:notification_list")),
            "preferences_url": _absolute(reverse("programme:notification_preferences")),
        }
        text = render_to_string("notifications/notification_email.txt", context)
        html = render_to_string("notifications/notification_email.html", context)
    return outbox_email_create(
        recipient=user,
        to=user.email,
        key=key,
        language=language,
        subject=" ".join(subject.split()),
        text=text,
        html=html,
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
    """Queue the sending job. Where the queue cannot be reached the email stays in the
    outbox and the periodic sweep sends it; the request that made it goes on regardless."""
    from programme.notifications.tasks import outbox_send

    try:
        if countdown is None:
            outbox_send.apply_async((email_id,))
        else:
            outbox_send.apply_async((email_id,), countdown=countdown)
    except Exception:
        logger.warning(
            "Could not queue email %s; the outbox sweep will send it", email_id, exc_info=True
        )
        return False
    return True


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


# --- Digests ----------------------------------------------------------------------------------


def digest_send(*, frequency: str) -> int:
    """One email per person with notifications waiting, for those who chose this frequency.

    Daily digests also take whatever waits for people who switched to immediate email. A
    second run finds nothing waiting and sends nothing. Returns the number of emails made.
    """
    wanted = (
        {Frequency.DAILY, Frequency.IMMEDIATELY}
        if frequency == Frequency.DAILY
        else {Frequency.WEEKLY}
    )
    waiting = (
        Notification.objects.filter(email_state=NotificationEmailState.PENDING)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    made = 0
    for user in User.objects.filter(pk__in=waiting).order_by("pk"):
        if frequency_of(user=user) not in wanted:
            continue
        with transaction.atomic():
            items = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(recipient=user, email_state=NotificationEmailState.PENDING)
                .order_by("created_at", "pk")
            )
            if not items:
                continue
            ids = [n.pk for n in items]
            if not user.email or not user.is_active:
                Notification.objects.filter(pk__in=ids).update(
                    email_state=NotificationEmailState.SKIPPED
                )
                continue
            email = _email_for(user=user, key=f"digest:{user.pk}:{ids[-1]}", items=items)
            Notification.objects.filter(pk__in=ids).update(
                email=email, email_state=NotificationEmailState.EMAILED
            )
            made += 1
    return made


def jobs_in_process() -> bool:
    """Whether jobs run inside the web process (no task queue configured), as the UI says."""
    return bool(settings.CELERY_TASK_ALWAYS_EAGER)
