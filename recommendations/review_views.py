"""Pages of the review queue (the programme team's) and of each institution's own updates.

The queue lists the progress updates and reported indicator values waiting for review in one
list; several can be approved at once, each through its own service. "My institution's
updates" tells each member where every update of their institutions stands and what is next.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_safe

from core.portal import AuthenticatedRequest, paginate, query_without_page
from recommendations import permissions, review_services, selectors
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
    items = selectors.review_page_items(rows=page_obj.object_list, today=timezone.localdate())
    return render(
        request,
        "recommendations/review/queue.html",
        {
            "filter_form": form,
            "page_obj": page_obj,
            "items": items,
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
    items = selectors.review_items(keys=form.cleaned_data["item"], today=timezone.localdate())
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
    rows = [(update, selectors.update_next_step(update)) for update in page_obj.object_list]
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
