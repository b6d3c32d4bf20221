"""The participant register's pages, under /trainings/people/ (included by trainings.urls)."""

from __future__ import annotations

from django.urls import path

from trainings import registry_views

urlpatterns = [
    path("", registry_views.people, name="people"),
    path("<int:pk>/", registry_views.person, name="person"),
    path("<int:pk>/edit/", registry_views.person_edit, name="person_edit"),
    path("<int:pk>/merge/", registry_views.person_merge, name="person_merge"),
    path("<int:pk>/erase/", registry_views.person_erase, name="person_erase"),
]
