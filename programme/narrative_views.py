"""Pages of the period narrative: the programme team writes, for each reporting period, an
executive summary, a narrative per outcome, the risks with their mitigation and the next
steps, each in English, Macedonian and Albanian; the committee report opens with them.

Only the programme team opens these pages (``permissions.check_change_framework``). Each
view looks the period up, passes the gate, calls a service and redirects.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.portal import AuthenticatedRequest
from programme import permissions, selectors, services
from programme.models import Outcome, PeriodNarrative, PeriodRisk, ReportingPeriod
from programme.narrative_forms import NarrativeTextsForm, PeriodRiskForm

# The period's own texts, as their addresses name them.
PARTS = {
    "executive-summary": ("executive_summary", gettext_lazy("Executive summary")),
    "next-steps": ("next_steps", gettext_lazy("Next steps")),
}


def _period_for_narrative(request: AuthenticatedRequest, pk: int) -> ReportingPeriod:
    """The period whose narrative the user writes: 404 when unknown, 403 for anyone but the
    programme team (periods are shared reference data, as on the results pages)."""
    period: ReportingPeriod = get_object_or_404(
        ReportingPeriod.objects.select_related("action"), pk=pk
    )
    permissions.check_change_framework(request.user)
    return period


def _to_narrative(period: ReportingPeriod) -> HttpResponse:
    return redirect("programme:narrative_period", pk=period.pk)


def _errors_add(form: forms.BaseForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            # A model field is the English column of the form ("description" → "_en").
            name = field if field in form.fields else f"{field}_en"
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _form_page(
    request: AuthenticatedRequest,
    period: ReportingPeriod,
    form: forms.Form,
    *,
    heading: Any,
    intro: Any = "",
) -> HttpResponse:
    return render(
        request,
        "programme/narrative/text_form.html",
        {"period": period, "form": form, "heading": heading, "intro": intro},
    )


@login_required
@require_safe
def narrative_period(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Every part of the period's narrative, with its state in each language."""
    period = _period_for_narrative(request, pk)
    return render(
        request,
        "programme/narrative/period.html",
        {
            "period": period,
            "overview": selectors.period_narrative_overview(period=period),
            "last_change": selectors.narrative_last_change(period=period, by=request.user),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def narrative_part_edit(request: AuthenticatedRequest, pk: int, part: str) -> HttpResponse:
    period = _period_for_narrative(request, pk)
    if part not in PARTS:
        raise Http404
    field, label = PARTS[part]
    narrative = PeriodNarrative.objects.filter(period=period).first()
    form = NarrativeTextsForm(request.POST or None, texts=[(field, label)], instance=narrative)
    if request.method == "POST" and form.is_valid():
        try:
            services.period_narrative_save(
                period=period,
                by=request.user,
                texts=form.cleaned_texts(),
                origins=form.cleaned_origins(),
            )
        except ValidationError as exc:
            _errors_add(form, exc)
        else:
            messages.success(request, _("%(part)s is saved.") % {"part": label})
            return _to_narrative(period)
    return _form_page(request, period, form, heading=label)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def narrative_outcome_edit(request: AuthenticatedRequest, pk: int, outcome: int) -> HttpResponse:
    period = _period_for_narrative(request, pk)
    found: Outcome = get_object_or_404(Outcome, pk=outcome, action_id=period.action_id)
    narrative = found.narratives.filter(period=period).first()
    heading = _("Outcome %(code)s: %(title)s") % {"code": found.code, "title": found.title}
    form = NarrativeTextsForm(
        request.POST or None, texts=[("text", _("Narrative"))], instance=narrative
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.outcome_narrative_save(
                period=period,
                outcome=found,
                by=request.user,
                texts=form.cleaned_texts()["text"],
                origins=form.cleaned_origins()["text"],
            )
        except ValidationError as exc:
            _errors_add(form, exc)
        else:
            messages.success(
                request, _("The narrative of outcome %(code)s is saved.") % {"code": found.code}
            )
            return _to_narrative(period)
    return _form_page(
        request,
        period,
        form,
        heading=heading,
        intro=_("How the outcome progressed in the period: what its figures do not say."),
    )


def _risk_save(
    request: AuthenticatedRequest, period: ReportingPeriod, risk: PeriodRisk | None
) -> HttpResponse:
    initial = {} if risk is not None else {"order": period.risks.count() + 1}
    form = PeriodRiskForm(request.POST or None, instance=risk, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.period_risk_save(
                period=period,
                risk=risk,
                by=request.user,
                texts=form.cleaned_texts(),
                origins=form.cleaned_origins(),
                **form.choices_data(),
            )
        except ValidationError as exc:
            _errors_add(form, exc)
        else:
            messages.success(request, _("The risk is saved."))
            return _to_narrative(period)
    heading = _("Edit a risk") if risk is not None else _("Add a risk")
    return _form_page(request, period, form, heading=heading)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def narrative_risk_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _risk_save(request, _period_for_narrative(request, pk), None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def narrative_risk_edit(request: AuthenticatedRequest, pk: int, risk: int) -> HttpResponse:
    period = _period_for_narrative(request, pk)
    return _risk_save(request, period, get_object_or_404(PeriodRisk, pk=risk, period=period))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def narrative_risk_remove(request: AuthenticatedRequest, pk: int, risk: int) -> HttpResponse:
    period = _period_for_narrative(request, pk)
    found = get_object_or_404(PeriodRisk, pk=risk, period=period)
    if request.method == "POST":
        services.period_risk_remove(risk=found, by=request.user)
        messages.success(request, _("The risk is taken off the period."))
        return _to_narrative(period)
    return render(
        request, "programme/narrative/risk_remove_confirm.html", {"period": period, "risk": found}
    )


@login_required
@require_POST
def narrative_undo(request: AuthenticatedRequest, pk: int, kind: str, record: int) -> HttpResponse:
    """Undo the user's last change to a part of the narrative (the page offers it)."""
    period = _period_for_narrative(request, pk)
    model = selectors.NARRATIVE_KINDS.get(kind)
    if model is None:
        raise Http404
    try:
        services.narrative_change_undo(model=model, pk=record, period=period, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Your last change is undone."))
    return _to_narrative(period)
