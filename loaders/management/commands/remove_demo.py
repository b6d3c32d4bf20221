from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from loaders.demo import demo_remove


class Command(BaseCommand):
    help = "Delete every demo record and demo login; real records are untouched."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Deleted {demo_remove()} demo records.")
