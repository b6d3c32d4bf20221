"""Spreadsheet import batches: upload, check, preview, import by a job, roll back."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = _("Spreadsheet imports")

    def ready(self) -> None:
        from core.jobs import sweep_register
        from core.signals import personal_data_erased
        from imports import receivers
        from imports.services import import_sweep

        # Whatever lost its queue message is queued again by the jobs' sweep (core.jobs).
        sweep_register("imports", import_sweep)
        # A person erased is erased from the spreadsheets kept too.
        personal_data_erased.connect(receivers.personal_data_erased, dispatch_uid="imports:erase")
