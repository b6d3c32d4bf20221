"""What the benchmark scripts share: their results rows, timing figures, and the generated data.

Every benchmark prints its rows and, when BENCH_RESULTS names a file, appends each row to it as
one JSON line; scripts/bench_table.py turns that file into the table in docs/benchmarks.md.
A row is one figure against a reference measured in the same run:

    {"benchmark": ..., "figure": ..., "reference": ..., "ratio": 1.8, "target": "≤ 5×",
     "met": true, "busy": null, "machine": {...}}

The machine is shared, so a timed figure says how busy it was: ``measure(step, what=...)``
runs the step under a ``MachineWatch`` (the load average and /proc/stat before and while it
runs), runs it again when the machine was busy (``BUSY_OTHERS_SHARE``; up to BENCH_ATTEMPTS
times in all, BENCH_BUSY_PAUSE seconds apart) and returns the quietest attempt's result with
its ``Machine``; ``emit(..., machine=machine)`` then shows "busy: load 6.2, others 41 % CPU"
instead of met / not met when even that attempt was busy.

Scripts import this module by name: Python puts scripts/ on the path of a script it runs.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
RESULTS_ENV = "BENCH_RESULTS"

T = TypeVar("T")


def emit(
    benchmark: str,
    *,
    figure: str,
    reference: str = "",
    ratio: float | None = None,
    target: str = "",
    met: bool | None = None,
    machine: Machine | None = None,
) -> None:
    """Print one result row, and append it to the BENCH_RESULTS file when there is one.

    ``machine`` is how busy the machine was while the figure was taken (``measure``): a
    figure taken on a busy machine is marked so, with no verdict, whatever it came to.
    """
    busy = machine.label() if machine is not None and machine.busy else None
    verdict = "" if met is None else ("met" if met else "NOT MET")
    if busy:
        verdict = f"{busy} (would be {verdict or 'no target'})"
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
            "busy": busy,
            "machine": None if machine is None else machine.as_dict(),
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


# --- How busy the machine was -----------------------------------------------------------------
# The one definition of "busy": in the second before a figure (the benchmark idle) or while it
# is taken, processes other than the benchmark's own took more than this share of all the
# cores' time (/proc/stat), i.e. more than half a core of two. The benchmark's own processes
# are this one, its children (gunicorn, a Celery worker, render children) and the PostgreSQL
# and Redis servers it registered with ``own_processes`` (``django_setup`` registers the
# PostgreSQL it is connected to). The 1-minute load average is recorded beside it, before and
# at its highest during the figure, and shown in the label; it counts the benchmark's own
# processes too (a load benchmark alone brings it to 3 or 4), so it does not decide.
BUSY_OTHERS_SHARE = 0.25
SETTLE_SECONDS = 1.0
ATTEMPTS_ENV = "BENCH_ATTEMPTS"  # runs of a figure at most, the first included (default 3)
PAUSE_ENV = "BENCH_BUSY_PAUSE"  # seconds to wait before running a busy figure again (10)

_OWN_ROOTS: set[int] = set()


@dataclass(frozen=True)
class Machine:
    """How busy the machine was around one figure; CPU shares are of all the cores' time."""

    cores: int
    seconds: float
    load_before: float
    load_during: float
    others_before: float
    others_during: float
    own_during: float
    attempt: int = 1
    attempts: int = 1

    @property
    def others(self) -> float:
        return max(self.others_before, self.others_during)

    @property
    def busy(self) -> bool:
        return self.others > BUSY_OTHERS_SHARE

    def label(self) -> str:
        """What the results table says instead of met / not met."""
        return f"busy: load {self.load_during:.1f}, others {self.others * 100:.0f} % CPU"

    def describe(self) -> str:
        return (
            f"load {self.load_before:.1f} before, up to {self.load_during:.1f} during; other "
            f"processes {self.others_before * 100:.0f} % of the CPU before, "
            f"{self.others_during * 100:.0f} % during; the benchmark "
            f"{self.own_during * 100:.0f} % ({self.cores} cores, {self.seconds:.1f} s)"
        )

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class _CpuTimes:
    total: int  # clock ticks of all the cores since boot
    busy: int
    own: int  # of which the benchmark's own processes
    cores: int


def own_processes(*pids: int) -> None:
    """Count these processes and everything they start as the benchmark's own (a server it
    started that is not its child: PostgreSQL, Redis)."""
    _OWN_ROOTS.update(pid for pid in pids if pid > 0)


