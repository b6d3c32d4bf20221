"""The administration of trainings, the participants' register and their test scores."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin

from core.admin import (
    DemoFlagLast,
    HistoryAdmin,
    ObjectPermissionAdmin,
    admin_action_log,
    in_all_languages,
)
from core.import_admin import SpreadsheetAdmin
from trainings.choices import SCORE_MAX, SCORE_MIN
from trainings.models import (
    Attendance,
    Evaluation,
    Participant,
    Topic,
    Training,
    TrainingGroupObjectPermission,
)
from trainings.resources import AttendanceResource, TrainingResource
from trainings.selectors import participant_data
from trainings.services import participant_erase, training_share


@admin.register(Topic)
class TopicAdmin(HistoryAdmin, TranslationAdmin):
    list_display = ("name", "slug")
    search_fields = (*in_all_languages("name"), "slug")
    prepopulated_fields = {"slug": ("name",)}


class AttendanceForm(forms.ModelForm):
    """Scores out of range get the platform's wording rather than the validators' own."""

    def _score(self, field: str) -> Any:
        score = self.cleaned_data.get(field)
        if score is not None and not SCORE_MIN <= score <= SCORE_MAX:
            raise forms.ValidationError(
                _("Scores are between %(min)s and %(max)s; %(value)s is not."),
                params={"min": SCORE_MIN, "max": SCORE_MAX, "value": score},
                code="score_range",
            )
        return score

    def clean_pre_score(self) -> Any:
        return self._score("pre_score")

    def clean_post_score(self) -> Any:
        return self._score("post_score")


def consent_recorded(request: HttpRequest, formset: Any) -> None:
    """Note who recorded a consent changed in the admin, and when, as the forms do."""
    now = timezone.now()
    for form in formset.forms:
        if not isinstance(form.instance, Attendance) or not form.has_changed():
            continue
        if {"consent", "consent_date"} & set(form.changed_data):
            form.instance.consent_recorded_by_id = request.user.pk
            form.instance.consent_recorded_at = now


class ConsentRecordedAdmin(admin.ModelAdmin):
    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        consent_recorded(request, formset)
        super().save_formset(request, form, formset, change)


class AttendanceInline(admin.TabularInline):
    model = Attendance
    form = AttendanceForm
    extra = 0
    fields = ("participant", "pre_score", "post_score", "completed", "consent", "consent_date")
    autocomplete_fields = ("participant",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Attendance]:
        return super().get_queryset(request).select_related("participant", "training")


class EvaluationInline(admin.StackedInline):
    model = Evaluation
    extra = 0
    max_num = 1
    fields = (
        ("respondents", "overall_rating", "relevance_rating"),
        "summary",
        "lessons_learned",
    )


@admin.register(Training)
class TrainingAdmin(
    ConsentRecordedAdmin,
    SpreadsheetAdmin,
    HistoryAdmin,
    DemoFlagLast,
    TranslationAdmin,
):
    import_kind = TrainingResource.kind
    list_display = (
        "title",
        "organiser",
        "city",
        "start_date",
        "end_date",
        "status",
        "participant_count",
        "is_demo",
    )
    list_filter = (
        "status",
        "is_demo",
        "topics",
        ("organiser", admin.RelatedOnlyFieldListFilter),
        "action",
    )
    list_select_related = ("organiser",)
    search_fields = (
        *in_all_languages("title", "organiser__name", "organiser__short_name"),
        "venue",
        "city",
    )
    autocomplete_fields = (
        "action",
        "organiser",
        "partners",
        "topics",
        "target_groups",
        "outcomes",
        "recommendations",
        "intervention",
    )
    date_hierarchy = "start_date"
    inlines = (AttendanceInline, EvaluationInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Training]:
        return (
            super()
            .get_queryset(request)
            .annotate(participant_count=Count("attendance", distinct=True))
        )

    @admin.display(description=_("participants"), ordering="participant_count")
    def participant_count(self, obj: Any) -> int:
        return int(obj.participant_count)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # The organiser's and partners' members see the training; grants follow them.
        training_share(training=form.instance)

    def restored(self, obj: Any) -> None:
        training_share(training=obj)


class ParticipantAttendanceInline(admin.TabularInline):
    model = Attendance
    form = AttendanceForm
    extra = 0
    fields = ("training", "pre_score", "post_score", "completed", "consent", "consent_date")
    autocomplete_fields = ("training",)
    verbose_name_plural = _("trainings attended")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Attendance]:
        return super().get_queryset(request).select_related("participant", "training")


DOWNLOAD_DATA = _("Download the selected participant's data (JSON)")
ERASE = _("Erase the selected participants' details")


@admin.register(Participant)
class ParticipantAdmin(ConsentRecordedAdmin, HistoryAdmin, DemoFlagLast):
    # An erased person must stay erased: no earlier version comes back.
    history_restore = False

    list_display = (
        "full_name",
        "sex",
        "professional_group",
        "institution",
        "position",
        "email",
        "registered_by_institution",
        "is_demo",
    )
    list_filter = ("is_demo", "sex", "professional_group")
    list_select_related = ("professional_group", "institution", "registered_by_institution")
    search_fields = (
        "full_name",
        "email",
        "position",
        *in_all_languages("institution__name", "institution__short_name"),
    )
    autocomplete_fields = ("professional_group", "institution", "registered_by_institution")
    readonly_fields = ("erased_at",)
    inlines = (ParticipantAttendanceInline,)
    actions = ("download_data", "erase")

    @admin.action(description=DOWNLOAD_DATA)
    def download_data(
        self, request: HttpRequest, queryset: QuerySet[Participant]
    ) -> HttpResponse | None:
        """What the platform holds on one person, for their access request."""
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one participant."), messages.WARNING)
            return None
        participant = queryset.get()
        admin_action_log(request, [participant], str(DOWNLOAD_DATA))
        response = JsonResponse(
            participant_data(participant=participant), json_dumps_params={"ensure_ascii": False}
        )
        name = f"participant-{participant.pk}.json"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @admin.action(description=ERASE)
    def erase(self, request: HttpRequest, queryset: QuerySet[Participant]) -> None:
        """Names, emails and positions go; the figures they count in stay."""
        # Logged as erased (the log names them as they are now, never as they were).
        erased = [participant_erase(participant=participant) for participant in queryset]
        admin_action_log(request, erased, str(ERASE))
        count = len(erased)
        self.message_user(
            request,
            ngettext(
                "%(count)d participant's details were erased.",
                "%(count)d participants' details were erased.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Attendance)
class AttendanceAdmin(SpreadsheetAdmin, HistoryAdmin):
    import_kind = AttendanceResource.kind
    form = AttendanceForm
    list_display = (
        "participant",
        "training",
        "pre_score",
        "post_score",
        "score_change",
        "completed",
        "consent",
    )
    # Filtered to one training, the export is that training's list, to import again.
    list_filter = (
        ("training", admin.RelatedOnlyFieldListFilter),
        "completed",
        "consent",
        "training__status",
        "participant__sex",
    )
    list_select_related = ("participant", "training")
    search_fields = ("participant__full_name", *in_all_languages("training__title"))
    autocomplete_fields = ("training", "participant")
    readonly_fields = ("consent_recorded_by", "consent_recorded_at")

    def get_export_filename(self, request: HttpRequest, queryset: Any, file_format: Any) -> str:
        """Named as the portal names a training's list when it is one training's."""
        trainings = set(queryset.values_list("training_id", flat=True).distinct()[:2])
        if len(trainings) != 1:
            return str(super().get_export_filename(request, queryset, file_format))
        stem = f"attendance-training-{trainings.pop()}-{timezone.localdate():%Y-%m-%d}"
        return f"{stem}.{file_format.get_extension()}"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if {"consent", "consent_date"} & set(form.changed_data):
            obj.consent_recorded_by, obj.consent_recorded_at = request.user, timezone.now()
        super().save_model(request, obj, form, change)

    @admin.display(description=_("change in score"))
    def score_change(self, obj: Attendance) -> Any:
        return obj.score_change


@admin.register(Evaluation)
class EvaluationAdmin(HistoryAdmin):
    list_display = ("training", "respondents", "overall_rating", "relevance_rating")
    list_filter = ("training__status",)
    list_select_related = ("training",)
    search_fields = in_all_languages("training__title")
    autocomplete_fields = ("training",)


@admin.register(TrainingGroupObjectPermission)
class TrainingGroupObjectPermissionAdmin(ObjectPermissionAdmin):
    list_select_related = ("content_object", "group", "permission__content_type")
