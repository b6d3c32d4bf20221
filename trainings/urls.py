from __future__ import annotations

from django.urls import include, path

from trainings import views

app_name = "trainings"

urlpatterns = [
    path("", views.training_list, name="list"),
    path("new/", views.training_create, name="create"),
    path("<int:pk>/", views.training_detail, name="detail"),
    path("<int:pk>/edit/", views.training_edit, name="edit"),
    path("<int:pk>/participants/add/", views.participant_add, name="participant_add"),
    path("<int:pk>/participants/paste/", views.participants_paste, name="participants_paste"),
    path("<int:pk>/attendance/", views.attendance_edit, name="attendance_edit"),
    path("<int:pk>/evaluation/", views.evaluation_edit, name="evaluation_edit"),
    path("<int:pk>/cancel/", views.training_cancel, name="cancel"),
    path("<int:pk>/delete/", views.training_delete, name="delete"),
    path("attendance/<int:pk>/remove/", views.attendance_remove, name="attendance_remove"),
    path("people/", include("trainings.registry_urls")),
]
