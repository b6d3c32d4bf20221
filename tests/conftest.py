from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Every test starts with an empty cache, so figures one test kept (the dashboard's glance)
    never show in another. Only the in-process cache the test settings use is cleared: a real
    Redis also holds the job queue."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    for cache in caches.all(initialized_only=True):
        if isinstance(cache, LocMemCache):
            cache.clear()
    yield


@pytest.fixture(autouse=True, scope="session")
def _force_login_passes_the_second_factor() -> Iterator[None]:
    """``Client.force_login`` leaves a session as the code page would for those who sign in
    with a code (staff, the programme team): tests of a page are about the page, not about
    signing in. Tests of the second factor sign in through the login form, which this leaves
    alone, or call ``force_login_password_only``."""
    from django.test import Client

    original = Client.force_login

    def force_login(self: Any, user: Any, backend: str | None = None) -> None:
        original(self, user, backend)
        from stakeholders.roles import needs_second_factor

        if needs_second_factor(user):
            _verify_session(self, user)

    Client.force_login = force_login  # type: ignore[method-assign]
    Client.force_login_password_only = original
    yield
    Client.force_login = original  # type: ignore[method-assign]
    del Client.force_login_password_only


def _verify_session(client: Any, user: Any) -> Any:
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test device", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


@pytest.fixture
def demo(db: None) -> dict[str, Any]:
    """The programme's seed and the demo set, as `make run` loads them; users by username."""
    from programme.demo import demo_load
    from programme.models import Action
    from programme.seeding import seed_load
    from stakeholders.models import User

    seed_load()
    demo_load(action=Action.objects.get())
    return {u.username: u for u in User.objects.filter(is_demo=True)}


def pass_second_factor(client: Any, user: Any) -> Any:
    """Sign the user in on the test client past the admin's second factor: a confirmed TOTP
    device, and a session it verified, as the two-factor page leaves them."""
    client.force_login_password_only(user)
    return _verify_session(client, user)


@pytest.fixture
def admin_client(db: None, admin_user: Any) -> Any:
    """pytest-django's admin client, past the second factor the admin asks staff for."""
    from django.test import Client

    client = Client()
    pass_second_factor(client, admin_user)
    return client


def pytest_report_header(config: Any) -> str:
    """Say which database the suite runs on, read from the server itself."""
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    with psycopg.connect(**params) as conn:
        version = conn.execute("SELECT version()").fetchone()[0].split(",")[0]  # type: ignore[index]
    return f"database: {version}, host {params.get('host', 'default')}"
