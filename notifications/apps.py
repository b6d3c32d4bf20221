"""Notifications, reminders, email preferences and the email outbox."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from notifications import receivers
        from programme.signals import indicator_value_reviewed, indicator_value_submitted
        from recommendations.signals import update_reviewed, update_submitted

        # The people concerned hear of each step of an update's or a value's review.
        update_submitted.connect(receivers.update_submitted, dispatch_uid="notify:submitted")
        update_reviewed.connect(receivers.update_reviewed, dispatch_uid="notify:reviewed")
        indicator_value_submitted.connect(
            receivers.indicator_value_submitted, dispatch_uid="notify:value_submitted"
        )
        indicator_value_reviewed.connect(
            receivers.indicator_value_reviewed, dispatch_uid="notify:value_reviewed"
        )
