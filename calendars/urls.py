from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from calendars import views

app_name = "calendars"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.calendar_settings, name="settings"),
    path("address/new/", views.address_create, name="address_create"),
    path("address/stop/", views.address_revoke, name="address_revoke"),
    path("feed/<str:token>.ics", views.personal_feed, name="feed"),
    path("public.ics", views.public_feed, name="public"),
    path("meetings/<int:pk>.ics", views.meeting_ics, name="meeting_ics"),
    path("trainings/<int:pk>.ics", views.training_ics, name="training_ics"),
]
