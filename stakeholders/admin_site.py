"""The Django admin's site: only staff who passed their second factor in this session.

django-otp's ``OTPAdminSite`` lets in only verified users. Its own login form is not used: the
admin's login page sends people to the portal's sign-in and then to the second-factor page
(``two_factor_verify``), so there is one way in and it always asks for the code.

Its index groups the models by the work a programme officer comes to do, not by Django app.
The technical models (sign-in lockouts, authenticator devices, scheduled jobs, object
permissions, the outbox, …) open to superusers only, whichever app registers them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.admin import ModelAdmin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.db.models.base import ModelBase
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django_otp.admin import OTPAdminSite
from guardian.models import BaseObjectPermission

# The admin index's groups, in this order: (key, title, models by "app_label.ModelName").
SECTIONS: tuple[tuple[str, Any, tuple[str, ...]], ...] = (
    (
        "programme-results",
        _("Programme and results"),
        (
            "programme.Programme",
            "programme.Action",
            "programme.Intervention",
            "programme.ReportingPeriod",
            "programme.Outcome",
            "programme.Output",
            "programme.Indicator",
            "programme.IndicatorValue",
        ),
    ),
    (
        "meetings",
        _("Meetings"),
        (
            "programme.Meeting",
            "programme.MeetingAttendance",
            "programme.Decision",
            "programme.ActionPoint",
        ),
    ),
    (
        "recommendations-updates",
        _("Recommendations and updates"),
        (
            "recommendations.RecommendationSet",
            "recommendations.Theme",
            "recommendations.Instrument",
            "recommendations.Recommendation",
            "recommendations.Assignment",
            "recommendations.ProgressUpdate",
            "recommendations.Evidence",
            "recommendations.UpdateTransition",
            "recommendations.UpdateComment",
        ),
    ),
    (
        "trainings-participants",
        _("Trainings and participants"),
        (
            "trainings.Topic",
            "trainings.Training",
            "trainings.Participant",
            "trainings.Attendance",
            "trainings.Evaluation",
        ),
    ),
    (
        "research",
        _("Research"),
        ("research.Study", "research.StudyVersion", "research.StudyStatusChange"),
    ),
    (
        "institutions-people",
        _("Institutions and people"),
        (
            "stakeholders.Institution",
            "stakeholders.Membership",
            "stakeholders.ContactPerson",
            "stakeholders.ProfessionalGroup",
            "stakeholders.User",
            "auth.Group",
            "stakeholders.AccountEvent",
            "notifications.Notification",
            "notifications.NotificationPreference",
        ),
    ),
    (
        "reports-imports",
        _("Reports and imports"),
        ("reports.Report", "imports.ImportBatch", "imports.RememberedName"),
    ),
)
# Superusers only: what keeps the platform running, not the programme's records.
TECHNICAL = ("technical", _("Technical"))
# A model registered later and named in no section still shows, last, until it is given one.
OTHER = ("other", _("Other"))
TECHNICAL_APPS = frozenset(
    {
        "admin",
        "axes",
        "contenttypes",
        "django_celery_beat",
        "django_celery_results",
        "guardian",
        "otp_email",
        "otp_hotp",
        "otp_static",
        "otp_totp",
        "sessions",
        "sites",
    }
)
TECHNICAL_MODELS = frozenset({"auth.Permission", "core.OutboxEmail"})


def is_technical(model: type[Model]) -> bool:
    """Whether the admin opens this model to superusers only: the technical apps, the outbox,
    and every object-permission table (guardian's own and the apps' direct-foreign-key ones)."""
    return (
        model._meta.app_label in TECHNICAL_APPS
        or model._meta.label in TECHNICAL_MODELS
        or issubclass(model, BaseObjectPermission)
    )


class SuperusersOnly(ModelAdmin):
    """Hides a model from everyone but superusers: no index entry, and 403 on its pages,
    whatever model permissions an account or its groups were given."""

    def _is_superuser(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._is_superuser(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_superuser(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._is_superuser(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_superuser(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_superuser(request) and super().has_delete_permission(request, obj)


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` the request asks for, if it stays on this site; else ``default``."""
    wanted = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return default


class PlatformAdminSite(OTPAdminSite):
    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    def register(
        self,
        model_or_iterable: type[Model] | Iterable[type[Model]],
        admin_class: type[ModelAdmin] | None = None,
        **options: Any,
    ) -> None:
        """Registers as Django does; a technical model's admin (ours or a library's) is
        made superusers-only on the way in, so no app has to remember it."""
        models = (
            [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else model_or_iterable
        )
        for model in models:
            chosen = admin_class or ModelAdmin
            if is_technical(model) and not issubclass(chosen, SuperusersOnly):
                chosen = type(
                    chosen.__name__, (SuperusersOnly, chosen), {"__module__": chosen.__module__}
                )
            super().register(model, chosen, **options)

    def get_app_list(
        self, request: HttpRequest, app_label: str | None = None
    ) -> list[dict[str, Any]]:
        """The index and the side menu: the models this user may open, grouped by task.
        An app's own page (``app_label``) keeps Django's list."""
        if app_label is not None:
            return super().get_app_list(request, app_label)
        entries: dict[str, dict[str, Any]] = {}
        for app in self._build_app_dict(request).values():
            for entry in app["models"]:
                entries[entry["model"]._meta.label] = entry
        sections: list[dict[str, Any]] = []
        for key, title, labels in SECTIONS:
            shown = [entries.pop(label) for label in labels if label in entries]
            sections.append(_section(key, title, shown))
        technical = [e for e in entries.values() if is_technical(e["model"])]
        other = [e for e in entries.values() if not is_technical(e["model"])]
        sections.append(_section(*OTHER, sorted(other, key=lambda e: str(e["name"]))))
        sections.append(_section(*TECHNICAL, sorted(technical, key=lambda e: str(e["name"]))))
        return [section for section in sections if section["models"]]

    @method_decorator(never_cache)
    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        next_url = safe_next(request, reverse("admin:index", current_app=self.name))
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(next_url)
        if not (user.is_active and user.is_staff):
            raise PermissionDenied
        if self.has_permission(request):
            return redirect(next_url)
        return redirect_to_login(next_url, reverse("two_factor_verify"))


def _section(key: str, title: Any, models: list[dict[str, Any]]) -> dict[str, Any]:
    """A group shaped like one of Django's apps, so the admin's templates show it unchanged;
    it has no page of its own (``app_url`` empty: templates/admin/app_list.html)."""
    return {
        "name": title,
        "app_label": key,
        "app_url": "",
        "has_module_perms": True,
        "models": models,
    }
