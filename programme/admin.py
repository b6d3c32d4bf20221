"""The administration of the action: its framework, periods, meetings and annual plans.

Also holds the pieces every app's admin shares: the site's title, and read-only admins for
records kept as they happened (history, object permissions).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Model, QuerySet
from django.forms import BaseInlineFormSet, ModelChoiceField, ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import (
    TranslationAdmin,
    TranslationStackedInline,
    TranslationTabularInline,
)
from simple_history.admin import SimpleHistoryAdmin

from programme.choices import ImportKind
from programme.glance import glance_invalidate
from programme.import_admin import SpreadsheetAdmin
from programme.models import (
    Action,
    ActionPoint,
    ActionPointGroupObjectPermission,
    Decision,
    ImportBatch,
    Indicator,
    IndicatorValue,
    Intervention,
    Meeting,
    MeetingAttendance,
    Outcome,
    Output,
    Programme,
    ReportingPeriod,
)
from programme.reports.choices import ReportStatus
from programme.reports.models import Report
from programme.services import action_point_share

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


class GlanceAdmin(admin.ModelAdmin):
    """The admin of records the dashboard's "at a glance" figures count (trainings,
    attendance, participants, updates, recommendations, studies, periods): saving or deleting
    one here renews the kept figures, as the services do. An earlier version restored from
    the history is saved through ``save_model`` too."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        glance_invalidate()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        glance_invalidate()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        super().delete_queryset(request, queryset)
        glance_invalidate()


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


# --- The action and its results framework ----------------------------------------------------


@admin.register(Programme)
class ProgrammeAdmin(HistoryAdmin, TranslationAdmin):
    list_display = ("name", "short_name")
    search_fields = (*in_all_languages("name"), "short_name")
    autocomplete_fields = ("partners",)


@admin.register(Action)
class ActionAdmin(HistoryAdmin, TranslationAdmin):
    list_display = ("title", "programme", "country", "implemented_by", "start_date", "end_date")
    list_filter = ("programme", "country")
    list_select_related = ("programme", "implemented_by")
    search_fields = (*in_all_languages("title"), "country")
    autocomplete_fields = ("programme", "implemented_by")


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(GlanceAdmin, HistoryAdmin, DemoFlagLast):
    list_display = ("name", "action", "start_date", "end_date", "due_date", "is_demo")
    list_filter = ("is_demo", "action")
    list_select_related = ("action",)
    search_fields = ("name",)
    autocomplete_fields = ("action",)
    date_hierarchy = "start_date"


class OutputInline(TranslationTabularInline):
    model = Output
    extra = 0
    fields = ("code", "title", "is_demo")
    show_change_link = True


class IndicatorFormSet(ParentLimitedFormSet):
    limited_field = "output"
    parent_lookup = "outcome"


class IndicatorInline(TranslationStackedInline):
    model = Indicator
    formset = IndicatorFormSet
    extra = 0
    fields = (
        ("code", "output"),
        "title",
        ("unit", "baseline", "baseline_year", "by_sex"),
        "source",
        "is_demo",
    )
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Indicator]:
        return super().get_queryset(request).select_related("output")


@admin.register(Outcome)
class OutcomeAdmin(HistoryAdmin, DemoFlagLast, TranslationAdmin):
    list_display = ("code", "title", "action", "is_demo")
    list_filter = ("is_demo", "action")
    list_select_related = ("action",)
    search_fields = ("code", *in_all_languages("title"))
    autocomplete_fields = ("action",)
    inlines = (OutputInline, IndicatorInline)


@admin.register(Output)
class OutputAdmin(HistoryAdmin, DemoFlagLast, TranslationAdmin):
    list_display = ("code", "title", "outcome", "is_demo")
    list_filter = ("is_demo", "outcome__action")
    list_select_related = ("outcome",)
    search_fields = ("code", *in_all_languages("title"))
    autocomplete_fields = ("outcome",)


