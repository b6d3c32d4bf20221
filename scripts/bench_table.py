#!/usr/bin/env python
"""Turn the benchmarks' JSON lines (BENCH_RESULTS) into the results table of docs/benchmarks.md.

    scripts/bench_table.py RESULTS.jsonl [NAME:ok|NAME:failed ...]

The table, with the machine, the date and the data scale, replaces what lies between the
results markers of docs/benchmarks.md; the notes around them (profiles, what stands in the way
of a missed target) are written by hand and kept. Each NAME:STATUS says how a benchmark's run
ended, so that one that printed no rows, or failed, still shows in the table. A figure taken on
a busy machine (bench_common.BUSY_OTHERS_SHARE, after its repeats) has no verdict: its "met?"
cell says "busy: load 6.2, others 41 % CPU".
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_common import BUSY_OTHERS_SHARE

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
START = "<!-- results:start (written by scripts/bench_table.py; edit outside the markers) -->"
END = "<!-- results:end -->"


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f", {int(line.split()[1]) / 1024 / 1024:.0f} GB memory"
    except OSError:
        pass
    system = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                system = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; {system}; Python {platform.python_version()}; "
        f"load average at the end {load} (the machine is shared)"
    )


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH, read only
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return ""
    return out.stdout.strip()


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|") if value not in (None, "") else "–"


def table(records: list[dict[str, Any]], statuses: dict[str, str]) -> str:
    context: dict[str, Any] = {}
    rows = []
    for record in records:
        if record.get("kind") == "context":
            context.update({k: v for k, v in record.items() if k != "kind"})
        elif record.get("kind") == "row":
            rows.append(record)
    timed = [r for r in rows if r.get("machine")]
    busy = [r for r in timed if r.get("busy")]
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC at commit {_commit() or '?'} on: "
        f"{_machine()}; PostgreSQL {context.get('postgresql', '?')}. "
        f"Data scale {context.get('scale', '?')} (`generate_programme --scale`).",
        "",
        f"{len(busy)} of the {len(timed)} timed figures were taken on a busy machine (other "
        f"processes above {BUSY_OTHERS_SHARE:.0%} of the CPU before or during the figure, "
        "after its repeats): they have no verdict.",
        "",
        "| benchmark | figure | reference | ratio | target | met? |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = f"{r['ratio']:.2f}×" if r.get("ratio") is not None else None
        met = r.get("busy") or {True: "yes", False: "**no**", None: None}[r.get("met")]
        cells = (r["benchmark"], r["figure"], r.get("reference"), ratio, r.get("target"), met)
        lines.append("| " + " | ".join(_cell(v) for v in cells) + " |")
    for name, status in statuses.items():
        emitted = any(r.get("source") == name for r in rows)
        if status != "ok":
            lines.append(f"| {name} | **failed**: see the output of make bench | – | – | – | – |")
        elif not emitted:
            lines.append(
                f"| {name} | ran; printed its figures only (make bench's output) | – | – | – | – |"
            )
    return "\n".join(lines)


def main() -> int:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    path = Path(sys.argv[1])
    records = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    statuses = dict(arg.split(":", 1) for arg in sys.argv[2:])
    body = table(records, statuses)
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in text or END not in text:
        text = text.rstrip("\n") + f"\n\n{START}\n{END}\n"
    before, rest = text.split(START, 1)
    _old, after = rest.split(END, 1)
    DOC.write_text(f"{before}{START}\n{body}\n{END}{after}", encoding="utf-8")
    print(body)
    print(f"\nWritten to {DOC.relative_to(ROOT)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
