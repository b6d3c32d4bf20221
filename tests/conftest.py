from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
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


@pytest.fixture(autouse=True)
def _english_between_tests() -> Iterator[None]:
    """A request in Macedonian leaves that language active in the worker's thread (the locale
    middleware sets it and nothing unsets it); every test starts in the default language, so a
    message a service raises reads the same whichever test ran before."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """pytest-django's test database, with the sessions of other processes ended before it is
    dropped: a process a test started (a Celery worker, a server) can still hold a connection
    when this test process finishes, and the drop then failed after every test had passed."""
    yield
    from django.db import connection

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    connection.close()


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
    """The programme's seed and the demo set, as `make run` loads them; users by username.

    Loading them takes seconds, so inside a test's transaction (the ``db`` fixture) the first
    load in a session is kept: every public table's rows (PostgreSQL COPY, in memory) before
    and after it, and the sequences' values. A later test that starts from the same rows in
    every table, on the same columns, gets the kept rows copied back into the tables the load
    changed, inside its own transaction, so they are rolled back with it; the sequences only
    move forward. Each test sees what a load would leave, with the same primary keys each
    time, and timestamps from the session's first load. A test that starts from other rows
    (made by a fixture before this one) loads for real and keeps that load too. Tests on real
    transactions (``transactional_db``, ``live_server``) always load for real: nothing would
    roll the copy back. The load writes no files; if it ever does, nothing is kept.
    """
    from django.db import connection

    from stakeholders.models import User

    if not connection.in_atomic_block:
        _demo_load()
    else:
        with connection.cursor() as cursor:
            tables = _public_tables(cursor)
            before = _table_rows(cursor, tables)
            key = _demo_state_key(cursor, before)
        snapshot = _DEMO_SNAPSHOTS.get(key)
        if snapshot is None or not _demo_restore(snapshot):
            files = _media_files()
            _demo_load()
            if _media_files() == files:  # files written would not come back with the rows
                _DEMO_SNAPSHOTS[key] = _demo_snapshot(before)
    return {u.username: u for u in User.objects.filter(is_demo=True)}


def _demo_load() -> None:
    from loaders.demo import demo_load
    from loaders.seeding import seed_load
    from programme.models import Action

    seed_load()
    demo_load(action=Action.objects.get())


@dataclass(frozen=True)
class _DemoSnapshot:
    """What a load of the seed and demo set changed, from one starting state."""

    rows: dict[str, bytes]  # table -> its rows after the load (COPY text), for changed tables
    emptied: tuple[str, ...]  # changed tables that had rows before the load
    sequences: dict[str, int]  # sequence -> its last value after the load


# Keyed by _demo_state_key: the columns and rows of every table before the load.
_DEMO_SNAPSHOTS: dict[str, _DemoSnapshot] = {}


def _media_files() -> set[Path]:
    from django.conf import settings

    return set(Path(settings.MEDIA_ROOT).rglob("*"))


def _public_tables(cursor: Any) -> list[str]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
    return [name for (name,) in cursor.fetchall()]


def _table_rows(cursor: Any, tables: list[str]) -> dict[str, bytes]:
    from django.db import connection

    rows = {}
    for table in tables:
        data = bytearray()
        with cursor.copy(f"COPY {connection.ops.quote_name(table)} TO STDOUT") as copy:
            for chunk in copy:
                data += chunk
        rows[table] = bytes(data)
    return rows


def _demo_state_key(cursor: Any, rows: dict[str, bytes]) -> str:
    """A digest of every public table's columns and rows."""
    cursor.execute(
        "SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod)"
        " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0"
        " AND NOT a.attisdropped ORDER BY 1, 2"
    )
    digest = hashlib.sha256(repr(cursor.fetchall()).encode())
    for table, data in rows.items():
        digest.update(f"\0{table}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def _demo_snapshot(before: dict[str, bytes]) -> _DemoSnapshot:
    from django.db import connection

    with connection.cursor() as cursor:
        after = _table_rows(cursor, list(before))
        cursor.execute(
            "SELECT sequencename, last_value FROM pg_sequences"
            " WHERE schemaname = 'public' AND last_value IS NOT NULL"
        )
        sequences = dict(cursor.fetchall())
    changed = {table: rows for table, rows in after.items() if rows != before[table]}
    return _DemoSnapshot(
        rows=changed,
        emptied=tuple(table for table in changed if before[table]),
        sequences=sequences,
    )


def _demo_restore(snapshot: _DemoSnapshot) -> bool:
    """Copy the kept rows back; False, and nothing changed, when the database refuses.

    Foreign keys are checked at the end of the test's transaction (Django declares them
    DEFERRABLE INITIALLY DEFERRED), so the tables can be filled in any order.
    """
    import psycopg
    from django.db import DatabaseError, connection, transaction

    from dashboard.glance import glance_invalidate

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for table in snapshot.emptied:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for table, rows in snapshot.rows.items():
                with cursor.copy(f"COPY {connection.ops.quote_name(table)} FROM STDIN") as copy:
                    copy.write(rows)
            # Sequences are outside transactions: move them forward only, past the kept keys.
            cursor.execute(
                "SELECT setval(format('public.%%I', kept.name)::regclass, kept.value)"
                " FROM unnest(%s::text[], %s::bigint[]) AS kept(name, value)"
                " JOIN pg_sequences s ON s.schemaname = 'public' AND s.sequencename = kept.name"
                " WHERE s.last_value IS NULL OR s.last_value < kept.value",
                [list(snapshot.sequences), list(snapshot.sequences.values())],
            )
    except (DatabaseError, psycopg.Error):
        return False
    glance_invalidate()  # as demo_load does: the glance cache starts a version
    return True


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
