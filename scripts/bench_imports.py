#!/usr/bin/env python
"""Benchmark: 20,000 participant rows imported from an xlsx file, against PostgreSQL's COPY.

Runs on the PostgreSQL in DATABASE_URL (``scripts/bench imports`` starts a throwaway one):
migrates it, loads the programme, makes a training and an xlsx file of N made-up participants
(Cyrillic and Latin names, Ж/М and F/M, short names of institutions, day-first dates). Then, in
the same run and on the same table:

1. COPY: the rows as parsed from the file, converted to the table's columns, written with
   psycopg's COPY into trainings_participant and trainings_attendance (rolled back after);
2. the import: the attendance resource plans every row (cached look-ups) and writes them in
   bulk in one transaction, as the import job does.

It prints rows per second of each, the import's time over COPY's (and, for reference, with the
time to read the xlsx added, and over a COPY of the participants alone), the queries the import
ran (for N and for a tenth of N: the same number), and the process's peak memory.

    scripts/bench imports                              # 20,000 rows
    scripts/bench imports --rows 5000 --check          # fail past 10x COPY or 300 MB
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LIMIT_RATIO = 10.0
LIMIT_MB = 300

FIRST = ["Ана", "Марко", "Елена", "Gëzim", "Drita", "Ilir", "Јована", "Besnik", "Ивана", "Arta"]
LAST = ["Петровска", "Илиевски", "Стојанова", "Çela", "Osmani", "Hoxha", "Николовска", "Krasniqi"]


@dataclass
class Figures:
    seconds: float
    queries: int = 0

    def rate(self, rows: int) -> float:
        return rows / self.seconds if self.seconds else float("inf")


def _setup() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (scripts/bench imports does).")
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _world() -> tuple[Any, Any]:
    from loaders.seeding import seed_load
    from programme.models import Action
    from stakeholders.models import Institution, User
    from trainings.models import Topic, Training

    seed_load()
    user, _new = User.objects.get_or_create(username="bench-admin", defaults={"is_staff": True})
    training = Training.objects.create(
        action=Action.objects.get(),
        title_en=f"Benchmark training {time.time_ns()}",
        organiser=Institution.objects.get(code="mspdy"),
    )
    training.topics.set([Topic.objects.order_by("pk")[0]])
    return user, training


def _workbook(rows: int) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Участници")
    sheet.append(
        [
            "Име и презиме",
            "Пол",
            "Професија",
            "Институција",
            "Е-пошта",
            "Согласност за обработка",
            "Датум на согласност",
            "Резултат на предтест",
            "Резултат на посттест",
        ]
    )
    institutions = ["МСПДМ", "MSPDY", "МВР", "Ministry of Interior", "ДИТ", "MPSDR"]
    groups = ["Социјални работници", "Police officers", "Punonjës socialë", "Inspektorë të punës"]
    start = date(2025, 1, 1)
    for i in range(rows):
        consent = i % 3 != 0
        day = WriteOnlyCell(sheet, value=start + timedelta(days=i % 300) if consent else None)
        day.number_format = "DD.MM.YYYY"
        sheet.append(
            [
                f"{FIRST[i % len(FIRST)]} {LAST[i % len(LAST)]} {i}",
                ("Ж", "М", "F", "M", "жена", "mashkull")[i % 6],
                groups[i % len(groups)],
                institutions[i % len(institutions)],
                f"person{i}@example.org",
                "да" if consent else "не",
                day,
                (i * 7) % 101,
                f"{(i * 13) % 100},5" if i % 2 else (i * 13) % 101,
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _copy_rows(sheet: Any, training: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The parsed rows as the tables' columns, converted with the same widgets and look-ups."""
    from core.imports import resource_class

    res = resource_class("attendance")(training=training)
    res.prepare_lookups()
    columns = dict(res.import_columns())
    names = [res.header_index()[h.casefold()] for h in sheet.headers]
    now = time.strftime("%Y-%m-%d %H:%M:%S+00")
    people: list[tuple[Any, ...]] = []
    attendance: list[tuple[Any, ...]] = []
    for row in sheet.rows:
        v = {
            n: columns[n].widget.clean(c, lookups=res.lookups)
            for n, c in zip(names, row.cells, strict=False)
        }
        people.append(
            (
                now,
                now,
                False,
                " ".join(v["full_name"].split()),
                v["sex"],
                v["profession"],
                v["institution"],
                "",
                v["email"],
            )
        )
        attendance.append(
            (
                now,
                now,
                v["pre_score"],
                v["post_score"],
                True,
                bool(v["consent"]),
                v["consent_date"],
            )
        )
    return people, attendance


def _copy(
    people: list[tuple[Any, ...]], attendance: list[tuple[Any, ...]], training: Any
) -> Figures:
    """COPY the rows into the two tables, timed, then roll back."""
    from django.db import connection, transaction

    with transaction.atomic():
        raw = connection.cursor().cursor  # psycopg's own cursor
        started = time.perf_counter()
        raw.execute(
            "SELECT nextval(pg_get_serial_sequence('trainings_participant', 'id')) "
            "FROM generate_series(1, %s)",
            [len(people)],
        )
        ids = [r[0] for r in raw.fetchall()]
        with raw.copy(
            "COPY trainings_participant (id, created_at, updated_at, is_demo, full_name, sex, "
            "professional_group_id, institution_id, position, email) "
            "FROM STDIN"
        ) as copy:
            for pk, person in zip(ids, people, strict=True):
                copy.write_row((pk, *person))
        with raw.copy(
            "COPY trainings_attendance (created_at, updated_at, pre_score, post_score, "
            "completed, consent, consent_date, training_id, participant_id) FROM STDIN"
        ) as copy:
            for pk, row in zip(ids, attendance, strict=True):
                copy.write_row((*row, training.pk, pk))
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return Figures(seconds)


