"""Pages of the results framework: the tree, the IPTT and its exports, an indicator's page,
its settings, and closing or reopening a reporting period.

Every figure comes from ``programme.results.framework_figures`` (or its one-indicator form),
so the pages, the exports, the dashboard and the committee report show the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from core.portal import AuthenticatedRequest, private_download
from core.spreadsheets import write_csv, write_xlsx
from programme import permissions, services
from programme.calculations import Ask, Calculation, Source, Span, calculation_get
from programme.choices import IndicatorStatus, ValueState
from programme.forms import IndicatorSettingsForm
from programme.models import (
    Action,
    Indicator,
    ReportingPeriod,
)
from programme.results import (
    IndicatorFigures,
    OutcomeFigures,
    framework_figures,
    indicator_figures_one,
)
from programme.selectors import (
    action_primary,
    figure_text,
    indicator_history,
    parameters_in_words,
)

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
# What an indicator's page lists before it says how many more there are.
SOURCES_SHOWN = 100
HISTORY_SHOWN = 50


def _form_errors_add(form: forms.BaseForm, exc: ValidationError) -> None:
    """A service's error on the field it names, or above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _periods(action: Action) -> list[ReportingPeriod]:
    return list(action.periods.select_related("closed_by").order_by("start_date"))


def _period_chosen(
    request: AuthenticatedRequest, action: Action, periods: Sequence[ReportingPeriod]
) -> ReportingPeriod | None:
    """The period asked for (``?period=``), else the latest that has begun, else the first."""
    wanted = request.GET.get("period", "")
    for period in periods:
        if str(period.pk) == wanted:
            return period
    today = timezone.localdate()
    begun = [p for p in periods if p.start_date <= today]
    if begun:
        return begun[-1]
    return periods[0] if periods else None


def _action_or_404() -> Action:
    action = action_primary()
    if action is None:
        raise Http404(_("No action is recorded yet."))
    return action


def _states_visible(request: AuthenticatedRequest, action: Action) -> set[int]:
    """The reported values whose workflow state the reader may see (one query)."""
    return set(
        permissions.indicator_values_visible_to(request.user)
        .filter(indicator__outcome__action=action)
        .values_list("pk", flat=True)
    )


# --- The framework ----------------------------------------------------------------------------


@login_required
@require_safe
def framework(request: AuthenticatedRequest) -> HttpResponse:
    """The framework as a tree (outcome → output → indicator) judged at the chosen period."""
    action = action_primary()
    if action is None:
        return render(request, "programme/results/framework.html", {"action": None})
    periods = _periods(action)
    chosen = _period_chosen(request, action, periods)
    return render(
        request,
        "programme/results/framework.html",
        {
            "action": action,
            "periods": periods,
            "chosen": chosen,
            "blocks": framework_figures(action=action, at=chosen),
            "states_visible": _states_visible(request, action),
            "can_change": permissions.may_change_framework(request.user),
            "reports_values": permissions.indicators_listed_for(request.user).exists(),
        },
    )


# --- The Indicator Performance Tracking Table -------------------------------------------------


@dataclass(frozen=True)
class SexRow:
    """An indicator's values for one sex, per period and to date (its targets are not split)."""

    label: str
    values: list[Decimal | None]
    to_date: Decimal | None


@dataclass(frozen=True)
class IpttRow:
    figures: IndicatorFigures
    sexes: list[SexRow]


def _iptt_rows(figures: IndicatorFigures) -> IpttRow:
    sexes = []
    if figures.indicator.by_sex:
        sexes = [
            SexRow(
                label=label,
                values=[getattr(p.value, part) for p in figures.periods],
                to_date=getattr(figures.to_date, part),
            )
            for part, label in _sex_labels()
        ]
    return IpttRow(figures=figures, sexes=sexes)


@login_required
@require_safe
def iptt(request: AuthenticatedRequest) -> HttpResponse:
    """Indicator Performance Tracking Table: per period target, actual and % met, then the
    value to date at the chosen period, the end target, how far it is, and the status."""
    action = _action_or_404()
    periods = _periods(action)
    chosen = _period_chosen(request, action, periods)
    blocks = framework_figures(action=action, at=chosen)
    return render(
        request,
        "programme/results/iptt.html",
        {
            "action": action,
            "periods": periods,
            "chosen": chosen,
            "blocks": [(block, [_iptt_rows(f) for f in block.indicators]) for block in blocks],
            "columns": 2 + 3 * len(periods) + 5,
            "states_visible": _states_visible(request, action),
        },
    )


def _sex_labels() -> list[tuple[str, str]]:
    return [
        ("women", _("of which women")),
        ("men", _("of which men")),
        ("other", _("of which other or not stated")),
    ]


def _status_label(status: str) -> str:
    return str(IndicatorStatus(status).label)


