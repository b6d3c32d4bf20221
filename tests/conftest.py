from __future__ import annotations

from typing import Any

import pytest


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


def pytest_report_header(config: Any) -> str:
    """Say which database the suite runs on, read from the server itself."""
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    with psycopg.connect(**params) as conn:
        version = conn.execute("SELECT version()").fetchone()[0].split(",")[0]  # type: ignore[index]
    return f"database: {version}, host {params.get('host', 'default')}"
