"""Every kind of record: its export imports back unchanged, a new row is added once, a changed
cell updates its record, and the rules of the services hold."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import load_workbook

from imports.services import export_file, import_batch_rollback
from programme.choices import ValueState
from programme.models import ActionPoint, Indicator, IndicatorValue, Meeting, ReportingPeriod
from programme.results import framework_figures
from recommendations.choices import AssignmentKind, UpdateState
from recommendations.models import Assignment, ProgressUpdate, Recommendation
from stakeholders.models import Institution
from tests.imports import files
from trainings.models import Training

pytestmark = pytest.mark.django_db

KINDS = [
    "institutions",
    "trainings",
    "recommendations",
    "progress_updates",
    "action_points",
    "indicator_values",
]


def _indicator_values() -> None:
    from programme.models import Indicator, ReportingPeriod

    period = ReportingPeriod.objects.order_by("start_date").first()
    for indicator in Indicator.objects.all()[:3]:
        IndicatorValue.objects.get_or_create(
            indicator=indicator,
            period=period,
            defaults={"target": Decimal(10), "actual": Decimal(4)},
        )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("fmt", "language"), [("xlsx", "en"), ("csv", "mk"), ("csv", "sq")])
def test_an_export_imports_back_unchanged(run_import, demo, kind, fmt, language) -> None:
    _indicator_values()
    admin = demo["demo-admin"]
    with translation.override(language):
        exported = export_file(kind=kind, fmt=fmt, user=admin)
    batch = run_import(
        kind, exported.content, exported.filename, user=admin, confirm=False, language=language
    )
    assert batch.status == "checked", (batch.file_error, batch.errors[:5])
    assert batch.total_rows > 0
    assert (batch.new_count, batch.updated_count) == (0, 0), batch.preview[:3]
    assert batch.unchanged_count == batch.total_rows


def test_attendance_export_imports_back_unchanged(run_import, demo) -> None:
    training = Training.objects.get(
        title_en="Recognising and referring child victims of trafficking"
    )
    exported = export_file(
        kind="attendance", fmt="xlsx", user=demo["demo-ministry"], training=training
    )
    batch = run_import(
        "attendance",
        exported.content,
        exported.filename,
        user=demo["demo-ministry"],
        training=training,
    )
    assert (batch.status, batch.new_count, batch.updated_count, batch.unchanged_count) == (
        "applied",
        0,
        0,
        12,
    )


def test_institutions_are_found_by_any_name_and_added_once(run_import, demo) -> None:
    headers = [
        "Code",
        "Name (English)",
        "Назив (македонски)",
        "Emri (shqip)",
        "Kind",
        "Part of",
        "Website",
    ]
    rows = [
        ["", "Ministry of Interior", "", "", "", "", "https://mvr.gov.mk"],  # found by name
        ["", "", "", "Ministria e Punëve të Jashtme", "Ministria", "", ""],  # found in Albanian
        [
            "nra",
            "National Referral Mechanism office",
            "Национален механизам за упатување",
            "Mekanizmi Kombëtar i Referimit",
            "агенција",
            "МСПДМ",
            "nrm.mk",
        ],  # new
    ]
    admin = demo["demo-admin"]
    count = Institution.objects.count()
    batch = run_import("institutions", files.xlsx(headers, rows), "i.xlsx", user=admin)
    assert batch.status == "applied", batch.errors
    assert (batch.new_count, batch.updated_count, batch.unchanged_count) == (1, 1, 1)
    assert Institution.objects.count() == count + 1
    new = Institution.objects.get(code="nra")
    assert new.name_mk == "Национален механизам за упатување"
    assert new.parent == Institution.objects.get(code="mspdy")
    assert new.kind == "public_agency"
    assert new.website == "https://nrm.mk"
    assert Institution.objects.get(code="moi").website == "https://mvr.gov.mk"
    again = run_import("institutions", files.xlsx(headers, rows), "i.xlsx", user=admin)
    assert (again.new_count, again.updated_count) == (0, 0)
    assert Institution.objects.count() == count + 1


def test_only_the_programme_team_imports_institutions(run_import, demo) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        run_import(
            "institutions",
            files.xlsx(["Name (English)"], [["X"]]),
            "i.xlsx",
            user=demo["demo-ministry"],
        )


def test_a_ministry_imports_its_trainings_not_another_institutions(run_import, demo) -> None:
    headers = [
        "Наслов (македонски)",
        "Организатор",
        "Теми",
        "Статус",
        "Датум на почеток",
        "Датум на завршување",
        "Град",
    ]
    topic = "child-trafficking"
    rows = [
        [
            "Обука за социјални работници",
            "МСПДМ",
            topic,
            "одржана",
            "12.05.2025",
            "13.05.2025",
            "Куманово",
        ],
        ["Обука за полиција", "МВР", topic, "", "2025-06-01", "", "Скопје"],
        ["Без датум", "MSPDY", topic, "held", "", "", ""],
    ]
    batch = run_import(
        "trainings", files.xlsx(headers, rows), "t.xlsx", user=demo["demo-ministry"], language="mk"
    )
    assert batch.status == "invalid"
    messages = {e["row"]: e["message"] for e in batch.errors}
    assert set(messages) == {3, 4}
    assert not Training.objects.filter(title_mk="Обука за социјални работници").exists()
    batch = run_import(
        "trainings", files.xlsx(headers, rows[:1]), "t.xlsx", user=demo["demo-ministry"]
    )
    assert batch.status == "applied", batch.errors
    training = Training.objects.get(title_mk="Обука за социјални работници")
    assert training.title_en == "Обука за социјални работници"  # the English fallback
    assert training.start_date == date(2025, 5, 12)
    assert training.organiser.code == "mspdy"
    assert list(training.topics.values_list("slug", flat=True)) == [topic]
    from trainings.permissions import trainings_editable_by

    assert trainings_editable_by(demo["demo-ministry"]).filter(pk=training.pk).exists()
    again = run_import(
        "trainings", files.xlsx(headers, rows[:1]), "t.xlsx", user=demo["demo-ministry"]
    )
    assert (again.new_count, again.unchanged_count) == (0, 1)


def test_recommendation_institutions_are_assigned_and_shared(run_import, demo) -> None:
    recommendation = Recommendation.objects.get(number=1)
    headers = ["Number", "Responsible institutions", "Institutions invited to report"]
    rows = [[1, "MSPDY; Ministry of Interior", "Demo CSO A"]]
    before = dict(
        Assignment.objects.filter(recommendation=recommendation).values_list(
            "institution__code", "kind"
        )
    )
    assert "demo-cso-a" not in before  # so the import adds it, and the rollback takes it away
    batch = run_import(
        "recommendations", files.xlsx(headers, rows), "r.xlsx", user=demo["demo-admin"]
    )
    assert batch.status == "applied", batch.errors
    kinds = dict(
        Assignment.objects.filter(recommendation=recommendation).values_list(
            "institution__code", "kind"
        )
    )
    assert kinds["mspdy"] == AssignmentKind.RESPONSIBLE
    assert kinds["moi"] == AssignmentKind.RESPONSIBLE
    assert kinds["demo-cso-a"] == AssignmentKind.INVITED
    from recommendations.permissions import recommendations_reportable_by

    assert recommendations_reportable_by(demo["demo-cso-a"]).filter(pk=recommendation.pk).exists()
    from imports.services import import_batch_rollback

    import_batch_rollback(batch=batch, by=demo["demo-admin"])
    kinds_after = dict(
        Assignment.objects.filter(recommendation=recommendation).values_list(
            "institution__code", "kind"
        )
    )
    assert kinds_after == before


def test_progress_updates_follow_the_services_rules(run_import, demo) -> None:
    cso_a = demo["demo-cso-a"]
    assigned = Assignment.objects.filter(institution__code="demo-cso-a").select_related(
        "recommendation"
    )
    mine = assigned.first()
    assert mine is not None
    not_mine = Recommendation.objects.exclude(assignments__institution__code="demo-cso-a").first()
    headers = [
        "Recommendation number",
        "Institution",
        "Reporting period",
        "Implementation status",
        "Narrative",
    ]
    period = "2026 H1"
    rows = [
        [mine.recommendation.number, "Demo CSO A", period, "во тек", "Two trainings held."],
        [not_mine.number, "Demo CSO A", period, "planned", "Not ours."],
        [mine.recommendation.number, "Demo CSO B", period, "planned", "For someone else."],
    ]
    batch = run_import("progress_updates", files.xlsx(headers, rows), "u.xlsx", user=cso_a)
    assert batch.status == "invalid"
    assert {e["row"] for e in batch.errors} == {3, 4}
    existing = ProgressUpdate.objects.filter(
        recommendation=mine.recommendation, institution__code="demo-cso-a", period__name=period
    ).first()
    batch = run_import("progress_updates", files.xlsx(headers, rows[:1]), "u.xlsx", user=cso_a)
    if existing is not None and not existing.is_editable:
        assert batch.status == "invalid"
        return
    assert batch.status == "applied", batch.errors
    update = ProgressUpdate.objects.get(
        recommendation=mine.recommendation, institution__code="demo-cso-a", period__name=period
    )
    assert update.narrative == "Two trainings held."
    assert update.status == "in_progress"
    assert update.state in (UpdateState.DRAFT, UpdateState.RETURNED)


def test_action_points_progress_by_owner_and_agreement_by_the_team(run_import, demo) -> None:
    meeting = Meeting.objects.get(number=3)
    owner = Institution.objects.get(code="demo-cso-b")
    point = ActionPoint.objects.create(meeting=meeting, owner=owner, description="Map schools")
    from programme.services import action_point_share

    action_point_share(action_point=point)
    headers = ["Meeting number", "Action point", "Owner", "Status", "Closed on", "Progress note"]
    done = [[3, "Map  schools", "Demo CSO B", "in progress", "", "Two of five mapped"]]
    batch = run_import(
        "action_points", files.xlsx(headers, done), "a.xlsx", user=demo["demo-cso-b"]
    )
    assert batch.status == "applied", batch.errors
    point.refresh_from_db()
    assert (point.status, point.progress_note) == ("in_progress", "Two of five mapped")
    moved = [[3, "Map schools", "MSPDY", "in progress", "", "Two of five mapped"]]
    batch = run_import(
        "action_points", files.xlsx(headers, moved), "a.xlsx", user=demo["demo-cso-b"]
    )
    assert batch.status == "invalid"
    assert "programme team" in batch.errors[0]["message"]
    new = [[3, "Publish the referral guide", "MSPDY", "", "", ""]]
    batch = run_import("action_points", files.xlsx(headers, new), "a.xlsx", user=demo["demo-admin"])
    assert batch.status == "applied", batch.errors
    assert ActionPoint.objects.filter(description="Publish the referral guide").count() == 1


VALUE_HEADERS = [
    "Indicator",
    "Reporting period",
    "Target",
    "Actual",
    "Of which women",
    "Of which men",
    "Of which other or not stated",
]


def _reported() -> Indicator:
    """The demo's reported indicator (by sex, entered by Demo CSO A)."""
    return Indicator.objects.select_related("outcome").get(kind="reported", is_demo=True)


