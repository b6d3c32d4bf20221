"""One set of numbers: the committee report's training figures are the computed indicators'.

The report is generated on the demo data through the real job and read back with poppler.
Each training figure is compared with the computed indicator that counts the same thing, as
``framework_figures`` (what the framework pages show) gives it: the demo's indicators without
settings for the totals, and indicators added here for each topic and professional group of
the period for the tables. Every indicator's line in the results framework shows its figures,
and a dash only where the framework has no value.
"""

from __future__ import annotations

import subprocess
from decimal import Decimal

import pytest
from django.utils import translation

from programme.calculations import Measure
from programme.choices import IndicatorKind
from programme.models import Action, Indicator, ReportingPeriod
from programme.results import IndicatorFigures, framework_figures
from reports.choices import ReportKind, ReportStatus
from reports.templatetags.report_tags import figure, signed
from stakeholders.models import ProfessionalGroup
from tests.factories import AttendanceFactory, IndicatorFactory, OutcomeFactory
from tests.reports.conftest import stored_pdf
from trainings.models import Topic, Training

pytestmark = pytest.mark.django_db


def _sections(pdf: bytes) -> dict[int, str]:
    """Each numbered section's text, flattened: the pages whose running header names it
    (the contents page, which names them all, left out)."""
    pages = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    found: dict[int, list[str]] = {}
    for page in pages.split("\f"):
        flat = " ".join(page.split())
        if "Contents" in flat:
            continue
        for number, title in enumerate(SECTIONS, start=1):
            if f"{number}. {title}" in flat:
                found.setdefault(number, []).append(flat)
    return {number: " ".join(texts) for number, texts in found.items()}


SECTIONS = ["The action at a glance", "Results framework", "Trainings held"]


def _printed_lines(pdf: bytes, heading: str) -> list[str]:
    """A section's pages laid out as printed, each line's white space made single spaces: a
    table row is one line (with the first line of any cell that wraps)."""
    pages = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-layout", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()
    lines = []
    for page in pages.split("\f"):
        if heading in page and "Contents" not in page:
            lines += [" ".join(line.split()) for line in page.splitlines() if line.strip()]
    return lines


# The calculations checked per topic (the indicator's code ends with the key's first letter),
# and whether they count by sex.
CHECKS = {"trainings_held": False, "participants_trained": True, "score_gain": False}


def _checks(action: Action, period: ReportingPeriod) -> None:
    """Computed indicators for each topic and profession of the period's held trainings:
    what the report's tables by topic and by target group must agree with."""
    outcome = OutcomeFactory(action=action, code="9", title="Checks of the report")
    held = Training.objects.filter(
        action=action, status="held", start_date__range=(period.start_date, period.end_date)
    )
    for topic in Topic.objects.filter(trainings__in=held).distinct():
        for key, by_sex in CHECKS.items():
            IndicatorFactory(
                outcome=outcome,
                code=f"9.t{topic.pk}.{key[0]}",
                kind=IndicatorKind.COMPUTED,
                calculation=key,
                parameters={"topics": [str(topic.pk)]},
                by_sex=by_sex,
            )
    groups = ProfessionalGroup.objects.filter(participants__attendance__training__in=held)
    for group in groups.distinct():
        IndicatorFactory(
            outcome=outcome,
            code=f"9.g{group.pk}",
            kind=IndicatorKind.COMPUTED,
            calculation="participants_trained",
            parameters={"professional_groups": [str(group.pk)]},
            by_sex=True,
        )


def _figures(period: ReportingPeriod) -> dict[str, IndicatorFigures]:
    blocks = framework_figures(action=period.action, at=period, until=period.end_date)
    return {f.indicator.code: f for block in blocks for f in block.indicators}


def _plain(figures: dict[str, IndicatorFigures], key: str) -> IndicatorFigures:
    """The demo's indicator of this calculation without settings: it counts everything."""
    return next(
        f for f in figures.values() if f.indicator.calculation == key and not f.indicator.parameters
    )


