from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.defaultfilters import linebreaksbr
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.choices import TextOrigin
from core.links import url_for_each
from core.portal import AuthenticatedRequest, file_download, paginate, query_without_page
from core.templatetags.rows import choice_label
from core.templatetags.translated import translated
from core.translations import text_origins_together
from core.uploads import EvidenceForm
from programme.models import Decision, ReportingPeriod
from recommendations import permissions, selectors, services
from recommendations.choices import AssignmentKind
from recommendations.filters import RecommendationFilterForm
from recommendations.forms import (
    CommentForm,
    RedactForm,
    ReviewForm,
    UpdateCreateForm,
    UpdateEditForm,
)
from recommendations.models import ProgressUpdate, Recommendation, UpdateTransition
from stakeholders.selectors import persona_for


@login_required
@require_safe
def recommendation_list(request: AuthenticatedRequest) -> HttpResponse:
    form = RecommendationFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    rows = selectors.recommendations_listed(
        q=filters.get("q", ""),
        theme=filters["theme"].slug if filters.get("theme") else "",
        institution=filters["institution"].pk if filters.get("institution") else None,
        status=filters.get("status", ""),
        reportable_by=request.user,
    )
    return render(
        request,
        "recommendations/recommendation_list.html",
        {
            "filter_form": form,
            "page_obj": paginate(request, rows),
            "filter_query": query_without_page(request),
        },
    )


# The lists of the recommendation's page that "Show all" opens (?all=updates), paged.
FULL_LISTS: dict[str, Callable[..., QuerySet[Any]]] = {
    "updates": selectors.recommendation_updates,
    "trainings": selectors.recommendation_trainings,
    "history": selectors.recommendation_history,
}
FULL_LIST_PAGE_SIZE = 50


# The page's cards and rows, worked out once in Python and handed to the template as plain
# dicts: a dict answers the template's first lookup, where an object answers only after a
# failed key lookup, and each label and link is built once here instead of by a filter per
# cell. Over the many cards and rows of a busy recommendation this measured a large share of
# the page's rendering.
def _update_link(update: ProgressUpdate, update_url: Callable[[Any], str]) -> dict[str, Any]:
    """What a card shows of an update: its link, period, status and workflow state."""
    return {
        "url": update_url(update.pk),
        "period": str(update.period),
        "status": update.status,
        "status_label": choice_label(update, "status"),
        "state_label": choice_label(update, "state"),
        "narrative": update.narrative,
    }


def _cards(assessments: Sequence[selectors.Assessment]) -> list[dict[str, Any]]:
    """The "Assessments side by side" cards, one per assigned institution, each with its
    ``html`` (``_card_html``)."""
    update_url = url_for_each("recommendations:update_detail")
    words = {
        "invited": _("invited"),
        "approved_update": _("Approved update"),
        "no_approved": _("No approved assessment yet."),
        "in_progress": _("In progress:"),
    }
    cards = [
        {
            "id": a.institution.pk,
            "label": a.institution.label,
            "kind_label": choice_label(a.institution, "kind"),
            "invited": a.kind == AssignmentKind.INVITED,
            "approved": _update_link(a.approved, update_url) if a.approved else None,
            "current": _update_link(a.current, update_url) if a.current else None,
        }
        for a in assessments
    ]
    for card in cards:
        card["html"] = _card_html(card, words)
    return cards


# A card's HTML is written here, each value escaped as the template escapes it (Django's
# ``escape`` is ``html.escape``), rather than by a loop in the template: a busy
# recommendation has dozens of cards of a dozen fields each, and the template's nodes for
# them measured about a tenth of the page's time (``format_html`` per card, nearly as much).
def _card_html(card: dict[str, Any], words: dict[str, str]) -> SafeString:
    """One assessment's card: the institution, its approved update and the one in progress."""
    e = _escape
    invited = f" · {e(words['invited'])}" if card["invited"] else ""
    approved, current = card["approved"], card["current"]
    if approved:
        narrative = linebreaksbr(approved["narrative"], autoescape=True)
        shown = (
            f'<p><span class="status status-{e(approved["status"])}">'
            f"{e(approved['status_label'])}</span>"
            f' <span class="muted small">{e(approved["period"])}</span></p>\n'
            f"<p>{narrative}</p>\n"
            f'<p class="small"><a href="{e(approved["url"])}">'
            f"{e(words['approved_update'])}</a></p>"
        )
    else:
        shown = f'<p class="muted">{e(words["no_approved"])}</p>'
    if current:
        shown += (
            f'\n<p class="small">{e(words["in_progress"])} <a href="{e(current["url"])}">'
            f"{e(current['period'])} — {e(current['state_label'])}</a></p>"
        )
    return SafeString(
        f'<section class="card" aria-labelledby="assess-{card["id"]}">\n'
        f'<h3 id="assess-{card["id"]}">{e(card["label"])}'
        f' <span class="muted small">{e(card["kind_label"])}{invited}</span></h3>\n'
        f"{shown}\n</section>"
    )