def iptt_table(
    *, blocks: Sequence[OutcomeFigures], periods: Sequence[ReportingPeriod]
) -> tuple[list[str], list[list[Any]]]:
    """The IPTT as a header and rows of cells, for the spreadsheets: the page's numbers.

    One row per indicator, and for an indicator counted by sex one row per sex under it,
    with the values (its targets are not split by sex). Differences between a frozen value
    and what the records give today are named in the last column.
    """
    headers = [
        _("Outcome"),
        _("Output"),
        _("Code"),
        _("Indicator"),
        _("Unit"),
        _("Disaggregation"),
        _("Baseline"),
    ]
    for period in periods:
        headers += [
            _("%(period)s: target") % {"period": period.name},
            _("%(period)s: actual") % {"period": period.name},
            _("%(period)s: %% met") % {"period": period.name},
        ]
    headers += [
        _("Value to date"),
        _("Target to date"),
        _("End-of-action target"),
        # xgettext:no-python-format
        _("% of end target"),
        _("Status"),
        _("Notes"),
    ]
    rows: list[list[Any]] = []
    for block in blocks:
        for figures in block.indicators:
            indicator = figures.indicator
            current = figures.current
            lead = [
                f"{block.outcome.code} {block.outcome.title}",
                f"{indicator.output.code} {indicator.output.title}" if indicator.output else "",
                indicator.code,
                indicator.title,
                indicator.unit,
            ]
            notes = [
                _("%(period)s: recomputed value differs: %(value)s")
                % {"period": p.period.name, "value": figure_text(p.recomputed.total)}
                for p in figures.periods
                if p.differs and p.recomputed is not None
            ]
            row = [*lead, _("Total"), indicator.baseline]
            for p in figures.periods:
                row += [p.target, p.value.total, p.percent_met]
            row += [
                figures.to_date.total,
                current.target_to_date if current is not None else None,
                indicator.target_end,
                figures.percent_of_end,
                _status_label(figures.status),
                "; ".join(notes),
            ]
            rows.append(row)
            if not indicator.by_sex:
                continue
            for part, label in _sex_labels():
                row = [*lead, label, None]
                for p in figures.periods:
                    row += [None, getattr(p.value, part), None]
                row += [getattr(figures.to_date, part), None, None, None, "", ""]
                rows.append(row)
    return [str(h) for h in headers], rows


@login_required
@require_safe
def iptt_export(request: AuthenticatedRequest, fmt: str) -> HttpResponse:
    """The IPTT as xlsx or csv, with the numbers of the page for the same period."""
    action = _action_or_404()
    periods = _periods(action)
    chosen = _period_chosen(request, action, periods)
    headers, rows = iptt_table(blocks=framework_figures(action=action, at=chosen), periods=periods)
    stem = f"iptt-{slugify(chosen.name) if chosen else 'all'}-{timezone.localdate():%Y-%m-%d}"
    if fmt == "csv":
        # Excel in Macedonian and Albanian separates columns with semicolons.
        delimiter = "," if (translation.get_language() or "en").startswith("en") else ";"
        response = HttpResponse(write_csv(headers, rows, delimiter=delimiter), CSV_TYPE)
        filename = f"{stem}.csv"
    else:
        response = HttpResponse(write_xlsx(headers, rows, title="IPTT"), XLSX_TYPE)
        filename = f"{stem}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return private_download(response)


# --- An indicator -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChartBar:
    x: float
    y: float
    width: float
    height: float
    kind: str  # "target" or "actual"


@dataclass(frozen=True)
class ChartLabel:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    """Target against actual per period, as bars an SVG draws; the table beside it has the
    same figures."""

    width: int
    height: int
    plot_top: int
    plot_bottom: int
    left: int
    bars: list[ChartBar]
    labels: list[ChartLabel]  # period names under the bars
    values: list[ChartLabel]  # the figure over each bar
    top_label: str
    description: str


CHART_GROUP = 64
CHART_BAR = 22
CHART_LEFT = 40
CHART_PLOT_TOP = 18
CHART_PLOT_BOTTOM = 150


