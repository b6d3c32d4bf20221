"""Pages of the research pipeline: the board, one study, and its files."""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.portal import AuthenticatedRequest, file_download, paginate, query_without_page
from research import permissions, selectors, services
from research.filters import LIST, StudyFilter
from research.forms import StudyAdvanceForm
from research.models import StudyVersion


@login_required
@require_safe
def pipeline(request: AuthenticatedRequest) -> HttpResponse:
    filterset = StudyFilter(
        request.GET or None, queryset=permissions.studies_visible_to(request.user)
    )
    layout = filterset.layout_chosen
    context: dict[str, object] = {
        "filter": filterset,
        "layout": layout,
        "filter_query": query_without_page(request),
    }
    if layout == LIST:
        context["page_obj"] = paginate(request, selectors.studies_for_cards(queryset=filterset.qs))
    else:
        context["columns"] = selectors.studies_pipeline(queryset=filterset.qs)
    return render(request, "research/pipeline.html", context)


@login_required
@require_safe
def detail(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    study = permissions.study_for_view(request.user, slug)
    can_advance = permissions.can_advance_studies(request.user)
    return render(
        request,
        "research/study_detail.html",
        {
            "study": study,
            "record": selectors.study_record(study=study),
            "can_advance": can_advance,
            "advance_form": (
                StudyAdvanceForm(moves=selectors.study_moves(study=study)) if can_advance else None
            ),
        },
    )


@login_required
@require_POST
def advance(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    study = permissions.study_for_advance(request.user, slug)
    form = StudyAdvanceForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("research:detail", slug=study.slug)
    try:
        study = services.study_advance(
            study=study,
            to_status=form.cleaned_data["to_status"],
            by=request.user,
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The study is now at the stage “%(status)s”.")
            % {"status": study.get_status_display()},
        )
    return redirect("research:detail", slug=study.slug)


def _download_name(version: StudyVersion) -> str:
    """A safe file name: the study's code, the language and the file's own extension."""
    stem = slugify(version.study.slug) or "study"
    suffix = Path(version.file.name or "").suffix.lower()
    if not suffix[1:].isalnum():
        suffix = ""
    return f"{stem[:80]}-{version.language}{suffix}"


@login_required
@require_safe
def version_download(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    version = permissions.version_for_download(request.user, pk)
    return file_download(request, version.file, filename=_download_name(version))
