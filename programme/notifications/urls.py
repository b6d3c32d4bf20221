"""The notifications' pages; programme/urls.py includes them in the programme namespace."""

from __future__ import annotations

from django.urls import path

from programme.notifications import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
    path(
        "notifications/preferences/",
        views.notification_preferences,
        name="notification_preferences",
    ),
]
