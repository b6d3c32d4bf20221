"""The public site: what the action does and achieves, without a login; the IATI export."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    name = "publicsite"
    verbose_name = _("Public site")

    def ready(self) -> None:
        from django.apps import apps
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from core.signals import rows_changed
        from dashboard.glance import COUNTED, COUNTED_RELATIONS
        from publicsite.cache import SHOWN, SHOWN_RELATIONS, public_on_change

        # The models the dashboard's receivers already watch move the same version; the
        # public pages' other models are watched here (publicsite/cache.py).
        for label in SHOWN:
            if label in COUNTED:
                continue
            model = apps.get_model(label)
            post_save.connect(public_on_change, sender=model, dispatch_uid=f"public:save:{label}")
            post_delete.connect(public_on_change, sender=model, dispatch_uid=f"public:del:{label}")
            rows_changed.connect(
                public_on_change, sender=model, dispatch_uid=f"public:bulk:{label}"
            )
        for path in SHOWN_RELATIONS:
            if path in COUNTED_RELATIONS:
                continue
            app_label, model_name, field = path.split(".")
            through = getattr(apps.get_model(app_label, model_name), field).through
            m2m_changed.connect(public_on_change, sender=through, dispatch_uid=f"public:m2m:{path}")