def _sexes(women: Decimal | None, men: Decimal | None, other: Decimal | None) -> str:
    if other:
        return f"{figure(women)} women, {figure(men)} men, {figure(other)} other or not stated"
    return f"{figure(women)} women, {figure(men)} men"


def _all_sexes(measure: Measure) -> str:
    if measure.women is None:
        return "—"
    return (
        f"{figure(measure.women)} women, {figure(measure.men)} men, "
        f"{figure(measure.other)} other or not stated"
    )


def _line(f: IndicatorFigures, period: ReportingPeriod) -> tuple[str, bool]:
    """An indicator's figures as its line in the report writes them, and whether any of them
    is unknown (a dash)."""
    now = f.period(period)
    assert now is not None
    indicator = f.indicator
    cells = [
        figure(now.target),
        figure(now.value.total),
        "—" if now.percent_met is None else f"{figure(now.percent_met, 1)} %",
        figure(f.to_date.total),
        figure(indicator.target_end),
        "—" if f.percent_of_end is None else f"{figure(f.percent_of_end, 1)} %",
        str(f.status.label),
    ]
    unknown = None in (now.target, now.value.total, now.percent_met, f.to_date.total)
    unknown = unknown or None in (indicator.target_end, f.percent_of_end)
    return " ".join(cells), unknown


@pytest.mark.parametrize("name", ["2024 H1", "2024 H2", "2025 H1"])
def test_committee_report_training_figures_are_the_computed_indicators(
    demo, generate, name
) -> None:
    period = ReportingPeriod.objects.get(name=name)
    action = period.action
    _checks(action, period)
    report = generate(
        by=demo["demo-admin"], kind=ReportKind.COMMITTEE, language="en", period=period
    )
    assert report.status == ReportStatus.DONE, report.failure_reason
    sections = _sections(stored_pdf(report))
    glance, trainings = sections[1], sections[3]
    figures = _figures(period)
    assert period.closed_at is not None or name != "2024 H1", "the demo closes its oldest period"

    with translation.override("en"):
        # Section 1: trainings held and people trained, in the period and since the start.
        held, trained = _plain(figures, "trainings_held"), _plain(figures, "participants_trained")
        now_held, now_trained = held.period(period), trained.period(period)
        assert now_held is not None and now_trained is not None
        people = now_trained.value
        assert people.total, "the demo holds trainings in this period"
        sexes = _sexes(people.women, people.men, people.other)
        boxes = "Trainings held Participants trained"
        assert f"{boxes} {figure(now_held.value.total)} {figure(people.total)} {sexes}" in glance
        to_date = trained.to_date
        assert (
            f"{boxes} {figure(held.to_date.total)} {figure(to_date.total)} "
            f"{_sexes(to_date.women, to_date.men, to_date.other)}"
        ) in glance

        # Section 3: the same totals, the score gain, and the tables by profession and topic.
        gain = _plain(figures, "score_gain").period(period)
        assert gain is not None
        assert (
            f"{figure(now_held.value.total)} {figure(people.total)} {signed(gain.value.total)}"
        ) in trainings
        assert sexes in trainings
        rows = _printed_lines(stored_pdf(report), "3. Trainings held")

        def printed(name: str, figures_: str) -> bool:
            """Whether a table row starts with the name (its first line) and ends with the
            figures."""
            return any(
                line.endswith(f" {figures_}") and name.startswith(line.removesuffix(f" {figures_}"))
                for line in rows
            )

        for group in ProfessionalGroup.objects.all():
            f = figures.get(f"9.g{group.pk}")
            if f is None:
                continue
            value = f.period(period).value
            row = f"{figure(value.women)} {figure(value.men)} {figure(value.total)}"
            assert printed(str(group.name), row), (group.name, row, rows)
        for topic in Topic.objects.all():
            if f"9.t{topic.pk}.t" not in figures:
                continue

            def of(key: str, pk: int = topic.pk) -> IndicatorFigures:
                return figures[f"9.t{pk}.{key[0]}"]

            count = of("trainings_held").period(period).value
            persons = of("participants_trained").period(period).value
            points = of("score_gain").period(period).value
            row = (
                f"{figure(count.total)} {figure(persons.women)} "
                f"{figure(persons.men)} {figure(persons.total)} {signed(points.total)}"
            )
            assert printed(str(topic.name), row), (topic.name, row, rows)

        # Section 2: every indicator's line; a dash only where the framework has no value.
        lines = _printed_lines(stored_pdf(report), "2. Results framework")
        for code, f in figures.items():
            title = next(i for i, line in enumerate(lines) if line.startswith(f"{code} "))
            indicator = f.indicator
            baseline = figure(indicator.baseline)
            if indicator.baseline_year:
                baseline += f" ({indicator.baseline_year})"
            at = next(i for i in range(title + 1, len(lines)) if lines[i].startswith(baseline))
            expected, unknown = _line(f, period)
            assert lines[at] == f"{baseline} {expected}", (code, lines[title : at + 2])
            assert ("—" in lines[at]) == unknown, lines[at]
            if indicator.by_sex:
                value = f.period(period).value
                assert lines[at + 1] == (
                    f"In the period: {_all_sexes(value)} · To date: {_all_sexes(f.to_date)}"
                ), lines[at + 1]
            if indicator.is_demo and indicator.calculation.startswith(
                ("trainings", "participants", "score")
            ):
                assert not unknown, f"{code} has no value where the demo holds trainings"
        reported = next(f for f in figures.values() if not f.indicator.is_computed)
        assert reported.period(period).value.total is not None


