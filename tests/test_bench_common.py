"""The benchmarks' measure of a busy machine (scripts/bench_common.py): CPU time of other
processes against the benchmark's own, read from /proc, and what the results table says."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
sys.path.insert(0, str(SCRIPTS))

import bench_common  # noqa: E402
import bench_table  # noqa: E402

BURN = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass\n"


@pytest.fixture
def stranger() -> Iterator[None]:
    """A process burning a core that is not the benchmark's: started by a child that exits at
    once, so it belongs to no process of this one."""
    code = (
        "import subprocess, sys\n"
        f"p = subprocess.Popen([sys.executable, '-c', {BURN.format(seconds=60)!r}],"
        " start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,"
        " stderr=subprocess.DEVNULL)\n"
        "print(p.pid)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    pid = int(out.stdout)
    time.sleep(0.2)  # under way
    yield
    with contextlib.suppress(ProcessLookupError):  # it ends by itself after a minute
        os.kill(pid, signal.SIGTERM)


def test_the_cpu_share_of_others_leaves_out_the_benchmarks_own() -> None:
    times = bench_common._CpuTimes
    first = times(total=1000, busy=300, own=100, cores=2)
    second = times(total=1400, busy=640, own=300, cores=2)
    others, own = bench_common._shares(first, second)
    # 400 ticks in all: 340 busy, 200 of them the benchmark's own.
    assert own == pytest.approx(0.5)
    assert others == pytest.approx(0.35)


def test_a_busy_machine_is_one_where_others_take_a_quarter_of_the_cpu() -> None:
    quiet = bench_common.Machine(2, 10.0, 1.8, 3.9, 0.05, 0.24, 0.6)
    busy = bench_common.Machine(2, 10.0, 0.5, 6.2, 0.02, 0.41, 0.3)
    assert not quiet.busy
    assert busy.busy
    assert busy.label() == "busy: load 6.2, others 41 % CPU"
    before = bench_common.Machine(2, 10.0, 3.0, 3.0, 0.30, 0.10, 0.6)
    assert before.busy, "others busy in the second before the figure count too"


def test_a_process_of_someone_else_makes_the_figure_busy(stranger: None) -> None:
    with bench_common.MachineWatch(settle=0.5) as watch:
        time.sleep(1.5)
    assert watch.machine is not None
    assert watch.machine.busy, watch.machine.describe()
    assert watch.machine.own_during < 0.05


def test_the_benchmarks_own_children_count_as_its_own() -> None:
    with bench_common.MachineWatch(settle=0.2) as watch:
        subprocess.run([sys.executable, "-c", BURN.format(seconds=1.5)], check=True)
    assert watch.machine is not None
    # Whatever else runs, the child had some of the CPU, and it is the benchmark's.
    assert watch.machine.own_during > 0.02, watch.machine.describe()


def test_a_busy_figure_is_run_again_and_marked_busy(
    stranger: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(bench_common.PAUSE_ENV, "1")
    runs: list[int] = []

    def step() -> int:
        runs.append(1)
        time.sleep(1.0)
        return len(runs)

    result, machine = bench_common.measure(step, what="a step", attempts=2)
    assert len(runs) == 2
    assert result in (1, 2)
    assert machine.busy and machine.attempts == 2
    monkeypatch.delenv(bench_common.RESULTS_ENV, raising=False)
    bench_common.emit("a figure", figure="1 s", target="≤ 2 s", met=True, machine=machine)
    printed = capsys.readouterr().out
    assert machine.label() in printed and "(would be met)" in printed


def test_the_table_says_busy_instead_of_a_verdict(tmp_path: Path, monkeypatch) -> None:
    results = tmp_path / "results.jsonl"
    monkeypatch.setenv(bench_common.RESULTS_ENV, str(results))
    quiet = bench_common.Machine(2, 10.0, 0.4, 1.2, 0.02, 0.03, 0.7)
    busy = bench_common.Machine(2, 10.0, 5.0, 6.2, 0.30, 0.41, 0.3)
    bench_common.emit("quiet figure", figure="1 s", target="≤ 2 s", met=False, machine=quiet)
    bench_common.emit("busy figure", figure="1 s", target="≤ 2 s", met=True, machine=busy)
    bench_common.emit("untimed figure", figure="3 queries", met=True)
    import json

    records = [json.loads(line) for line in results.read_text().splitlines()]
    text = bench_table.table(records, {})
    rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines() if "|" in line}
    assert rows["quiet figure"].endswith("| **no** |")
    assert rows["busy figure"].endswith("| busy: load 6.2, others 41 % CPU |")
    assert rows["untimed figure"].endswith("| yes |")
    assert "1 of the 2 timed figures were taken on a busy machine" in text
