from __future__ import annotations

from django.urls import path

from research import views

app_name = "research"

urlpatterns = [
    path("", views.pipeline, name="pipeline"),
    path("versions/<int:pk>/download/", views.version_download, name="version_download"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/advance/", views.advance, name="advance"),
]
