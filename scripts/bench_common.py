"""What the benchmark scripts share: their results rows, timing figures, and the generated data.

Every benchmark prints its rows and, when BENCH_RESULTS names a file, appends each row to it as
one JSON line; scripts/bench_table.py turns that file into the table in docs/benchmarks.md.
A row is one figure against a reference measured in the same run:

    {"benchmark": ..., "figure": ..., "reference": ..., "ratio": 1.8, "target": "≤ 5×",
     "met": true}

Scripts import this module by name: Python puts scripts/ on the path of a script it runs.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_ENV = "BENCH_RESULTS"


def emit(
    benchmark: str,
    *,
    figure: str,
    reference: str = "",
    ratio: float | None = None,
    target: str = "",
    met: bool | None = None,
) -> None:
    """Print one result row, and append it to the BENCH_RESULTS file when there is one."""
    verdict = "" if met is None else ("met" if met else "NOT MET")
    shown_ratio = f"{ratio:.2f}×" if ratio is not None else ""
    print(
        f"  {benchmark:<52} {figure:<26} {reference:<30} {shown_ratio:>7} {target:<10} {verdict}",
        flush=True,
    )
    _append(
        {
            "kind": "row",
            # Which benchmark printed the row: the script's name less "bench_".
            "source": Path(sys.argv[0]).stem.removeprefix("bench_"),
            "benchmark": benchmark,
            "figure": figure,
            "reference": reference,
            "ratio": None if ratio is None else round(ratio, 3),
            "target": target,
            "met": met,
        }
    )


def emit_context(**facts: Any) -> None:
    """Facts about the run (data scale, PostgreSQL version) for the table's heading."""
    _append({"kind": "context", **facts})


def _append(record: dict[str, Any]) -> None:
    path = os.environ.get(RESULTS_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of the values fall (nearest rank)."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: list[float]) -> float:
    return statistics.median(values)


def require_postgres(command: str) -> None:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit(f"Set DATABASE_URL to a PostgreSQL database ({command} does).")


def django_setup() -> None:
    """Django on the database in DATABASE_URL, migrated."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def ensure_programme(scale: float) -> None:
    """The generated programme at this scale: made now if the database has none.

    A database holding one of another scale is refused rather than measured under a wrong
    label.
    """
    import time

    from loaders.generator import (
        Counts,
        generated_exists,
        generated_institutions,
        programme_generate,
    )
    from loaders.seeding import seed_load
    from programme.selectors import action_primary

    counts = Counts.at_scale(scale)
    if generated_exists():
        found = generated_institutions()
        if found != counts.institutions:
            sys.exit(
                f"The database holds a generated programme with {found} institutions, not the "
                f"{counts.institutions} of scale {scale:g}: use a fresh database."
            )
        return
    print(f"Generating the programme at scale {scale:g}…", flush=True)
    started = time.perf_counter()
    seed_load()
    action = action_primary()
    assert action is not None  # noqa: S101 - the seed records the action
    programme_generate(action=action, counts=counts)
    print(f"  generated in {time.perf_counter() - started:.0f} s", flush=True)
