"""The dashboard, the programme at a glance and search, above every domain app."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("Dashboard")

    def ready(self) -> None:
        from django.apps import apps
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from core.signals import rows_changed
        from dashboard.glance import COUNTED, COUNTED_RELATIONS, glance_on_change

        # The one place that keeps the glance's figures fresh (dashboard/glance.py).
        for label in COUNTED:
            model = apps.get_model(label)
            post_save.connect(glance_on_change, sender=model, dispatch_uid=f"glance:save:{label}")
            post_delete.connect(glance_on_change, sender=model, dispatch_uid=f"glance:del:{label}")
            rows_changed.connect(
                glance_on_change, sender=model, dispatch_uid=f"glance:bulk:{label}"
            )
        for path in COUNTED_RELATIONS:
            app_label, model_name, field = path.split(".")
            through = getattr(apps.get_model(app_label, model_name), field).through
            m2m_changed.connect(glance_on_change, sender=through, dispatch_uid=f"glance:m2m:{path}")