def _code(indicator: Indicator) -> str:
    return f"{indicator.outcome.code}/{indicator.code}"


def test_indicator_values_check_women_men_and_other_against_the_actual(run_import, demo) -> None:
    indicator = _reported()
    bad = [[_code(indicator), "2026 H2", "100", "10", "6", "4", "1"]]
    batch = run_import(
        "indicator_values", files.xlsx(VALUE_HEADERS, bad), "v.xlsx", user=demo["demo-admin"]
    )
    assert batch.status == "invalid"
    assert "add up to 11" in batch.errors[0]["message"]
    parts_missing = [[_code(indicator), "2026 H2", "100", "10", "6", "4", ""]]
    batch = run_import(
        "indicator_values",
        files.xlsx(VALUE_HEADERS, parts_missing),
        "v.xlsx",
        user=demo["demo-admin"],
    )
    assert batch.status == "invalid"
    good = [[_code(indicator), "2026 H2", "1 200,5", 10, 6, 4, 0]]
    batch = run_import(
        "indicator_values", files.xlsx(VALUE_HEADERS, good), "v.xlsx", user=demo["demo-admin"]
    )
    assert batch.status == "applied", batch.errors
    value = IndicatorValue.objects.get(indicator=indicator, period__name="2026 H2")
    assert (value.target, value.actual, value.actual_other) == (
        Decimal("1200.50"),
        Decimal(10),
        Decimal(0),
    )