def own_postgres() -> None:
    """Count the PostgreSQL server Django is connected to as the benchmark's own, when it runs
    on this machine (its postmaster is the parent of this connection's backend)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    stat = _process_stat(int(backend))
    if stat is not None:
        own_processes(stat[0])


def _process_stat(pid: int) -> tuple[int, int] | None:
    """A process's parent and its CPU ticks, with those of its children that ended."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone, or not ours to read
        return None
    # The command name is in parentheses and may hold spaces: the fields follow its last ")".
    fields = raw[raw.rfind(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return int(fields[1]), utime + stime + cutime + cstime


def _own_ticks(roots: Iterable[int]) -> int:
    """CPU ticks of the roots and of every process below them."""
    parent: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _process_stat(int(entry.name))
            if stat is not None:
                parent[int(entry.name)], ticks[int(entry.name)] = stat
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    seen: set[int] = set()
    todo = [pid for pid in roots if pid in ticks]
    while todo:
        pid = todo.pop()
        if pid not in seen:
            seen.add(pid)
            todo.extend(children.get(pid, []))
    return sum(ticks[pid] for pid in seen)


def _cpu_times() -> _CpuTimes:
    lines = Path("/proc/stat").read_text().splitlines()
    # user nice system idle iowait irq softirq steal (guest time is already in user).
    values = [int(v) for v in lines[0].split()[1:9]]
    total = sum(values)
    idle = values[3] + values[4]
    cores = sum(1 for line in lines if line.startswith("cpu") and line[3:4].isdigit())
    own = _own_ticks({os.getpid(), *_OWN_ROOTS})
    return _CpuTimes(total=total, busy=total - idle, own=own, cores=cores or 1)


def _shares(first: _CpuTimes, second: _CpuTimes) -> tuple[float, float]:
    """Between two readings: the other processes' share of all the cores' time, and ours."""
    total = second.total - first.total
    if total <= 0:
        return 0.0, 0.0
    own = max(0, second.own - first.own)
    others = max(0, second.busy - first.busy - own)
    return min(1.0, others / total), min(1.0, own / total)


class MachineWatch:
    """Watches the machine in the second before a figure (the benchmark idle) and while it
    is taken; ``machine`` holds what it saw once the block has ended.

        with MachineWatch() as watch:
            ...  # the timed work
        watch.machine.busy
    """

    def __init__(self, settle: float = SETTLE_SECONDS) -> None:
        self.settle = settle
        self.machine: Machine | None = None
        self._stop = threading.Event()
        self._peak = 0.0

    def _sample(self) -> None:
        while not self._stop.wait(1.0):
            self._peak = max(self._peak, os.getloadavg()[0])

    def __enter__(self) -> MachineWatch:
        first = _cpu_times()
        time.sleep(self.settle)
        self._start = _cpu_times()
        self._others_before, _own = _shares(first, self._start)
        self._load_before = self._peak = os.getloadavg()[0]
        self._began = time.monotonic()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sampler.join()
        end = _cpu_times()
        others, own = _shares(self._start, end)
        self.machine = Machine(
            cores=end.cores,
            seconds=time.monotonic() - self._began,
            load_before=self._load_before,
            load_during=max(self._peak, os.getloadavg()[0]),
            others_before=self._others_before,
            others_during=others,
            own_during=own,
        )


def _env_count(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default)).strip()
    if not raw.isdigit() or int(raw) < 1:
        sys.exit(f"{name}={raw!r} must be a whole number, 1 or more.")
    return int(raw)


def measure(step: Callable[[], T], *, what: str, attempts: int | None = None) -> tuple[T, Machine]:
    """Run a timed step; again, after a pause, while the machine was busy. The quietest
    attempt's result (the one where other processes took the least) and how busy it was.

    The step must be repeatable: each attempt starts its timings afresh.
    """
    attempts = attempts or _env_count(ATTEMPTS_ENV, 3)
    pause = _env_count(PAUSE_ENV, 10)
    best: tuple[T, Machine] | None = None
    ran = 0
    while ran < attempts:
        ran += 1
        with MachineWatch() as watch:
            result = step()
        assert watch.machine is not None  # noqa: S101 - set when the block ends
        machine = replace(watch.machine, attempt=ran)
        if best is None or machine.others < best[1].others:
            best = (result, machine)
        if not machine.busy:
            break
        print(f"  ({what}: busy, {machine.describe()}; attempt {ran} of {attempts})", flush=True)
        if ran < attempts:
            time.sleep(pause)
    assert best is not None  # noqa: S101 - at least one attempt ran
    return best[0], replace(best[1], attempts=ran)


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
    own_postgres()


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
