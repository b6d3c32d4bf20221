"""Every spreadsheet imported, in the admin."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from imports.models import ImportBatch, RememberedName


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    """Every spreadsheet imported: who, when, what it did; opened and rolled back in the portal."""

    list_display = (
        "pk",
        "kind",
        "original_name",
        "status",
        "created_by",
        "created_at",
        "new_count",
        "updated_count",
        "error_count",
        "open_link",
    )
    list_display_links = ("pk", "original_name")
    list_filter = ("kind", "status")
    list_select_related = ("created_by",)
    search_fields = ("original_name", "sha256", "created_by__username")
    date_hierarchy = "created_at"
    exclude = ("errors", "preview", "preview_columns", "changes", "encoding_samples")

    @admin.display(description=_("batch page"))
    def open_link(self, obj: ImportBatch) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("imports:import_detail", args=[obj.pk]), _("open")
        )


@admin.register(RememberedName)
class RememberedNameAdmin(admin.ModelAdmin):
    """Names an institution's files use for known records, as importers chose them; deleting
    one makes the next file from that institution ask again."""

    list_display = ("text", "index", "target_pk", "source", "chosen_by", "updated_at")
    list_filter = ("index",)
    list_select_related = ("source", "chosen_by")
    search_fields = ("text", "source__name")
    readonly_fields = ("source", "index", "text", "text_key", "target_pk", "chosen_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # chosen on an import's check page, where the names are met
