from __future__ import annotations

from typing import Any


def pytest_report_header(config: Any) -> str:
    """Say which database the suite runs on, read from the server itself."""
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    with psycopg.connect(**params) as conn:
        version = conn.execute("SELECT version()").fetchone()[0].split(",")[0]  # type: ignore[index]
    return f"database: {version}, host {params.get('host', 'default')}"
