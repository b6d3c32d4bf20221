"""The action as an IATI 2.03 activity file: who funds and runs it, where, in which sector,
and the results of its public indicators.

Every figure comes from ``programme.results.framework_figures``, the function the results
framework's pages call, so the file and the pages cannot disagree; only indicators marked
public (``Indicator.is_public``) are written, and only outcomes and outputs that have one.
Figures about people pass through the public site's small-number suppression first. The
choices of identifiers, codes and roles are explained in docs/iati.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree as ET  # builds the file only; nothing is parsed here

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from programme.choices import Direction
from programme.models import Action
from programme.results import IndicatorFigures, OutcomeFigures, PeriodFigure, framework_figures
from publicsite.selectors import framework_public
from publicsite.suppression import Sum, suppress
from stakeholders.choices import InstitutionKind
from stakeholders.models import Institution

IATI_VERSION = "2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# IATI codelists (https://iatistandard.org/en/iati-standard/203/codelists/).
ORG_TYPE_GOVERNMENT = "10"
ORG_TYPE_OTHER_PUBLIC = "15"
ORG_TYPE_NATIONAL_NGO = "24"  # "Partner Country based NGO"
ORG_TYPE_MULTILATERAL = "40"
ORG_TYPE_PRIVATE = "70"
ORG_TYPE_ACADEMIC = "80"
ROLE_FUNDING, ROLE_ACCOUNTABLE, ROLE_EXTENDING, ROLE_IMPLEMENTING = "1", "2", "3", "4"
STATUS_PIPELINE, STATUS_IMPLEMENTATION, STATUS_FINALISATION = "1", "2", "3"
DATE_PLANNED_START, DATE_ACTUAL_START, DATE_PLANNED_END, DATE_ACTUAL_END = "1", "2", "3", "4"
SCOPE_NATIONAL = "4"
RESULT_OUTPUT, RESULT_OUTCOME = "1", "2"
MEASURE_UNIT, MEASURE_PERCENTAGE = "1", "2"
RECIPIENT_COUNTRY = "MK"
# OECD DAC CRS purpose codes (vocabulary 1). 15160 Human rights names "victims of
# trafficking" among the groups its programmes target; the action trains the professionals
# who identify and protect them, for children and for adults exploited for labour, which is
# wider than 15180 (violence against women and girls).
SECTOR_VOCABULARY_DAC = "1"
SECTORS = [("15160", "100")]

# Public authorities oversee the action with the Council of Europe in its steering committee:
# accountable. Civil society, academia and media carry out parts of it: implementing.
_PUBLIC_AUTHORITIES = {InstitutionKind.MINISTRY, InstitutionKind.PUBLIC_AGENCY}
_NATIONAL_KINDS = {
    InstitutionKind.MINISTRY: ORG_TYPE_GOVERNMENT,
    InstitutionKind.PUBLIC_AGENCY: ORG_TYPE_OTHER_PUBLIC,
    InstitutionKind.CSO: ORG_TYPE_NATIONAL_NGO,
    InstitutionKind.ACADEMIA: ORG_TYPE_ACADEMIC,
    InstitutionKind.MEDIA: ORG_TYPE_PRIVATE,
}
# The sexes the results framework counts, as IATI dimensions name them.
_SEXES = [("women", "female"), ("men", "male"), ("other", "other or not stated")]


@dataclass(frozen=True)
class IatiFile:
    """The file's bytes, and a tag of its content that does not change with its time stamp."""

    content: bytes
    etag: str
    filename: str


def iati_activity_identifier(*, action: Action) -> str:
    """The reporting organisation's identifier, then the action's code."""
    code = settings.IATI_ACTIVITY_CODE or f"ACTION-{action.pk}"
    return f"{settings.IATI_REPORTING_ORG_REF}-{code}"


def iati_number(value: Decimal) -> str:
    """A figure without trailing zeros or an exponent: 40.00 is "40", 12.50 is "12.5"."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def _languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _narratives(parent: ET.Element, record: Any, field: str) -> int:
    """One narrative per language the record's field has text in; how many were written."""
    written = 0
    for language in _languages():
        text = (getattr(record, f"{field}_{language}", None) or "").strip()
        if text:
            ET.SubElement(parent, "narrative", {XML_LANG: language}).text = text
            written += 1
    return written


def _text_element(parent: ET.Element, tag: str, record: Any, field: str) -> ET.Element | None:
    """An element of narratives, left out when the field is empty in every language."""
    element = ET.SubElement(parent, tag)
    if _narratives(element, record, field):
        return element
    parent.remove(element)
    return None


def _org(parent: ET.Element, tag: str, attributes: dict[str, str], names: Any) -> None:
    element = ET.SubElement(parent, tag, attributes)
    if names is not None:
        _narratives(element, names, "name")


def _national_institutions(action: Action) -> list[Institution]:
    """The country's institutions taking part: at the steering committee or answering for
    an indicator. EU bodies and international organisations are the funder and reporter."""
    return list(
        Institution.objects.filter(
            Q(meeting_attendance__meeting__action=action) | Q(indicators__outcome__action=action),
            kind__in=list(_NATIONAL_KINDS),
        )
        .distinct()
        .order_by("name", "pk")
    )


