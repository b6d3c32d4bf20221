from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from stakeholders import services
from stakeholders.models import User


class Command(BaseCommand):
    help = (
        "Remove a user's authenticator apps (a lost phone) and end their sessions; they set "
        "up a new one the next time they open the administration. For when no other "
        "administrator can do it in the admin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user is called {username!r}.")
        removed = services.two_factor_reset(user=user, by=None)  # recorded as from the shell
        self.stdout.write(
            f"Removed {removed} authenticator app(s) of {username}; they enrol a new one "
            "at /accounts/two-factor/enrol/ after logging in."
        )