def test_a_computed_indicators_target_is_imported_but_never_its_value(run_import, demo) -> None:
    computed = Indicator.objects.select_related("outcome").get(
        calculation="trainings_held", is_demo=True
    )
    headers = ["Indicator", "Reporting period", "Target", "Actual"]
    batch = run_import(
        "indicator_values",
        files.xlsx(headers, [[_code(computed), "2026 H2", "3", "2"]]),
        "v.xlsx",
        user=demo["demo-admin"],
    )
    assert batch.status == "invalid"
    assert "computed from the platform's records" in batch.errors[0]["message"]
    assert batch.errors[0]["column"] == "Actual"
    batch = run_import(
        "indicator_values",
        files.xlsx(headers, [[_code(computed), "2026 H2", "3", ""]]),
        "v.xlsx",
        user=demo["demo-admin"],
    )
    assert batch.status == "applied", batch.errors
    value = IndicatorValue.objects.get(indicator=computed, period__name="2026 H2")
    assert (value.target, value.actual, value.state) == (Decimal(3), None, ValueState.DRAFT)


def test_a_value_the_team_imports_counts_as_approved_and_the_step_is_recorded(
    run_import, demo
) -> None:
    indicator = _reported()
    waiting = IndicatorValue.objects.get(indicator=indicator, period__name="2025 H2")
    assert waiting.state == ValueState.SUBMITTED
    steps = waiting.transitions.count()
    # A period with no row for the indicator yet: the import adds it.
    IndicatorValue.objects.filter(indicator=indicator, period__name="2026 H2").delete()
    rows = [
        [_code(indicator), "2025 H2", "", "50", "30", "19", "1"],
        [_code(indicator), "2026 H2", "", "12", "6", "6", "0"],
    ]
    admin = demo["demo-admin"]
    batch = run_import("indicator_values", files.xlsx(VALUE_HEADERS, rows), "v.xlsx", user=admin)
    assert batch.status == "applied", batch.errors
    waiting.refresh_from_db()
    assert (waiting.state, waiting.actual, waiting.reviewed_by) == (
        ValueState.APPROVED,
        Decimal(50),
        admin,
    )
    step = waiting.transitions.last()
    assert step is not None
    assert (step.from_state, step.to_state, step.by, step.actual) == (
        ValueState.SUBMITTED,
        ValueState.APPROVED,
        admin,
        Decimal(50),
    )
    assert "spreadsheet" in step.comment
    new = IndicatorValue.objects.get(indicator=indicator, period__name="2026 H2")
    assert (new.state, new.created_by) == (ValueState.APPROVED, admin)
    assert [t.to_state for t in new.transitions.all()] == [ValueState.APPROVED]
    # It counts: the framework shows it for its period.
    period = waiting.period
    [figures] = [
        f
        for block in framework_figures(action=period.action, at=period)
        for f in block.indicators
        if f.indicator.pk == indicator.pk
    ]
    assert figures.period(period).value.total == Decimal(50)

    # Rolled back: the value waits for review again, and the recorded steps are gone.
    import_batch_rollback(batch=batch, by=admin)
    waiting.refresh_from_db()
    assert (waiting.state, waiting.actual, waiting.reviewed_by) == (
        ValueState.SUBMITTED,
        Decimal(48),
        None,
    )
    assert waiting.transitions.count() == steps
    assert not IndicatorValue.objects.filter(indicator=indicator, period__name="2026 H2").exists()


