from __future__ import annotations

from django.urls import path

from imports import views

app_name = "imports"
urlpatterns = [
    path("imports/", views.import_list, name="import_list"),
    path("imports/new/<str:kind>/", views.import_start, name="import_start"),
    path(
        "imports/template/<str:kind>/<str:language>.xlsx",
        views.import_template,
        name="import_template",
    ),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/status/", views.import_status, name="import_status"),
    path("imports/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("imports/<int:pk>/recheck/", views.import_recheck, name="import_recheck"),
    path("imports/<int:pk>/names/", views.import_read_names, name="import_read_names"),
    path("imports/<int:pk>/fractions/", views.import_read_fractions, name="import_read_fractions"),
    path("imports/<int:pk>/discard/", views.import_discard, name="import_discard"),
    path("imports/<int:pk>/rollback/", views.import_rollback, name="import_rollback"),
    path("imports/<int:pk>/file/", views.import_file, name="import_file"),
    path("exports/<str:kind>.<str:fmt>", views.export, name="export"),
    path(
        "trainings/<int:pk>/attendance/export.<str:fmt>",
        views.attendance_export,
        name="attendance_export",
    ),
]