def _participants(activity: ET.Element, action: Action) -> None:
    funder = next(
        (p for p in action.programme.partners.all() if p.kind == InstitutionKind.EU_BODY), None
    )
    _org(
        activity,
        "participating-org",
        {"ref": settings.IATI_FUNDING_ORG_REF, "type": ORG_TYPE_MULTILATERAL, "role": ROLE_FUNDING},
        funder,
    )
    implementer = action.implemented_by
    for role in (ROLE_EXTENDING, ROLE_IMPLEMENTING):
        _org(
            activity,
            "participating-org",
            {"ref": settings.IATI_REPORTING_ORG_REF, "type": ORG_TYPE_MULTILATERAL, "role": role},
            implementer,
        )
    for institution in _national_institutions(action):
        role = ROLE_ACCOUNTABLE if institution.kind in _PUBLIC_AUTHORITIES else ROLE_IMPLEMENTING
        _org(
            activity,
            "participating-org",
            {"type": _NATIONAL_KINDS[InstitutionKind(institution.kind)], "role": role},
            institution,
        )


def _status(action: Action, today: date, first_period: date | None) -> str:
    """Under way from its start (without a recorded start, from its first reporting period's)
    to its end; finalising after it, until the accounts are closed."""
    start = action.start_date or first_period
    if start is None or start > today:
        return STATUS_PIPELINE
    if action.end_date is not None and action.end_date < today:
        return STATUS_FINALISATION
    return STATUS_IMPLEMENTATION


def _dates(action: Action, today: date, first_period: date | None) -> list[tuple[str, date]]:
    """Planned dates as recorded; actual ones once they have passed (IATI refuses an actual
    date in the future). Without a recorded start, the first reporting period's is planned."""
    start = action.start_date or first_period or action.created_at.date()
    dates = [(DATE_PLANNED_START, start)]
    if action.start_date is not None and action.start_date <= today:
        dates.append((DATE_ACTUAL_START, action.start_date))
    if action.end_date is not None:
        dates.append((DATE_PLANNED_END, action.end_date))
        if action.end_date < today:
            dates.append((DATE_ACTUAL_END, action.end_date))
    return dates


def _whole(value: Decimal) -> bool:
    return value == value.to_integral_value()


def indicator_values_published(
    figures: IndicatorFigures, *, today: date
) -> list[dict[str, Decimal]]:
    """Each period's value (``total``) and, counted by sex, its parts (``women``, ``men``,
    ``other``) that may be published: none for a period that has not begun (a computed
    indicator counts 0 there, which is no result yet).

    An indicator counted by sex counts people: its figures go through the public site's
    small-number suppression (``publicsite.suppression.suppress``) as one table, each period's
    parts adding up to its total and, where they do add up, the period totals to the value
    to date the public site shows, so no hidden figure can be worked back.
    """
    by_sex = figures.indicator.by_sex
    names = ["total", *(part for part, _dimension in _SEXES)] if by_sex else ["total"]
    known = [
        {part: amount for part in names if (amount := getattr(p.value, part)) is not None}
        if p.period.start_date <= today
        else {}
        for p in figures.periods
    ]
    if not by_sex or not all(_whole(v) for parts in known for v in parts.values()):
        return known
    values: dict[tuple[str, int, str], int] = {
        ("period", i, part): int(amount)
        for i, parts in enumerate(known)
        for part, amount in parts.items()
    }
    sums: list[Sum[tuple[str, int, str]]] = [
        Sum(
            parts=[("period", i, part) for part, _dimension in _SEXES],
            total=("period", i, "total"),
        )
        for i, parts in enumerate(known)
        if len(parts) == 1 + len(_SEXES)
    ]
    for i, p in enumerate(figures.periods):
        totals = [parts.get("total") for parts in known[: i + 1]]
        to_date = p.to_date.total
        if to_date is None or not _whole(to_date) or any(t is None for t in totals):
            continue
        if sum(t for t in totals if t is not None) == to_date:
            values[("to date", i, "total")] = int(to_date)
            sums.append(
                Sum(
                    parts=[("period", j, "total") for j in range(i + 1)],
                    total=("to date", i, "total"),
                )
            )
    cells = suppress(values, sums)
    return [
        {part: amount for part, amount in parts.items() if cells[("period", i, part)].shown}
        for i, parts in enumerate(known)
    ]


def _value(parent: ET.Element, tag: str, value: Decimal, dimension: str | None = None) -> None:
    element = ET.SubElement(parent, tag, {"value": iati_number(value)})
    if dimension is not None:
        ET.SubElement(element, "dimension", {"name": "sex", "value": dimension})