def test_a_frozen_value_the_records_now_give_differently_is_said_beside_it(demo, generate) -> None:
    period = ReportingPeriod.objects.get(name="2024 H1")
    assert period.is_closed
    frozen = Indicator.objects.get(
        calculation="participants_trained", parameters={}, outcome__action=period.action
    )
    before = _figures(period)[frozen.code].period(period)
    assert before is not None and not before.differs
    # A training of the period recorded late: one more person completed it.
    training = Training.objects.filter(start_date__range=(period.start_date, period.end_date))[0]
    AttendanceFactory(training=training, completed=True)
    after = _figures(period)[frozen.code].period(period)
    assert after is not None and after.differs and after.recomputed is not None
    assert after.value == before.value

    report = generate(
        by=demo["demo-admin"], kind=ReportKind.COMMITTEE, language="en", period=period
    )
    sections = _sections(stored_pdf(report))
    glance, framework = sections[1], sections[2]
    shown = framework[framework.index(f"{frozen.code} {frozen.title}") :]
    assert (
        f"Frozen when the period was closed; the records now give {figure(after.recomputed.total)}"
    ) in shown
    assert f"{figure(before.value.total)} " in shown
    # The training section counts the records as they stand, the value beside the frozen one.
    held = _plain(_figures(period), "trainings_held").period(period)
    assert held is not None
    boxes = "Trainings held Participants trained"
    assert f"{boxes} {figure(held.value.total)} {figure(after.recomputed.total)} " in glance


def test_a_reported_value_waiting_for_review_is_not_counted_and_said_so(demo, generate) -> None:
    period = ReportingPeriod.objects.get(name="2025 H2")
    reported = Indicator.objects.get(kind=IndicatorKind.REPORTED, is_demo=True)
    waiting = reported.values.get(period=period)
    assert waiting.state == "submitted" and waiting.actual is not None
    report = generate(
        by=demo["demo-observer"], kind=ReportKind.COMMITTEE, language="en", period=period
    )
    lines = _printed_lines(stored_pdf(report), "2. Results framework")
    title = next(i for i, line in enumerate(lines) if line.startswith(f"{reported.code} "))
    assert "Value for the period not counted yet: Submitted" in " ".join(lines[title : title + 3])
    figures = _figures(period)[reported.code]
    expected, unknown = _line(figures, period)
    assert unknown and f"0 (2023) {expected}" in lines, expected
    assert figure(waiting.actual) not in expected.split()[:2]
