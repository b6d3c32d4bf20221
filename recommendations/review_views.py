"""Pages of the review queue (the programme team's) and of each institution's own updates.

The queue lists the progress updates and reported indicator values waiting for review in one
list; several can be approved at once, each through its own service. "My institution's
updates" tells each member where every update of their institutions stands and what is next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import dateformat, formats, timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from core.links import url_for_each
from core.portal import AuthenticatedRequest, paginate, query_without_page
from programme.models import IndicatorValue
from recommendations import permissions, review_services, selectors
from recommendations.models import ProgressUpdate
from recommendations.review_forms import ReviewApproveForm, ReviewItemsField, ReviewQueueFilterForm
from recommendations.selectors import REVIEW_UPDATE, ReviewItem
from stakeholders.selectors import persona_for


def item_label(item: ReviewItem) -> str:
    """What an item is, in one line of a message."""
    if item.update is not None:
        return _("Update of %(inst)s on recommendation %(n)s (%(period)s)") % {
            "inst": item.update.institution.label,
            "n": item.update.recommendation.number,
            "period": item.update.period.name,
        }
    if item.value is not None:
        return _("Value of indicator %(code)s (%(period)s)") % {
            "code": item.value.indicator.code,
            "period": item.value.period.name,
        }
    if item.kind == REVIEW_UPDATE:
        return _("Progress update no. %(pk)s") % {"pk": item.pk}
    return _("Indicator value no. %(pk)s") % {"pk": item.pk}


# --- The queue's rows, written once per row in Python ------------------------------------------
#
# The table's cells used to be worked out by the template: a dozen tags a row, each URL
# reversed, each sentence translated, each date converted. The row below holds the same
# strings, made in one pass; the template only places them. The sentences are the
# template's own msgids, so their translations are unchanged.

# Items waiting longer than this many days are marked.
LONG_WAIT_DAYS = 14


def _sentence(text: str, **values: Any) -> SafeString:
    """A translated sentence as ``{% blocktranslate %}`` writes it: the translation as it is,
    each value localised and escaped."""
    return mark_safe(  # noqa: S308 - the values are escaped; the sentence is a msgid's translation
        text % {k: conditional_escape(formats.localize(v)) for k, v in values.items()}
    )


@dataclass(frozen=True)
class QueueRow:
    """One line of the review queue, as the page shows it."""

    item: ReviewItem
    what: SafeString  # "Progress update on recommendation 41", "Value of indicator R.1"
    detail: SafeString  # the hidden end of the "Open" link ("the update of MoI on …")
    institution: str  # "" for the programme team
    period: str
    indicator_title: str  # an indicator value's, cut to twelve words
    submitted_iso: str
    submitted_on: str
    waiting: SafeString
    long_wait: bool
    detail_url: str
    review_url: str  # an indicator value's review page


def queue_rows(items: Sequence[ReviewItem]) -> list[QueueRow]:
    """The queue's rows for its items that still exist, in their order."""
    update_url = url_for_each("recommendations:update_detail")
    value_url = url_for_each("programme:value_detail")
    value_review_url = url_for_each("programme:value_review")
    rows = []
    for item in items:
        institution = item.institution
        inst = institution.label if institution is not None else ""
        record: ProgressUpdate | IndicatorValue
        if item.update is not None:
            record = item.update
            number = record.recommendation.number
            what = _sentence(_("Progress update on recommendation %(n)s"), n=number)
            detail = _sentence(
                _("the update of %(inst)s on recommendation %(n)s"), n=number, inst=inst
            )
            title, detail_url, review_url = "", update_url(item.pk), ""
        elif item.value is not None:
            record = item.value
            indicator = record.indicator
            what = _sentence(_("Value of indicator %(code)s"), code=indicator.code)
            detail = _sentence(_("the value of indicator %(code)s"), code=indicator.code)
            title = Truncator(indicator.title).words(12, truncate=" …")
            detail_url, review_url = value_url(item.pk), value_review_url(item.pk)
        else:  # gone since the page's keys were read
            continue
        submitted = record.submitted_at
        local = timezone.localtime(submitted) if submitted is not None else None
        days = item.waiting_days or 0
        rows.append(
            QueueRow(
                item=item,
                what=what,
                detail=detail,
                institution=inst,
                period=record.period.name,
                indicator_title=title,
                submitted_iso=dateformat.format(local, r"Y-m-d\TH:i:sO") if local else "",
                submitted_on=formats.date_format(local, "SHORT_DATE_FORMAT") if local else "",
                waiting=_sentence(
                    ngettext("waiting %(days)s day", "waiting %(days)s days", days), days=days
                ),
                long_wait=days > LONG_WAIT_DAYS,
                detail_url=detail_url,
                review_url=review_url,
            )
        )
    return rows


