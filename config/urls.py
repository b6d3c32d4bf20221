from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from programme import views as programme_views
from stakeholders import account_views

urlpatterns = [
    path("", include("programme.urls")),
    path("recommendations/", include("recommendations.urls")),
    path("trainings/", include("trainings.urls")),
    path("research/", include("research.urls")),
    path("institutions/", include("stakeholders.urls")),
    path("health/", programme_views.health, name="health"),
    path("accounts/", include("stakeholders.account_urls")),
    # Django's set_language, which also stores a signed-in user's choice in their profile.
    path("i18n/setlang/", account_views.language_set, name="set_language"),
    path("admin/", admin.site.urls),
]