def test_a_closed_periods_values_are_not_imported(run_import, demo) -> None:
    indicator = _reported()
    closed = ReportingPeriod.objects.get(name="2024 H1")
    assert closed.is_closed
    frozen = IndicatorValue.objects.get(indicator=indicator, period=closed)
    batch = run_import(
        "indicator_values",
        files.xlsx(
            ["Indicator", "Reporting period", "Target"], [[_code(indicator), "2024 H1", 99]]
        ),
        "v.xlsx",
        user=demo["demo-admin"],
    )
    assert batch.status == "invalid"
    assert "2024 H1 is closed" in batch.errors[0]["message"]
    frozen.refresh_from_db()
    assert frozen.target == Decimal(50)


def test_an_indicator_values_export_shows_values_only_to_those_who_may_see_them(demo) -> None:
    indicator = _reported()
    draft = IndicatorValue.objects.get(indicator=indicator, period__name="2026 H1")
    assert draft.state == ValueState.DRAFT and draft.actual is not None

    def rows(username: str) -> dict[tuple[str, str], dict[str, object]]:
        exported = export_file(kind="indicator_values", fmt="xlsx", user=demo[username])
        sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
        header, *lines = list(sheet.iter_rows(values_only=True))
        found = [dict(zip(header, line, strict=True)) for line in lines]
        return {(str(r["Indicator"]), str(r["Reporting period"])): r for r in found}

    key = (_code(indicator), draft.period.name)
    own, other = rows("demo-cso-a"), rows("demo-cso-b")
    assert own[key]["Actual"] == draft.actual and own[key]["Workflow state"] == "Draft"
    assert other[key]["Target"] == draft.target  # the target is the framework's, for everyone
    assert other[key]["Actual"] in (None, "") and other[key]["Workflow state"] in (None, "")
    computed = Indicator.objects.select_related("outcome").get(calculation="trainings_held")
    frozen = (_code(computed), "2024 H1")  # its value frozen on the row when the period closed
    assert IndicatorValue.objects.get(indicator=computed, period__name="2024 H1").actual
    assert own[frozen]["Actual"] in (None, "")


