"""Pages of reported indicator values: entering them, their review, and their evidence.

Each view looks the record up through the gate in ``programme.permissions``, calls a service
and redirects, as the progress updates' pages do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.links import url_for_each
from core.portal import AuthenticatedRequest, file_download
from core.uploads import EvidenceForm
from programme import permissions, selectors, services
from programme.choices import ValueState
from programme.forms import IndicatorValueForm, IndicatorValueReviewForm
from programme.models import Indicator, IndicatorEvidence, IndicatorValue, ReportingPeriod

# The framework's writers: each number once per distinct value, each URL pattern reversed once.
from programme.results_views import Numbers


def _to_detail(value: IndicatorValue) -> HttpResponse:
    return redirect("programme:value_detail", pk=value.pk)


def _refused(request: AuthenticatedRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


@dataclass(frozen=True)
class MineSlot:
    """A period's line of the "to report" page, written out once here rather than by
    filters, URL tags and translations in every cell."""

    period: ReportingPeriod
    reported: bool
    is_open: bool
    actual: str
    target: str | None  # None: the period has no target
    state: str
    state_label: str
    view_url: str  # the value's page, when a value was entered
    actions: bool  # whether the line has buttons (or an empty place for them)
    report_url: str  # entering or correcting the value, when the reader may


@dataclass(frozen=True)
class MineRow:
    """A reported indicator on the "to report" page, its periods newest first."""

    indicator: Indicator
    slots: list[MineSlot]


def _mine_rows(user: Any, rows: list[selectors.IndicatorSlots]) -> list[MineRow]:
    """The page's lines, each number written once per distinct value and each URL pattern
    reversed once (as ``results_views._framework_blocks`` writes the framework)."""
    number = Numbers()
    detail_url = url_for_each("programme:value_detail")
    # The report page takes two numbers: its pattern reversed once, as ``url_for_each`` does.
    stand_in, other = "2147483647", "2147483646"
    report_first, report_rest = reverse("programme:value_report", args=[stand_in, other]).split(
        stand_in
    )
    report_middle, report_after = report_rest.split(other)
    states: dict[str, str] = {}

    def slot_of(indicator: Indicator, slot: selectors.ValueSlot, reportable: bool) -> MineSlot:
        value, reported, is_open = slot.value, slot.reported, slot.is_open
        state = state_label = view_url = report_url = ""
        actual = "—"
        if value is not None and reported:
            actual = number(value.actual) or "—"
            state = value.state
            state_label = states.get(state) or states.setdefault(state, value.get_state_display())
            view_url = detail_url(value.pk)
        if is_open and reportable and (value is None or value.is_editable):
            report_url = (
                f"{report_first}{indicator.pk}{report_middle}{slot.period.pk}{report_after}"
            )
        return MineSlot(
            period=slot.period,
            reported=reported,
            is_open=is_open,
            actual=actual,
            target=None if value is None or value.target is None else number(value.target),
            state=state,
            state_label=state_label,
            view_url=view_url,
            actions=reported or (is_open and reportable),
            report_url=report_url,
        )

    lines = []
    for row in rows:
        reportable = permissions.may_report_on_indicator(user, row.indicator)
        lines.append(
            MineRow(
                indicator=row.indicator,
                slots=[slot_of(row.indicator, slot, reportable) for slot in row.slots],
            )
        )
    return lines


@login_required
@require_safe
def value_mine(request: AuthenticatedRequest) -> HttpResponse:
    """The reported indicators the user's institutions answer for, period by period."""
    rows = selectors.indicator_values_by_period(
        indicators=permissions.indicators_listed_for(request.user), today=timezone.localdate()
    )
    return render(request, "programme/values/mine.html", {"rows": _mine_rows(request.user, rows)})


def _value_initial(value: IndicatorValue | None) -> dict[str, Any]:
    if value is None:
        # The form's age: a value someone saves after this moment is not overwritten.
        return {"seen_at": timezone.now()}
    return {
        "actual": value.actual,
        "actual_women": value.actual_women,
        "actual_men": value.actual_men,
        "actual_other": value.actual_other,
        "note": value.note,
        "seen_at": value.updated_at,
    }


@login_required
def value_report(request: AuthenticatedRequest, pk: int, period_pk: int) -> HttpResponse:
    """Enter a reported indicator's value for a period, or correct a draft or returned one."""
    indicator = permissions.indicator_for_report(request.user, pk)
    period = get_object_or_404(
        ReportingPeriod.objects.filter(action_id=indicator.outcome.action_id), pk=period_pk
    )
    value = (
        permissions.indicator_values_visible_to(request.user)
        .filter(indicator=indicator, period=period)
        .first()
    )
    if value is not None and not permissions.may_change_indicator_value(request.user, value):
        messages.error(request, _("This value can no longer be changed."))
        return _to_detail(value)
    if value is None and period.is_closed:
        messages.error(
            request,
            _("The period %(period)s is closed: its indicator values can no longer change.")
            % {"period": period.name},
        )
        return redirect("programme:value_mine")

    def form_for(data: Any, saved: IndicatorValue | None) -> IndicatorValueForm:
        return IndicatorValueForm(
            data,
            initial=_value_initial(saved),
            by_sex=indicator.by_sex,
            unit=indicator.unit,
        )

    form = form_for(request.POST or None, value)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.indicator_value_save(
                indicator=indicator,
                period=period,
                by=request.user,
                actual=data["actual"],
                actual_women=data.get("actual_women"),
                actual_men=data.get("actual_men"),
                actual_other=data.get("actual_other"),
                note=data["note"],
                seen_at=data["seen_at"],
            )
        except ValidationError as exc:
            if getattr(exc, "code", None) == "stale":
                # Show what is saved now; saving again is then a deliberate choice.
                value = (
                    permissions.indicator_values_visible_to(request.user)
                    .filter(indicator=indicator, period=period)
                    .first()
                )
                posted = request.POST.copy()
                posted["seen_at"] = _value_initial(value)["seen_at"].isoformat()
                form = form_for(posted, value)
                form.is_valid()
            form.add_error(None, exc)
        else:
            messages.success(request, _("Draft saved. Add evidence, then submit it for review."))
            return _to_detail(saved)
    return render(
        request,
        "programme/values/value_form.html",
        {"form": form, "indicator": indicator, "period": period, "value": value},
    )


