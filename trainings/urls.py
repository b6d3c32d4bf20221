from __future__ import annotations

from django.urls import path

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
]