def test_a_trainings_import_rolls_back_until_people_are_listed(run_import, demo) -> None:
    from django.core.exceptions import ValidationError

    from imports.services import import_batch_rollback
    from trainings.models import Attendance, Participant

    headers = ["Title (English)", "Organiser", "Topics", "Partner institutions", "Start date"]
    rows = [
        ["Referral in Tetovo", "MSPDY", "child-trafficking", "Ministry of Interior", "02.06.2025"],
        ["Referral in Bitola", "MSPDY", "child-trafficking", "", "09.06.2025"],
    ]
    admin = demo["demo-admin"]
    batch = run_import("trainings", files.xlsx(headers, rows), "t.xlsx", user=admin)
    assert batch.status == "applied", batch.errors
    tetovo = Training.objects.get(title_en="Referral in Tetovo")
    assert list(tetovo.partners.values_list("code", flat=True)) == ["moi"]
    person = Participant.objects.create(full_name="Ана Петровска", sex="female")
    listed = Attendance.objects.create(training=tetovo, participant=person)
    with pytest.raises(ValidationError, match="added after the import"):
        import_batch_rollback(batch=batch, by=admin)
    assert Training.objects.filter(title_en="Referral in Bitola").exists()
    listed.delete()
    import_batch_rollback(batch=batch, by=admin)
    assert not Training.objects.filter(title_en__startswith="Referral in").exists()
