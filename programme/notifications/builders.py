"""Emails of the outbox that are made only when they are sent.

An email whose body holds a secret (a one-time link) is stored as a kind and its arguments;
the builder registered under that kind makes it when the worker sends it. The outbox knows
no kind: each is registered by name (``builder_register``), as the account emails are in
``programme.notifications.account_emails``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from programme.notifications.models import OutboxEmail


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
