"""The administration of recommendations, who must act on them, and the progress reported.

An approved progress update is locked: here it can be read but not changed or deleted, and
neither can its evidence. The review itself (submit, return, approve) happens on the
update's page in the platform, where every step is recorded; the steps are only shown here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from core.admin import (
    HTTPS_LINKS,
    DemoFlagLast,
    HistoryAdmin,
    ObjectPermissionAdmin,
    ReadOnlyAdmin,
    ReadOnlyTabularInline,
    in_all_languages,
)
from core.import_admin import SpreadsheetAdmin
from core.uploads import validate_upload
from recommendations.models import (
    Assignment,
    Evidence,
    Instrument,
    ProgressUpdate,
    ProgressUpdateGroupObjectPermission,
    Recommendation,
    RecommendationGroupObjectPermission,
    RecommendationSet,
    Theme,
    UpdateComment,
    UpdateTransition,
)
from recommendations.resources import ProgressUpdateResource, RecommendationResource
from recommendations.services import progress_update_share, recommendation_share

# The joins that ProgressUpdate.__str__ needs, from a record that points at an update.
_UPDATE_JOINS = ("update__recommendation", "update__institution", "update__period")


def _reshare(recommendation_ids: set[int]) -> None:
    for recommendation in Recommendation.objects.filter(pk__in=recommendation_ids):
        recommendation_share(recommendation=recommendation)


# --- Recommendations and who acts on them ----------------------------------------------------


@admin.register(RecommendationSet)
class RecommendationSetAdmin(HistoryAdmin, TranslationAdmin):
    list_display = (
        "title",
        "issued_by",
        "working_group",
        "session",
        "adopted_on",
        "recommendation_count",
    )
    search_fields = in_all_languages("title", "issued_by", "working_group", "session")
    date_hierarchy = "adopted_on"

    def get_queryset(self, request: HttpRequest) -> QuerySet[RecommendationSet]:
        return super().get_queryset(request).annotate(recommendation_count=Count("recommendations"))

    @admin.display(description=_("recommendations"), ordering="recommendation_count")
    def recommendation_count(self, obj: Any) -> int:
        return int(obj.recommendation_count)


@admin.register(Theme)
class ThemeAdmin(HistoryAdmin, TranslationAdmin):
    list_display = ("name", "slug")
    search_fields = (*in_all_languages("name"), "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Instrument)
class InstrumentAdmin(HistoryAdmin, TranslationAdmin):
    list_display = ("name", "short_name", "kind", "year")
    list_filter = ("kind",)
    search_fields = (*in_all_languages("name", "short_name"), "slug")
    prepopulated_fields = {"slug": ("name",)}


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    fields = ("institution", "kind", "is_demo")
    autocomplete_fields = ("institution",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Assignment]:
        return super().get_queryset(request).select_related("recommendation", "institution")


@admin.register(Recommendation)
class RecommendationAdmin(SpreadsheetAdmin, HistoryAdmin, TranslationAdmin):
    import_kind = RecommendationResource.kind
    list_display = ("__str__", "recommendation_set", "text_mk_official", "text_sq_official")
    list_filter = (
        "recommendation_set",
        "themes",
        "instruments",
        "text_mk_official",
        "text_sq_official",
    )
    list_select_related = ("recommendation_set",)
    search_fields = in_all_languages("text")
    autocomplete_fields = ("recommendation_set", "themes", "instruments", "outcomes")
    inlines = (AssignmentInline,)

    def view_on_site(self, obj: Recommendation) -> str:
        return reverse("recommendations:detail", args=[obj.pk])

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Editors of every assigned institution may report on it: grants follow assignments.
        recommendation_share(recommendation=form.instance)

    def restored(self, obj: Any) -> None:
        recommendation_share(recommendation=obj)


@admin.register(Assignment)
class AssignmentAdmin(HistoryAdmin, DemoFlagLast):
    list_display = ("recommendation", "institution", "kind", "is_demo")
    list_filter = (
        "kind",
        "is_demo",
        "recommendation__recommendation_set",
        ("institution", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("recommendation", "institution")
    search_fields = in_all_languages("recommendation__text", "institution__name")
    autocomplete_fields = ("recommendation", "institution")

    def save_model(self, request: HttpRequest, obj: Assignment, form: Any, change: bool) -> None:
        previous = form.initial.get("recommendation")
        super().save_model(request, obj, form, change)
        _reshare({obj.recommendation_id, *([previous] if previous else [])})

    def delete_model(self, request: HttpRequest, obj: Assignment) -> None:
        recommendation_id = obj.recommendation_id
        super().delete_model(request, obj)
        _reshare({recommendation_id})

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Assignment]) -> None:
        recommendation_ids = set(queryset.values_list("recommendation_id", flat=True))
        super().delete_queryset(request, queryset)
        _reshare(recommendation_ids)


# --- Progress updates ------------------------------------------------------------------------


class EvidenceForm(forms.ModelForm):
    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if isinstance(upload, UploadedFile):
            validate_upload(upload)
        return upload

    def clean_update(self) -> Any:
        update = self.cleaned_data.get("update")
        if update is not None and update.is_locked:
            raise forms.ValidationError(
                _("This update is approved and locked; its evidence cannot change."),
                code="locked",
            )
        return update


def _evidence_link(evidence: Evidence) -> str:
    if not evidence.pk or not evidence.file:
        return "–"
    url = reverse("recommendations:evidence_download", args=[evidence.pk])
    return format_html('<a href="{}">{}</a>', url, _("download"))


class EvidenceInline(admin.TabularInline):
    model = Evidence
    form = EvidenceForm
    formfield_overrides = HTTPS_LINKS
    extra = 0
    fields = ("title", "file", "download", "url")
    readonly_fields = ("download",)

    @admin.display(description=_("stored file"))
    def download(self, obj: Evidence) -> str:
        return _evidence_link(obj)


class UpdateTransitionInline(ReadOnlyTabularInline):
    model = UpdateTransition
    fields = ("at", "from_state", "to_state", "status", "by", "comment")
    readonly_fields = fields
    verbose_name_plural = _("workflow history")

    def get_queryset(self, request: HttpRequest) -> QuerySet[UpdateTransition]:
        return super().get_queryset(request).select_related("by", *_UPDATE_JOINS)


class UpdateCommentInline(ReadOnlyTabularInline):
    model = UpdateComment
    fields = ("created_at", "author", "text")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[UpdateComment]:
        return super().get_queryset(request).select_related("author", *_UPDATE_JOINS)


class ProgressUpdateForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        recommendation = cleaned.get("recommendation")
        institution = cleaned.get("institution")
        # Only an assigned institution reports on a recommendation (as in the service). An
        # older update stays editable after its institution was withdrawn.
        moved = bool({"recommendation", "institution"} & set(self.changed_data))
        if (
            (self.instance.pk is None or moved)
            and recommendation is not None
            and institution is not None
            and not Assignment.objects.filter(
                recommendation=recommendation, institution=institution
            ).exists()
        ):
            raise forms.ValidationError(
                _("%(institution)s is not assigned to recommendation %(number)s."),
                params={"institution": institution.label, "number": recommendation.number},
                code="not_assigned",
            )
        return cleaned


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(SpreadsheetAdmin, HistoryAdmin):
    # Its state moves only through the review workflow (services), never back by a restore.
    history_restore = False

    import_kind = ProgressUpdateResource.kind
    form = ProgressUpdateForm
    list_display = (
        "recommendation",
        "institution",
        "period",
        "status",
        "state",
        "submitted_at",
        "reviewed_at",
        "is_demo",
    )
    list_filter = (
        "state",
        "status",
        "is_demo",
        "period",
        ("institution", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("recommendation", "institution", "period")
    search_fields = (
        "narrative",
        *in_all_languages("recommendation__text", "institution__name", "institution__short_name"),
    )
    autocomplete_fields = ("recommendation", "institution", "period", "outcomes")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "recommendation",
                    "institution",
                    "period",
                    "status",
                    "narrative",
                    "outcomes",
                    "is_demo",
                )
            },
        ),
        (
            _("Review"),
            {
                "fields": (
                    "state",
                    "reviewer_comment",
                    "created_by",
                    "submitted_at",
                    "reviewed_at",
                    "reviewed_by",
                )
            },
        ),
    )
    # The workflow moves only through the review on the update's page, which records each step.
    readonly_fields = (
        "state",
        "reviewer_comment",
        "created_by",
        "submitted_at",
        "reviewed_at",
        "reviewed_by",
    )
    inlines = (EvidenceInline, UpdateTransitionInline, UpdateCommentInline)

    def view_on_site(self, obj: ProgressUpdate) -> str:
        return reverse("recommendations:update_detail", args=[obj.pk])

    def get_readonly_fields(self, request: HttpRequest, obj: ProgressUpdate | None = None) -> Any:
        if obj is not None and obj.is_locked:
            return flatten_fieldsets(self.get_fieldsets(request, obj))
        return self.readonly_fields

    def has_change_permission(
        self, request: HttpRequest, obj: ProgressUpdate | None = None
    ) -> bool:
        if obj is not None and obj.is_locked:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(
        self, request: HttpRequest, obj: ProgressUpdate | None = None
    ) -> bool:
        if obj is not None and obj.is_locked:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(
        self, request: HttpRequest, obj: ProgressUpdate, form: Any, change: bool
    ) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
        # The reporting institution's members see it; grants follow the institution.
        progress_update_share(update=obj)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        # An update deleted here takes its workflow history with it; the history alone cannot
        # be deleted.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(UpdateTransition._meta.verbose_name)
        return deleted, counts, perms_needed, protected


@admin.register(Evidence)
class EvidenceAdmin(HistoryAdmin):
    form = EvidenceForm
    formfield_overrides = HTTPS_LINKS
    list_display = ("title", "update", "download", "url", "created_at")
    list_select_related = _UPDATE_JOINS
    search_fields = ("title", "url")
    autocomplete_fields = ("update",)
    # Redaction happens on the update's page, which destroys the file and records why.
    readonly_fields = ("download", "redacted_at", "redacted_by", "redaction_reason")

    @admin.display(description=_("stored file"))
    def download(self, obj: Evidence) -> str:
        return _evidence_link(obj)

    def has_change_permission(self, request: HttpRequest, obj: Evidence | None = None) -> bool:
        if obj is not None and obj.update.is_locked:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Evidence | None = None) -> bool:
        if obj is not None and obj.update.is_locked:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(UpdateTransition)
class UpdateTransitionAdmin(ReadOnlyAdmin):
    list_display = ("update", "from_state", "to_state", "status", "by", "at")
    list_filter = ("to_state", "status")
    list_select_related = ("by", *_UPDATE_JOINS)
    search_fields = ("comment",)
    date_hierarchy = "at"


@admin.register(UpdateComment)
class UpdateCommentAdmin(HistoryAdmin):
    list_display = ("__str__", "update", "author", "created_at")
    list_select_related = ("author", *_UPDATE_JOINS)
    search_fields = ("text",)
    autocomplete_fields = ("update",)
    fields = ("update", "text", "author")
    readonly_fields = ("author",)
    date_hierarchy = "created_at"

    def save_model(self, request: HttpRequest, obj: UpdateComment, form: Any, change: bool) -> None:
        if not change:
            obj.author = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)


@admin.register(RecommendationGroupObjectPermission)
class RecommendationGroupObjectPermissionAdmin(ObjectPermissionAdmin):
    list_select_related = ("content_object", "group", "permission__content_type")


@admin.register(ProgressUpdateGroupObjectPermission)
class ProgressUpdateGroupObjectPermissionAdmin(ObjectPermissionAdmin):
    list_select_related = (
        "content_object__recommendation",
        "content_object__institution",
        "content_object__period",
        "group",
        "permission__content_type",
    )
