"""Every generation of a report, in the admin."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from reports.choices import ReportStatus
from reports.models import Report


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    """Every generation of a report, frozen: read here, downloaded through the portal."""

    list_display = (
        "pk",
        "kind",
        "subject",
        "language",
        "pdfa",
        "version",
        "status",
        "requested_by",
        "created_at",
        "download",
    )
    list_display_links = ("pk", "kind")
    list_filter = ("kind", "status", "language", "pdfa")
    list_select_related = ("requested_by",)
    search_fields = ("series", "sha256", "requested_by__username")
    date_hierarchy = "created_at"

    @admin.display(description=_("file"))
    def download(self, obj: Report) -> str:
        if obj.status != ReportStatus.DONE:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("reports:report_download", args=[obj.pk]), _("PDF")
        )
