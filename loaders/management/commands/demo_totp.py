from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from loaders.demo import demo_totp_code


class Command(BaseCommand):
    help = "Print the code demo-admin's authenticator app shows now (the admin's second step)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(
            f"{demo_totp_code()}  (demo-admin's code for the next few seconds; "
            "each code works once)"
        )
