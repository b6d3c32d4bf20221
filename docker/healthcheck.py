#!/usr/bin/env python
"""Container health checks for docker-compose.yml; exit 0 means healthy.

``healthcheck.py web [URL]`` asks gunicorn for /health/ the way the reverse proxy would: with a
Host header Django accepts (the first of DJANGO_ALLOWED_HOSTS, since 127.0.0.1 need not be one)
and ``X-Forwarded-Proto: https`` (otherwise the HTTPS redirect answers 301, not the page).
Standard library only, so it is quick and does not load Django.

``healthcheck.py beat`` checks what Celery beat needs to keep working: the database its
schedule lives in and the broker it sends tasks to. Beat has no command of its own to ask.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8000/health/"


def request_host() -> str:
    """A Host header that Django's ALLOWED_HOSTS accepts."""
    for entry in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(","):
        host = entry.strip().lstrip(".")  # ".example.org" allows example.org itself
        if host and host != "*":
            return host
    return "localhost"


def check_web(url: str) -> int:
    request = urllib.request.Request(  # noqa: S310 (the URL is ours: http on this host)
        url, headers={"Host": request_host(), "X-Forwarded-Proto": "https"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            body = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as exc:
        with exc:
            print(f"unhealthy: {url} answered {exc.code}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"unhealthy: {url} answered {status}: {body}", file=sys.stderr)
        return 1
    return 0


def check_beat() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    try:
        import django

        django.setup()
        from django.db import connection

        from config.celery import app

        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        with app.connection_for_write() as broker:
            broker.ensure_connection(max_retries=1, timeout=10)
    except Exception as exc:  # settings that do not load, or a service out of reach
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    if len(argv) >= 1 and argv[0] == "web" and len(argv) <= 2:
        return check_web(argv[1] if len(argv) == 2 else DEFAULT_URL)
    if argv == ["beat"]:
        return check_beat()
    print("usage: healthcheck.py web [URL] | healthcheck.py beat", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
