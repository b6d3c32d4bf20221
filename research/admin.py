"""The administration of commissioned studies, their language versions and their history.

A study's stage changes through ``study_advance``, as on the pipeline page, so every move is
checked against the pipeline and recorded; the history itself is only shown here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from core.admin import (
    HTTPS_LINKS,
    DemoFlagLast,
    HistoryAdmin,
    ReadOnlyAdmin,
    ReadOnlyTabularInline,
    in_all_languages,
)
from core.uploads import validate_upload
from research.choices import StudyStatus
from research.models import Study, StudyStatusChange, StudyVersion
from research.services import study_advance, study_move_allowed


class StudyVersionForm(forms.ModelForm):
    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if isinstance(upload, UploadedFile):
            validate_upload(upload)
        return upload


def _download_link(version: StudyVersion) -> str:
    if not version.pk or not version.file:
        return "–"
    url = reverse("research:version_download", args=[version.pk])
    return format_html('<a href="{}">{}</a>', url, _("download"))


class StudyVersionInline(admin.TabularInline):
    model = StudyVersion
    form = StudyVersionForm
    formfield_overrides = HTTPS_LINKS
    extra = 0
    fields = ("language", "file", "download", "url", "published_on")
    readonly_fields = ("download",)

    @admin.display(description=_("stored file"))
    def download(self, obj: StudyVersion) -> str:
        return _download_link(obj)


class StudyStatusChangeInline(ReadOnlyTabularInline):
    model = StudyStatusChange
    fields = ("changed_at", "from_status", "to_status", "changed_by", "note")
    readonly_fields = fields
    verbose_name_plural = _("history")

    def get_queryset(self, request: HttpRequest) -> QuerySet[StudyStatusChange]:
        return super().get_queryset(request).select_related("study", "changed_by")


class StudyAdminForm(forms.ModelForm):
    def clean_status(self) -> str:
        status: str = self.cleaned_data["status"]
        # The instance still holds the stored stage while fields are cleaned.
        current = self.instance.status
        if (
            self.instance.pk
            and status != current
            and not study_move_allowed(from_status=current, to_status=status)
        ):
            raise forms.ValidationError(
                _(
                    "A study cannot go back from “%(from)s” to “%(to)s”: it only moves forward, "
                    "or from review back to draft."
                ),
                params={"from": StudyStatus(current).label, "to": StudyStatus(status).label},
                code="pipeline",
            )
        return status


@admin.register(Study)
class StudyAdmin(HistoryAdmin, DemoFlagLast, TranslationAdmin):
    # Its stage moves only through study_advance, which records each step.
    history_restore = False

    form = StudyAdminForm
    list_display = (
        "title",
        "status",
        "contractor",
        "commissioned_by",
        "due_date",
        "published_on",
        "is_public",
        "is_demo",
    )
    list_filter = ("status", "is_public", "is_demo", "action")
    list_select_related = ("contractor", "commissioned_by")
    search_fields = (*in_all_languages("title"), "slug", "authors")
    autocomplete_fields = ("action", "contractor", "commissioned_by", "recommendations", "outcomes")
    prepopulated_fields = {"slug": ("title",)}
    date_hierarchy = "due_date"
    inlines = (StudyVersionInline, StudyStatusChangeInline)

    def view_on_site(self, obj: Study) -> str:
        return reverse("research:detail", args=[obj.slug])

    def save_model(self, request: HttpRequest, obj: Study, form: Any, change: bool) -> None:
        if not (change and "status" in form.changed_data):
            super().save_model(request, obj, form, change)
            return
        # Save the other changes at the stored stage, then move it through the service.
        to_status = obj.status
        obj.status = form.initial["status"]
        super().save_model(request, obj, form, change)
        study_advance(study=obj, to_status=to_status, by=request.user)  # type: ignore[arg-type]
        obj.refresh_from_db()

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        # A study deleted here takes its history with it; the history alone cannot be deleted.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(StudyStatusChange._meta.verbose_name)
        return deleted, counts, perms_needed, protected


@admin.register(StudyVersion)
class StudyVersionAdmin(HistoryAdmin):
    form = StudyVersionForm
    formfield_overrides = HTTPS_LINKS
    list_display = ("study", "language", "published_on", "download", "url")
    list_filter = ("language",)
    list_select_related = ("study",)
    search_fields = in_all_languages("study__title")
    autocomplete_fields = ("study",)
    readonly_fields = ("download",)

    @admin.display(description=_("stored file"))
    def download(self, obj: StudyVersion) -> str:
        return _download_link(obj)


@admin.register(StudyStatusChange)
class StudyStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ("study", "from_status", "to_status", "changed_at", "changed_by")
    list_filter = ("to_status",)
    list_select_related = ("study", "changed_by")
    search_fields = (*in_all_languages("study__title"), "note")
    date_hierarchy = "changed_at"
