from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from programme import views as programme_views

urlpatterns = [
    path("", include("programme.urls")),
    path("recommendations/", include("recommendations.urls")),
    path("trainings/", include("trainings.urls")),
    path("research/", include("research.urls")),
    path("institutions/", include("stakeholders.urls")),
    path("health/", programme_views.health, name="health"),
    path("accounts/", include("stakeholders.account_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
