"""The catalogue of calculations a computed indicator can use.

The results framework lives here, but the records it counts belong to the apps above it
(trainings, research, recommendations). Each of those apps registers its calculations in
its ``AppConfig.ready``; the framework asks the catalogue and never imports them.

A calculation measures many indicators over many spans at once, in a fixed number of
queries (one per calculation, however many indicators use it and however many periods the
framework has): the framework page, the committee report and the exports all call
``measures_for`` and so show the same figures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext as _

ZERO = Decimal(0)


@dataclass(frozen=True)
class Span:
    """The days a value is measured over; ``start`` None means from the beginning."""

    start: date | None
    end: date

    def covers(self, day: date | None) -> bool:
        return day is not None and (self.start is None or day >= self.start) and day <= self.end


@dataclass(frozen=True)
class Measure:
    """A value, and for a value counted by sex its parts, which always add up to it."""

    total: Decimal | None
    women: Decimal | None = None
    men: Decimal | None = None
    other: Decimal | None = None

    @classmethod
    def by_sex(cls, women: Any, men: Any, other: Any) -> Measure:
        w, m, o = Decimal(women or 0), Decimal(men or 0), Decimal(other or 0)
        return cls(total=w + m + o, women=w, men=m, other=o)

    @classmethod
    def of(cls, value: Any) -> Measure:
        return cls(total=None if value is None else Decimal(value))

    @property
    def has_sexes(self) -> bool:
        return self.women is not None


EMPTY = Measure(total=None)


@dataclass(frozen=True)
class Parameter:
    """One setting of a calculation, chosen by the programme team from a list of options."""

    name: str
    label: Promise
    options: Callable[[], list[tuple[str, str]]]  # (value, label), read when a form is shown
    many: bool = True
    help_text: Promise | str = ""


@dataclass(frozen=True)
class Source:
    """A record a computed value counted, as a reader who may see it sees it."""

    label: str
    url: str
    detail: str = ""


@dataclass(frozen=True)
class Ask:
    """One computed indicator's question to its calculation."""

    indicator: int  # the indicator's id, which the answers are keyed by
    action: int  # the action whose records count
    parameters: Mapping[str, Any]


Measurer = Callable[[Sequence[Ask], Sequence[Span]], dict[tuple[int, Span], Measure]]
Sourcer = Callable[[Ask, Span, Any], list[Source]]


def span_q(lookup: str, span: Span) -> Q:
    """Records whose date under ``lookup`` falls in the span."""
    q = Q(**{f"{lookup}__lte": span.end})
    if span.start is not None:
        q &= Q(**{f"{lookup}__gte": span.start})
    return q


@dataclass(frozen=True)
class Calculation:
    """A documented way of computing an indicator's value from the platform's records.

    ``measure`` takes every indicator that uses the calculation (an ``Ask`` each) and the
    spans wanted, and answers every (indicator, span) in one query. ``sources`` lists
    the records behind one value that a given user may see. A value over a long span is
    always measured over the span itself, never added up from shorter ones: distinct people,
    averages and shares do not add up.
    """

    key: str
    label: Promise
    description: Promise
    unit: Promise
    measure: Measurer
    sources: Sourcer
    parameters: tuple[Parameter, ...] = ()
    by_sex: bool = False
    percent: bool = False  # the value is a share in percent (or a score)
    defaults: Mapping[str, Any] = field(default_factory=dict)

    def parameters_clean(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters as stored: known names only, values among the options."""
        cleaned: dict[str, Any] = {}
        errors: list[str] = []
        known = {p.name: p for p in self.parameters}
        for name in values:
            if name not in known:
                errors.append(
                    _("“%(name)s” is not a setting of this calculation.") % {"name": name}
                )
        for parameter in self.parameters:
            raw = values.get(parameter.name, self.defaults.get(parameter.name))
            if raw in (None, "", []):
                continue
            chosen = [str(v) for v in raw] if isinstance(raw, list | tuple) else [str(raw)]
            allowed = {value for value, _label in parameter.options()}
            unknown = [v for v in chosen if v not in allowed]
            if unknown:
                errors.append(
                    _("%(setting)s: “%(values)s” is not one of the options.")
                    % {"setting": parameter.label, "values": ", ".join(unknown)}
                )
                continue
            cleaned[parameter.name] = chosen if parameter.many else chosen[0]
        if errors:
            raise ValidationError(errors)
        return cleaned


_CATALOGUE: dict[str, Calculation] = {}


def calculation_register(*calculations: Calculation) -> None:
    """Called by each app's ``ready`` for the calculations over its own records."""
    for calculation in calculations:
        _CATALOGUE[calculation.key] = calculation


def calculations() -> list[Calculation]:
    """The catalogue, in the order the programme team reads it."""
    return sorted(_CATALOGUE.values(), key=lambda c: str(c.label))


def calculation_get(key: str) -> Calculation | None:
    return _CATALOGUE.get(key)


def calculation_choices() -> list[tuple[str, str]]:
    return [("", "—"), *((c.key, str(c.label)) for c in calculations())]


def parameter_ints(values: Mapping[str, Any], name: str) -> list[int]:
    """A parameter holding record ids, as ids."""
    raw = values.get(name) or []
    return [int(v) for v in (raw if isinstance(raw, list | tuple) else [raw])]


def rows_union(querysets: Iterable[QuerySet[Any]]) -> list[dict[str, Any]]:
    """The rows of several one-row aggregate querysets, read in a single query.

    Each queryset is ``….annotate(indicator=Value(pk)).values("indicator").annotate(...)``
    over the same columns; UNION ALL puts them in one statement, so a page asks the
    database once per calculation, not once per indicator.
    """
    # A model's default ordering would name columns outside the aggregate.
    parts = [queryset.order_by() for queryset in querysets]
    if not parts:
        return []
    first, *rest = parts
    return list(first.union(*rest, all=True)) if rest else list(first)


def share(part: Any, whole: Any) -> Decimal | None:
    """``part`` of ``whole`` in percent, to one decimal; None when the whole is nothing
    (a share of nothing is no value, not 0 %)."""
    if not whole:
        return None
    return (Decimal(part or 0) / Decimal(whole) * 100).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


# --- Calculations over the programme's own records
# Action points closed on time: ``programme.action_point_calculations``. It reads
# ``programme.models`` and the programme's gate, and ``programme.models`` imports this
# module, so it cannot live here.