def chart_of(figures: IndicatorFigures) -> Chart:
    """Each period's target and actual as two bars side by side, scaled to the largest."""
    amounts = [
        float(v) for p in figures.periods for v in (p.target, p.value.total) if v is not None
    ]
    top = max([*amounts, 1.0])
    plot = CHART_PLOT_BOTTOM - CHART_PLOT_TOP
    bars: list[ChartBar] = []
    labels: list[ChartLabel] = []
    values: list[ChartLabel] = []
    parts: list[str] = []
    for index, p in enumerate(figures.periods):
        x0 = CHART_LEFT + index * CHART_GROUP + 6
        for offset, kind, amount in ((0, "target", p.target), (CHART_BAR, "actual", p.value.total)):
            if amount is None:
                continue
            height = float(amount) / top * plot
            bars.append(
                ChartBar(
                    x=x0 + offset,
                    y=CHART_PLOT_BOTTOM - height,
                    width=CHART_BAR - 2,
                    height=height,
                    kind=kind,
                )
            )
            values.append(
                ChartLabel(
                    x=x0 + offset + (CHART_BAR - 2) / 2,
                    y=CHART_PLOT_BOTTOM - height - 4,
                    text=figure_text(amount),
                )
            )
        labels.append(ChartLabel(x=x0 + CHART_BAR, y=CHART_PLOT_BOTTOM + 16, text=p.period.name))
        parts.append(
            _("%(period)s: target %(target)s, actual %(actual)s")
            % {
                "period": p.period.name,
                "target": figure_text(p.target),
                "actual": figure_text(p.value.total),
            }
        )
    width = CHART_LEFT + max(len(figures.periods), 1) * CHART_GROUP + 8
    return Chart(
        width=width,
        height=CHART_PLOT_BOTTOM + 26,
        plot_top=CHART_PLOT_TOP,
        plot_bottom=CHART_PLOT_BOTTOM,
        left=CHART_LEFT,
        bars=bars,
        labels=labels,
        values=values,
        top_label=figure_text(Decimal(str(top))),
        description="; ".join(parts),
    )


def _sources(
    indicator: Indicator, calculation: Calculation | None, period: ReportingPeriod | None, user: Any
) -> list[Source] | None:
    if calculation is None or period is None:
        return None
    ask = Ask(
        indicator=indicator.pk,
        action=indicator.outcome.action_id,
        parameters=indicator.parameters or {},
    )
    return calculation.sources(ask, Span(period.start_date, period.end_date), user)


@login_required
@require_safe
def indicator_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    indicator = permissions.indicator_for_view(request.user, pk)
    action = indicator.outcome.action
    periods = _periods(action)
    chosen = _period_chosen(request, action, periods)
    figures = indicator_figures_one(indicator=indicator, at=chosen)
    calculation = calculation_get(indicator.calculation) if indicator.is_computed else None
    sources = _sources(indicator, calculation, chosen, request.user)
    history = indicator_history(
        indicator=indicator,
        periods=periods,
        values_visible=permissions.indicator_values_visible_to(request.user),
    )
    evidence = (
        permissions.indicator_evidence_visible_to(request.user)
        .filter(value__indicator=indicator, value__state=ValueState.APPROVED)
        .select_related("value__period")
        .order_by("value__period__start_date", "pk")
    )
    return render(
        request,
        "programme/results/indicator_detail.html",
        {
            "indicator": indicator,
            "action": action,
            "periods": periods,
            "chosen": chosen,
            "figures": figures,
            "current": figures.period(chosen) if chosen else None,
            "chart": chart_of(figures),
            "calculation": calculation,
            "parameters": parameters_in_words(indicator, calculation) if calculation else [],
            "sources": sources[:SOURCES_SHOWN] if sources is not None else None,
            "source_count": len(sources) if sources is not None else 0,
            "evidence": list(evidence),
            "history": history[:HISTORY_SHOWN],
            "history_count": len(history),
            "states_visible": _states_visible(request, action),
            "can_change": permissions.may_change_framework(request.user),
            "may_report": permissions.may_report_on_indicator(request.user, indicator),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def indicator_settings(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    indicator = permissions.indicator_for_settings(request.user, pk)
    periods = _periods(indicator.outcome.action)
    targets = {row.period_id: row.target for row in indicator.values.all()}
    form = IndicatorSettingsForm(
        request.POST or None, indicator=indicator, periods=periods, targets=targets
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.indicator_settings_save(
                indicator=indicator, by=request.user, **form.settings()
            )
        except ValidationError as exc:
            _form_errors_add(form, exc)
        else:
            messages.success(request, _("The indicator's settings are saved."))
            return redirect("programme:results_indicator", pk=indicator.pk)
    return render(
        request,
        "programme/results/indicator_settings.html",
        {"indicator": indicator, "form": form},
    )


# --- Closing and reopening a period -----------------------------------------------------------


def _period_change(request: AuthenticatedRequest, pk: int, *, close: bool) -> HttpResponse:
    # Periods are shared reference data: anyone signed in may know one exists.
    period = get_object_or_404(ReportingPeriod.objects.select_related("action"), pk=pk)
    permissions.check_change_framework(request.user)
    error: ValidationError | None = None
    if request.method == "POST":
        try:
            if close:
                services.reporting_period_close(period=period, by=request.user)
            else:
                services.reporting_period_reopen(period=period, by=request.user)
        except ValidationError as exc:
            error = exc
        else:
            if close:
                message = _("%(period)s is closed: its indicator values are frozen.")
            else:
                message = _("%(period)s is open again: its values follow the records.")
            messages.success(request, message % {"period": period.name})
            return redirect(f"{reverse('programme:results_framework')}?period={period.pk}")
    return render(
        request,
        "programme/results/period_confirm.html",
        {"period": period, "close": close, "errors": error.messages if error else []},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def period_close(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _period_change(request, pk, close=True)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def period_reopen(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _period_change(request, pk, close=False)