def _item_page(item: ReviewItem) -> HttpResponse:
    if item.kind == REVIEW_UPDATE:
        return redirect("recommendations:update_detail", pk=item.pk)
    return redirect("programme:value_detail", pk=item.pk)


@login_required
@require_safe
def review_queue(request: AuthenticatedRequest) -> HttpResponse:
    """Everything waiting for review, the longest waiting first, with its filters."""
    permissions.check_review(request.user)
    form = ReviewQueueFilterForm(request.GET or None)
    now = timezone.now()
    page_obj = paginate(request, selectors.review_queue(now=now, **form.filters()))
    items = selectors.review_page_items(rows=page_obj.object_list)
    return render(
        request,
        "recommendations/review/queue.html",
        {
            "filter_form": form,
            "page_obj": page_obj,
            "items": items,
            "rows": queue_rows(items),
            "filter_query": query_without_page(request),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def review_approve(request: AuthenticatedRequest) -> HttpResponse:
    """The items chosen in the queue: listed to confirm (GET), then approved together (POST)."""
    permissions.check_review(request.user)
    form = ReviewApproveForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        for error in form.errors.get("item", []):
            messages.error(request, str(error))
        return redirect("recommendations:review_queue")
    items = selectors.review_items(keys=form.cleaned_data["item"])
    if request.method != "POST":
        return render(
            request,
            "recommendations/review/approve_confirm.html",
            {
                "form": form,
                "waiting": [item for item in items if item.is_waiting],
                "not_waiting": [item for item in items if not item.is_waiting],
            },
        )
    result = review_services.review_items_approve(items=items, by=request.user)
    if result.approved:
        count = len(result.approved)
        messages.success(
            request,
            ngettext("%(count)d item approved.", "%(count)d items approved.", count)
            % {"count": count},
        )
    for refused in result.not_approved:
        messages.warning(
            request,
            _("Not approved: %(item)s. %(reason)s")
            % {"item": item_label(refused.item), "reason": refused.reason},
        )
    return redirect("recommendations:review_queue")


@login_required
@require_safe
def review_next(request: AuthenticatedRequest) -> HttpResponse:
    """The item that has waited longest, other than the one the reviewer comes from."""
    permissions.check_review(request.user)
    try:
        skipped = ReviewItemsField(required=False).clean(request.GET.getlist("skip")[:1])
    except ValidationError:  # a malformed "skip" skips nothing
        skipped = []
    item = selectors.review_next(now=timezone.now(), skip=skipped[0] if skipped else None)
    if item is None:
        messages.info(request, _("Nothing else is waiting for review."))
        return redirect("recommendations:review_queue")
    return _item_page(item)


@login_required
@require_safe
def my_updates(request: AuthenticatedRequest) -> HttpResponse:
    """Every progress update of the user's institutions, where it stands and what is next,
    and what they owe for the open periods and have not begun."""
    page_obj = paginate(request, selectors.institution_updates(user=request.user))
    update_url = url_for_each("recommendations:update_detail")
    rows = [
        (update, selectors.update_next_step(update), update_url(update.pk))
        for update in page_obj.object_list
    ]
    reportable = set(
        permissions.recommendations_reportable_by(request.user).values_list("pk", flat=True)
    )
    return render(
        request,
        "recommendations/review/my_updates.html",
        {
            "page_obj": page_obj,
            "rows": rows,
            "not_started": selectors.updates_not_started(
                user=request.user, today=timezone.localdate()
            ),
            "reportable": reportable,
            "is_member": bool(persona_for(request.user).member_of),
            "filter_query": query_without_page(request),
        },
    )
