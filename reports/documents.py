"""A report's HTML: what its selector assembles, the charts drawn from it, and its template.

The templates escape everything people typed (Django's autoescaping); the charts escape
their labels. Nothing typed by a user reaches the stylesheet: the running header takes its
text from the document with ``string-set``, and the few words the stylesheet needs in the
report's language are written as escaped CSS strings.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.templatetags.translated import FALLBACK_MARK
from programme.selectors import action_primary, period_narrative_for_report
from recommendations.choices import ImplementationStatus
from reports import selectors
from reports.charts import (
    COLOURS,
    Series,
    bar_chart,
    chart_parts,
    paired_bar_chart,
    stacked_bar_chart,
)
from reports.choices import ReportKind
from reports.models import Report
from reports.permissions import may_name_participants
from reports.render import STATIC_BASE_URL
from trainings.permissions import trainings_visible_to

TEMPLATES = {
    ReportKind.COMMITTEE: "reports/committee.html",
    ReportKind.RECOMMENDATION: "reports/recommendation.html",
    ReportKind.TRAINING: "reports/training.html",
    ReportKind.MEETING: "reports/meeting.html",
}
# An assessment longer than this is given in full after its recommendation's table, the table
# holding its first words and a pointer: a cell as long as a page would not fit one. A progress
# update this long is not kept on one page either.
LONG_ASSESSMENT_WORDS = 150
# A training report lists its participants one per line up to this many; a larger training's
# report gives the figures for everyone and leaves the list to the training's attendance
# spreadsheet: 20,000 lines would be some 500 pages, past the render's memory and time limits.
PARTICIPANT_LIST_MOST = 1000
CHART_ROWS = 28  # a chart taller than this many one-line rows is split, to fit a page

# Where the cover holds the note on texts shown in English (``_fallback_note``).
FALLBACK_NOTE = "<!-- report:fallback-note -->"

T = TypeVar("T")


class ReportUnavailable(Exception):
    """What the report is about is gone, or no longer open to its requester."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def css_string(text: str) -> SafeString:
    """A CSS string literal: every character but letters, digits and spaces escaped."""
    escaped = "".join(ch if ch.isalnum() or ch == " " else f"\\{ord(ch):06x}" for ch in text)
    return mark_safe(f'"{escaped}"')  # noqa: S308 - nothing but letters, digits and escapes


def _chunks(rows: Sequence[T], size: int = CHART_ROWS) -> list[Sequence[T]]:
    return chart_parts(rows, most=size)


def report_html(*, report: Report) -> str:
    """The report's HTML, in its language, holding what its requester may see."""
    with translation.override(report.language):
        context = {**_common(report), **BUILDERS[report.kind](report)}
        context["running"] = _running_texts(context)
        html = render_to_string(TEMPLATES[ReportKind(report.kind)], context)
        return html.replace(FALLBACK_NOTE, _fallback_note(html, report.language), 1)


def _fallback_note(html: str, language: str) -> str:
    """The note, said once near the start, that the texts marked EN have no translation yet;
    nothing where every text is in the report's language. Known only once the report is
    written: the marks are what the ``translated`` tag printed."""
    if FALLBACK_MARK not in html:
        return ""
    name = str(translation.get_language_info(language)["name_translated"]).lower()
    return render_to_string("reports/includes/fallback_note.html", {"language_name": name})


def _common(report: Report) -> dict[str, Any]:
    made = timezone.localtime(report.started_at or timezone.now())
    requester = report.requested_by
    return {
        "report": report,
        "kind": report.kind,
        "language": report.language,
        "language_name": translation.get_language_info(report.language)["name_local"],
        "action": action_primary(),
        "generated_at": made,
        "requested_by": (requester.get_full_name() or requester.username) if requester else "",
        "static_base": STATIC_BASE_URL,
        "demo": selectors.demo_data_present(),
        "page_numbers_css": page_numbers_stylesheet(),
    }


def _running_texts(context: dict[str, Any]) -> dict[str, str]:
    """The running header's and footer's texts, set by the cover and again by each part."""
    footer = [
        _("Prepared %(date)s")
        % {"date": formats.date_format(context["generated_at"], "SHORT_DATE_FORMAT")}
    ]
    if context["report"].version:
        footer.append(_("version %(n)s") % {"n": context["report"].version})
    if context["demo"]:
        footer.append(_("includes demo records"))
    return {"title": f"{context['title']} · {context['subject']}", "footer": " · ".join(footer)}


def page_numbers_stylesheet() -> str:
    """A data: URL holding the footer's "Page 3 of 12" rule in the report's language.

    The words cannot live in the static stylesheet, and the templates hold no inline
    style, so the rule travels as a stylesheet of its own.
    """
    page = css_string(pgettext("page number", "Page"))
    of = css_string(pgettext("page number", "of"))
    rule = (
        f'@page {{ @bottom-right {{ content: {page} " " counter(page) " " {of} " " '
        "counter(pages); } }"
    )
    return "data:text/css;base64," + base64.b64encode(rule.encode()).decode("ascii")


def _status_bars(counts: dict[str, int]) -> list[tuple[str, int]]:
    return [(_("Not yet assessed"), counts.get("none", 0))] + [
        (str(label), counts.get(value, 0)) for value, label in ImplementationStatus.choices
    ]


