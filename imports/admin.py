"""Every spreadsheet imported, in the admin."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from imports.models import ImportBatch


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
