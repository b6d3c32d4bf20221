#!/usr/bin/env python
"""Benchmark: the steering committee's progress report at about 10, 50 and 100 pages.

Runs on a throwaway SQLite database in a temporary folder: migrates it, loads the programme
and the demo data, then adds made-up trainings, indicators (one in three computed from the
records), action points and studies in a reporting period of their own until the report
reaches each size. For each size it prints the time to assemble the HTML (the computed
indicators measured then), the time to render the PDF (in child processes, as the report job
does: the report's parts side by side, REPORT_RENDER_PROCESSES of them), pages per
second, the render processes' CPU time together (steadier than the wall time on a busy
machine), and the render's peak memory (the render processes together); then t(100)/t(10), and
the 100-page report rendered as one document in one process, for reference, and the size of
the report joined from parts against that one-document file (the parts share one set of font
subsets: within 5 %). Every render is tagged (PDF/UA-1), as the report job's are. Each figure is
the median of three runs.

    .venv/bin/python scripts/bench_reports.py            # print the figures
    .venv/bin/python scripts/bench_reports.py --check    # also fail past a target at 100
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = (10, 50, 100)
RUNS = 3  # each figure is the median of this many runs
LIMIT_SECONDS = 8.0
LIMIT_MB = 400
LIMIT_SIZE_RATIO = 1.05  # the joined report's file against the one-document render's


@dataclass
class Run:
    target: int
    pages: int
    assemble: float
    render: float
    peak_mb: float
    processes: int
    size: int  # the PDF's bytes
    cpu: float  # the render processes' CPU seconds, together (steadier than the wall time)
    join_cpu: float = 0.0  # the joining child's CPU seconds once every part was written

    @property
    def total(self) -> float:
        return self.assemble + self.render


def _setup(workdir: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DJANGO_DEBUG": "true",
            "DJANGO_DEMO_DATA_ALLOWED": "true",
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "DJANGO_MEDIA_ROOT": str(workdir / "media"),
            "DJANGO_LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class Filler:
    """Adds made-up records to one reporting period, a unit at a time."""

    def __init__(self) -> None:
        from programme.models import Action, Meeting, Outcome, Output, ReportingPeriod
        from stakeholders.models import Institution, ProfessionalGroup
        from trainings.models import Topic

        self.action = Action.objects.get()
        self.period = ReportingPeriod.objects.create(
            action=self.action,
            name="Bench 2030",
            start_date=date(2030, 1, 1),
            end_date=date(2030, 12, 31),
            due_date=date(2031, 1, 31),
            is_demo=True,
        )
        self.meeting = Meeting.objects.create(
            action=self.action, number=99, date=date(2030, 6, 1), place="Ohrid", is_demo=True
        )
        self.outcome = Outcome.objects.create(
            action=self.action, code="9", title_en="Bench outcome", is_demo=True
        )
        self.output = Output.objects.create(
            outcome=self.outcome, code="9.1", title_en="Bench output", is_demo=True
        )
        self.institutions = list(Institution.objects.filter(is_demo=False)[:6])
        self.groups = list(ProfessionalGroup.objects.all())
        self.topics = list(Topic.objects.all())
        self.units = 0

    def add_unit(self) -> None:
        from programme.models import ActionPoint, Indicator, IndicatorValue
        from research.models import Study
        from stakeholders.choices import Sex
        from trainings.models import Attendance, Participant, Training

        n = self.units = self.units + 1
        for t in range(5):
            start = date(2030, 1, 1) + timedelta(days=(n * 5 + t) % 360)
            training = Training.objects.create(
                action=self.action,
                title_en=f"Bench training {n}.{t} on referral of presumed victims",
                organiser=self.institutions[(n + t) % len(self.institutions)],
                start_date=start,
                end_date=start,
                city="Skopje",
                status="held",
                is_demo=True,
            )
            training.topics.set([self.topics[(n + t) % len(self.topics)]])
            training.target_groups.set(
                [
                    self.groups[(n + t) % len(self.groups)],
                    self.groups[(n + t + 1) % len(self.groups)],
                ]
            )
            for p in range(12):
                person = Participant.objects.create(
                    full_name=f"Bench Person {n}-{t}-{p}",
                    sex=Sex.FEMALE if p % 3 else Sex.MALE,
                    professional_group=self.groups[(n + p) % len(self.groups)],
                    is_demo=True,
                )
                Attendance.objects.create(
                    training=training,
                    participant=person,
                    pre_score=Decimal(40 + p),
                    post_score=Decimal(60 + p),
                )
        for i in range(3):
            # One computed from the records (measured by its calculation as the report is
            # made), two reported and approved.
            computed = i == 0
            indicator = Indicator.objects.create(
                outcome=self.outcome,
                output=self.output,
                code=f"9.1.{n}.{i}",
                title_en=f"Bench indicator {n}.{i}: professionals applying the referral procedures",
                unit_en="persons",
                baseline=Decimal(0),
                baseline_year=2029,
                by_sex=bool(i % 2) or computed,
                kind="computed" if computed else "reported",
                calculation="participants_trained" if computed else "",
                parameters={"topics": [str(self.topics[n % len(self.topics)].pk)]}
                if computed
                else {},
                target_end=Decimal(200),
                is_demo=True,
            )
            actual = None if computed else Decimal(10 + i * 7)
            IndicatorValue.objects.create(
                indicator=indicator,
                period=self.period,
                target=Decimal(20),
                actual=actual,
                actual_women=Decimal(6) if i % 2 else None,
                actual_men=Decimal(4) if i % 2 else None,
                actual_other=actual - 10 if i % 2 and actual is not None else None,
                state="draft" if computed else "approved",
                is_demo=True,
            )
        for a in range(2):
            ActionPoint.objects.create(
                meeting=self.meeting,
                owner=self.institutions[(n + a) % len(self.institutions)],
                description=f"Bench action point {n}.{a}: share the referral data with partners",
                due_date=date(2030, 9, 30),
                is_demo=True,
            )
        Study.objects.create(
            action=self.action,
            title_en=f"Bench study {n} on trafficking for labour exploitation",
            slug=f"bench-study-{n}",
            is_demo=True,
        )


def _measure(filler: Filler, target: int, processes: int | None = None) -> Run:
    from reports.documents import report_html
    from reports.models import Report
    from reports.render import render_pdf
    from stakeholders.models import User

    report = Report(
        kind="committee",
        language="mk",
        period=filler.period,
        parameters={"subject": filler.period.name},
        series="bench",
        requested_by=User.objects.get(username="demo-admin"),
    )
    assembled = 0.0

    def assemble() -> str:
        # As the report job makes it: while the render's children start (render_pdf).
        nonlocal assembled
        html = report_html(report=report)
        assembled = time.perf_counter()
        if os.environ.get("BENCH_SAVE_HTML"):
            Path(os.environ["BENCH_SAVE_HTML"]).write_text(html, encoding="utf-8")
        return html

    started = time.perf_counter()
    rendered = render_pdf(html=assemble, timeout=300, memory_mb=2048, processes=processes)
    finished = time.perf_counter()
    return Run(
        target=target,
        pages=rendered.pages,
        assemble=assembled - started,
        render=finished - assembled,
        peak_mb=rendered.peak_memory_kb / 1024,
        processes=rendered.processes,
        size=len(rendered.pdf),
        cpu=rendered.cpu_seconds,
        join_cpu=rendered.join_cpu_seconds,
    )


def _median(filler: Filler, target: int, processes: int | None = None) -> Run:
    runs = sorted((_measure(filler, target, processes) for _ in range(RUNS)), key=lambda r: r.total)
    return runs[len(runs) // 2]


def _line(run: Run) -> str:
    return (
        f"assemble {run.assemble:5.2f} s, render {run.render:5.2f} s, total {run.total:5.2f} s, "
        f"{run.pages / run.total:5.1f} pages/s, render CPU {run.cpu:5.2f} s, "
        + (f"join after the last part {run.join_cpu:4.2f} s CPU, " if run.processes > 1 else "")
        + f"peak {run.peak_mb:5.0f} MB, "
        f"{run.processes} render process{'es' if run.processes > 1 else ''}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="fail past 8 s, 400 MB or 5 %% larger at 100"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as folder:
        workdir = Path(folder)
        print("Preparing a throwaway database with the programme and demo data…", flush=True)
        _setup(workdir)
        from loaders.demo import demo_load
        from loaders.seeding import seed_load
        from programme.models import Action

        seed_load()
        demo_load(action=Action.objects.get())
        filler = Filler()
        runs: list[Run] = []
        per_unit: float | None = None
        base = _measure(filler, 0).pages
        for target in TARGETS:
            # Grow the data until the report reaches the size, then time it afresh.
            while True:
                run = _measure(filler, target)
                if run.pages >= target or (per_unit is not None and run.pages >= target - 1):
                    break
                if per_unit is None:
                    for _ in range(4):
                        filler.add_unit()
                    per_unit = max((_measure(filler, target).pages - base) / 4, 0.5)
                    continue
                missing = target - run.pages
                for _ in range(max(1, round(missing / per_unit))):
                    filler.add_unit()
            run = _median(filler, target)
            runs.append(run)
            print(
                f"  {run.pages:>4} pages ({filler.units} units of made-up data): {_line(run)}",
                flush=True,
            )
        single = _median(filler, TARGETS[-1], processes=1)
    small, large = runs[0], runs[-1]
    print(f"  {single.pages:>4} pages as one document: {_line(single)}")
    print(f"t({large.target})/t({small.target}) = {large.total / small.total:.2f}")
    print(f"one document / in parts at {large.pages} pages = {single.total / large.total:.2f}")
    print(
        f"Target: {large.target} pages under {LIMIT_SECONDS:g} s and {LIMIT_MB} MB: "
        f"{large.total:.2f} s, {large.peak_mb:.0f} MB"
    )
    size_ratio = large.size / single.size
    print(
        f"Target: the joined file within {LIMIT_SIZE_RATIO - 1:.0%} of the one-document file: "
        f"{large.size / 1024:.0f} KB against {single.size / 1024:.0f} KB ({size_ratio:.3f})"
    )
    ok = large.total < LIMIT_SECONDS and large.peak_mb < LIMIT_MB
    size_ok = size_ratio <= LIMIT_SIZE_RATIO
    from bench_common import emit

    emit(
        f"reports: {large.pages}-page progress report (HTML + tagged PDF)",
        figure=f"{large.total:.2f} s, {large.peak_mb:.0f} MB",
        reference=f"{small.pages} pages {small.total:.2f} s; one process {single.total:.2f} s",
        ratio=large.total / small.total,
        target=f"< {LIMIT_SECONDS:g} s, < {LIMIT_MB} MB",
        met=ok,
    )
    emit(
        f"reports: the {large.pages}-page report joined from parts, file size",
        figure=f"{large.size / 1024:.0f} KB",
        reference=f"one document {single.size / 1024:.0f} KB",
        ratio=size_ratio,
        target=f"≤ {LIMIT_SIZE_RATIO:g}×",
        met=size_ok,
    )
    print("met" if ok and size_ok else "NOT MET")
    return 0 if (ok and size_ok) or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