def _period(indicator_element: ET.Element, p: PeriodFigure, shown: dict[str, Decimal]) -> None:
    if p.target is None and not shown:
        return
    period = ET.SubElement(indicator_element, "period")
    ET.SubElement(period, "period-start", {"iso-date": p.period.start_date.isoformat()})
    ET.SubElement(period, "period-end", {"iso-date": p.period.end_date.isoformat()})
    if p.target is not None:
        _value(period, "target", p.target)
    if "total" in shown:
        _value(period, "actual", shown["total"])
    for part, dimension in _SEXES:
        if part in shown:
            _value(period, "actual", shown[part], dimension)


def _indicator(result: ET.Element, figures: IndicatorFigures, today: date) -> None:
    indicator = figures.indicator
    element = ET.SubElement(
        result,
        "indicator",
        {
            "measure": MEASURE_PERCENTAGE if indicator.unit.strip() == "%" else MEASURE_UNIT,
            "ascending": "0" if indicator.direction == Direction.DECREASE else "1",
        },
    )
    title = ET.SubElement(element, "title")
    if not _narratives(title, indicator, "title"):
        ET.SubElement(title, "narrative").text = indicator.code
    # IATI needs the year of a baseline; one recorded without a year is left out.
    if indicator.baseline_year:
        ET.SubElement(
            element,
            "baseline",
            {"year": str(indicator.baseline_year), "value": iati_number(indicator.baseline)},
        )
    published = indicator_values_published(figures, today=today)
    for p, shown in zip(figures.periods, published, strict=True):
        _period(element, p, shown)


def _result(
    activity: ET.Element,
    kind: str,
    record: Any,
    indicators: Iterable[IndicatorFigures],
    today: date,
) -> None:
    result = ET.SubElement(activity, "result", {"type": kind})
    title = ET.SubElement(result, "title")
    if not _narratives(title, record, "title"):
        ET.SubElement(title, "narrative").text = record.code
    if kind == RESULT_OUTCOME:
        _text_element(result, "description", record, "description")
    for figures in indicators:
        _indicator(result, figures, today)


def _results(activity: ET.Element, blocks: Sequence[OutcomeFigures], today: date) -> None:
    """An outcome result for each outcome's own public indicators, then an output result for
    each of its outputs that has one."""
    for block in blocks:
        own = [f for f in block.indicators if f.indicator.output_id is None]
        if own:
            _result(activity, RESULT_OUTCOME, block.outcome, own, today)
        outputs: dict[int, list[IndicatorFigures]] = {}
        for f in block.indicators:
            if f.indicator.output_id is not None:
                outputs.setdefault(f.indicator.output_id, []).append(f)
        for group in outputs.values():
            output = group[0].indicator.output
            _result(activity, RESULT_OUTPUT, output, group, today)


def _activity(root: ET.Element, action: Action, today: date) -> None:
    activity = ET.SubElement(root, "iati-activity", {XML_LANG: "en", "hierarchy": "1"})
    ET.SubElement(activity, "iati-identifier").text = iati_activity_identifier(action=action)
    reporting = ET.SubElement(
        activity,
        "reporting-org",
        {"ref": settings.IATI_REPORTING_ORG_REF, "type": ORG_TYPE_MULTILATERAL},
    )
    if action.implemented_by is None or not _narratives(reporting, action.implemented_by, "name"):
        ET.SubElement(reporting, "narrative").text = "Council of Europe"
    title = ET.SubElement(activity, "title")
    _narratives(title, action, "title")
    # A description is required: the action's summary, else the programme's description,
    # else its title.
    description = ET.SubElement(activity, "description", {"type": "1"})
    if not _narratives(description, action, "summary") and not _narratives(
        description, action.programme, "description"
    ):
        _narratives(description, action, "title")
    _participants(activity, action)
    first = action.periods.order_by("start_date").values_list("start_date", flat=True).first()
    ET.SubElement(activity, "activity-status", {"code": _status(action, today, first)})
    for kind, when in _dates(action, today, first):
        ET.SubElement(activity, "activity-date", {"type": kind, "iso-date": when.isoformat()})
    ET.SubElement(activity, "activity-scope", {"code": SCOPE_NATIONAL})
    ET.SubElement(activity, "recipient-country", {"code": RECIPIENT_COUNTRY, "percentage": "100"})
    for code, percentage in SECTORS:
        ET.SubElement(
            activity,
            "sector",
            {"vocabulary": SECTOR_VOCABULARY_DAC, "code": code, "percentage": percentage},
        )
    _results(activity, framework_public(framework_figures(action=action)), today)


def iati_file(*, action: Action, now: datetime) -> IatiFile:
    """The action's ``iati-activities`` document, generated at ``now``.

    The tag is a digest of everything but the generation time, so a reader who has the
    current file is told so (304) however often it is generated.
    """
    root = ET.Element("iati-activities", {"version": IATI_VERSION})
    _activity(root, action, timezone.localdate(now))
    digest = hashlib.sha256(ET.tostring(root, encoding="utf-8")).hexdigest()[:32]
    root.set("generated-datetime", now.replace(microsecond=0).isoformat())
    ET.indent(root)
    content = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    code = slugify(settings.IATI_ACTIVITY_CODE) or f"action-{action.pk}"
    return IatiFile(content=content, etag=digest, filename=f"iati-activities-{code}.xml")