@login_required
@require_safe
def value_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    value = permissions.indicator_value_for_view(request.user, pk)
    user = request.user
    can_review = permissions.may_review_indicator_value(user, value)
    return render(
        request,
        "programme/values/value_detail.html",
        {
            "value": value,
            "indicator": value.indicator,
            "evidence": list(value.evidence.all()),
            "history": selectors.indicator_value_history(value=value),
            "is_open": permissions.indicator_value_is_open(value),
            "can_edit": permissions.may_change_indicator_value(user, value),
            "can_withdraw": permissions.may_withdraw_indicator_value(user, value),
            "can_review": can_review and value.state == ValueState.SUBMITTED,
            "can_take_back": can_review and value.state == ValueState.APPROVED,
            "review_form": IndicatorValueReviewForm(),
        },
    )


@login_required
@require_POST
def value_submit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    value = permissions.indicator_value_for_change(request.user, pk)
    try:
        services.indicator_value_submit(value=value, by=request.user)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request, _("Submitted for review. You can withdraw it until it is reviewed.")
        )
    return _to_detail(value)


@login_required
def value_withdraw(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Asks first; the value becomes a draft again, and the history says so."""
    value = permissions.indicator_value_for_change(request.user, pk)
    if not permissions.may_withdraw_indicator_value(request.user, value):
        messages.error(
            request, _("Only a submitted value that is not reviewed yet can be withdrawn.")
        )
        return _to_detail(value)
    if request.method == "POST":
        try:
            services.indicator_value_withdraw(value=value, by=request.user)
        except ValidationError as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("Withdrawn: the value is a draft again."))
        return _to_detail(value)
    return render(request, "programme/values/withdraw_confirm.html", {"value": value})


@login_required
def value_review(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Approve or return a submitted value; or return an approved one, after a warning."""
    value = permissions.indicator_value_for_review(request.user, pk)
    if not permissions.may_review_indicator_value(request.user, value):
        messages.error(request, _("This value is not waiting for review."))
        return _to_detail(value)
    approved = value.state == ValueState.APPROVED
    form = IndicatorValueReviewForm(request.POST or None, approved=approved)
    if request.method == "POST" and form.is_valid():
        comment = form.cleaned_data["comment"]
        try:
            if form.cleaned_data["decision"] == "approve":
                services.indicator_value_approve(value=value, by=request.user, comment=comment)
                messages.success(request, _("Approved. The value now counts in the results."))
            else:
                services.indicator_value_return(value=value, by=request.user, comment=comment)
                messages.success(request, _("Returned to the institution with your comment."))
        except ValidationError as exc:
            _refused(request, exc)
        return _to_detail(value)
    return render(
        request,
        "programme/values/value_review.html",
        {"value": value, "indicator": value.indicator, "form": form, "approved": approved},
    )


@login_required
def value_evidence_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    value = permissions.indicator_value_for_change(request.user, pk)
    if not permissions.may_change_indicator_value(request.user, value):
        messages.error(
            request, _("Evidence can only be added while the value is a draft or returned.")
        )
        return _to_detail(value)
    form = EvidenceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.indicator_evidence_add(
                value=value,
                by=request.user,
                title=form.cleaned_data["title"],
                file=form.cleaned_data.get("file"),
                url=form.cleaned_data.get("url") or "",
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Evidence added."))
            return _to_detail(value)
    return render(request, "programme/values/evidence_form.html", {"form": form, "value": value})


def evidence_download_name(evidence: IndicatorEvidence) -> str:
    """A safe file name for the download: the title's letters and the file's extension."""
    stem = slugify(evidence.title, allow_unicode=True) or "evidence"
    return f"{stem[:80]}{Path(evidence.file.name or '').suffix.lower()}"


@login_required
@require_safe
def value_evidence_download(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    evidence = permissions.indicator_evidence_for_download(request.user, pk)
    return file_download(request, evidence.file, filename=evidence_download_name(evidence))


@login_required
def value_evidence_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Asks first; the history keeps that the evidence was there."""
    evidence = permissions.indicator_evidence_for_change(request.user, pk)
    value = evidence.value
    if not permissions.may_change_indicator_value(request.user, value):
        messages.error(
            request, _("Evidence can only be removed while the value is a draft or returned.")
        )
        return _to_detail(value)
    if request.method == "POST":
        try:
            services.indicator_evidence_remove(evidence=evidence, by=request.user)
        except ValidationError as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("Evidence removed."))
        return _to_detail(value)
    return render(
        request,
        "programme/values/evidence_remove_confirm.html",
        {"evidence": evidence, "value": value},
    )