def _copy_participants_only(people: list[tuple[Any, ...]]) -> Figures:
    from django.db import connection, transaction

    with transaction.atomic():
        raw = connection.cursor().cursor
        started = time.perf_counter()
        with raw.copy(
            "COPY trainings_participant (created_at, updated_at, is_demo, full_name, sex, "
            "professional_group_id, institution_id, position, email) "
            "FROM STDIN"
        ) as copy:
            for person in people:
                copy.write_row(person)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return Figures(seconds)


def _import(sheet: Any, user: Any, training: Any, *, keep: bool) -> tuple[Figures, Figures, Any]:
    """Plan and write as the import job does; the plan and the write timed apart."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from core.imports import resource_class

    res = resource_class("attendance")(user=user, training=training)
    with CaptureQueriesContext(connection) as planned:
        started = time.perf_counter()
        plan = res.plan(sheet)
        plan_s = time.perf_counter() - started
    if plan.errors:
        sys.exit(f"The benchmark's file has problems: {plan.errors[:3]}")
    with transaction.atomic(), CaptureQueriesContext(connection) as written:
        started = time.perf_counter()
        res.apply(plan)
        write_s = time.perf_counter() - started
        if not keep:
            transaction.set_rollback(True)
    return Figures(plan_s, len(planned)), Figures(write_s, len(written)), plan


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--check", action="store_true", help="fail past 10x COPY or 300 MB")
    args = parser.parse_args()
    _setup()
    from django.db import connection

    from core.spreadsheets import read_sheet
    from trainings.models import Attendance

    user, training = _world()
    baseline_mb = _peak_mb()
    data = _workbook(args.rows)
    small = read_sheet(_workbook(args.rows // 10), filename="small.xlsx")

    started = time.perf_counter()
    sheet = read_sheet(data, filename="participants.xlsx")
    read = Figures(time.perf_counter() - started)
    people, attendance = _copy_rows(sheet, training)
    copy_both = _copy(people, attendance, training)
    copy_people = _copy_participants_only(people)
    _plan_small, write_small, _p = _import(small, user, training, keep=False)
    plan, write, _plan = _import(sheet, user, training, keep=True)
    imported = Attendance.objects.filter(training=training).count()
    peak = _peak_mb()

    rows = args.rows
    import_s = plan.seconds + write.seconds
    ratio = import_s / copy_both.seconds
    end_to_end = (read.seconds + import_s) / copy_both.seconds
    version = getattr(connection, "pg_version", 0) // 10000
    print(
        f"PostgreSQL {version}; {rows:,} participant rows from xlsx "
        f"({len(data) / 1024 / 1024:.1f} MB); {imported:,} imported"
    )
    print(f"  read the xlsx          {read.seconds:7.2f} s  {read.rate(rows):9,.0f} rows/s")
    for label, copied in (("COPY participants", copy_people), ("COPY + attendance", copy_both)):
        print(f"  {label:22} {copied.seconds:7.2f} s  {copied.rate(rows):9,.0f} rows/s")
    print(f"  import: plan           {plan.seconds:7.2f} s  {plan.queries:5} queries")
    print(
        f"  import: write          {write.seconds:7.2f} s  {write.queries:5} queries "
        f"({write_small.queries} for {rows // 10:,} rows)"
    )
    print(f"  import (plan+write)    {import_s:7.2f} s  {rows / import_s:9,.0f} rows/s")
    only = import_s / copy_people.seconds
    print(
        f"  import / COPY          {ratio:7.1f} x   (read+import / COPY: {end_to_end:.1f} x; "
        f"import / COPY of participants only: {only:.1f} x)"
    )
    print(
        f"  peak memory            {peak:7.0f} MB (process; {baseline_mb:.0f} MB before the file)"
    )
    from bench_common import emit

    emit(
        f"imports: {rows:,} participant rows (plan + write)",
        figure=f"{import_s:.2f} s",
        reference=f"COPY {copy_both.seconds:.2f} s",
        ratio=ratio,
        target=f"≤ {LIMIT_RATIO:g}×",
        met=ratio <= LIMIT_RATIO and imported == rows,
    )
    emit(
        "imports: peak memory",
        figure=f"{peak:.0f} MB",
        reference=f"{baseline_mb:.0f} MB before the file",
        target=f"≤ {LIMIT_MB} MB",
        met=peak <= LIMIT_MB,
    )
    if args.check:
        problems = []
        if ratio > LIMIT_RATIO:
            problems.append(f"import is {ratio:.1f}x COPY (limit {LIMIT_RATIO:.0f}x)")
        if peak > LIMIT_MB:
            problems.append(f"peak memory {peak:.0f} MB (limit {LIMIT_MB} MB)")
        if imported != rows:
            problems.append(f"{imported} rows imported, not {rows}")
        if problems:
            print("FAILED: " + "; ".join(problems))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