class IndicatorValueInline(admin.TabularInline):
    model = IndicatorValue
    extra = 0
    fields = ("period", "target", "actual", "actual_women", "actual_men", "note", "is_demo")
    autocomplete_fields = ("period",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[IndicatorValue]:
        return super().get_queryset(request).select_related("indicator", "period")


@admin.register(Indicator)
class IndicatorAdmin(HistoryAdmin, DemoFlagLast, TranslationAdmin):
    list_display = (
        "code",
        "title",
        "outcome",
        "output",
        "unit",
        "baseline",
        "baseline_year",
        "by_sex",
        "is_demo",
    )
    list_filter = ("is_demo", "by_sex", "outcome")
    list_select_related = ("outcome", "output")
    search_fields = ("code", *in_all_languages("title"))
    autocomplete_fields = ("outcome", "output")
    inlines = (IndicatorValueInline,)


@admin.register(IndicatorValue)
class IndicatorValueAdmin(SpreadsheetAdmin, HistoryAdmin, DemoFlagLast):
    import_kind = ImportKind.INDICATOR_VALUES
    list_display = (
        "indicator",
        "period",
        "target",
        "actual",
        "actual_women",
        "actual_men",
        "percent_met_display",
        "is_demo",
    )
    list_filter = ("is_demo", "period", "indicator__outcome")
    list_select_related = ("indicator", "period")
    search_fields = ("indicator__code", *in_all_languages("indicator__title"), "note")
    autocomplete_fields = ("indicator", "period")

    # "% o" would read as a format directive, which no translation could keep.
    # xgettext:no-python-format
    @admin.display(description=_("% of target"))
    def percent_met_display(self, obj: IndicatorValue) -> Any:
        return obj.percent_met


# --- The steering committee ------------------------------------------------------------------


class MeetingAttendanceInline(admin.TabularInline):
    model = MeetingAttendance
    extra = 0
    fields = ("institution", "representatives")
    autocomplete_fields = ("institution",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[MeetingAttendance]:
        return super().get_queryset(request).select_related("institution", "meeting")


class DecisionInline(TranslationStackedInline):
    model = Decision
    extra = 0
    fields = ("number", "text", "outcomes", "recommendations", "is_demo")
    autocomplete_fields = ("outcomes", "recommendations")
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Decision]:
        return super().get_queryset(request).select_related("meeting")


class ActionPointFormSet(ParentLimitedFormSet):
    limited_field = "decision"
    parent_lookup = "meeting"


class ActionPointInline(admin.StackedInline):
    model = ActionPoint
    formset = ActionPointFormSet
    extra = 0
    fields = (
        "description",
        ("owner", "decision"),
        ("due_date", "status", "closed_on"),
        "progress_note",
        "is_demo",
    )
    autocomplete_fields = ("owner",)
    show_change_link = True


@admin.register(Meeting)
class MeetingAdmin(HistoryAdmin, DemoFlagLast):
    list_display = ("number", "date", "place", "action", "is_demo")
    list_display_links = ("number", "date")
    list_filter = ("is_demo", "action")
    list_select_related = ("action",)
    search_fields = ("place", "purpose", "agenda", "minutes")
    autocomplete_fields = ("action",)
    date_hierarchy = "date"
    inlines = (MeetingAttendanceInline, DecisionInline, ActionPointInline)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is ActionPoint:
            # The owner's editors report progress on it: grants follow the owner.
            for point in formset.new_objects + [o for o, _fields in formset.changed_objects]:
                action_point_share(action_point=point)


@admin.register(MeetingAttendance)
class MeetingAttendanceAdmin(HistoryAdmin):
    list_display = ("institution", "meeting", "representatives")
    list_filter = ("meeting__action", "meeting")
    list_select_related = ("institution", "meeting")
    search_fields = (
        *in_all_languages("institution__name", "institution__short_name"),
        "representatives",
    )
    autocomplete_fields = ("meeting", "institution")


@admin.register(Decision)
class DecisionAdmin(HistoryAdmin, DemoFlagLast, TranslationAdmin):
    list_display = ("__str__", "meeting", "is_demo")
    list_filter = ("is_demo", "meeting")
    list_select_related = ("meeting",)
    search_fields = in_all_languages("text")
    autocomplete_fields = ("meeting", "outcomes", "recommendations")


@admin.register(ActionPoint)
class ActionPointAdmin(SpreadsheetAdmin, HistoryAdmin, DemoFlagLast):
    import_kind = ImportKind.ACTION_POINTS
    list_display = ("__str__", "meeting", "owner", "due_date", "status", "closed_on", "is_demo")
    list_filter = ("status", "is_demo", "meeting", ("owner", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("meeting", "owner")
    search_fields = (
        "description",
        "progress_note",
        *in_all_languages("owner__name", "owner__short_name"),
    )
    autocomplete_fields = ("meeting", "decision", "owner")
    date_hierarchy = "due_date"

    def save_model(self, request: HttpRequest, obj: ActionPoint, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        action_point_share(action_point=obj)


@admin.register(Intervention)
class InterventionAdmin(HistoryAdmin, TranslationAdmin):
    list_display = ("year", "order", "title", "kind", "action", "agreed_at")
    list_display_links = ("year", "title")
    list_filter = ("year", "kind", "action")
    list_select_related = ("action", "agreed_at")
    search_fields = in_all_languages("title")
    autocomplete_fields = ("action", "agreed_at", "target_groups", "outcomes")


@admin.register(ActionPointGroupObjectPermission)
class ActionPointGroupObjectPermissionAdmin(ObjectPermissionAdmin):
    list_select_related = ("content_object", "group", "permission__content_type")


# --- PDF reports -----------------------------------------------------------------------------


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    """Every generation of a report, frozen: read here, downloaded through the portal."""

    list_display = (
        "pk",
        "kind",
        "subject",
        "language",
        "pdfa",
        "version",
        "status",
        "requested_by",
        "created_at",
        "download",
    )
    list_display_links = ("pk", "kind")
    list_filter = ("kind", "status", "language", "pdfa")
    list_select_related = ("requested_by",)
    search_fields = ("series", "sha256", "requested_by__username")
    date_hierarchy = "created_at"

    @admin.display(description=_("file"))
    def download(self, obj: Report) -> str:
        if obj.status != ReportStatus.DONE:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("programme:report_download", args=[obj.pk]), _("PDF")
        )


# --- Spreadsheet imports -------------------------------------------------------------------


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    """Every spreadsheet imported: who, when, what it did; opened and rolled back in the portal."""

    list_display = (
        "pk",
        "kind",
        "original_name",
        "status",
        "created_by",
        "created_at",
        "new_count",
        "updated_count",
        "error_count",
        "open_link",
    )
    list_display_links = ("pk", "original_name")
    list_filter = ("kind", "status")
    list_select_related = ("created_by",)
    search_fields = ("original_name", "sha256", "created_by__username")
    date_hierarchy = "created_at"
    exclude = ("errors", "preview", "changes", "encoding_samples")

    @admin.display(description=_("batch page"))
    def open_link(self, obj: ImportBatch) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("programme:import_detail", args=[obj.pk]), _("open")
        )


# The notifications' admin (the outbox, notifications, preferences) lives with them.
from programme.notifications import admin as _notifications_admin  # noqa: E402, F401
