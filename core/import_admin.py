"""The admin's Import and Export buttons, on the admin of each kind that has a spreadsheet.

Exports use the kind's resource and the neutralising formats, as the portal's do. The Import
button opens the portal's import page for the kind: there the file is checked, previewed,
imported by a job and can be rolled back, one way for everybody.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from import_export.admin import ImportExportMixin

from core.imports import resource_class
from core.spreadsheets import EXPORT_FORMATS, IMPORT_FORMATS


class SpreadsheetAdmin(ImportExportMixin):
    """django-import-export's buttons for one kind of import (``import_kind``)."""

    import_kind = ""
    import_formats = IMPORT_FORMATS
    export_formats = EXPORT_FORMATS

    def get_resource_classes(self, request: HttpRequest) -> list[Any]:
        return [resource_class(self.import_kind)]

    def get_export_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {"user": request.user}

    def get_import_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {"user": request.user}

    def has_import_permission(self, request: HttpRequest) -> bool:
        # The button shows to whoever may add and change such records here; the import page
        # it opens asks the import gate (imports.permissions.may_import_kind) before anything.
        return bool(self.has_add_permission(request) and self.has_change_permission(request))

    def has_export_permission(self, request: HttpRequest) -> bool:
        return bool(self.has_view_permission(request))

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(reverse("imports:import_start", args=[self.import_kind]))
