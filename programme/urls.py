from __future__ import annotations

from django.urls import include, path

from programme import meeting_views

app_name = "programme"

urlpatterns = [
    path("meetings/", meeting_views.meeting_list, name="meeting_list"),
    path("meetings/<int:pk>/", meeting_views.meeting_detail, name="meeting_detail"),
    path("action-points/<int:pk>/edit/", meeting_views.action_point_edit, name="action_point_edit"),
    # The results framework (its pages, and the reported values with their review).
    path("results/", include("programme.results_urls")),
    path("results/", include("programme.value_urls")),
]
