from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class StakeholdersConfig(AppConfig):
    name = "stakeholders"
    verbose_name = _("Stakeholders")
    default = True  # this module also holds the admin's config below

    def ready(self) -> None:
        from core.history import track
        from core.imports import resource_register
        from core.translation_work import translation_gate_register
        from stakeholders import (
            account_emails,  # noqa: F401 - registers the emails' builders
            signals,  # noqa: F401 - connects the sign-in receivers
        )
        from stakeholders.resources import InstitutionResource
        from stakeholders.selectors import persona_for

        resource_register(InstitutionResource)
        # Translating the programme's content is the programme team's task.
        translation_gate_register(lambda user: persona_for(user).is_programme_team)

        track(self, "Institution", "Membership", "ContactPerson", "ProfessionalGroup")
        # Who changed an account's rights (active, staff, superuser, groups, permissions):
        # never its password hash, nor each sign-in's time.
        track(
            self,
            "User",
            excluded_fields=["password", "last_login"],
            m2m_fields=["groups", "user_permissions"],
        )


class PlatformAdminConfig(admin_apps.AdminConfig):
    """The Django admin, whose site asks staff for their second factor."""

    default = False  # named in INSTALLED_APPS; "stakeholders" alone means the app above
    default_site = "stakeholders.admin_site.PlatformAdminSite"
