"""The admin of the notifications: the outbox with its failures in sight, and preferences."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from notifications.models import Notification, NotificationPreference


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the jobs write: read here, never typed in."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "kind", "stage", "created_at", "read_at", "email_state"]
    list_filter = ["kind", "stage", "email_state"]
    list_select_related = ["recipient"]
    search_fields = ["recipient__username", "recipient__email", "key"]
    raw_id_fields = ["recipient", "email"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "frequency"]
    list_filter = ["frequency"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user"]
