from __future__ import annotations

from django.urls import include, path

from programme import meeting_views

app_name = "programme"

urlpatterns = [
    path("meetings/", meeting_views.meeting_list, name="meeting_list"),
    path("meetings/<int:pk>/", meeting_views.meeting_detail, name="meeting_detail"),
    path("meetings/new/", meeting_views.meeting_create, name="meeting_create"),
    path("meetings/prepare/", meeting_views.meeting_prepare, name="meeting_prepare"),
    path("meetings/<int:pk>/edit/", meeting_views.meeting_edit, name="meeting_edit"),
    path(
        "meetings/<int:pk>/minutes/",
        meeting_views.meeting_minutes_download,
        name="meeting_minutes_download",
    ),
    path(
        "meetings/<int:pk>/attendance/",
        meeting_views.meeting_attendance,
        name="meeting_attendance",
    ),
    path(
        "meetings/<int:pk>/decisions/new/",
        meeting_views.meeting_decision_add,
        name="meeting_decision_add",
    ),
    path(
        "decisions/<int:pk>/edit/",
        meeting_views.meeting_decision_edit,
        name="meeting_decision_edit",
    ),
    path(
        "decisions/<int:pk>/remove/",
        meeting_views.meeting_decision_remove,
        name="meeting_decision_remove",
    ),
    path(
        "meetings/<int:pk>/action-points/new/",
        meeting_views.action_point_add,
        name="action_point_add",
    ),
    path("action-points/<int:pk>/edit/", meeting_views.action_point_edit, name="action_point_edit"),
    path(
        "action-points/<int:pk>/revise/",
        meeting_views.action_point_revise,
        name="action_point_revise",
    ),
    path(
        "action-points/<int:pk>/remove/",
        meeting_views.action_point_remove,
        name="action_point_remove",
    ),
    # The results framework (its pages, and the reported values with their review).
    path("results/", include("programme.results_urls")),
    path("results/", include("programme.value_urls")),
]
