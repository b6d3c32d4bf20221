"""The administration of the action: its framework, periods, meetings and annual plans.

Also holds the pieces every app's admin shares: the site's title, and read-only admins for
records kept as they happened (history, object permissions).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import (
    TranslationAdmin,
    TranslationStackedInline,
    TranslationTabularInline,
)

from core.admin import (
    DemoFlagLast,
    HistoryAdmin,
    ObjectPermissionAdmin,
    ParentLimitedFormSet,
    in_all_languages,
)
from core.import_admin import SpreadsheetAdmin
from programme.calculations import calculation_choices
from programme.models import (
    Action,
    ActionPoint,
    ActionPointGroupObjectPermission,
    Decision,
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
from programme.resources import ActionPointResource, IndicatorValueResource
from programme.services import action_point_share

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
class ReportingPeriodAdmin(HistoryAdmin, DemoFlagLast):
    list_display = ("name", "action", "start_date", "end_date", "due_date", "closed_at", "is_demo")
    # Closing freezes the indicator values: only the service does it, from the framework page.
    readonly_fields = ("closed_at", "closed_by")
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
        ("kind", "target_end", "direction", "aggregation"),
        "source",
        "is_public",
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
    fields = (
        "period",
        "target",
        "actual",
        "actual_women",
        "actual_men",
        "actual_other",
        "state",
        "frozen_at",
        "note",
        "is_demo",
    )
    readonly_fields = ("state", "frozen_at")
    autocomplete_fields = ("period",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[IndicatorValue]:
        return super().get_queryset(request).select_related("indicator", "period")


class IndicatorForm(forms.ModelForm):
    calculation = forms.ChoiceField(
        label=_("calculation"),
        choices=calculation_choices,
        required=False,
        help_text=Indicator._meta.get_field("calculation").help_text,
    )

    class Meta:
        model = Indicator
        fields = ("calculation",)  # the admin adds the fieldsets' fields


@admin.register(Indicator)
class IndicatorAdmin(HistoryAdmin, DemoFlagLast, TranslationAdmin):
    form = IndicatorForm
    fieldsets = (
        (None, {"fields": ("outcome", "output", "code", "title", "unit", "source")}),
        (
            _("How its value is found"),
            {"fields": ("kind", "calculation", "parameters", "responsible", "by_sex")},
        ),
        (
            _("Baseline and targets"),
            {"fields": ("baseline", "baseline_year", "target_end", "direction", "aggregation")},
        ),
        (None, {"fields": ("is_public", "is_demo")}),
    )
    list_display = (
        "code",
        "title",
        "outcome",
        "output",
        "kind",
        "unit",
        "baseline",
        "target_end",
        "by_sex",
        "is_public",
        "is_demo",
    )
    list_filter = ("is_demo", "is_public", "kind", "by_sex", "outcome")
    list_select_related = ("outcome", "output")
    search_fields = ("code", *in_all_languages("title"))
    autocomplete_fields = ("outcome", "output", "responsible")
    inlines = (IndicatorValueInline,)


@admin.register(IndicatorValue)
class IndicatorValueAdmin(SpreadsheetAdmin, HistoryAdmin, DemoFlagLast):
    import_kind = IndicatorValueResource.kind
    list_display = (
        "indicator",
        "period",
        "target",
        "actual",
        "actual_women",
        "actual_men",
        "actual_other",
        "state",
        "percent_met_display",
        "is_demo",
    )
    list_filter = ("is_demo", "state", "period", "indicator__outcome")
    # The review and the freezing go through the portal's services, never by hand here.
    readonly_fields = (
        "state",
        "created_by",
        "submitted_at",
        "reviewed_at",
        "reviewed_by",
        "reviewer_comment",
        "frozen_at",
        "cumulative",
        "cumulative_women",
        "cumulative_men",
        "cumulative_other",
    )
    list_select_related = ("indicator", "period")
    search_fields = ("indicator__code", *in_all_languages("indicator__title"), "note")
    autocomplete_fields = ("indicator", "period")

    # "% o" would read as a format directive, which no translation could keep.
    # xgettext:no-python-format
    @admin.display(description=_("% of target"))
    def percent_met_display(self, obj: IndicatorValue) -> Any:
        return obj.percent_met


# --- The steering committee ------------------------------------------------------------------


class MeetingAttendanceInline(TranslationTabularInline):
    model = MeetingAttendance
    extra = 0
    fields = ("institution", "representatives")
    autocomplete_fields = ("institution",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[MeetingAttendance]:
        return super().get_queryset(request).select_related("institution", "meeting")


class DecisionInline(TranslationStackedInline):
    model = Decision
    extra = 0
    fields = ("number", "text", "outcomes", "recommendations", "is_public", "is_demo")
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
class MeetingAdmin(HistoryAdmin, DemoFlagLast, TranslationAdmin):
    list_display = ("number", "date", "place", "action", "is_demo")
    list_display_links = ("number", "date")
    list_filter = ("is_demo", "action")
    list_select_related = ("action",)
    search_fields = ("place", *in_all_languages("purpose", "agenda", "minutes"))
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
class MeetingAttendanceAdmin(HistoryAdmin, TranslationAdmin):
    list_display = ("institution", "meeting", "representatives")
    list_filter = ("meeting__action", "meeting")
    list_select_related = ("institution", "meeting")
    search_fields = (
        *in_all_languages("institution__name", "institution__short_name", "representatives"),
    )
    autocomplete_fields = ("meeting", "institution")


@admin.register(Decision)
class DecisionAdmin(HistoryAdmin, DemoFlagLast, TranslationAdmin):
    list_display = ("__str__", "meeting", "is_public", "is_demo")
    list_filter = ("is_demo", "is_public", "meeting")
    list_select_related = ("meeting",)
    search_fields = in_all_languages("text")
    autocomplete_fields = ("meeting", "outcomes", "recommendations")


@admin.register(ActionPoint)
class ActionPointAdmin(SpreadsheetAdmin, HistoryAdmin, DemoFlagLast):
    import_kind = ActionPointResource.kind
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
