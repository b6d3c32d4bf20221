"""The admin of the notifications: the outbox with its failures in sight, and preferences."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from programme.admin import admin_action_log
from programme.notifications import services
from programme.notifications.choices import EmailStatus
from programme.notifications.models import Notification, NotificationPreference, OutboxEmail


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the jobs write: read here, never typed in."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


SEND_AGAIN = _("Send again (failed emails get a new round of tries)")


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyAdmin):
    # An account email (build) holds no body, so no page here ever shows its one-time link.
    list_display = ["to", "subject", "build", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "build", "language"]
    search_fields = ["to", "subject", "key"]
    date_hierarchy = "created_at"
    actions = ["send_again"]

    @admin.action(description=SEND_AGAIN)
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboxEmail]) -> None:
        failed = list(queryset.filter(status=EmailStatus.FAILED))
        for email in failed:
            services.outbox_email_retry(email=email)
        admin_action_log(request, failed, str(SEND_AGAIN))
        self.message_user(
            request,
            ngettext(
                "%(count)s failed email will be tried again.",
                "%(count)s failed emails will be tried again.",
                len(failed),
            )
            % {"count": len(failed)},
            messages.SUCCESS,
        )


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
