"""The reports page: ask for a report, follow its job, download the frozen file."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from core.portal import AuthenticatedRequest, file_download, paginate, query_without_page
from reports import permissions, selectors, services
from reports.choices import ReportKind
from reports.forms import ReportRequestForm
from trainings.permissions import training_for_view

logger = logging.getLogger(__name__)


@login_required
@require_safe
def report_list(request: AuthenticatedRequest) -> HttpResponse:
    reports = permissions.reports_visible_to(request.user)
    show_all = request.GET.get("show") == "all"
    if not show_all:
        reports = reports.filter(requested_by=request.user)
    return render(
        request,
        "reports/report_list.html",
        {
            "page_obj": paginate(request, selectors.reports_listed(queryset=reports)),
            "filter_query": query_without_page(request),
            "show_all": show_all,
            "kinds": [
                (kind, ReportKind(kind).label)
                for kind in permissions.kinds_requestable_by(request.user)
            ],
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def report_request(request: AuthenticatedRequest) -> HttpResponse:
    kind = request.POST.get("kind") or request.GET.get("kind") or ""
    if not kind:
        return redirect("reports:report_list")
    permissions.check_request(request.user, kind)
    if kind == ReportKind.TRAINING:
        # Another institution's training answers 404, as it does everywhere else.
        wanted = request.POST.get("training") or request.GET.get("training") or ""
        if wanted.isdigit():
            training_for_view(request.user, int(wanted))
    form = ReportRequestForm(
        request.POST or None,
        kind=kind,
        user=request.user,
        initial={
            "language": request.user.preferred_language or translation.get_language(),
            **{k: v for k, v in request.GET.items() if k in ("period", "training", "meeting")},
            "recommendation": request.GET.get("recommendation") or None,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            report = services.report_request(
                by=request.user,
                kind=kind,
                language=form.cleaned_data["language"],
                pdfa=form.cleaned_data["pdfa"],
                draft=form.is_draft(),
                **form.subject(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            # No message here: where jobs run in the request (no queue), the report is done
            # before the next page is shown. The report's page says how it stands.
            return redirect(report)
    return render(
        request,
        "reports/report_form.html",
        {"form": form, "kind": kind, "kind_label": ReportKind(kind).label},
    )


@login_required
@require_safe
@never_cache
def report_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    report = permissions.report_for_view(request.user, pk)
    return render(
        request,
        "reports/report_detail.html",
        {"report": report, "waiting_long": services.report_waiting_long(report)},
    )


@login_required
@require_safe
@never_cache
def report_download(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    """The frozen PDF, as an attachment with a safe name, after checking it is unchanged."""
    report = permissions.report_for_download(request.user, pk)
    return file_download(
        request,
        report.file,
        filename=report.download_name,
        content_type="application/pdf",
        sha256=report.sha256,
    )
