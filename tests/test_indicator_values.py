"""Reported indicator values: entered by the responsible institution, reviewed by the programme
team, counted once approved, frozen with their period; every step undone by whoever took it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from programme import selectors, services
from programme.choices import IndicatorKind, ValueState
from programme.models import (
    Action,
    Indicator,
    IndicatorEvidence,
    IndicatorValue,
    Outcome,
    ReportingPeriod,
)
from programme.results import indicator_figures_one
from stakeholders.choices import MembershipRole
from stakeholders.models import Institution, User
from stakeholders.services import membership_set

pytestmark = pytest.mark.django_db

D = Decimal
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _indicator(responsible: str | None = "demo-cso-b", **kwargs: Any) -> Indicator:
    action = Action.objects.get()
    outcome = Outcome.objects.create(action=action, code=f"R{Outcome.objects.count()}", title="R")
    fields: dict[str, Any] = {
        "outcome": outcome,
        "code": "R.1",
        "title": "Shelters applying the referral standard",
        "unit": "shelters",
        "baseline": D(0),
        "kind": IndicatorKind.REPORTED,
        "responsible": Institution.objects.get(code=responsible) if responsible else None,
    }
    return Indicator.objects.create(**(fields | kwargs))


def _period(name: str = "2026 H1") -> ReportingPeriod:
    return ReportingPeriod.objects.get(name=name)


def _draft(demo: dict[str, User], actual: int = 4, **kwargs: Any) -> IndicatorValue:
    return services.indicator_value_save(
        indicator=kwargs.pop("indicator", None) or _indicator(),
        period=kwargs.pop("period", None) or _period(),
        by=demo["demo-cso-b"],
        actual=D(actual),
        **kwargs,
    )


def _submitted(demo: dict[str, User], **kwargs: Any) -> IndicatorValue:
    return services.indicator_value_submit(value=_draft(demo, **kwargs), by=demo["demo-cso-b"])


def _approved(demo: dict[str, User], **kwargs: Any) -> IndicatorValue:
    return services.indicator_value_approve(value=_submitted(demo, **kwargs), by=demo["demo-admin"])


def _steps(value: IndicatorValue) -> list[tuple[str, str]]:
    return [(t.from_state, t.to_state) for t in value.transitions.all()]


def _counted(value: IndicatorValue) -> Decimal | None:
    figures = indicator_figures_one(indicator=Indicator.objects.get(pk=value.indicator_id))
    period = figures.period(value.period)
    assert period is not None
    return period.value.total


def _login(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


# --- Services ---------------------------------------------------------------------------------


def test_a_value_goes_through_review_and_counts_only_once_approved(demo: dict[str, User]) -> None:
    cso, team = demo["demo-cso-b"], demo["demo-admin"]
    value = _draft(demo, actual=3)
    assert value.state == ValueState.DRAFT and value.created_by == cso
    assert _counted(value) is None
    services.indicator_value_submit(value=value, by=cso)
    services.indicator_value_return(value=value, by=team, comment="Which shelters?")
    value.refresh_from_db()
    assert value.state == ValueState.RETURNED and value.reviewer_comment == "Which shelters?"
    services.indicator_value_save(
        indicator=value.indicator, period=value.period, by=cso, actual=D(2)
    )
    services.indicator_value_submit(value=value, by=cso)
    assert _counted(value) is None
    services.indicator_value_approve(value=value, by=team)
    value.refresh_from_db()
    assert value.state == ValueState.APPROVED and value.reviewed_by == team
    assert _counted(value) == D(2)
    assert _steps(value) == [
        ("draft", "submitted"),
        ("submitted", "returned"),
        ("returned", "submitted"),
        ("submitted", "approved"),
    ]
    assert [t.actual for t in value.transitions.all()] == [D(3), D(3), D(2), D(2)]
    assert value.transitions.get(to_state="returned").comment == "Which shelters?"


def test_saving_a_value_leaves_the_target_as_the_programme_team_set_it(
    demo: dict[str, User],
) -> None:
    indicator = _indicator()
    IndicatorValue.objects.create(indicator=indicator, period=_period(), target=D(10))
    value = _draft(demo, indicator=indicator, actual=7)
    assert (value.target, value.actual) == (D(10), D(7))
    assert IndicatorValue.objects.filter(indicator=indicator).count() == 1


def test_a_value_by_sex_needs_women_men_and_other_adding_up_to_the_total(
    demo: dict[str, User],
) -> None:
    indicator = _indicator(by_sex=True)
    with pytest.raises(ValidationError) as missing:
        _draft(demo, indicator=indicator, actual=10, actual_women=D(6), actual_men=D(4))
    assert "actual_women" in missing.value.message_dict
    with pytest.raises(ValidationError) as wrong:
        _draft(
            demo,
            indicator=indicator,
            actual=10,
            actual_women=D(6),
            actual_men=D(3),
            actual_other=D(0),
        )
    assert "9" in wrong.value.message_dict["actual"][0]
    value = _draft(
        demo, indicator=indicator, actual=10, actual_women=D(6), actual_men=D(3), actual_other=D(1)
    )
    assert (value.actual_women, value.actual_men, value.actual_other) == (D(6), D(3), D(1))


def test_a_value_not_by_sex_keeps_no_parts(demo: dict[str, User]) -> None:
    value = _draft(demo, actual=5, actual_women=D(5), actual_men=D(0), actual_other=D(0))
    assert (value.actual_women, value.actual_men, value.actual_other) == (None, None, None)


def test_a_computed_indicator_takes_no_entered_value(demo: dict[str, User]) -> None:
    computed = _indicator(
        responsible=None, kind=IndicatorKind.COMPUTED, calculation="participants_trained"
    )
    with pytest.raises(ValidationError) as refused:
        services.indicator_value_save(
            indicator=computed, period=_period(), by=demo["demo-admin"], actual=D(1)
        )
    assert refused.value.code == "computed"


def test_another_institution_cannot_enter_or_review_a_value(demo: dict[str, User]) -> None:
    indicator = _indicator()
    for outsider in ("demo-cso-a", "demo-ministry", "demo-observer"):
        with pytest.raises(ValidationError):
            services.indicator_value_save(
                indicator=indicator, period=_period(), by=demo[outsider], actual=D(1)
            )
    value = _submitted(demo, indicator=indicator)
    with pytest.raises(ValidationError):
        services.indicator_value_approve(value=value, by=demo["demo-cso-b"])
    with pytest.raises(ValidationError):
        services.indicator_value_withdraw(value=value, by=demo["demo-cso-a"])
    value.refresh_from_db()
    assert value.state == ValueState.SUBMITTED


def test_a_period_that_has_not_begun_takes_no_value(demo: dict[str, User]) -> None:
    period = ReportingPeriod.objects.create(
        action=Action.objects.get(),
        name="Next year",
        start_date=timezone.localdate().replace(year=timezone.localdate().year + 1),
        end_date=timezone.localdate().replace(year=timezone.localdate().year + 1, month=12),
        due_date=timezone.localdate().replace(year=timezone.localdate().year + 2),
    )
    with pytest.raises(ValidationError) as refused:
        _draft(demo, period=period)
    assert refused.value.code == "future"


def test_a_form_older_than_the_last_save_is_refused(demo: dict[str, User]) -> None:
    value = _draft(demo, actual=4)
    opened = value.updated_at
    services.indicator_value_save(
        indicator=value.indicator, period=value.period, by=demo["demo-admin"], actual=D(5)
    )
    with pytest.raises(ValidationError) as stale:
        services.indicator_value_save(
            indicator=value.indicator,
            period=value.period,
            by=demo["demo-cso-b"],
            actual=D(6),
            seen_at=opened,
        )
    assert stale.value.code == "stale"
    value.refresh_from_db()
    assert value.actual == D(5)


def test_an_empty_form_opened_before_someone_entered_the_value_is_refused(
    demo: dict[str, User],
) -> None:
    indicator = _indicator()
    opened = timezone.now()
    _draft(demo, indicator=indicator, actual=4)
    with pytest.raises(ValidationError) as stale:
        _draft(demo, indicator=indicator, actual=8, seen_at=opened)
    assert stale.value.code == "stale"


def test_a_submitted_or_approved_value_cannot_be_edited(demo: dict[str, User]) -> None:
    value = _submitted(demo)
    with pytest.raises(ValidationError):
        _draft(demo, indicator=value.indicator, actual=9)
    services.indicator_value_approve(value=value, by=demo["demo-admin"])
    with pytest.raises(ValidationError):
        _draft(demo, indicator=value.indicator, actual=9)
    value.refresh_from_db()
    assert value.actual == D(4)


def test_submitting_needs_the_value(demo: dict[str, User]) -> None:
    row = IndicatorValue.objects.create(indicator=_indicator(), period=_period(), target=D(3))
    with pytest.raises(ValidationError):
        services.indicator_value_submit(value=row, by=demo["demo-cso-b"])


def test_the_submitter_withdraws_a_value_before_it_is_reviewed(demo: dict[str, User]) -> None:
    value = _submitted(demo)
    services.indicator_value_withdraw(value=value, by=demo["demo-cso-b"])
    value.refresh_from_db()
    assert value.state == ValueState.DRAFT and value.submitted_at is None
    assert _steps(value) == [("draft", "submitted"), ("submitted", "draft")]
    services.indicator_value_submit(value=value, by=demo["demo-cso-b"])
    services.indicator_value_approve(value=value, by=demo["demo-admin"])
    with pytest.raises(ValidationError):
        services.indicator_value_withdraw(value=value, by=demo["demo-cso-b"])


def test_the_programme_team_returns_an_approved_value_while_its_period_is_open(
    demo: dict[str, User],
) -> None:
    value = _approved(demo)
    assert _counted(value) == D(4)
    services.indicator_value_return(value=value, by=demo["demo-admin"], comment="Double counted")
    value.refresh_from_db()
    assert value.state == ValueState.RETURNED
    assert _counted(value) is None
    assert _steps(value)[-1] == ("approved", "returned")


def test_returning_needs_a_comment(demo: dict[str, User]) -> None:
    value = _submitted(demo)
    with pytest.raises(ValidationError) as refused:
        services.indicator_value_return(value=value, by=demo["demo-admin"], comment="  ")
    assert "reviewer_comment" in refused.value.message_dict
    value.refresh_from_db()
    assert value.state == ValueState.SUBMITTED


def test_a_closed_period_freezes_its_values(demo: dict[str, User], media: Path) -> None:
    cso, team = demo["demo-cso-b"], demo["demo-admin"]
    indicator = _indicator()
    value = _approved(demo, indicator=indicator)
    draft = _draft(demo, indicator=indicator, period=_period("2026 H2"))
    evidence = services.indicator_evidence_add(
        value=draft, by=cso, title="List", url="https://example.org/list"
    )
    services.reporting_period_close(period=_period(), by=team)
    services.reporting_period_close(period=_period("2026 H2"), by=team)
    value.refresh_from_db()
    draft.refresh_from_db()
    assert value.frozen_at is not None and draft.frozen_at is not None
    attempts: list[Callable[[], object]] = [
        lambda: services.indicator_value_return(value=value, by=team, comment="Late"),
        lambda: _draft(demo, indicator=indicator, actual=9),
        lambda: services.indicator_value_submit(value=draft, by=cso),
        lambda: services.indicator_evidence_add(
            value=draft, by=cso, title="More", url="https://example.org/more"
        ),
        lambda: services.indicator_evidence_remove(evidence=evidence, by=cso),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert refused.value.code == "closed"
    value.refresh_from_db()
    assert value.state == ValueState.APPROVED and value.actual == D(4)
    assert IndicatorEvidence.objects.filter(pk=evidence.pk).exists()


def test_a_closed_period_takes_no_new_value(demo: dict[str, User]) -> None:
    services.reporting_period_close(period=_period(), by=demo["demo-admin"])
    with pytest.raises(ValidationError) as refused:
        _draft(demo, indicator=_indicator())
    assert refused.value.code == "closed"


def test_evidence_is_added_and_removed_only_while_the_value_can_change(
    demo: dict[str, User], media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    cso = demo["demo-cso-b"]
    value = _draft(demo)
    evidence = services.indicator_evidence_add(
        value=value, by=cso, title="Visit report", file=SimpleUploadedFile("visit.pdf", PDF)
    )
    stored = media / str(evidence.file.name)
    assert stored.exists() and evidence.added_by == cso
    with pytest.raises(ValidationError):
        services.indicator_evidence_add(
            value=value, by=cso, title="Fake", file=SimpleUploadedFile("fake.pdf", b"MZ")
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.indicator_evidence_remove(evidence=evidence, by=cso)
    assert not stored.exists()
    kept = services.indicator_evidence_add(
        value=value, by=cso, title="Register", url="https://example.org/register"
    )
    services.indicator_value_submit(value=value, by=cso)
    with pytest.raises(ValidationError):
        services.indicator_evidence_remove(evidence=kept, by=cso)
    with pytest.raises(ValidationError):
        services.indicator_evidence_add(
            value=value, by=cso, title="Late", url="https://example.org/late"
        )
    kinds = [e.kind for e in selectors.indicator_value_history(value=value)]
    assert kinds == ["figures", "evidence_added", "evidence_removed", "evidence_added", "step"]


def test_the_history_names_each_figure_entered(demo: dict[str, User]) -> None:
    indicator = _indicator(by_sex=True)
    value = _draft(
        demo, indicator=indicator, actual=3, actual_women=D(1), actual_men=D(2), actual_other=D(0)
    )
    _draft(
        demo, indicator=indicator, actual=4, actual_women=D(2), actual_men=D(2), actual_other=D(0)
    )
    figures = [
        e.figures for e in selectors.indicator_value_history(value=value) if e.figures is not None
    ]
    assert [(f.total, f.women) for f in figures] == [(D(3), D(1)), (D(4), D(2))]


# --- Who sees what ----------------------------------------------------------------------------


def test_each_persona_reads_what_the_rule_allows(client: Client, demo: dict[str, User]) -> None:
    indicator = _indicator()
    draft = _draft(demo, indicator=indicator)
    submitted = _submitted(demo, indicator=indicator, period=_period("2026 H2"))
    approved = _approved(demo, indicator=indicator, period=_period("2025 H2"))
    expected = {
        "demo-cso-b": (200, 200, 200),
        "demo-admin": (200, 200, 200),
        "demo-observer": (404, 200, 200),
        "demo-cso-a": (404, 404, 200),
        "demo-ministry": (404, 404, 200),
    }
    for username, statuses in expected.items():
        _login(client, demo[username])
        got = tuple(
            client.get(reverse("programme:value_detail", args=[v.pk])).status_code
            for v in (draft, submitted, approved)
        )
        assert got == statuses, username


def test_a_read_only_member_reads_the_value_but_changes_nothing(
    client: Client, demo: dict[str, User]
) -> None:
    viewer = User.objects.create_user("cso-b-viewer")
    membership_set(
        user=viewer,
        institution=Institution.objects.get(code="demo-cso-b"),
        role=MembershipRole.VIEWER,
    )
    value = _draft(demo)
    _login(client, viewer)
    assert client.get(reverse("programme:value_detail", args=[value.pk])).status_code == 200
    for name in ("value_submit", "value_withdraw", "value_evidence_add"):
        url = reverse(f"programme:{name}", args=[value.pk])
        assert client.post(url).status_code == 403, name
    report = reverse("programme:value_report", args=[value.indicator_id, value.period_id])
    assert client.get(report).status_code == 403
    value.refresh_from_db()
    assert value.state == ValueState.DRAFT


def test_a_computed_indicator_has_no_report_page(client: Client, demo: dict[str, User]) -> None:
    computed = _indicator(
        responsible=None, kind=IndicatorKind.COMPUTED, calculation="participants_trained"
    )
    _login(client, demo["demo-admin"])
    url = reverse("programme:value_report", args=[computed.pk, _period().pk])
    assert client.get(url).status_code == 404


# --- Pages ------------------------------------------------------------------------------------


def test_the_institution_sees_its_indicators_to_report_and_others_do_not(
    client: Client, demo: dict[str, User]
) -> None:
    indicator = _indicator()
    teams = _indicator(responsible=None, code="R.2", title="Joint inspections held")
    _draft(demo, indicator=indicator, period=_period("2026 H2"))
    report = reverse("programme:value_report", args=[indicator.pk, _period().pk])

    page = _login(client, demo["demo-cso-b"]).get(reverse("programme:value_mine")).content.decode()
    assert indicator.title in page and teams.title not in page
    assert f'href="{report}"' in page
    assert "Edit" in page  # the 2026 H2 draft

    page = _login(client, demo["demo-admin"]).get(reverse("programme:value_mine")).content.decode()
    assert indicator.title in page and teams.title in page

    page = _login(client, demo["demo-cso-a"]).get(reverse("programme:value_mine")).content.decode()
    assert indicator.title not in page


def test_reporting_from_the_page_creates_then_edits_the_draft(
    client: Client, demo: dict[str, User]
) -> None:
    indicator = _indicator(by_sex=True)
    url = reverse("programme:value_report", args=[indicator.pk, _period().pk])
    _login(client, demo["demo-cso-b"])
    form = client.get(url).context["form"]
    seen_at = form.initial["seen_at"].isoformat()
    figures = {"actual": "10", "actual_women": "6", "actual_men": "3", "actual_other": "0"}
    response = client.post(url, figures | {"seen_at": seen_at})
    assert response.status_code == 200
    assert "actual" in response.context["form"].errors
    assert not IndicatorValue.objects.filter(indicator=indicator).exists()

    response = client.post(url, figures | {"actual_other": "1", "seen_at": seen_at})
    value = IndicatorValue.objects.get(indicator=indicator)
    assert response.status_code == 302
    assert response["Location"] == reverse("programme:value_detail", args=[value.pk])
    assert (value.actual, value.actual_other, value.state) == (D(10), D(1), ValueState.DRAFT)

    form = client.get(url).context["form"]
    assert form.initial["actual"] == D(10)
    client.post(url, figures | {"actual": "9", "seen_at": form.initial["seen_at"].isoformat()})
    value.refresh_from_db()
    assert value.actual == D(9)


def test_a_stale_form_shows_what_is_saved_and_saves_nothing(
    client: Client, demo: dict[str, User]
) -> None:
    value = _draft(demo, actual=4)
    url = reverse("programme:value_report", args=[value.indicator_id, value.period_id])
    _login(client, demo["demo-cso-b"])
    opened = client.get(url).context["form"].initial["seen_at"].isoformat()
    _draft(demo, indicator=value.indicator, actual=5)
    response = client.post(url, {"actual": "6", "seen_at": opened})
    assert response.status_code == 200
    assert "changed after you opened the form" in response.content.decode()
    assert response.context["value"].actual == D(5)
    value.refresh_from_db()
    assert value.actual == D(5)


def test_the_review_round_trip_through_the_pages(client: Client, demo: dict[str, User]) -> None:
    value = _draft(demo)
    cso = Client()
    _login(cso, demo["demo-cso-b"])
    team = Client()
    _login(team, demo["demo-admin"])
    detail = reverse("programme:value_detail", args=[value.pk])
    review = reverse("programme:value_review", args=[value.pk])

    assert cso.post(reverse("programme:value_submit", args=[value.pk])).status_code == 302
    assert "Record decision" in team.get(detail).content.decode()
    assert cso.post(review, {"decision": "approve"}).status_code == 403
    team.post(review, {"decision": "return", "comment": ""})
    value.refresh_from_db()
    assert value.state == ValueState.SUBMITTED
    team.post(review, {"decision": "return", "comment": "Add the list of shelters."})
    value.refresh_from_db()
    assert value.state == ValueState.RETURNED
    assert "Add the list of shelters." in cso.get(detail).content.decode()
    cso.post(reverse("programme:value_submit", args=[value.pk]))
    team.post(review, {"decision": "approve"})
    value.refresh_from_db()
    assert value.state == ValueState.APPROVED
    page = cso.get(detail).content.decode()
    assert "Submit for review" not in page and "Withdraw" not in page


def test_withdrawing_asks_first_and_the_history_says_so(
    client: Client, demo: dict[str, User]
) -> None:
    value = _submitted(demo)
    url = reverse("programme:value_withdraw", args=[value.pk])
    _login(client, demo["demo-cso-b"])
    detail = client.get(reverse("programme:value_detail", args=[value.pk])).content.decode()
    assert f'href="{url}"' in detail
    confirm = client.get(url)
    assert confirm.status_code == 200 and "Withdraw this value?" in confirm.content.decode()
    value.refresh_from_db()
    assert value.state == ValueState.SUBMITTED
    client.post(url)
    value.refresh_from_db()
    assert value.state == ValueState.DRAFT
    page = client.get(reverse("programme:value_detail", args=[value.pk])).content.decode()
    assert "Withdrawn" in page and "Submit for review" in page


def test_returning_an_approved_value_asks_for_a_comment(
    client: Client, demo: dict[str, User]
) -> None:
    value = _approved(demo)
    url = reverse("programme:value_review", args=[value.pk])
    _login(client, demo["demo-admin"])
    detail = client.get(reverse("programme:value_detail", args=[value.pk])).content.decode()
    assert f'href="{url}"' in detail
    page = client.get(url)
    assert "Return an approved value" in page.content.decode()
    response = client.post(url, {"decision": "return", "comment": ""})
    assert response.status_code == 200 and "comment" in response.context["form"].errors
    # An approved value cannot be approved again from a forged form.
    client.post(url, {"decision": "approve"})
    value.refresh_from_db()
    assert value.state == ValueState.APPROVED
    client.post(url, {"decision": "return", "comment": "Counted twice."})
    value.refresh_from_db()
    assert value.state == ValueState.RETURNED


def test_removing_evidence_asks_first(client: Client, demo: dict[str, User], media: Path) -> None:
    value = _draft(demo)
    _login(client, demo["demo-cso-b"])
    response = client.post(
        reverse("programme:value_evidence_add", args=[value.pk]),
        {"title": "Visit report", "file": SimpleUploadedFile("visit.pdf", PDF)},
    )
    assert response.status_code == 302
    evidence = IndicatorEvidence.objects.get(value=value)
    download = client.get(reverse("programme:value_evidence_download", args=[evidence.pk]))
    assert download["Content-Disposition"].startswith('attachment; filename="visit-report.pdf"')
    assert b"".join(download.streaming_content) == PDF
    url = reverse("programme:value_evidence_remove", args=[evidence.pk])
    assert "Remove this evidence?" in client.get(url).content.decode()
    assert IndicatorEvidence.objects.filter(pk=evidence.pk).exists()
    client.post(url)
    assert not IndicatorEvidence.objects.filter(pk=evidence.pk).exists()
    page = client.get(reverse("programme:value_detail", args=[value.pk])).content.decode()
    assert "evidence removed: Visit report" in page


def test_another_institution_cannot_download_the_evidence_of_a_draft(
    client: Client, demo: dict[str, User], media: Path
) -> None:
    value = _draft(demo)
    evidence = services.indicator_evidence_add(
        value=value,
        by=demo["demo-cso-b"],
        title="Visit report",
        file=SimpleUploadedFile("visit.pdf", PDF),
    )
    url = reverse("programme:value_evidence_download", args=[evidence.pk])
    assert _login(client, demo["demo-cso-a"]).get(url).status_code == 404
    assert _login(client, demo["demo-observer"]).get(url).status_code == 404
    response = _login(client, demo["demo-admin"]).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


# --- What the dashboard can ask ---------------------------------------------------------------


def test_values_owed_and_waiting_for_review(demo: dict[str, User]) -> None:
    indicator = _indicator()
    teams = _indicator(responsible=None, code="R.2")
    cso_b = Institution.objects.get(code="demo-cso-b").pk
    today = date(2026, 7, 20)  # 2026 H1 ended, due 15 July; 2026 H2 has begun
    owed = selectors.indicator_values_owed(today=today, institution_ids=[cso_b])
    assert {(o.indicator, o.period.name, o.overdue) for o in owed} == {
        (indicator, "2026 H1", True),
        (indicator, "2026 H2", False),
    }
    with_team = selectors.indicator_values_owed(
        today=today, institution_ids=[], programme_team=True
    )
    assert {o.indicator for o in with_team} & {indicator, teams} == {teams}

    value = _submitted(demo, indicator=indicator)
    owed = selectors.indicator_values_owed(today=today, institution_ids=[cso_b])
    assert [o.period.name for o in owed] == ["2026 H2"]
    assert value in selectors.indicator_values_to_review()
    services.indicator_value_return(value=value, by=demo["demo-admin"], comment="Which ones?")
    owed = selectors.indicator_values_owed(today=today, institution_ids=[cso_b])
    assert [(o.period.name, o.returned) for o in owed] == [("2026 H1", True), ("2026 H2", False)]
    assert value not in selectors.indicator_values_to_review()
