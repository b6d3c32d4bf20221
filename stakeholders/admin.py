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
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from programme.admin import HTTPS_LINKS, DemoFlagLast, GlanceAdmin, HistoryAdmin, in_all_languages
from programme.choices import ImportKind
from programme.import_admin import SpreadsheetAdmin
from stakeholders import object_permissions, services
from stakeholders.models import ContactPerson, Institution, Membership, ProfessionalGroup, User


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
    import_kind = ImportKind.INSTITUTIONS
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
class ProfessionalGroupAdmin(GlanceAdmin, HistoryAdmin, TranslationAdmin):
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


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
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
    actions = ("deactivate", "two_factor_reset")

    @admin.action(description=_("Deactivate the selected users and end their sessions"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        done = 0
        for user in queryset:
            try:
                services.user_deactivate(user=user, by=request.user)  # type: ignore[arg-type]
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
            else:
                done += 1
        self.message_user(request, _("Users deactivated: %(n)d.") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("Remove the selected users' authenticator apps (lost phone)"))
    def two_factor_reset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            services.two_factor_reset(user=user)
        self.message_user(
            request,
            _("They set up a new authenticator app the next time they open the administration."),
            messages.SUCCESS,
        )

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            # Unticking "active" ends the user's sessions, as the deactivate action does.
            services.user_sessions_end(user=obj)

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
