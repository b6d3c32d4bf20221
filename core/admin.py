"""The admin's shared pieces: history with its log, stale-edit refusal, read-only records,
object permissions, demo flags, inlines limited to their parent, and search in every language."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Model, QuerySet
from django.forms import BaseInlineFormSet, ModelChoiceField, ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from core.choices import EmailStatus
from core.models import OutboxEmail
from core.outbox import outbox_email_retry

admin.site.site_header = _("Anti-trafficking action – administration")
admin.site.site_title = _("Anti-trafficking action – administration")


# --- Shared pieces ---------------------------------------------------------------------------


# A link typed without its scheme is taken as https (Django 6's default, asked for now).
HTTPS_LINKS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}


def in_all_languages(*paths: str) -> tuple[str, ...]:
    """Search paths for a translated field in every language (name → name_en, name_mk, …)."""
    return tuple(f"{path}_{code}" for path in paths for code, _name in settings.LANGUAGES)


class DemoFlagLast(admin.ModelAdmin):
    """Puts the demo flag at the end of the form, after the fields people come to fill in."""

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets: list[tuple[Any, dict[str, Any]]] = []
        flagged = False
        for name, options in super().get_fieldsets(request, obj):
            fields: list[Any] = [f for f in options["fields"] if f != "is_demo"]
            flagged = flagged or len(fields) < len(options["fields"])
            fieldsets.append((name, {**options, "fields": fields}))
        if flagged:
            fieldsets[-1][1]["fields"].append("is_demo")
        return fieldsets


class StaleEditCheck(forms.BaseForm):
    """Refuses a save when the record changed after the form was opened (``_seen_at``, put
    in the form by templates/admin/change_form.html): a second editor never silently
    overwrites the first, and keeps what they typed to compare."""

    instance: Any

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        seen = self.data.get("_seen_at")
        stored = getattr(self.instance, "updated_at", None)
        if seen and self.instance.pk and stored is not None and stored.isoformat() != seen:
            raise ValidationError(STALE_EDIT)
        return cleaned


STALE_EDIT = _(
    "Someone else saved this record after you opened it. Nothing of yours was saved: open the "
    "record again to see their changes, then make yours."
)


def admin_action_log(request: HttpRequest, objects: Iterable[Model], action: str) -> None:
    """Write the admin's log of an action for each record it acted on, naming the action
    (in the language of the one who took it): the record's history page lists it."""
    done, user_id = list(objects), request.user.pk
    if done and user_id is not None:  # the admin has no anonymous users
        LogEntry.objects.log_actions(
            user_id=user_id, queryset=done, action_flag=CHANGE, change_message=action
        )


@dataclass(frozen=True)
class LogLine:
    """One line of a log shown under a record's versions: when, by whom, what."""

    at: datetime
    by: Any
    what: str


class HistoryAdmin(SimpleHistoryAdmin):
    """A domain record's admin: its history, an earlier version restored
    (django-simple-history), and a save refused when someone else saved in between.

    Restoring writes the whole earlier row, past the services: only someone who may change
    the record may do it, never for records whose history is a workflow or an erasure
    (``history_restore = False``), and ``restored`` redoes what the services would (grants).

    The history page also lists the admin's log of the record: its actions, whatever they
    changed (``history_logs``).
    """

    history_restore = True
    object_history_template: ClassVar[Any] = "admin/object_history_with_logs.html"
    history_log_length = 200

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        logs = self.history_logs(request, unquote(object_id))
        return super().history_view(
            request, object_id, {"history_logs": logs, **(extra_context or {})}
        )

    def history_logs(self, request: HttpRequest, object_id: str) -> list[tuple[str, list[LogLine]]]:
        """The logs shown under the versions, newest first, each with its title."""
        content_type = ContentType.objects.get_for_model(self.model, for_concrete_model=False)
        entries = (
            LogEntry.objects.filter(content_type=content_type, object_id=object_id)
            .select_related("user")
            .order_by("-action_time", "-pk")[: self.history_log_length]
        )
        lines = [
            LogLine(e.action_time, e.user, e.get_change_message() or e.get_action_flag_display())
            for e in entries
        ]
        return [(str(_("Administration log")), lines)]

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> Any:
        obj = self.get_object(request, unquote(object_id))
        if request.method == "POST" and (
            not self.history_restore or not self.has_change_permission(request, obj)
        ):
            raise PermissionDenied
        response = super().history_form_view(request, object_id, version_id, extra_context)
        if request.method == "POST" and response.status_code == 302 and obj is not None:
            self.restored(obj)
        return response

    def restored(self, obj: Any) -> None:
        """Called after an earlier version was restored."""

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        # No "Revert" button, nor the invitation to choose a version to revert to.
        return not self.history_restore or bool(super().revert_disabled(request, obj))

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        match = request.resolver_match
        restoring = match is not None and str(match.url_name).endswith("_simple_history")
        if obj is None or restoring or not hasattr(obj, "updated_at"):
            return form
        return type(form.__name__, (StaleEditCheck, form), {})


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records kept as they happened: they can be read here, never added, changed or deleted."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ReadOnlyTabularInline(admin.TabularInline):
    """History shown under its record, as it happened."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ObjectPermissionAdmin(ReadOnlyAdmin):
    """Who may see or change a record; granted by the services, so only shown here."""

    list_display = ("content_object", "group", "permission")
    # By codename: a filter on the permission itself would list every permission there is.
    list_filter = ("permission__codename",)
    search_fields = ("group__name",)


class ParentLimitedFormSet(BaseInlineFormSet):
    """An inline whose ``limited_field`` offers only the parent record's own choices.

    An action point can only follow a decision of its own meeting, and an indicator only
    measure an output of its own outcome; a new parent has none yet.
    """

    limited_field = ""
    parent_lookup = ""

    def add_fields(self, form: ModelForm[Any], index: int | None) -> None:
        super().add_fields(form, index)
        field = form.fields[self.limited_field]
        if not isinstance(field, ModelChoiceField) or field.queryset is None:
            return
        if self.instance.pk:
            field.queryset = field.queryset.filter(**{self.parent_lookup: self.instance})
        else:
            field.queryset = field.queryset.none()


# --- The email outbox --------------------------------------------------------------------------


SEND_AGAIN = _("Send again (failed emails get a new round of tries)")


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    """The outbox with its failures in sight: rows the jobs write, read here, never typed in."""

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
            outbox_email_retry(email=email)
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
