#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Written by `make run` (scripts/prepare) in the checkout it prepared: the development settings
# it ran with, so that a command pasted into a new shell there (the README's, the demo_totp
# line `make run` prints) runs against the same SQLite database in debug mode.
DEVELOPMENT_ENV = Path(__file__).resolve().parent / "var" / "development.env"
# The only variable that file may set. Debug mode has its own development-only secret key and
# SQLite database; nothing in the file can give a production process a key.
DEVELOPMENT_VARIABLES = ("DJANGO_DEBUG",)
# An environment that sets any of these says for itself how to run (a deployment, the test
# suite, scripts/run): the file is then not read at all.
SELF_CONFIGURED = ("DJANGO_DEBUG", "DJANGO_SECRET_KEY", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")


def development_environment(path: Path = DEVELOPMENT_ENV) -> None:
    """Take the development settings `make run` left in this checkout, if it left any."""
    if any(name in os.environ for name in SELF_CONFIGURED) or not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() in DEVELOPMENT_VARIABLES:
            os.environ[name.strip()] = value.strip()


def main() -> None:
    development_environment()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
