from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from loaders.seeding import seed_load


class Command(BaseCommand):
    help = "Load the real programme from the seed documents. Running it again changes nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--overwrite",
            action="store_true",
            help="Put the seed's values back on records that already exist.",
        )

    def handle(self, *args: Any, overwrite: bool, **options: Any) -> None:
        result = seed_load(overwrite=overwrite)
        created = ", ".join(f"{n} {name}" for name, n in sorted(result["created"].items()))
        updated = ", ".join(f"{n} {name}" for name, n in sorted(result["updated"].items()))
        self.stdout.write(
            f"Programme seed: created {created or 'nothing'}"
            + (f"; restored {updated}" if updated else "")
            + "."
        )
