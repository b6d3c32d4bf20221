"""Writes for the notifications: tell people things, choose how often to email, send the outbox.

Every email goes through the platform's outbox (core.outbox): stored in the same transaction
as what caused it, sent by a job once that transaction commits, retried until sent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import ngettext

from core.models import OutboxEmail
from core.outbox import outbox_email_create
from notifications.choices import (
    Frequency,
    NotificationEmailState,
    NotificationKind,
)
from notifications.models import Notification, NotificationPreference
from notifications.selectors import (
    frequency_of,
    institution_members,
    programme_team,
)
from programme.choices import ValueState
from recommendations.choices import UpdateState
from stakeholders import account_emails  # noqa: F401 - registers their builders
from stakeholders.models import User

if TYPE_CHECKING:
    from programme.models import IndicatorValue
    from recommendations.models import ProgressUpdate
    from reports.models import Report
    from stakeholders.models import Institution

logger = logging.getLogger(__name__)

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
def institution_params(institution: Institution | None) -> dict[str, Any]:
    """An institution named in a notification: its short name in each language, so the text
    names it in the reader's language whenever it is shown (the English one for texts kept
    from before)."""
    if institution is None:
        return {"institution": ""}
    names = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names[code] = institution.label
    return {"institution": names[settings.LANGUAGE_CODE], "institution_names": names}


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
        **institution_params(update.institution),
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
        params=_update_params(update) | _comment_params(update.reviewer_comment),
    )


def _comment_params(comment: str) -> dict[str, Any]:
    """The reviewer's comment, which the notice and its email carry word for word."""
    comment = comment.strip()
    return {"comment": comment} if comment else {}


def _value_params(value: IndicatorValue) -> dict[str, Any]:
    responsible = value.indicator.responsible
    params = {
        "indicator": value.indicator.code,
        "period": value.period.name,
        **institution_params(responsible),
    }
    if responsible is None:
        params["status"] = "team"  # the programme team enters it: no institution to name
    return params


def notify_value_submitted(*, value: IndicatorValue, by: User | None) -> list[Notification]:
    """The programme team is told a reported indicator value waits for their review."""
    stamp = value.submitted_at.isoformat() if value.submitted_at else ""
    return notification_notify(
        recipients=[u for u in programme_team() if u != by],
        kind=NotificationKind.VALUE_SUBMITTED,
        key=f"value_submitted:{value.pk}:{stamp}",
        url=reverse("programme:value_detail", args=[value.pk]),
        params=_value_params(value),
    )


def notify_value_reviewed(*, value: IndicatorValue, by: User | None) -> list[Notification]:
    """The institution that reports the value is told it was returned or approved; for an
    indicator the programme team enters, whoever created the value."""
    kind = (
        NotificationKind.VALUE_RETURNED
        if value.state == ValueState.RETURNED
        else NotificationKind.VALUE_APPROVED
    )
    responsible_id = value.indicator.responsible_id
    if responsible_id is not None:
        told = institution_members(institution_ids=[responsible_id])
    else:
        told = [value.created_by] if value.created_by is not None else []
    stamp = value.reviewed_at.isoformat() if value.reviewed_at else ""
    return notification_notify(
        recipients=[u for u in told if u != by],
        kind=kind,
        key=f"{kind}:{value.pk}:{stamp}",
        url=reverse("programme:value_detail", args=[value.pk]),
        params=_value_params(value) | _comment_params(value.reviewer_comment),
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
            {
                "text": n.text,
                "comment": n.comment,
                "url": _absolute(n.url),
                "kind": n.get_kind_display(),
            }
            for n in items
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
            "notifications_url": _absolute(reverse("notifications:notification_list")),
            "preferences_url": _absolute(reverse("notifications:notification_preferences")),
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
