"""Pages of spreadsheet imports and exports: upload, check, confirm, follow the job, roll
back; templates to fill in; exports of what the user may see."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from core.imports import key, resource_class
from core.portal import (
    AuthenticatedRequest,
    file_download,
    paginate,
    private_download,
    query_without_page,
)
from core.spreadsheets import ENCODINGS
from imports import permissions, services
from imports.choices import ImportKind, ImportStatus
from imports.models import ImportBatch
from stakeholders.choices import InstitutionKind
from stakeholders.models import Institution
from stakeholders.selectors import institutions_directory, persona_for
from trainings.models import Training
from trainings.permissions import training_for_change, training_for_view, trainings_editable_by

EXPORT_FORMATS = ("xlsx", "csv")


class ImportForm(forms.Form):
    """The file to import; for attendance, the training; for a CSV, its encoding if known."""

    training: forms.ModelChoiceField[Training] = forms.ModelChoiceField(
        label=gettext_lazy("Training"), queryset=Training.objects.none(), required=False
    )
    file = forms.FileField(
        label=gettext_lazy("Spreadsheet"),
        help_text=gettext_lazy("An .xlsx, .ods or .csv file of at most 20 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.ods,.csv"}),
    )
    encoding = forms.ChoiceField(
        label=gettext_lazy("Character encoding (CSV files)"),
        required=False,
        choices=[("", gettext_lazy("Detect it")), *ENCODINGS.items()],
        help_text=gettext_lazy("Leave it to be detected unless the check says otherwise."),
    )

    source: forms.ModelChoiceField[Institution] = forms.ModelChoiceField(
        label=gettext_lazy("The file comes from"),
        queryset=Institution.objects.none(),
        required=False,
        help_text=gettext_lazy(
            "What you choose for names the platform does not know is remembered for this "
            "institution's next file."
        ),
    )

    def __init__(
        self,
        *args: Any,
        trainings: QuerySet[Training] | None = None,
        sources: QuerySet[Institution] | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        if trainings is None:
            del self.fields["training"]
        else:
            field: forms.ModelChoiceField[Training] = self.fields["training"]  # type: ignore[assignment]
            field.queryset = trainings
            field.required = True
        if sources is None:
            del self.fields["source"]
        else:
            source: forms.ModelChoiceField[Institution] = self.fields["source"]  # type: ignore[assignment]
            source.queryset = sources


class EncodingForm(forms.Form):
    encoding = forms.ChoiceField(label=gettext_lazy("Encoding"), choices=list(ENCODINGS.items()))


@login_required
@require_safe
def import_list(request: AuthenticatedRequest) -> HttpResponse:
    batches = permissions.import_batches_visible_to(request.user).select_related(
        "created_by", "training"
    )
    kinds = services.import_kinds_for(request.user)
    return render(
        request,
        "imports/import_list.html",
        {
            "page_obj": paginate(request, batches),
            "filter_query": query_without_page(request),
            "kinds": [(kind, ImportKind(kind).label) for kind in kinds],
            "export_kinds": [
                (kind, label) for kind, label in ImportKind.choices if kind != ImportKind.ATTENDANCE
            ],
            "languages": settings.LANGUAGES,
            "is_team": persona_for(request.user).is_programme_team,
        },
    )


@login_required
def import_start(request: AuthenticatedRequest, kind: str) -> HttpResponse:
    permissions.check_import_kind(request.user, kind)
    trainings: QuerySet[Training] | None = None
    training: Training | None = None
    if kind == ImportKind.ATTENDANCE:
        trainings = trainings_editable_by(request.user).order_by("-start_date", "title")
        wanted = request.POST.get("training") or request.GET.get("training") or ""
        if wanted.isdigit():
            # Another institution's training answers 404, one the user only reads 403.
            training = training_for_change(request.user, int(wanted))
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        trainings=trainings,
        sources=None if trainings is not None else _sources_for(request.user),
        initial={"training": training.pk if training else None},
    )
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.import_batch_create(
                kind=kind,
                upload=form.cleaned_data["file"],
                by=request.user,
                training=form.cleaned_data.get("training"),
                encoding=form.cleaned_data["encoding"],
                source=form.cleaned_data.get("source"),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for name, errors in exc.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.info(request, _("The file is being checked. Nothing is saved yet."))
            return redirect(batch)
    return render(
        request,
        "imports/import_start.html",
        {
            "form": form,
            "kind": kind,
            "kind_label": ImportKind(kind).label,
            "training": training,
            "columns": resource_class(kind).template_columns(),
            "languages": settings.LANGUAGES,
        },
    )


def _sources_for(user: Any) -> QuerySet[Institution] | None:
    """The institutions a file may be said to come from: any, for the programme team; the
    importer's own when they have several (one is taken without asking)."""
    persona = persona_for(user)
    if persona.is_programme_team:
        return institutions_directory()
    if len(persona.member_of) > 1:
        return institutions_directory().filter(pk__in=persona.member_of)
    return None


