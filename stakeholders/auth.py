"""Signing in: who is trying (the username, the client address, a browser that signed in
before), the throttle on failed log-ins, and the login view that uses it.

The throttle (``login_attempt``) is the one gate every password check of the login form goes
through. It counts failures per username across addresses and per address across usernames;
past a few, each further try must wait twice as long as the last (up to a cap), and a try
during the wait is refused before the password is looked at. A browser that signed in as a
user before carries a signed cookie naming that user, and for that username it is counted on
its own: strangers' failures never hold up the account's owner. docs/security.md explains why.

The counts live in the cache (Redis in production), so every gunicorn worker sees the same
ones. django-axes still records each failure (*Access attempts* in the admin, the ``axes``
log) but locks nobody out.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth import views as auth_views
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

log = logging.getLogger(__name__)

# The throttle's clock, in seconds; tests replace it to let time pass.
clock: Callable[[], float] = time.time

DEVICE_COOKIE = "signin_device"
_DEVICE_SALT = "stakeholders.auth.signin-device"
# Browsers shared by several people remember this many of them.
_DEVICES_KEPT = 5
# A try admitted after a wait holds its turn this long at most (a request that died mid-way).
_TURN_SECONDS = 60
_KEY_PREFIX = "signin-throttle"


# --- Who is signing in -------------------------------------------------------------------------


def _normalise(username: object) -> str:
    return str(username).strip().lower()


def login_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The username in lower case, so ``Demo-Admin`` and ``demo-admin`` share one count.

    django-axes stores it in a 255-character column that cannot hold a NUL character."""
    username = (credentials or {}).get("username")
    if username is None:
        username = request.POST.get("username", "")
    return _normalise(username).replace("\x00", "")[:255]


def client_ip(request: HttpRequest) -> str:
    """The client's address: the connection's own, or behind trusted proxies the address the
    outermost of them saw, read from the right of X-Forwarded-For (the left is the client's
    word and can be forged)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))


def _address_group(address: str) -> str:
    """The address as the throttle counts it: an IPv6 client owns its whole /64 network, so
    the /64 is counted as one address."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


# --- Browsers that signed in before ("device cookies") -----------------------------------------


def _device_tag(username: str) -> str:
    """What the cookie says about the user: a keyed hash of the username, not the name."""
    return salted_hmac(_DEVICE_SALT, username).hexdigest()[:32]


def _remembered(request: HttpRequest) -> list[tuple[str, str]]:
    """The (user tag, browser id) pairs of the request's device cookie; none if it was not
    signed by this site or is too old."""
    raw = request.COOKIES.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        value = signing.loads(raw, salt=_DEVICE_SALT, max_age=settings.LOGIN_DEVICE_COOKIE_AGE)
    except signing.BadSignature:  # forged, damaged or expired
        return []
    if not isinstance(value, list):
        return []
    return [
        (entry[0], entry[1])
        for entry in value[:_DEVICES_KEPT]
        if isinstance(entry, list) and len(entry) == 2 and all(isinstance(x, str) for x in entry)
    ]


def _remembered_browser(request: HttpRequest, username: str) -> str | None:
    """The id this browser was given when it last signed in as the user, if it did."""
    tag = _device_tag(username)
    for entry_tag, browser in _remembered(request):
        if constant_time_compare(entry_tag, tag):
            return browser
    return None


def login_device_remember(request: HttpRequest, response: HttpResponse, *, user: Any) -> None:
    """Give the browser a signed cookie saying it signed in as the user (a new id each time).

    Set when the password was right, or when a password was chosen through an emailed link:
    either proves as much as the cookie will vouch for."""
    tag = _device_tag(_normalise(user.get_username()))
    others = [[t, b] for t, b in _remembered(request) if t != tag][: _DEVICES_KEPT - 1]
    value = signing.dumps([[tag, secrets.token_urlsafe(16)], *others], salt=_DEVICE_SALT)
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=settings.LOGIN_DEVICE_COOKIE_AGE,
        path=reverse("login"),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


# --- The throttle ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Count:
    """One count of failures: a username, an address, or a browser signed in before."""

    label: str  # for the log
    key: str
    free: int  # failures before each further try has to wait

    @property
    def failures_key(self) -> str:
        return f"{self.key}:n"

    @property
    def last_key(self) -> str:
        return f"{self.key}:t"


def _count(kind: str, value: str, free: int, label: str) -> _Count:
    digest = hashlib.sha256(f"{kind}:{value}".encode("utf-8", "replace")).hexdigest()[:40]
    return _Count(label=label, key=f"{_KEY_PREFIX}:{kind}:{digest}", free=free)


def _counts_for(request: HttpRequest, username: str) -> list[_Count]:
    browser = _remembered_browser(request, username)
    if browser is not None:
        return [
            _count(
                "browser",
                browser,
                settings.LOGIN_FAILURES_PER_USERNAME,
                f"username {username[:150]!r} from a browser that signed in before",
            )
        ]
    address = _address_group(client_ip(request))
    per_username, per_address = (
        settings.LOGIN_FAILURES_PER_USERNAME,
        settings.LOGIN_FAILURES_PER_ADDRESS,
    )
    return [
        _count("username", username, per_username, f"username {username[:150]!r}"),
        _count("address", address, per_address, f"address {address}"),
    ]


def login_delay(failures: int, free: int) -> int:
    """Seconds a try must wait after ``failures`` failures: none for the first ``free``, then
    1, 2, 4, 8… up to LOGIN_MAX_DELAY."""
    if failures < free:
        return 0
    return int(min(2 ** min(failures - free, 40), settings.LOGIN_MAX_DELAY))


