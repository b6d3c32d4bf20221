"""Writes about institutions and their members."""

from __future__ import annotations

import logging
from importlib import import_module

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import verify_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from stakeholders import emails, object_permissions
from stakeholders.auth import login_throttle_reset
from stakeholders.choices import (
    AccountEventKind,
    InstitutionKind,
    MembershipRequestState,
    MembershipRole,
)
from stakeholders.models import (
    AccountEvent,
    Institution,
    Membership,
    MembershipRequest,
    User,
    UserSession,
)
from stakeholders.roles import holds_programme_team_role
from stakeholders.selectors import persona_for

log = logging.getLogger(__name__)


@transaction.atomic
def institution_create(*, name: str, kind: str, language: str, by: User) -> Institution:
    """Add an institution under the name it was met by (in a spreadsheet), in that language.

    The programme team's: others answer ``PermissionDenied``. A name that another institution
    already has, in any language, is refused.
    """
    if not persona_for(by).is_programme_team:
        raise PermissionDenied
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(_("The institution needs a name."))
    if kind not in InstitutionKind.values:
        raise ValidationError(_("Choose what kind of institution it is."))
    taken = Q()
    for code, _label in settings.LANGUAGES:
        taken |= Q(**{f"name_{code}__iexact": name}) | Q(**{f"short_name_{code}__iexact": name})
    if Institution.objects.filter(taken).exists():
        raise ValidationError(_("An institution with this name already exists."))
    language = language if language in dict(settings.LANGUAGES) else "en"
    # The English name is the fallback every page and export can show: it is the name met
    # until someone translates it.
    institution = Institution(kind=kind, **{"name_en": name, f"name_{language}": name})
    institution.full_clean()
    institution.save()
    log.info("Institution %s added by %s", institution.pk, by.pk)
    return institution


@transaction.atomic
def membership_set(*, user: User, institution: Institution, role: str) -> Membership:
    """Make a user a member of an institution with a role, or change their role."""
    membership, _created = Membership.objects.update_or_create(
        user=user, institution=institution, defaults={"role": role}
    )
    membership.full_clean()
    object_permissions.membership_sync(user=user)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by: User | None = None) -> None:
    """End a membership; the user loses what the institution gave them at once."""
    if by is not None and by.pk == membership.user_id:
        raise ValidationError(_("You cannot remove yourself; ask another focal point."))
    user = membership.user
    membership.delete()
    object_permissions.membership_sync(user=user)


def _username_for(email: str) -> str:
    """The email itself is the username (Django allows @ and dots); numbered if taken."""
    base = email.lower()[:140]
    candidate, n = base, 2
    while User.objects.filter(username__iexact=candidate).exists():
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _out_of_reach(user: User) -> bool:
    """Accounts an invitation never touches: deactivated ones (only the programme team
    reactivates, ``user_reactivate``), staff, superusers, the programme team, and observers
    (members of an EU body)."""
    return (
        not user.is_active
        or user.is_staff
        or user.is_superuser
        or holds_programme_team_role(user)
        or Membership.objects.filter(user=user, institution__kind=InstitutionKind.EU_BODY).exists()
    )


@transaction.atomic
def member_invite(
    *,
    institution: Institution,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    by: User | None,
    language: str = "",
) -> None:
    """Invite a person to an institution by email. The inviter is never told what happened:
    the page answers the same whatever the address.

    - No account uses the address: a new one is made, active but with no usable password, a
      member with ``role``; its owner chooses a password from the invitation emailed to them
      (in ``language``, which becomes their preferred one).
    - An invited member of this institution who never took the invitation up is invited again
      (with ``role``).
    - Anyone else with an active account gets a membership request: nothing changes until they
      accept it on the platform.
    - A deactivated account, staff, a superuser, the programme team or an observer gets
      nothing: no request, no email, no change.

    Emails go through the outbox, at most one per person and institution in each window.
    """
    email = User.objects.normalize_email(email.strip())
    validate_email(email)
    if role not in MembershipRole.values:
        raise ValidationError({"role": _("Choose focal point, editor or viewer.")})
    accounts = list(User.objects.filter(email__iexact=email).order_by("pk"))
    if (
        by is not None
        and any(user.pk == by.pk for user in accounts)
        and Membership.objects.filter(user=by, institution=institution).exists()
    ):
        raise ValidationError(_("You cannot change your own role; ask another focal point."))
    if not accounts:
        user = User(
            username=_username_for(email),
            email=email,
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            is_active=True,
            preferred_language=language if language in dict(settings.LANGUAGES) else "",
        )
        user.set_unusable_password()
        user.full_clean()
        user.save()
        membership_set(user=user, institution=institution, role=role)
        _invitation_queue(user=user, institution=institution, by=by, language=language)
        log.info("Account %s made and invited to institution %s.", user.pk, institution.pk)
        return
    if any(_out_of_reach(user) for user in accounts):
        log.info(
            "Invitation to institution %s by %s left alone: account %s is out of reach.",
            institution.pk,
            by and by.pk,
            accounts[0].pk,
        )
        return
    user = accounts[0]
    membership = Membership.objects.filter(user=user, institution=institution).first()
    if membership is not None and emails.awaits_invitation(user):
        membership_set(user=user, institution=institution, role=role)
        _invitation_queue(user=user, institution=institution, by=by, language=language)
        return
    if membership is not None and membership.role == role:
        return  # nothing to ask
    membership_request_make(institution=institution, user=user, role=role, by=by, language=language)


