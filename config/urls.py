from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from programme import views as programme_views

urlpatterns = [
    path("", include("programme.urls")),
    path("recommendations/", include("recommendations.urls")),
    path("trainings/", include("trainings.urls")),
    path("research/", include("research.urls")),
    path("institutions/", include("stakeholders.urls")),
    path("health/", programme_views.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
