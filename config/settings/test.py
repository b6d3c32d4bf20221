"""Test settings: the suite runs on a real PostgreSQL (scripts/test starts one)."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-with-enough-length-0123456789")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "false")  # the browser tests speak plain http
os.environ.setdefault("DJANGO_DEMO_DATA_ALLOWED", "true")

from config.settings.base import *  # noqa: F403
from config.settings.base import DATABASES, env

if "postgresql" not in DATABASES["default"]["ENGINE"]:
    raise ImproperlyConfigured(
        "The test suite runs on PostgreSQL. Use `make test`, which starts one, "
        "or set DATABASE_URL to a PostgreSQL server you own."
    )

ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
DATABASES["default"]["CONN_MAX_AGE"] = 0
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# The suite renders templates without a collectstatic step; the gunicorn test collects for real.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve static/ from source, as a debug run does
WHITENOISE_AUTOREFRESH = True
# One folder per test process (pytest-xdist names them gw0, gw1, ...): uploads never meet.
MEDIA_ROOT = env.path(
    "DJANGO_MEDIA_ROOT",
    default=f"/tmp/antitrafficking-test-media{os.environ.get('PYTEST_XDIST_WORKER', '')}",  # noqa: S108
)
# The suite's tests hold their data in transactions another process cannot see: the import
# jobs run in-process (tests/imports/test_import_memory.py runs them in a child on purpose).
IMPORT_JOBS_IN_CHILD_PROCESS = False