def _committee(report: Report) -> dict[str, Any]:
    period = report.period
    if period is None:
        raise ReportUnavailable(_("The reporting period of this report no longer exists."))
    data = selectors.committee_report(period=period)
    measured = [
        (f"{line.figures.indicator.code} {line.figures.indicator.title}", line.now.percent_met)
        for outcome in data.framework
        for line in outcome.lines
        if line.now is not None and line.now.percent_met is not None
    ]
    sexes = (
        Series(_("Women"), COLOURS["women"]),
        Series(_("Men"), COLOURS["men"]),
        Series(_("Other or not stated"), COLOURS["other"]),
    )
    gains = [(str(line.topic.name), line.gain.total) for line in data.by_topic]
    charts = {
        "status": bar_chart(
            title=_("Recommendations by overall status"),
            bars=[(b.label, b.value) for b in data.glance.recommendations_by_status],
        ),
        "indicators": [
            bar_chart(
                title=_("Share of the period's target met"),
                bars=part,
                places=1,
                suffix=" %",
                reference=100,
                scale_max=max(150, *(float(v or 0) for _l, v in part)),
            )
            for part in _chunks(measured)
        ],
        "groups": [
            stacked_bar_chart(
                title=_("Participants trained by target group and sex"),
                rows=[(g, (w, m, t - w - m)) for g, w, m, t in part],
                series=sexes,
            )
            for part in _chunks(data.by_group)
        ],
        "scores": [
            bar_chart(
                title=_("Average test score gain by topic (points out of 100)"),
                bars=part,
                places=1,
                scale_max=max(30, *(float(v or 0) for _l, v in part)),
            )
            for part in _chunks(gains)
        ],
        "pipeline": bar_chart(
            title=_("Studies by stage of the research pipeline"),
            bars=[(c.label, len(c.studies)) for c in data.pipeline],
        ),
    }
    draft = report.is_draft
    title = _("Steering-committee progress report")
    return {
        # A draft says so on its cover and in the running header of every page.
        "title": _("%(title)s – DRAFT") % {"title": title} if draft else title,
        "subject": period.name,
        "draft": draft,
        "narrative": period_narrative_for_report(period=period, language=report.language),
        "data": data,
        "charts": charts,
        "long_assessment_words": LONG_ASSESSMENT_WORDS,
    }


def _recommendation(report: Report) -> dict[str, Any]:
    requester = report.requested_by
    if requester is None:
        raise ReportUnavailable(_("The account that asked for this report no longer exists."))
    if report.recommendation is None and report.parameters.get("recommendation"):
        raise ReportUnavailable(_("The recommendation of this report no longer exists."))
    dossiers = selectors.recommendation_report(recommendation=report.recommendation, user=requester)
    counts: dict[str, int] = {}
    for dossier in dossiers:
        key = dossier.row.status or "none"
        counts[key] = counts.get(key, 0) + 1
    return {
        "title": _("Recommendation implementation report"),
        "subject": (
            _("Recommendation %(number)s") % {"number": report.recommendation.number}
            if report.recommendation
            else _("All recommendations")
        ),
        "dossiers": dossiers,
        "long_update_words": LONG_ASSESSMENT_WORDS,
        "status_chart": bar_chart(
            title=_("Recommendations by overall status"), bars=_status_bars(counts)
        )
        if len(dossiers) > 1
        else None,
    }


def _training(report: Report) -> dict[str, Any]:
    training = report.training
    if training is None:
        raise ReportUnavailable(_("The training of this report no longer exists."))
    requester = report.requested_by
    if requester is None or not trainings_visible_to(requester).filter(pk=training.pk).exists():
        raise ReportUnavailable(_("The training of this report is no longer open to you."))
    data = selectors.training_report(
        training=training, names_permitted=may_name_participants(requester, training)
    )
    summary = data.record.summary
    return {
        "title": _("Training report"),
        "subject": data.record.training.title,
        "data": data,
        "participants_listed": len(data.lines) <= PARTICIPANT_LIST_MOST,
        "participant_list_most": PARTICIPANT_LIST_MOST,
        "charts": {
            "sex": bar_chart(
                title=_("Participants by sex"), bars=[(t.label, t.count) for t in summary.by_sex]
            ),
            "groups": bar_chart(
                title=_("Participants by profession"),
                bars=[(t.label, t.count) for t in summary.by_group],
            )
            if summary.by_group
            else None,
            "scores": paired_bar_chart(
                title=_("Average test score, before and after the training"),
                rows=[(_("All participants"), summary.average_pre, summary.average_post)],
                series=(
                    Series(_("Before the training"), COLOURS["before"]),
                    Series(_("After the training"), COLOURS["after"]),
                ),
            )
            if summary.average_pre is not None or summary.average_post is not None
            else None,
        },
    }


def _meeting(report: Report) -> dict[str, Any]:
    meeting = report.meeting
    if meeting is None:
        raise ReportUnavailable(_("The meeting of this report no longer exists."))
    record = selectors.meeting_report(meeting=meeting)
    return {
        "title": _("Meeting record"),
        "subject": _("Steering-committee meeting %(number)s") % {"number": meeting.number},
        "record": record,
    }


BUILDERS: dict[str, Callable[[Report], dict[str, Any]]] = {
    ReportKind.COMMITTEE: _committee,
    ReportKind.RECOMMENDATION: _recommendation,
    ReportKind.TRAINING: _training,
    ReportKind.MEETING: _meeting,
}