def _escape(value: Any) -> str:
    return html.escape(str(value))


def _update_rows(updates: Iterable[ProgressUpdate]) -> list[dict[str, Any]]:
    """The rows of the progress updates' table."""
    update_url = url_for_each("recommendations:update_detail")
    rows = [
        {
            "url": update_url(u.pk),
            "period": str(u.period),
            "institution": u.institution.label,
            "status_label": choice_label(u, "status"),
            "state_label": choice_label(u, "state"),
            "evidence_count": u.evidence_count,  # type: ignore[attr-defined]
        }
        for u in updates
    ]
    e = _escape
    for row in rows:  # written here for the reason the cards are (``_card_html``)
        row["html"] = SafeString(
            f'<tr><td><a href="{e(row["url"])}">{e(row["period"])}</a></td>'
            f"<td>{e(row['institution'])}</td><td>{e(row['status_label'])}</td>"
            f"<td>{e(row['state_label'])}</td><td>{e(row['evidence_count'])}</td></tr>"
        )
    return rows


def _history_rows(steps: Iterable[UpdateTransition]) -> list[dict[str, Any]]:
    """The items of the history of status changes, each with its time as the ``datetime``
    attribute reads it and as the reader's language writes it (what the ``date`` filter
    gives with ``Y-m-d\\TH:i:sO`` and ``SHORT_DATETIME_FORMAT``)."""
    rows = []
    for t in steps:
        at = timezone.localtime(t.at)
        rows.append(
            {
                "at_iso": at.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "at_shown": date_format(at, "SHORT_DATETIME_FORMAT"),
                "institution": t.update.institution.label,
                "period": str(t.update.period),
                "from_label": choice_label(t, "from_state"),
                "to_label": choice_label(t, "to_state"),
                "status_label": choice_label(t, "status"),
                "by": str(t.by) if t.by is not None else None,
                "comment": t.comment,
            }
        )
    e = _escape
    for row in rows:  # written here for the reason the cards are (``_card_html``)
        by = f", {e(row['by'])}" if row["by"] is not None else ""
        comment = f": “{e(row['comment'])}”" if row["comment"] else ""
        row["html"] = SafeString(
            f'<li><time datetime="{e(row["at_iso"])}">{e(row["at_shown"])}</time>'
            f" — {e(row['institution'])}, {e(row['period'])}: {e(row['from_label'])}"
            f" → {e(row['to_label'])} ({e(row['status_label'])}){by}{comment}</li>"
        )
    return rows


def _text_origins(
    recommendation: Recommendation, summary: selectors.RecommendationSummary
) -> dict[str, dict[int, TextOrigin]]:
    """Where each translated text the page shows comes from, for ``origins=`` in the template:
    the set's heading, the recommendation's text, the instruments' names and the decisions,
    in one query (none in English)."""
    rs = [recommendation.recommendation_set]
    instruments, decisions = summary.instruments, summary.decisions
    wanted: dict[str, tuple[Sequence[Model], str]] = {
        "set_working_group": (rs, "working_group"),
        "set_session": (rs, "session"),
        "set_title": (rs, "title"),
        "text": ([recommendation], "text"),
        "instrument_short_name": (instruments, "short_name"),
        "instrument_name": (instruments, "name"),
        "decision_text": (decisions, "text"),
    }
    answers = text_origins_together(wanted.values(), get_language())
    return dict(zip(wanted, answers, strict=True))


