"""The PDF reports: requested, rendered by a job, kept as frozen files."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from core.jobs import sweep_register
        from dashboard.selectors import latest_report_register
        from reports.selectors import committee_report_latest
        from reports.services import report_sweep

        # Whatever lost its queue message is queued again by the jobs' sweep (core.jobs).
        sweep_register("reports", report_sweep)
        latest_report_register(committee_report_latest)
