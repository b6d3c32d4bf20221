from __future__ import annotations

from django.urls import path

from programme import meeting_views

app_name = "programme"

urlpatterns = [
    path("meetings/", meeting_views.meeting_list, name="meeting_list"),
    path("meetings/<int:pk>/", meeting_views.meeting_detail, name="meeting_detail"),
    path("action-points/<int:pk>/edit/", meeting_views.action_point_edit, name="action_point_edit"),
]