@login_required
@require_safe
@never_cache
def import_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    batch = permissions.import_batch_for_view(request.user, pk)
    may_change = permissions.may_import_kind(request.user, batch.kind)
    earlier = (
        permissions.import_batches_visible_to(request.user)
        .filter(sha256=batch.sha256, status=ImportStatus.APPLIED)
        .exclude(pk=batch.pk)
        .order_by("-applied_at")
        .first()
    )
    return render(
        request,
        "imports/import_detail.html",
        {
            "batch": batch,
            "may_confirm": may_change and batch.status == ImportStatus.CHECKED,
            "may_discard": may_change
            and batch.status in (ImportStatus.CHECKED, ImportStatus.INVALID, ImportStatus.FAILED),
            "may_rollback": batch.status == ImportStatus.APPLIED
            and permissions.may_roll_back(request.user, batch),
            "encoding_form": EncodingForm() if batch.encoding_samples and may_change else None,
            "samples": [
                (ENCODINGS.get(code, code), sample)
                for code, sample in (batch.encoding_samples or {}).items()
            ],
            "earlier": earlier,
            "unknown_names": _unknown_names(request, batch) if may_change else [],
            "institution_kinds": InstitutionKind.choices,
            "ask_fractions": may_change
            and batch.status == ImportStatus.INVALID
            and batch.all_scores_fractions,
            **_preview(request, batch),
            "more_errors": max(0, batch.error_count - len(batch.errors)),
        },
    )


def _unknown_names(request: AuthenticatedRequest, batch: ImportBatch) -> list[dict[str, Any]]:
    """The names in the file that no record has, each with the closest known names first
    and every known name after, in the reader's language and alphabetical order."""
    if batch.status != ImportStatus.INVALID or not batch.unknown_values:
        return []
    resource = resource_class(batch.kind)(user=request.user, training=batch.training)
    resource.prepare_lookups()
    may_create = persona_for(request.user).is_programme_team
    found = []
    for position, unknown in enumerate(batch.unknown_values):
        index = resource.lookups.get(unknown["index"])
        if index is None:
            continue
        closest = [pk for pk, _label in unknown.get("suggestions", []) if pk in index.labels]
        found.append(
            {
                "position": position,
                "text": unknown["text"],
                "header": unknown["header"],
                "letter": unknown["letter"],
                "rows": ", ".join(str(n) for n in unknown["rows"][:10]),
                "more_rows": max(0, unknown["count"] - 10),
                "count": unknown["count"],
                "noun": index.noun,
                "closest": [(pk, index.labels[pk]) for pk in closest],
                "options": [(pk, label) for pk, label in index.options() if pk not in closest],
                "may_create": may_create and unknown["index"] == "institutions",
            }
        )
    return found


PREVIEW_PAGE = 200  # rows of the preview on one page


def _preview(request: AuthenticatedRequest, batch: ImportBatch) -> dict[str, Any]:
    """The page of rows "What will be written" shows: each cell's stored value, and the old
    value of a changed one."""
    columns = dict(resource_class(batch.kind).columns())
    headers = [
        columns[name].header.current() if name in columns else name
        for name in batch.preview_columns
    ]
    page_obj = paginate(request, batch.preview, per_page=PREVIEW_PAGE)
    excluded = set(batch.excluded_rows)
    rows = []
    for row in page_obj.object_list:
        was = row.get("was", {})
        rows.append(
            {
                "row": row.get("row"),
                "action": row.get("action", ""),
                "label": row.get("label", ""),
                "changes": row.get("changes", []),
                "left_out": row.get("row") in excluded,
                "cells": [
                    {"value": value, "changed": str(i) in was, "was": was.get(str(i))}
                    for i, value in enumerate(row.get("cells", []))
                ],
            }
        )
    listed = batch.new_count + batch.updated_count
    return {
        "preview": rows,
        "preview_page": page_obj,
        "preview_headers": headers,
        "excluded_rows": ", ".join(str(n) for n in batch.excluded_rows),
        "excluded_count": len(batch.excluded_rows),
        "more_rows": max(0, listed - len(batch.preview)),
    }


def _row_numbers(values: list[str]) -> set[int]:
    return {int(value) for value in values if value.isdigit()}


@login_required
@require_safe
@never_cache
def import_status(request: AuthenticatedRequest, pk: int) -> JsonResponse:
    """The job's progress, polled by the batch page's progress bar."""
    # Polled every second and a half: the preview and findings (megabytes) are not read.
    batch = permissions.import_batch_for_view(
        request.user, pk, defer=("preview", "errors", "notes", "changes")
    )
    return JsonResponse(
        {
            "status": batch.status,
            "label": batch.get_status_display(),
            "active": batch.is_active,
            "processed": batch.processed_rows,
            "total": batch.total_rows,
            "percent": batch.percent,
        }
    )