def _invitation_queue(
    *, user: User, institution: Institution, by: User | None, language: str
) -> None:
    """Queue the invitation; the worker makes its link when it sends it."""
    emails.account_email_queue(
        build=emails.INVITATION,
        to=user.email,
        key=f"invitation:{user.pk}:{institution.pk}:{emails.current_window()}",
        args={
            "user": user.pk,
            "institution": institution.pk,
            "invited_by": by.pk if by is not None else None,
            "language": emails.email_language(user, fallback=language),
        },
        language=emails.email_language(user, fallback=language),
        recipient=user,
    )


def password_reset_request(*, email: str, language: str) -> None:
    """Queue a password reset for the typed address, whatever it is.

    The request stores one outbox row and nothing else, so it answers alike, as fast, for an
    address with an account and one without; the worker looks the account up when it sends
    (and closes the row when there is none). At most one per address in each window.
    """
    address = email.strip()
    with transaction.atomic():
        emails.account_email_queue(
            build=emails.PASSWORD_RESET,
            to=address,
            key=f"password_reset:{emails.address_key(address)}:{emails.current_window()}",
            args={"email": address, "language": language},
            language=language,
        )


# --- Membership requests ---------------------------------------------------------------------


@transaction.atomic
def membership_request_make(
    *, institution: Institution, user: User, role: str, by: User | None, language: str = ""
) -> MembershipRequest:
    """Ask someone who has an account to join an institution; they are emailed that a request
    waits. Asked again while one waits, the request takes the new role (no second email)."""
    request = (
        MembershipRequest.objects.select_for_update()
        .filter(institution=institution, user=user, state=MembershipRequestState.PENDING)
        .first()
    )
    if request is not None:
        request.role, request.requested_by = role, by
        request.full_clean()
        request.save(update_fields=["role", "requested_by"])
        return request
    request = MembershipRequest(institution=institution, user=user, role=role, requested_by=by)
    request.full_clean()
    request.save()
    in_language = emails.email_language(user, fallback=language)
    emails.account_email_queue(
        build=emails.MEMBERSHIP_REQUEST,
        to=user.email,
        key=f"membership_request:{request.pk}",
        args={"request": request.pk, "language": in_language},
        language=in_language,
        recipient=user,
    )
    log.info("Membership request %s made by %s.", request.pk, by and by.pk)
    return request


def _answer(request: MembershipRequest, *, by: User, state: str) -> MembershipRequest:
    locked = MembershipRequest.objects.select_for_update().get(pk=request.pk)
    if locked.state != MembershipRequestState.PENDING:
        raise ValidationError(_("This request has already been answered or withdrawn."))
    locked.state, locked.answered_at = state, timezone.now()
    locked.save(update_fields=["state", "answered_at"])
    log.info("Membership request %s %s by %s.", locked.pk, state, by.pk)
    return locked


@transaction.atomic
def membership_request_accept(*, request: MembershipRequest, by: User) -> Membership:
    """The person asked joins the institution with the role asked for; the request records
    when they accepted."""
    if by.pk != request.user_id or not by.is_active:
        raise ValidationError(_("Only the person asked can answer this request."))
    request = _answer(request, by=by, state=MembershipRequestState.ACCEPTED)
    return membership_set(user=request.user, institution=request.institution, role=request.role)


@transaction.atomic
def membership_request_decline(*, request: MembershipRequest, by: User) -> None:
    """The person asked says no: nothing changes but the request's state."""
    if by.pk != request.user_id:
        raise ValidationError(_("Only the person asked can answer this request."))
    _answer(request, by=by, state=MembershipRequestState.DECLINED)


def membership_requests_withdraw(*, user: User) -> int:
    """Withdraw every request still waiting for the user (their account is deactivated)."""
    return MembershipRequest.objects.filter(user=user, state=MembershipRequestState.PENDING).update(
        state=MembershipRequestState.WITHDRAWN, answered_at=timezone.now()
    )


