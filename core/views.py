"""The platform's own pages: the health check, the refused-form page and the programme
team's content translation page (core.translation_work)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadedfile import UploadedFile
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from core import translation_work
from core.portal import private_download
from core.spreadsheets import MAX_FILE_BYTES


@require_safe
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and docker-compose: answers 200 when the database does (to HEAD as
    well as GET, which some load balancers and uptime checks send)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means unhealthy
        return JsonResponse({"database": "unavailable"}, status=503)
    return JsonResponse({"database": "ok"})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused for its missing or stale security token, on the platform's own page
    (CSRF_FAILURE_VIEW): Django's page is styled inline, which the CSP blocks."""
    return render(request, "403_csrf.html", status=403)


class TranslationsUploadForm(forms.Form):
    """The filled-in translations workbook."""

    file = forms.FileField(
        label=gettext_lazy("Filled-in translations workbook (xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def clean_file(self) -> UploadedFile:
        file = self.cleaned_data["file"]
        if file.size > MAX_FILE_BYTES:
            raise forms.ValidationError(gettext_lazy("The file is too large."))
        return file


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def translations(request: HttpRequest) -> HttpResponse:
    """The records lacking a language, the workbook to download, and its upload (POST)."""
    translation_work.check_translate(request.user)
    form = TranslationsUploadForm(request.POST or None, request.FILES or None)
    errors: list[translation_work.RowError] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = translation_work.translations_import(
            data=upload.read(), filename=upload.name, by=request.user
        )
        if not result.errors:
            messages.success(
                request,
                ngettext(
                    "%(count)s text was written.", "%(count)s texts were written.", result.written
                )
                % {"count": result.written},
            )
            return redirect("core:translations")
        errors = result.errors
    kinds = translation_work.missing_translations()
    return render(
        request,
        "core/translations.html",
        {
            "kinds": kinds,
            "form": form,
            "errors": errors,
            "record_limit": translation_work.PAGE_RECORDS,
        },
    )


@login_required
@require_safe
def translations_export(request: HttpRequest) -> HttpResponse:
    """Every translatable text as an xlsx to translate offline."""
    translation_work.check_translate(request.user)
    response = HttpResponse(
        translation_work.translations_export(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="translations-{stamp}.xlsx"'
    return private_download(response)
