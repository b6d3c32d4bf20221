"""The platform's URLs without a namespace: the health check load balancers ask for."""

from __future__ import annotations

from django.urls import include, path

from core import views

# The programme team's pages, under the "core" namespace (the health check keeps no namespace).
team_patterns = (
    [
        path("", views.translations, name="translations"),
        path("export/", views.translations_export, name="translations_export"),
    ],
    "core",
)

urlpatterns = [
    path("health/", views.health, name="health"),
    path("translations/", include(team_patterns)),
]
