"""The platform every app stands on: base models, history, portal helpers, uploads, jobs."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from core.jobs import sweep_register
        from core.outbox import outbox_sweep

        # Whatever lost its queue message is queued again by the jobs' sweep (core.jobs).
        sweep_register("emails", outbox_sweep)
