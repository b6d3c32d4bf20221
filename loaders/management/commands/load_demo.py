from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from loaders.demo import DEMO_LOGINS, DEMO_PASSWORD, demo_load, demo_totp_uri
from programme.selectors import action_primary


class Command(BaseCommand):
    help = "Add clearly marked demo records and one demo login per role."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--list-logins", action="store_true", help="Only print the demo logins."
        )

    def handle(self, *args: Any, list_logins: bool, **options: Any) -> None:
        if list_logins:
            self.stdout.write(self.logins())
            return
        action = action_primary()
        if action is None:
            raise CommandError("No action is recorded yet: run `manage.py seed_programme` first.")
        try:
            loaded = demo_load(action=action)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("Demo data loaded." if loaded else "Demo data is already loaded.")

    @staticmethod
    def logins() -> str:
        rows = [f"  {'login':<15} {'password':<18} role", f"  {'-' * 15} {'-' * 18} {'-' * 30}"]
        rows += [f"  {d.username:<15} {DEMO_PASSWORD:<18} {d.role}" for d in DEMO_LOGINS]
        rows += [
            "",
            "  After the password, demo-admin (the programme team) gives a code from an",
            "  authenticator app, for the portal and the Django admin alike:",
            f"    add this to the app:   {demo_totp_uri()}",
            "    or print the code now: .venv/bin/python manage.py demo_totp",
        ]
        return "Demo logins (demo records are marked 'demo'):\n" + "\n".join(rows)
