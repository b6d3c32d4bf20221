"""Settings stop start-up with a message naming the variable when a value is missing or wrong.

Each case loads config.settings.base in a fresh interpreter whose environment holds only PATH and
the case's variables, as a container or a service manager would start it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETUP = "import django; django.setup()"
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "test-only-secret-key-with-enough-length-0123456789",
    "DATABASE_URL": "postgres://platform:secret@postgres:5432/platform",
    "REDIS_URL": "redis://redis:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
}


def load_settings(variables: dict[str, str], code: str = SETUP) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        **variables,
    }
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The exception's own message: the last line of the traceback, not its source lines."""
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        pytest.param({"DJANGO_DEBUG": "false"}, "DJANGO_SECRET_KEY", id="no-secret-key"),
        pytest.param({"DJANGO_SECRET_KEY": "k" * 50}, "DATABASE_URL", id="debug-unset-no-db"),
        pytest.param({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG", id="debug-not-boolean"),
        pytest.param(
            {"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "k" * 50},
            "DATABASE_URL",
            id="no-database-url",
        ),
        pytest.param(
            {"DJANGO_DEBUG": "true", "DATABASE_URL": "nonsense://x"},
            "DATABASE_URL",
            id="database-url-unknown-scheme",
        ),
        pytest.param(
            {"DJANGO_DEBUG": "true", "DATABASE_URL": "not-a-url"},
            "DATABASE_URL",
            id="database-url-no-scheme",
        ),
        pytest.param(
            {"DJANGO_DEBUG": "true", "CELERY_TASK_TIME_LIMIT": "abc"},
            "CELERY_TASK_TIME_LIMIT",
            id="time-limit-not-a-number",
        ),
        pytest.param(
            {"DJANGO_DEBUG": "true", "EMAIL_URL": "bogus://mail.example.org"},
            "EMAIL_URL",
            id="email-url-unknown-scheme",
        ),
        pytest.param(
            {**PRODUCTION, "DJANGO_SECURE_SSL_REDIRECT": "sometimes"},
            "DJANGO_SECURE_SSL_REDIRECT",
            id="ssl-redirect-not-boolean",
        ),
    ],
)
def test_bad_configuration_stops_start_up_naming_the_variable(
    variables: dict[str, str], named: str
) -> None:
    result = load_settings(variables)
    assert result.returncode != 0
    line = error_line(result)
    assert line.startswith("django.core.exceptions.ImproperlyConfigured:"), result.stderr
    assert named in line, result.stderr


def test_development_needs_no_variables() -> None:
    result = load_settings(
        {"DJANGO_DEBUG": "true"},
        SETUP
        + "; from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"


def test_production_environment_loads_and_sends_tasks_to_redis() -> None:
    result = load_settings(
        PRODUCTION,
        SETUP + "; from django.conf import settings; print(settings.CELERY_TASK_ALWAYS_EAGER)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_without_redis_tasks_run_in_process() -> None:
    variables = {k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"}
    result = load_settings(
        variables,
        SETUP + "; from django.conf import settings; print(settings.CELERY_TASK_ALWAYS_EAGER)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_broker_visibility_timeout_outlasts_the_longest_task() -> None:
    """Redis hands an unacknowledged task to another worker after the visibility timeout."""
    result = load_settings(
        {**PRODUCTION, "CELERY_TASK_TIME_LIMIT": "1800"},
        SETUP + "; from django.conf import settings; "
        "print(settings.CELERY_BROKER_TRANSPORT_OPTIONS['visibility_timeout'])",
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 1800