def _decision_rows(
    decisions: Sequence[Decision], origins: dict[int, TextOrigin]
) -> list[dict[str, Any]]:
    """The steering committee's decisions on the recommendation: each one's meeting and link,
    and its text as ``{% translated %}`` shows it (``origins``: looked up for all at once)."""
    meeting_url = url_for_each("programme:meeting_detail")
    return [
        {
            "url": meeting_url(d.meeting_id),
            "meeting": str(d.meeting),
            "text": translated(d, "text", origins=origins),
        }
        for d in decisions
    ]


@login_required
@require_safe
def recommendation_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    recommendation = permissions.recommendation_for_view(request.user, pk)
    summary = selectors.recommendation_summary(recommendation=recommendation, user=request.user)
    # "Show all" of one long list: that list in full, a page at a time.
    shown = request.GET.get("all", "")
    full_list = FULL_LISTS.get(shown)
    page_obj = None
    rows = {"updates": summary.updates, "trainings": summary.trainings, "history": summary.history}
    if full_list is not None:
        queryset = full_list(recommendation=recommendation, user=request.user)
        page_obj = paginate(request, queryset, per_page=FULL_LIST_PAGE_SIZE)
        rows[shown] = list(page_obj.object_list)
    origins = _text_origins(recommendation, summary)
    return render(
        request,
        "recommendations/recommendation_detail.html",
        {
            "recommendation": recommendation,
            "text_status": recommendation.text_status(get_language()),
            "evidence": summary,
            "rows": rows,
            "cards": _cards(summary.assessments),
            "update_rows": _update_rows(rows["updates"]),
            "history_rows": _history_rows(rows["history"]),
            "decision_rows": _decision_rows(summary.decisions, origins["decision_text"]),
            "origins": origins,
            "updates_per_institution": selectors.UPDATES_PER_INSTITUTION,
            "shown_in_full": shown if full_list is not None else "",
            "page_obj": page_obj,
            "filter_query": query_without_page(request),
            "can_report": permissions.may_report_on(request.user, recommendation),
        },
    )


