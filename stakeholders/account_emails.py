"""The account emails' builders: made by the worker when it sends them, never stored.

Each looks up, at that moment, whom the email is for. A password reset for an address
with no active account, an invitation already taken up, a membership request answered or
withdrawn: nothing is sent and the outbox row is closed. The one-time links are made here
and live only in the message handed to the mail server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.urls import reverse

from core.outbox import BuiltEmail, builder_register, outbox_email_build_queue
from stakeholders import emails, tokens
from stakeholders.choices import MembershipRequestState
from stakeholders.models import Membership, MembershipRequest, User

if TYPE_CHECKING:
    from core.models import OutboxEmail


def _built(*, user: User, template: str, context: dict[str, Any], language: str) -> BuiltEmail:
    subject, text, html = emails.account_email_render(
        template=template, context=context, language=language
    )
    return BuiltEmail(
        to=user.email,
        language=language,
        subject=subject,
        text=text,
        html=html,
        recipient_id=user.pk,
    )


def password_reset_build(email: OutboxEmail) -> BuiltEmail | None:
    """A link to choose a new password, for the active account with the typed address.

    Should several accounts share the address, each gets its own email: the first in this
    row, the others in rows of their own (made once, however often this runs).
    """
    args = email.build_args
    address = str(args.get("email", ""))
    accounts = [
        user
        for user in User.objects.filter(email__iexact=address, is_active=True).order_by("pk")
        if user.email.casefold() == address.casefold()
    ]
    if "user" in args:
        accounts = [user for user in accounts if user.pk == args["user"]]
    else:
        for other in accounts[1:]:
            outbox_email_build_queue(
                build=emails.PASSWORD_RESET,
                to=email.to,
                key=f"{email.key}:{other.pk}",
                args={**args, "user": other.pk},
                language=email.language,
                recipient=other,
            )
    if not accounts:
        return None
    user = accounts[0]
    return _built(
        user=user,
        template="registration/password_reset",
        context={
            "user": user,
            "link": tokens.password_reset_link(user),
            "valid_hours": tokens.link_valid_hours(),
        },
        language=emails.email_language(user, fallback=str(args.get("language", ""))),
    )


def invitation_build(email: OutboxEmail) -> BuiltEmail | None:
    """A link to choose a first password, while the member has not taken the invitation up."""
    args = email.build_args
    user = User.objects.filter(pk=args.get("user"), is_active=True).first()
    membership = (
        Membership.objects.select_related("institution")
        .filter(user_id=args.get("user"), institution_id=args.get("institution"))
        .first()
    )
    if user is None or membership is None or not emails.awaits_invitation(user):
        return None
    invited_by = (
        User.objects.filter(pk=args["invited_by"]).first() if args.get("invited_by") else None
    )
    return _built(
        user=user,
        template="registration/invitation",
        context={
            "user": user,
            "membership": membership,
            "institution": membership.institution,
            "invited_by": invited_by,
            "link": tokens.invitation_link(user),
            "valid_hours": tokens.link_valid_hours(),
        },
        language=emails.email_language(user, fallback=str(args.get("language", ""))),
    )


def membership_request_build(email: OutboxEmail) -> BuiltEmail | None:
    """Tells someone an institution asks them to join, while the request still waits."""
    request = (
        MembershipRequest.objects.select_related("institution", "user", "requested_by")
        .filter(
            pk=email.build_args.get("request"),
            state=MembershipRequestState.PENDING,
            user__is_active=True,
        )
        .first()
    )
    if request is None:
        return None
    user = request.user
    return _built(
        user=user,
        template="registration/membership_request",
        context={
            "user": user,
            "request": request,
            "institution": request.institution,
            "requested_by": request.requested_by,
            "link": f"{settings.PLATFORM_URL}{reverse('stakeholders:membership_request_list')}",
        },
        language=emails.email_language(user, fallback=str(email.build_args.get("language", ""))),
    )


builder_register(emails.PASSWORD_RESET, password_reset_build)
builder_register(emails.INVITATION, invitation_build)
builder_register(emails.MEMBERSHIP_REQUEST, membership_request_build)
