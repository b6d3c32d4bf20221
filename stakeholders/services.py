"""Writes about institutions and their members."""

from __future__ import annotations

import logging
from importlib import import_module

from axes.utils import reset as axes_reset
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import verify_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from stakeholders import emails, object_permissions, tokens
from stakeholders.choices import MembershipRole
from stakeholders.models import Institution, Membership, User, UserSession

log = logging.getLogger(__name__)


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
) -> Membership:
    """Add a person to an institution by email, making their account if they have none.

    A new account is active but has no usable password, so nobody can sign in with it until
    its owner chooses one from the invitation emailed to them (in ``language``, which also
    becomes their preferred one). Someone who already has an account (the email decides,
    whatever its case) keeps it and their other memberships; a member invited again gets the
    new role. A deactivated account invited again is reactivated without its old password and
    invited afresh, as is one whose invitation was never taken up.
    """
    email = User.objects.normalize_email(email.strip())
    validate_email(email)
    if role not in MembershipRole.values:
        raise ValidationError({"role": _("Choose focal point, editor or viewer.")})
    user = User.objects.filter(email__iexact=email).order_by("pk").first()
    if user is None:
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
    else:
        if (
            by is not None
            and by.pk == user.pk
            and Membership.objects.filter(user=user, institution=institution).exists()
        ):
            raise ValidationError(_("You cannot change your own role; ask another focal point."))
        # Fill in a missing name, never overwrite the one the person gave themselves.
        changed: list[str] = []
        if not user.first_name and first_name.strip():
            user.first_name = first_name.strip()
            changed.append("first_name")
        if not user.last_name and last_name.strip():
            user.last_name = last_name.strip()
            changed.append("last_name")
        if not user.is_active:
            user.is_active = True
            user.set_unusable_password()
            changed += ["is_active", "password"]
        if changed:
            user.save(update_fields=changed)
    membership = membership_set(user=user, institution=institution, role=role)
    if not user.has_usable_password():
        in_language = emails.email_language(user, fallback=language)
        transaction.on_commit(
            lambda: invitation_send(membership=membership, invited_by=by, language=in_language)
        )
    return membership


def invitation_send(*, membership: Membership, invited_by: User | None, language: str) -> None:
    """Email the member a one-time link to choose their password and sign in."""
    user = membership.user
    emails.account_email_send(
        to=user.email,
        template="registration/invitation",
        context={
            "user": user,
            "membership": membership,
            "institution": membership.institution,
            "invited_by": invited_by,
            "link": tokens.invitation_link(user),
            "valid_hours": tokens.link_valid_hours(),
        },
        language=language,
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


@transaction.atomic
def user_deactivate(*, user: User, by: User | None) -> None:
    """Deactivate an account: it can no longer sign in, and its open sessions end now."""
    if by is not None and by.pk == user.pk:
        raise ValidationError(_("You cannot deactivate your own account."))
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    user_sessions_end(user=user)
    log.info("Account %s deactivated by %s; its sessions were ended.", user.pk, by and by.pk)


def login_lockout_reset(*, user: User) -> int:
    """Lift the failed-login lockouts on the user's username, from every address."""
    return axes_reset(username=user.get_username().strip().lower())


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
        TOTPDevice.objects.filter(user=user).delete()
        device.full_clean()
        device.save()
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


def two_factor_reset(*, user: User) -> int:
    """Remove the user's devices (a lost phone): they enrol a new one at their next visit."""
    count, _per_model = TOTPDevice.objects.filter(user=user).delete()
    user_sessions_end(user=user)
    log.info("Two-factor devices of account %s removed.", user.pk)
    return count