@login_required
def update_create(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    recommendation = permissions.recommendation_for_report(request.user, pk)
    institutions = permissions.reporting_institutions(request.user, recommendation)
    periods = ReportingPeriod.objects.order_by("-start_date")
    form = UpdateCreateForm(request.POST or None, institutions=institutions, periods=periods)
    if request.method == "POST" and form.is_valid():
        try:
            update = services.progress_update_create(
                recommendation=recommendation,
                institution=form.cleaned_data["institution"],
                period=form.cleaned_data["period"],
                status=form.cleaned_data["status"],
                narrative=form.cleaned_data["narrative"],
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Draft saved. Add evidence, then submit it for review."))
            return redirect("recommendations:update_detail", pk=update.pk)
    return render(
        request,
        "recommendations/update_form.html",
        {"form": form, "recommendation": recommendation, "creating": True},
    )


@login_required
@require_safe
def update_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    update = permissions.update_for_view(request.user, pk)
    persona = persona_for(request.user)
    return render(
        request,
        "recommendations/update_detail.html",
        {
            "update": update,
            **selectors.update_detail(update=update),
            "can_edit": permissions.may_change_update(request.user, update),
            "can_withdraw": permissions.may_withdraw_update(request.user, update),
            "can_redact": permissions.may_redact_on(request.user, update),
            "can_review": persona.is_programme_team and update.state == "submitted",
            "can_comment": permissions.can_comment(request.user, update),
            "review_form": ReviewForm(),
            "comment_form": CommentForm(),
            "evidence_form": EvidenceForm(),
        },
    )


@login_required
def update_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    update = permissions.update_for_change(request.user, pk)
    if not permissions.may_change_update(request.user, update):
        messages.error(request, _("This update can no longer be changed."))
        return redirect("recommendations:update_detail", pk=update.pk)
    initial = {"status": update.status, "narrative": update.narrative, "seen_at": update.updated_at}
    form = UpdateEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.progress_update_edit(
                update=update,
                by=request.user,
                seen_at=form.cleaned_data["seen_at"],
                status=form.cleaned_data["status"],
                narrative=form.cleaned_data["narrative"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("recommendations:update_detail", pk=update.pk)
    return render(
        request,
        "recommendations/update_form.html",
        {"form": form, "recommendation": update.recommendation, "update": update},
    )


@login_required
@require_POST
def update_submit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    update = permissions.update_for_change(request.user, pk)
    try:
        services.progress_update_submit(update=update, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Submitted for review. It can no longer be changed."))
    return redirect("recommendations:update_detail", pk=update.pk)


@login_required
@require_POST
def update_review(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    update = permissions.update_for_review(request.user, pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        # Like every form: its error summary, and the decision the reviewer chose kept.
        return render(
            request, "recommendations/review/update_review.html", {"update": update, "form": form}
        )
    try:
        if form.cleaned_data["decision"] == "approve":
            services.progress_update_approve(
                update=update,
                by=request.user,
                comment=form.cleaned_data["comment"],
            )
            messages.success(request, _("Approved. The update is now locked."))
        else:
            services.progress_update_return(
                update=update,
                by=request.user,
                comment=form.cleaned_data["comment"],
            )
            messages.success(request, _("Returned to the institution with your comment."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("recommendations:update_detail", pk=update.pk)


@login_required
@require_POST
def update_comment(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    update = permissions.update_for_view(request.user, pk)
    if not permissions.can_comment(request.user, update):
        raise PermissionDenied
    form = CommentForm(request.POST)
    if form.is_valid():
        services.update_comment_add(update=update, by=request.user, text=form.cleaned_data["text"])
        messages.success(request, _("Comment added."))
    else:
        messages.error(request, _("Write a comment first."))
    return redirect("recommendations:update_detail", pk=update.pk)


@login_required
def evidence_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    update = permissions.update_for_change(request.user, pk)
    form = EvidenceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.evidence_add(
                update=update,
                by=request.user,
                title=form.cleaned_data["title"],
                file=form.cleaned_data.get("file"),
                url=form.cleaned_data.get("url") or "",
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Evidence added."))
            return redirect("recommendations:update_detail", pk=update.pk)
    return render(request, "recommendations/evidence_form.html", {"form": form, "update": update})


@login_required
@require_safe
def evidence_download(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    evidence = permissions.evidence_for_download(request.user, pk)
    if evidence.is_redacted:
        raise Http404
    return file_download(request, evidence.file, filename=evidence.download_name)


@login_required
def update_withdraw(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Asks first; the update, its evidence and its files are deleted."""
    update = permissions.update_for_withdraw(request.user, pk)
    if not permissions.may_withdraw_update(request.user, update):
        messages.error(request, _("Only a draft or returned update can be withdrawn."))
        return redirect("recommendations:update_detail", pk=update.pk)
    if request.method == "POST":
        try:
            services.progress_update_withdraw(update=update, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("recommendations:update_detail", pk=update.pk)
        messages.success(request, _("The update was withdrawn."))
        return redirect("recommendations:detail", pk=update.recommendation_id)
    return render(
        request,
        "recommendations/update_withdraw_confirm.html",
        {"update": update, "evidence": list(update.evidence.all())},
    )


@login_required
def evidence_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Asks first; the update's history keeps that the evidence was there."""
    evidence = permissions.evidence_for_change(request.user, pk)
    update = evidence.update
    if not permissions.may_change_update(request.user, update):
        messages.error(
            request, _("Evidence can only be removed while the update is a draft or returned.")
        )
        return redirect("recommendations:update_detail", pk=update.pk)
    if request.method == "POST":
        try:
            services.evidence_remove(evidence=evidence, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Evidence removed."))
        return redirect("recommendations:update_detail", pk=update.pk)
    return render(
        request,
        "recommendations/evidence_remove_confirm.html",
        {"evidence": evidence, "update": update},
    )


@login_required
def evidence_redact(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The programme team destroys the file and link of evidence on a submitted or approved
    update, with the reason shown in their place."""
    evidence = permissions.evidence_for_redact(request.user, pk)
    update = evidence.update
    if not permissions.may_redact_evidence(request.user, evidence):
        messages.error(
            request,
            _("Only evidence of a submitted or approved update is removed by the programme team.")
            if not evidence.is_redacted
            else _("This evidence was already removed."),
        )
        return redirect("recommendations:update_detail", pk=update.pk)
    form = RedactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.evidence_redact(
                evidence=evidence, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The evidence was removed; the reason is shown instead."))
            return redirect("recommendations:update_detail", pk=update.pk)
    return render(
        request,
        "recommendations/evidence_redact_form.html",
        {"form": form, "evidence": evidence, "update": update},
    )
