"""Pages of the results framework: the tree, the IPTT and its exports, an indicator's page,
its settings, and closing or reopening a reporting period.

Every figure comes from ``programme.results.framework_figures`` (or its one-indicator form),
so the pages, the exports, the dashboard and the committee report show the same numbers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from core.figures import figures_cached
from core.links import url_for_each
from core.portal import AuthenticatedRequest, private_download
from core.spreadsheets import write_csv, write_xlsx
from programme import permissions, services
from programme.calculations import Ask, Calculation, Source, Span, calculation_get
from programme.choices import IndicatorStatus, ValueState
from programme.forms import IndicatorSettingsForm
from programme.models import (
    Action,
    Indicator,
    Outcome,
    ReportingPeriod,
)
from programme.results import (
    IndicatorFigures,
    OutcomeFigures,
    framework_figures,
    framework_title_origins,
    indicator_figures_over,
)
from programme.selectors import (
    action_primary,
    figure_text,
    indicator_history,
    parameters_in_words,
)
from stakeholders.selectors import persona_for

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


def _states_visible(request: AuthenticatedRequest, indicator: Indicator) -> set[int]:
    """The indicator's values whose workflow state the reader may see (one query; none for a
    computed indicator, whose page shows no state)."""
    if indicator.is_computed:
        return set()
    return set(
        permissions.indicator_values_visible_to(request.user)
        .filter(indicator=indicator)
        .order_by()
        .values_list("pk", flat=True)
    )


def _states_waiting_visible(
    request: AuthenticatedRequest, action: Action, period: ReportingPeriod | None
) -> set[int]:
    """Of the reported values of the period not counted yet, those whose workflow state the
    reader may see (one query): all the framework page names."""
    if period is None:
        return set()
    return set(
        permissions.indicator_values_visible_to(request.user)
        .filter(indicator__outcome__action=action, period=period)
        .exclude(state=ValueState.APPROVED)
        .order_by()
        .values_list("pk", flat=True)
    )


# --- The framework ----------------------------------------------------------------------------


class Numbers:
    """Figures written exactly as the ``floatformat`` filter writes them in the reader's
    language, each distinct value once: the framework repeats the same few numbers."""

    def __init__(self) -> None:
        self._written: dict[tuple[Decimal, str], str] = {}

    def __call__(self, value: Decimal | None, places: str = "-2") -> str:
        if value is None:
            return ""
        key = (value, places)
        text = self._written.get(key)
        if text is None:
            text = self._written[key] = floatformat(value, places)
        return text


@dataclass(frozen=True)
class FrameworkRow:
    """An indicator's line in the framework's tables, its figures at the chosen period
    written out once here rather than by a filter or an include in every cell."""

    figures: IndicatorFigures
    url: str
    settings_url: str
    baseline: str
    target: str
    value: str | None  # None: the indicator has no figures at the chosen period
    sexes: tuple[str, str, str] | None  # women, men, other
    frozen: bool
    recomputed: str | None  # what the records give now, when it differs from the frozen value
    state: str  # a reported value not counted yet, for those who may see it: its state
    state_label: str
    state_url: str
    to_date: str
    target_to_date: str
    target_end: str
    percent_of_end: str


@dataclass(frozen=True)
class FrameworkTable:
    """One table of the framework: an outcome's own indicators, or an output's."""

    code: str
    title: str
    rows: list[FrameworkRow]


@dataclass(frozen=True)
class FrameworkBlock:
    outcome: Outcome
    indicators: list[IndicatorFigures]
    outcome_level: list[FrameworkRow]
    outputs: list[FrameworkTable]


def _framework_blocks(
    blocks: Sequence[OutcomeFigures], *, chosen: ReportingPeriod | None, states_visible: set[int]
) -> list[FrameworkBlock]:
    """The framework's tables as the page writes them (``framework_figures``' numbers)."""
    number = Numbers()
    detail_url = url_for_each("programme:results_indicator")
    settings_url = url_for_each("programme:results_indicator_settings")
    value_url = url_for_each("programme:value_detail")
    query = f"?period={chosen.pk}" if chosen else ""

    def row(f: IndicatorFigures) -> FrameworkRow:
        indicator, pf = f.indicator, f.current
        value = sexes = recomputed = None
        frozen = False
        state = state_label = state_url = ""
        if pf is not None:
            value = number(pf.value.total) or "—"
            if indicator.by_sex and pf.value.has_sexes:
                sexes = (number(pf.value.women), number(pf.value.men), number(pf.value.other))
            frozen = pf.frozen
            if pf.differs and pf.recomputed is not None:
                recomputed = number(pf.recomputed.total) or "—"
            shown = pf.row
            if (
                not indicator.is_computed
                and shown is not None
                and shown.state != ValueState.APPROVED
                and shown.pk in states_visible
            ):
                state, state_label = shown.state, shown.get_state_display()
                state_url = value_url(shown.pk)
        percent_of_end = f.percent_of_end
        return FrameworkRow(
            figures=f,
            url=detail_url(indicator.pk) + query,
            settings_url=settings_url(indicator.pk),
            baseline=number(indicator.baseline),
            target=(number(pf.target) if pf is not None else "") or "—",
            value=value,
            sexes=sexes,
            frozen=frozen,
            recomputed=recomputed,
            state=state,
            state_label=state_label,
            state_url=state_url,
            to_date=number(f.to_date.total) or "—",
            target_to_date=(number(pf.target_to_date) if pf is not None else "") or "—",
            target_end=number(indicator.target_end) or "—",
            percent_of_end="—" if percent_of_end is None else f"{number(percent_of_end, '-1')} %",
        )

    return [
        FrameworkBlock(
            outcome=block.outcome,
            indicators=block.indicators,
            outcome_level=[row(f) for f in block.outcome_level],
            outputs=[
                FrameworkTable(
                    code=output.code,
                    title=output.title,
                    rows=[row(f) for f in output.indicators],
                )
                for output in block.outputs
            ],
        )
        for block in blocks
    ]


# Part of the kept tables' key: code that writes them differently never reads older ones.
TABLES_FORMAT = 1


def framework_tables(
    request: AuthenticatedRequest,
    *,
    action: Action,
    chosen: ReportingPeriod | None,
    can_change: bool,
) -> SafeString:
    """The framework's outcome sections as the reader sees them, kept between requests.

    They are written once (``framework_figures`` and every row's figures) and kept under the
    version of ``core.figures``, which moves on any change to a record they show or count
    (an indicator, a value, a period, an outcome, an output, the records a calculation
    counts), so the next request writes them again. The rest of what they depend on is in
    the key: the language, the period, whether the reader may change the framework, which
    values waiting for review the reader may see, and where the titles' translations come
    from (which moves no version).
    """
    language = translation.get_language() or settings.LANGUAGE_CODE
    waiting = _states_waiting_visible(request, action, chosen)
    origins = framework_title_origins(action=action, language=language)
    digest = hashlib.sha256(json.dumps([sorted(waiting), origins]).encode()).hexdigest()[:32]
    key = (
        f"results:framework:{TABLES_FORMAT}:{action.pk}:{chosen.pk if chosen else 0}:"
        f"{language}:{int(can_change)}:{digest}"
    )

    def write() -> str:
        blocks = framework_figures(action=action, at=chosen)
        return render_to_string(
            "programme/results/framework_tables.html",
            {
                "sections": _framework_blocks(blocks, chosen=chosen, states_visible=waiting),
                "chosen": chosen,
                "can_change": can_change,
            },
        )

    # Written here from the template, escaped as it was rendered.
    return SafeString(figures_cached(key, write))


@login_required
@require_safe
def framework(request: AuthenticatedRequest) -> HttpResponse:
    """The framework as a tree (outcome → output → indicator) judged at the chosen period."""
    action = action_primary()
    if action is None:
        return render(request, "programme/results/framework.html", {"action": None})
    periods = _periods(action)
    chosen = _period_chosen(request, action, periods)
    can_change = permissions.may_change_framework(request.user)
    return render(
        request,
        "programme/results/framework.html",
        {
            "action": action,
            "periods": periods,
            "chosen": chosen,
            "tables": framework_tables(
                request, action=action, chosen=chosen, can_change=can_change
            ),
            "can_change": can_change,
            "reports_values": permissions.indicators_listed_for(request.user).exists(),
        },
    )


# --- The Indicator Performance Tracking Table -------------------------------------------------


@dataclass(frozen=True)
class IpttCell:
    """An indicator's three cells for one period, written out once."""

    target: str
    actual: str
    frozen: bool
    recomputed: str | None  # what the records give now, when it differs from the frozen value
    percent_met: str


@dataclass(frozen=True)
class SexRow:
    """An indicator's values for one sex, per period and to date (its targets are not split)."""

    label: str
    values: list[str]
    to_date: str


@dataclass(frozen=True)
class IpttRow:
    """An indicator's line of the IPTT, its figures written out once here rather than by a
    filter or an include in every cell (as the framework's ``FrameworkRow``)."""

    figures: IndicatorFigures
    url: str
    baseline: str
    cells: list[IpttCell]
    to_date: str
    target_to_date: str
    target_end: str
    percent_of_end: str
    status_label: str
    sexes: list[SexRow]


def _iptt_blocks(
    blocks: Sequence[OutcomeFigures], *, chosen: ReportingPeriod | None
) -> list[tuple[OutcomeFigures, list[IpttRow]]]:
    """The IPTT's rows as the page writes them (``framework_figures``' numbers)."""
    number = Numbers()
    detail_url = url_for_each("programme:results_indicator")
    query = f"?period={chosen.pk}" if chosen else ""
    sex_labels = _sex_labels()
    status_labels: dict[str, str] = {}

    def percent_text(value: Decimal | None) -> str:
        return "—" if value is None else f"{number(value, '-1')} %"

    def row(f: IndicatorFigures) -> IpttRow:
        indicator, current = f.indicator, f.current
        cells = [
            IpttCell(
                target=number(p.target) or "—",
                actual=number(p.value.total) or "—",
                frozen=p.frozen,
                recomputed=((number(p.recomputed.total) if p.recomputed is not None else "") or "—")
                if p.differs
                else None,
                percent_met=percent_text(p.percent_met),
            )
            for p in f.periods
        ]
        sexes = []
        if indicator.by_sex:
            sexes = [
                SexRow(
                    label=label,
                    values=[number(getattr(p.value, part)) or "—" for p in f.periods],
                    to_date=number(getattr(f.to_date, part)) or "—",
                )
                for part, label in sex_labels
            ]
        status_label = status_labels.get(f.status)
        if status_label is None:
            status_label = status_labels[f.status] = _status_label(f.status)
        return IpttRow(
            figures=f,
            url=detail_url(indicator.pk) + query,
            baseline=number(indicator.baseline),
            cells=cells,
            to_date=number(f.to_date.total) or "—",
            target_to_date=(number(current.target_to_date) if current is not None else "") or "—",
            target_end=number(indicator.target_end) or "—",
            percent_of_end=percent_text(f.percent_of_end),
            status_label=status_label,
            sexes=sexes,
        )

    return [(block, [row(f) for f in block.indicators]) for block in blocks]


# Part of the kept IPTT's key: code that writes it differently never reads an older one.
IPTT_FORMAT = 1


def iptt_table_html(
    *, action: Action, periods: Sequence[ReportingPeriod], chosen: ReportingPeriod | None
) -> SafeString:
    """The IPTT's table as every reader sees it, kept between requests.

    Written once (``framework_figures`` and every row's figures) and kept under the version
    of ``core.figures``, as the framework's tables are (``framework_tables``): it moves on any
    change to a record the table shows or counts. The table names no workflow state and no
    translation's origin, so the rest of its key is the language and the period.
    """
    language = translation.get_language() or settings.LANGUAGE_CODE
    key = (
        f"results:iptt:{IPTT_FORMAT}:{action.pk}:{chosen.pk if chosen else 0}:{language}:"
        f"{','.join(str(p.pk) for p in periods)}"
    )

    def write() -> str:
        blocks = framework_figures(action=action, at=chosen)
        return render_to_string(
            "programme/results/iptt_table.html",
            {
                "periods": periods,
                "chosen": chosen,
                "blocks": _iptt_blocks(blocks, chosen=chosen),
                "columns": 2 + 3 * len(periods) + 5,
            },
        )

    # Written here from the template, escaped as it was rendered.
    return SafeString(figures_cached(key, write))


@login_required
@require_safe
def iptt(request: AuthenticatedRequest) -> HttpResponse:
    """Indicator Performance Tracking Table: per period target, actual and % met, then the
    value to date at the chosen period, the end target, how far it is, and the status."""
    action = _action_or_404()
    periods = _periods(action)
    chosen = _period_chosen(request, action, periods)
    return render(
        request,
        "programme/results/iptt.html",
        {
            "action": action,
            "periods": periods,
            "chosen": chosen,
            "table": iptt_table_html(action=action, periods=periods, chosen=chosen),
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
    """One bar; its place and size written once here as the SVG takes them (``_svg``)."""

    x: str
    y: str
    width: str
    height: str
    kind: str  # "target" or "actual"


@dataclass(frozen=True)
class ChartLabel:
    x: str  # written as the SVG takes it (``_svg``)
    y: str
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


def _svg(number: float) -> str:
    """A coordinate as the chart writes it: one decimal."""
    return f"{number:.1f}"


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
                    x=_svg(x0 + offset),
                    y=_svg(CHART_PLOT_BOTTOM - height),
                    width=_svg(CHART_BAR - 2),
                    height=_svg(height),
                    kind=kind,
                )
            )
            values.append(
                ChartLabel(
                    x=_svg(x0 + offset + (CHART_BAR - 2) / 2),
                    y=_svg(CHART_PLOT_BOTTOM - height - 4),
                    text=figure_text(amount),
                )
            )
        labels.append(
            ChartLabel(x=_svg(x0 + CHART_BAR), y=_svg(CHART_PLOT_BOTTOM + 16), text=p.period.name)
        )
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


# Part of the kept sources' key: code that lists them differently never reads older lists.
SOURCES_FORMAT = 1


def _sources_kept(
    indicator: Indicator, calculation: Calculation | None, period: ReportingPeriod | None, user: Any
) -> tuple[list[Source], int] | None:
    """The first ``SOURCES_SHOWN`` records the calculation counted in the period, as the
    reader may see them, and how many there are; kept between requests.

    Kept under the version of ``core.figures``, which moves on any change to a record a
    calculation counts and to what says who may see what (memberships, institutions, object
    permissions: ``dashboard.glance.COUNTED``), so the next request lists them again. The
    rest is in the key: the calculation and what it is asked, the period, the reader and what
    they are (``persona_for``), and the language of the labels.
    """
    if calculation is None or period is None:
        return None
    ask = Ask(
        indicator=indicator.pk,
        action=indicator.outcome.action_id,
        parameters=indicator.parameters or {},
    )
    span = Span(period.start_date, period.end_date)
    persona = persona_for(user)
    question = json.dumps(
        [
            [ask.indicator, ask.action, ask.parameters],
            [span.start.isoformat() if span.start else None, span.end.isoformat()],
            [
                user.pk,
                persona.is_authenticated,
                persona.is_programme_team,
                persona.is_observer,
                sorted(persona.member_of),
                sorted(persona.edits_for),
                sorted(persona.focal_point_for),
            ],
        ],
        sort_keys=True,
    )
    digest = hashlib.sha256(question.encode()).hexdigest()[:32]
    language = translation.get_language() or settings.LANGUAGE_CODE
    key = f"results:sources:{SOURCES_FORMAT}:{calculation.key}:{language}:{digest}"

    def listed() -> tuple[list[Source], int]:
        sources = calculation.sources(ask, span, user)
        return sources[:SOURCES_SHOWN], len(sources)

    return figures_cached(key, listed)


@login_required
@require_safe
def indicator_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    indicator = permissions.indicator_for_view(request.user, pk)
    action = indicator.outcome.action
    periods = _periods(action)
    chosen = _period_chosen(request, action, periods)
    figures = indicator_figures_over(indicator=indicator, periods=periods, at=chosen)
    calculation = calculation_get(indicator.calculation) if indicator.is_computed else None
    sources = _sources_kept(indicator, calculation, chosen, request.user)
    history = indicator_history(
        indicator=indicator,
        periods=periods,
        values_visible=permissions.indicator_values_visible_to(request.user),
    )
    # A computed indicator's page lists the records counted instead of evidence.
    evidence = (
        []
        if indicator.is_computed
        else list(
            permissions.indicator_evidence_visible_to(request.user)
            .filter(value__indicator=indicator, value__state=ValueState.APPROVED)
            .select_related("value__period")
            .order_by("value__period__start_date", "pk")
        )
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
            "sources": sources[0] if sources is not None else None,
            "source_count": sources[1] if sources is not None else 0,
            "evidence": evidence,
            "history": history[:HISTORY_SHOWN],
            "history_count": len(history),
            "states_visible": _states_visible(request, indicator),
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