# --- Language --------------------------------------------------------------------------------


def user_language_set(*, user: User, language: str) -> None:
    """Remember the language the user chose: pages, emails and reports follow it."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose one of the platform's languages.")})
    if user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])


# --- Sessions --------------------------------------------------------------------------------


def user_session_record(*, user: User, session_key: str) -> None:
    """Remember that the user signed in with this session, forgetting their ended ones."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    ended = [
        key
        for key in UserSession.objects.filter(user=user).values_list("session_key", flat=True)
        if key != session_key and not store().exists(key)
    ]
    UserSession.objects.filter(session_key__in=ended).delete()
    UserSession.objects.update_or_create(session_key=session_key, defaults={"user": user})


def user_session_forget(*, session_key: str) -> None:
    UserSession.objects.filter(session_key=session_key).delete()


def user_sessions_end(*, user: User) -> int:
    """Sign the user out everywhere: delete every session they signed in with."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store().delete(key)
    UserSession.objects.filter(user=user).delete()
    return len(keys)


def _account_event(*, user: User, kind: str, by: User | None) -> None:
    AccountEvent.objects.create(user=user, username=user.get_username(), kind=kind, by=by)


def _changed_by(user: User, by: User | None) -> None:
    """Name ``by`` in the version of the account the next save writes, request or not."""
    if by is not None:
        user._history_user = by  # type: ignore[attr-defined]


@transaction.atomic
def user_deactivate(*, user: User, by: User | None) -> None:
    """Deactivate an account: it can no longer sign in, and its open sessions end now.

    The account's history and its events record who did it and when.
    """
    if by is not None and by.pk == user.pk:
        raise ValidationError(_("You cannot deactivate your own account."))
    if user.is_active:
        user.is_active = False
        _changed_by(user, by)
        user.save(update_fields=["is_active"])
        _account_event(user=user, kind=AccountEventKind.DEACTIVATED, by=by)
    user_sessions_end(user=user)
    membership_requests_withdraw(user=user)
    log.info("Account %s deactivated by %s; its sessions were ended.", user.pk, by and by.pk)


@transaction.atomic
def user_reactivate(*, user: User, by: User | None) -> None:
    """Let a deactivated account sign in again (its password unchanged), recorded with who
    did it and when. The programme team does it, from the admin."""
    if user.is_active:
        return
    user.is_active = True
    _changed_by(user, by)
    user.save(update_fields=["is_active"])
    _account_event(user=user, kind=AccountEventKind.REACTIVATED, by=by)
    log.info("Account %s reactivated by %s.", user.pk, by and by.pk)


def login_lockout_reset(*, user: User) -> None:
    """Forget the failed log-ins counted against the user's username, from every address."""
    login_throttle_reset(username=user.get_username())


# --- Second factor ---------------------------------------------------------------------------


def totp_device_enrol(*, user: User, key: str, token: str) -> TOTPDevice:
    """Keep the authenticator app the user set up with ``key``, once it shows a valid code.

    The new device replaces any the user had: losing a phone, they enrol the new one.
    """
    device = TOTPDevice(user=user, name=_("Authenticator app"), key=key, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if not token.isdigit() or not totp.verify(int(token), tolerance=device.tolerance):
        raise ValidationError(
            _("That code is not the one your app shows now. Check the app and try again.")
        )
    device.last_t = totp.t()  # the code just used cannot be used again
    with transaction.atomic():
        replaced, _per_model = TOTPDevice.objects.filter(user=user).delete()
        if replaced:
            _account_event(user=user, kind=AccountEventKind.DEVICE_REMOVED, by=user)
        device.full_clean()
        device.save()
        _account_event(user=user, kind=AccountEventKind.DEVICE_ADDED, by=user)
    log.info("Account %s enrolled a TOTP device.", user.pk)
    return device


def two_factor_verify(*, user: User, token: str) -> TOTPDevice | None:
    """The user's device that accepts this code, or None; each device throttles failures."""
    for device in TOTPDevice.objects.devices_for_user(user, confirmed=True):
        verified = verify_token(user, device.persistent_id, token)
        if verified is not None:
            return verified
    log.warning("Two-factor code refused for account %s.", user.pk)
    return None


@transaction.atomic
def two_factor_reset(*, user: User, by: User | None) -> int:
    """Remove the user's devices (a lost phone): they enrol a new one at their next visit.
    ``by`` is who removed them (None from the command line)."""
    count, _per_model = TOTPDevice.objects.filter(user=user).delete()
    if count:
        _account_event(user=user, kind=AccountEventKind.DEVICE_REMOVED, by=by)
    user_sessions_end(user=user)
    log.info("Two-factor devices of account %s removed by %s.", user.pk, by and by.pk)
    return count
