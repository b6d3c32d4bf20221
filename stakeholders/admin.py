"""The administration of who takes part: users, institutions, their members and contacts.

A membership decides what its user may do, so every change to memberships made here puts the
user's object permissions back in step (``membership_sync``), as the services do.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import BLANK_CHOICE_DASH, Field, QuerySet
from django.http import HttpRequest
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from core.admin import (
    HTTPS_LINKS,
    DemoFlagLast,
    HistoryAdmin,
    LogLine,
    ReadOnlyAdmin,
    admin_action_log,
    in_all_languages,
)
from core.import_admin import SpreadsheetAdmin
from stakeholders import object_permissions, services
from stakeholders.models import (
    AccountEvent,
    ContactPerson,
    Institution,
    Membership,
    ProfessionalGroup,
    User,
)
from stakeholders.resources import InstitutionResource


def _sync_users(user_ids: set[int]) -> None:
    for user in User.objects.filter(pk__in=user_ids):
        object_permissions.membership_sync(user=user)


class InstitutionForm(forms.ModelForm):
    def validate_unique(self) -> None:
        super().validate_unique()
        # The form holds name_en, name_mk, name_sq, so Django skips the constraint on the name
        # column that modeltranslation fills from them, and a duplicate would reach the
        # database. Check it here: only the constraints on the translated columns.
        others = {f.name for f in Institution._meta.fields} - {"name", "short_name"}
        try:
            self.instance.validate_constraints(exclude=others)
        except ValidationError as error:
            self.add_error(None, error)


class InstitutionMembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("user", "role")
    autocomplete_fields = ("user",)
    verbose_name_plural = _("members")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("user", "institution")


class ContactPersonInline(admin.TabularInline):
    model = ContactPerson
    extra = 0
    fields = ("full_name", "position", "email", "phone", "is_primary")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ContactPerson]:
        return super().get_queryset(request).select_related("institution")


@admin.register(Institution)
class InstitutionAdmin(SpreadsheetAdmin, HistoryAdmin, DemoFlagLast, TranslationAdmin):
    import_kind = InstitutionResource.kind
    form = InstitutionForm
    list_display = ("name", "short_name", "kind", "parent", "country", "code", "is_demo")
    list_filter = ("is_demo", "kind", "country")
    list_select_related = ("parent",)
    search_fields = (*in_all_languages("name", "short_name"), "code", "aliases")
    autocomplete_fields = ("parent",)
    formfield_overrides = HTTPS_LINKS
    inlines = (InstitutionMembershipInline, ContactPersonInline)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        institution = form.instance
        before = set(institution.memberships.values_list("user_id", flat=True))
        super().save_related(request, form, formsets, change)
        after = set(institution.memberships.values_list("user_id", flat=True))
        _sync_users(before | after)

    def delete_model(self, request: HttpRequest, obj: Institution) -> None:
        super().delete_model(request, obj)
        object_permissions.groups_prune()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Institution]) -> None:
        super().delete_queryset(request, queryset)
        object_permissions.groups_prune()


@admin.register(Membership)
class MembershipAdmin(HistoryAdmin):
    list_display = ("user", "institution", "role", "created_at")
    list_filter = ("role", "institution__kind", ("institution", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("user", "institution")
    search_fields = (
        "user__username",
        "user__first_name",
        "user__last_name",
        "user__email",
        *in_all_languages("institution__name", "institution__short_name"),
    )
    autocomplete_fields = ("user", "institution")

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        previous_user = form.initial.get("user")
        super().save_model(request, obj, form, change)
        _sync_users({obj.user_id, *([previous_user] if previous_user else [])})

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        user_id = obj.user_id
        super().delete_model(request, obj)
        _sync_users({user_id})

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        user_ids = set(queryset.values_list("user_id", flat=True))
        super().delete_queryset(request, queryset)
        _sync_users(user_ids)


@admin.register(ContactPerson)
class ContactPersonAdmin(HistoryAdmin):
    list_display = ("full_name", "institution", "position", "email", "phone", "is_primary")
    list_filter = ("is_primary", "institution__kind")
    list_select_related = ("institution",)
    search_fields = (
        "full_name",
        "email",
        "position",
        *in_all_languages("institution__name", "institution__short_name"),
    )
    autocomplete_fields = ("institution",)


@admin.register(ProfessionalGroup)
class ProfessionalGroupAdmin(HistoryAdmin, TranslationAdmin):
    list_display = ("name", "slug")
    search_fields = (*in_all_languages("name"), "slug")
    prepopulated_fields = {"slug": ("name",)}


class UserMembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("institution", "role")
    autocomplete_fields = ("institution",)
    verbose_name_plural = _("memberships")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("user", "institution")


DEACTIVATE = _("Deactivate the selected users and end their sessions")
REACTIVATE = _("Reactivate the selected users")
TWO_FACTOR_RESET = _("Remove the selected users' authenticator apps (lost phone)")


@admin.register(User)
class UserAdmin(HistoryAdmin, DjangoUserAdmin):
    """Accounts. Each change is kept with who made it (the account's history, never its
    password), with the account's events and the actions taken on it below."""

    # An earlier version never comes back: it would undo a deactivation or a change of rights
    # past the services that record them.
    history_restore = False
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Platform"), {"fields": ("preferred_language", "is_demo")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Platform"), {"fields": ("email", "first_name", "last_name", "preferred_language")}),
    )
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "is_staff",
        "is_active",
        "is_demo",
    )
    list_filter = ("is_demo", "is_staff", "is_superuser", "is_active", "groups")
    inlines = (UserMembershipInline,)
    actions = ("deactivate", "reactivate", "two_factor_reset")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """Only a superuser makes superusers or gives permissions one by one; the programme
        team gives roles through groups, which the history records."""
        fields = tuple(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ("is_superuser", "user_permissions")
        return fields

    @admin.action(description=DEACTIVATE)
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        done = []
        for user in queryset:
            try:
                services.user_deactivate(user=user, by=request.user)  # type: ignore[arg-type]
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                done.append(user)
        admin_action_log(request, done, str(DEACTIVATE))
        self.message_user(
            request, _("Users deactivated: %(n)d.") % {"n": len(done)}, messages.SUCCESS
        )

    @admin.action(description=REACTIVATE)
    def reactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        done = list(queryset)
        for user in done:
            services.user_reactivate(user=user, by=request.user)  # type: ignore[arg-type]
        admin_action_log(request, done, str(REACTIVATE))
        self.message_user(
            request, _("Users reactivated: %(n)d.") % {"n": len(done)}, messages.SUCCESS
        )

    @admin.action(description=TWO_FACTOR_RESET)
    def two_factor_reset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        done = list(queryset)
        for user in done:
            services.two_factor_reset(user=user, by=request.user)  # type: ignore[arg-type]
        admin_action_log(request, done, str(TWO_FACTOR_RESET))
        self.message_user(
            request,
            _("They set up a new authenticator app the next time they open the administration."),
            messages.SUCCESS,
        )

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        # Ticking or unticking "active" goes through the services, as the actions do: they
        # refuse deactivating oneself, end the sessions and record the event.
        switched = change and "is_active" in form.changed_data
        if switched:
            obj.is_active = not obj.is_active
        if not switched or set(form.changed_data) - {"is_active"}:
            super().save_model(request, obj, form, change)
        if not switched:
            return
        try:
            if form.cleaned_data["is_active"]:
                services.user_reactivate(user=obj, by=request.user)  # type: ignore[arg-type]
            else:
                services.user_deactivate(user=obj, by=request.user)  # type: ignore[arg-type]
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)

    def history_logs(self, request: HttpRequest, object_id: str) -> list[tuple[str, list[LogLine]]]:
        events = (
            AccountEvent.objects.filter(user_id=object_id).select_related("by")
            if object_id.isdigit()
            else AccountEvent.objects.none()
        )
        lines = [
            LogLine(event.at, event.by, event.get_kind_display())
            for event in events[: self.history_log_length]
        ]
        title = capfirst(AccountEvent._meta.verbose_name_plural)
        return [*super().history_logs(request, object_id), (str(title), lines)]

    def formfield_for_dbfield(
        self, db_field: Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        if db_field.name == "preferred_language":
            # The model stores a free code; offer only the platform's languages.
            return forms.ChoiceField(
                label=db_field.verbose_name,
                help_text=db_field.help_text,
                choices=[*BLANK_CHOICE_DASH, *settings.LANGUAGES],
                required=False,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        object_permissions.membership_sync(user=form.instance)


@admin.register(AccountEvent)
class AccountEventAdmin(ReadOnlyAdmin):
    """What was done to accounts, as the services recorded it; also under each account's
    history."""

    list_display = ("at", "username", "kind", "by")
    list_filter = ("kind",)
    list_select_related = ("by",)
    search_fields = ("username", "by__username")
    date_hierarchy = "at"
