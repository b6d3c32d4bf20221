"""Every URL of the site, each app's by name: the project imports no app's code here."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("dashboard.urls")),
    path("", include("programme.urls")),
    path("", include("imports.urls")),
    path("", include("reports.urls")),
    path("", include("notifications.urls")),
    path("recommendations/", include("recommendations.urls")),
    path("trainings/", include("trainings.urls")),
    path("research/", include("research.urls")),
    path("institutions/", include("stakeholders.urls")),
    path("", include("core.urls")),
    path("api/", include("api.urls")),
    path("calendars/", include("calendars.urls")),
    path("", include("publicsite.urls")),
    path("accounts/", include("stakeholders.account_urls")),
    path("i18n/", include("stakeholders.language_urls")),
    path("admin/", admin.site.urls),
]