@dataclass
class _Ticket:
    counts: list[_Count]
    wait: int = 0
    forgotten: set[str] = field(default_factory=set)  # counts whose failures are too old
    turns: list[str] = field(default_factory=list)


def _admit(counts: list[_Count], now: float) -> _Ticket:
    """Whether a try may check its password now, and if not how long it must wait.

    Once a count has to wait, only one try per failure is let through (the first to take the
    turn), so tries sent side by side cannot all slip in when a wait ends."""
    ticket = _Ticket(counts=counts)
    for count in counts:
        # Failures first, then their time: a failure writes its time before it is counted.
        failures = int(cache.get(count.failures_key) or 0)
        last = cache.get(count.last_key)
        if last is None or now - float(last) >= settings.LOGIN_FAILURES_FORGOTTEN_AFTER:
            ticket.forgotten.add(count.key)
            continue
        delay = login_delay(failures, count.free)
        if not delay:
            continue
        wait = math.ceil(float(last) + delay - now)
        if wait > 0:
            ticket.wait = max(ticket.wait, wait)
        elif cache.add(f"{count.key}:turn:{failures}", 1, timeout=_TURN_SECONDS):
            ticket.turns.append(f"{count.key}:turn:{failures}")
        else:  # another try is checking its password in this turn
            ticket.wait = max(ticket.wait, 1)
    if ticket.wait:
        _release(ticket)
    return ticket


def _release(ticket: _Ticket) -> None:
    if ticket.turns:
        cache.delete_many(ticket.turns)
        ticket.turns = []


def _record_failure(ticket: _Ticket) -> None:
    now = clock()
    keep = settings.LOGIN_FAILURES_FORGOTTEN_AFTER
    for count in ticket.counts:
        if count.key in ticket.forgotten:
            cache.set(count.failures_key, 0, timeout=keep)
        cache.set(count.last_key, now, timeout=keep)
        cache.add(count.failures_key, 0, timeout=keep)
        failures = cache.incr(count.failures_key)
        cache.touch(count.failures_key, timeout=keep)
        delay = login_delay(failures, count.free)
        if delay:
            log.warning(
                "%d failed log-ins for %s: the next try waits %d s.", failures, count.label, delay
            )
    _release(ticket)


def _record_success(ticket: _Ticket) -> None:
    """A right password clears its username's (or browser's) count, never an address's: an
    attacker must not wipe the count of their guesses by signing in to an account of their own."""
    for count in ticket.counts:
        if not count.key.startswith(f"{_KEY_PREFIX}:address:"):
            cache.delete_many([count.failures_key, count.last_key])
    _release(ticket)


def _safely(action: Callable[[_Ticket], None], ticket: _Ticket) -> None:
    try:
        action(ticket)
    except Exception:  # the cache is down: sign-in goes on, unthrottled, and says so
        log.exception("The sign-in throttle could not record a try.")


def _checkable(username: str, password: str) -> bool:
    """Whether the database can be asked about this username and password at all."""
    user_model = get_user_model()
    username_field = user_model._meta.get_field(user_model.USERNAME_FIELD)
    max_length = getattr(username_field, "max_length", None) or 254
    return 0 < len(username) <= max_length and "\x00" not in username + password


@dataclass(frozen=True)
class LoginAttempt:
    """What came of a try: the user if the password was right; a wait in seconds if the try
    was refused before its password was checked."""

    user: Any = None
    retry_after: int = 0


def login_attempt(request: HttpRequest, *, username: str, password: str | None) -> LoginAttempt:
    """Check a username and password, unless failures before have made this try wait.

    ``password`` is None when the form already refused what was typed: the try counts as a
    failure without reaching the database. A username that could not exist (too long, a NUL
    character) fails the same way, with the same answer as a wrong password."""
    name = _normalise(username)
    counts = _counts_for(request, name)
    try:
        ticket = _admit(counts, clock())
    except Exception:  # the cache is down: better an unthrottled sign-in than none
        log.exception("The sign-in throttle could not be read; this try is not limited.")
        ticket = _Ticket(counts=[])
    if ticket.wait:
        log.info("Log-in refused for %d s: %s.", ticket.wait, ", ".join(c.label for c in counts))
        return LoginAttempt(retry_after=ticket.wait)
    user = None
    try:
        if password is not None and _checkable(username, password):
            user = authenticate(request, username=username, password=password)
    except BaseException:
        _safely(_release, ticket)
        raise
    _safely(_record_failure if user is None else _record_success, ticket)
    return LoginAttempt(user=user)


def login_throttle_reset(*, username: str) -> None:
    """Forget the failures counted against a username (not those of any address)."""
    name = _normalise(username)
    count = _count("username", name, settings.LOGIN_FAILURES_PER_USERNAME, name)
    cache.delete_many([count.failures_key, count.last_key])


# --- The login view ----------------------------------------------------------------------------


def login_refused_response(request: HttpRequest, retry_after: int) -> HttpResponse:
    """The page a try gets while it must wait: what happened and when to try again."""
    response = render(
        request,
        "registration/locked_out.html",
        {"seconds": retry_after, "minutes": math.ceil(retry_after / 60)},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


class LoginView(auth_views.LoginView):
    """Django's login view: its form checks the password through ``login_attempt``; a refused
    try gets the page saying when to try again, and a sign-in remembers the browser."""

    def form_invalid(self, form: Any) -> HttpResponse:
        retry_after = getattr(form, "retry_after", 0)
        if retry_after:
            return login_refused_response(self.request, retry_after)
        return super().form_invalid(form)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        login_device_remember(self.request, response, user=form.get_user())
        return response