@login_required
@require_POST
def import_confirm(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Import the batch, but the rows ticked "leave out"; or (``action=save``) only remember
    the rows ticked on this page of the preview."""
    batch = permissions.import_batch_for_change(request.user, pk)
    # The boxes of the other pages of the preview are not posted: what was chosen there stays.
    shown = _row_numbers(request.POST.getlist("shown"))
    ticked = _row_numbers(request.POST.getlist("leave_out"))
    leave_out = (set(batch.excluded_rows) - shown) | ticked
    try:
        if request.POST.get("action") == "save":
            services.import_batch_leave_out(batch=batch, rows=leave_out, by=request.user)
            page = request.POST.get("page", "")
            messages.success(request, _("Your choice of rows was kept. Nothing is saved yet."))
            url = batch.get_absolute_url()
            return redirect(f"{url}?page={page}#preview" if page.isdigit() else url)
        services.import_batch_confirm(batch=batch, by=request.user, leave_out=leave_out)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The import has started. You may leave this page."))
    return redirect(batch)


@login_required
@require_POST
def import_recheck(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    batch = permissions.import_batch_for_change(request.user, pk)
    form = EncodingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the encodings."))
        return redirect(batch)
    try:
        services.import_batch_recheck(
            batch=batch, by=request.user, encoding=form.cleaned_data["encoding"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(batch)


@login_required
@require_POST
def import_read_names(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The names chosen on the check page for those the platform does not know."""
    batch = permissions.import_batch_for_change(request.user, pk)
    choices: dict[tuple[str, str], str] = {}
    kinds: dict[str, str] = {}
    for position, unknown in enumerate(batch.unknown_values):
        answer = request.POST.get(f"name-{position}", "").strip()
        if answer:
            choices[(unknown["index"], key(unknown["text"]))] = answer
            kinds[key(unknown["text"])] = request.POST.get(f"kind-{position}", "")
    if not choices:
        messages.error(request, _("Choose what at least one of the names means."))
        return redirect(f"{batch.get_absolute_url()}#unknown-names")
    try:
        services.import_batch_read_names(
            batch=batch,
            by=request.user,
            choices=choices,
            kinds=kinds,
            remember=request.POST.get("remember") == "on",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(f"{batch.get_absolute_url()}#unknown-names")
    messages.info(request, _("The file is being checked again with your choices."))
    return redirect(batch)


@login_required
@require_POST
def import_read_fractions(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The importer's answer: the file's scores, all fractions, are percentages."""
    batch = permissions.import_batch_for_change(request.user, pk)
    try:
        services.import_batch_read_fractions(batch=batch, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.info(request, _("The file is being checked again, its scores as percentages."))
    return redirect(batch)


@login_required
@require_POST
def import_discard(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    batch = permissions.import_batch_for_change(request.user, pk)
    try:
        services.import_batch_discard(batch=batch, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The file was set aside; nothing was imported."))
    return redirect(batch)


@login_required
@require_POST
def import_rollback(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    batch = permissions.import_batch_for_rollback(request.user, pk)
    try:
        services.import_batch_rollback(batch=batch, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The import was rolled back."))
    return redirect(batch)


@login_required
@require_safe
def import_file(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    """The original file, as it was uploaded, as an attachment with a safe name."""
    batch = permissions.import_batch_for_view(request.user, pk)
    # No file: deleted when a person it named was erased (file_download answers 404).
    stored_name = batch.file.name or ""
    extension = stored_name.rsplit(".", 1)[-1].lower() if "." in stored_name else "bin"
    return file_download(
        request,
        batch.file,
        filename=f"import-{batch.pk}.{extension if extension.isalnum() else 'bin'}",
        content_type="application/octet-stream",
    )


@login_required
@require_safe
def import_template(request: AuthenticatedRequest, kind: str, language: str) -> HttpResponse:
    permissions.check_import_kind(request.user, kind)
    if language not in dict(settings.LANGUAGES):
        raise Http404
    content = services.import_template(kind=kind, language=language, user=request.user)
    response = HttpResponse(content, content_type=services.XLSX_TYPE)
    name = f"template-{kind.replace('_', '-')}-{language}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _export_response(export: services.ExportFile) -> HttpResponse:
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return private_download(response)


@login_required
@require_safe
def export(request: AuthenticatedRequest, kind: str, fmt: str) -> HttpResponse:
    """A list as a spreadsheet: only the records the user may see."""
    if kind not in ImportKind.values or kind == ImportKind.ATTENDANCE or fmt not in EXPORT_FORMATS:
        raise Http404
    permissions.check_export_kind(request.user, kind)
    return _export_response(services.export_file(kind=kind, fmt=fmt, user=request.user))


@login_required
@require_safe
def attendance_export(request: AuthenticatedRequest, pk: int, fmt: str) -> HttpResponse:
    """A training's attendance list, for those who may see the training."""
    if fmt not in EXPORT_FORMATS:
        raise Http404
    training = training_for_view(request.user, pk)
    permissions.check_export_kind(request.user, ImportKind.ATTENDANCE)
    return _export_response(
        services.export_file(
            kind=ImportKind.ATTENDANCE, fmt=fmt, user=request.user, training=training
        )
    )
