from __future__ import annotations

import time
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from loaders.generator import Counts, programme_generate
from loaders.seeding import seed_load
from programme.selectors import action_primary


class Command(BaseCommand):
    help = (
        "Add a made-up programme of a given scale (demo records) for benchmarks: at scale 1, "
        "60 institutions, 2,000 trainings, 50,000 participants, 5,000 progress updates and "
        "100 meetings over five years, and a results framework of 65 indicators with their "
        "values. Loads the programme's seed first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale", type=float, default=1.0, help="1 is the full size; 0.01 for tests"
        )
        parser.add_argument("--seed", type=int, default=2026, help="random seed (reproducible)")

    def handle(self, *args: Any, scale: float, seed: int, **options: Any) -> None:
        try:
            counts = Counts.at_scale(scale)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        started = time.perf_counter()
        seed_load()
        action = action_primary()
        if action is None:  # the seed always records the action
            raise CommandError("The seed recorded no action.")
        try:
            made = programme_generate(action=action, counts=counts, seed=seed)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        summary = ", ".join(f"{n:,} {what.replace('_', ' ')}" for what, n in made.items())
        self.stdout.write(
            f"Generated a programme at scale {scale:g} in "
            f"{time.perf_counter() - started:.0f} s: {summary}."
        )
