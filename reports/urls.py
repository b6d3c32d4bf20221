from __future__ import annotations

from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("reports/", views.report_list, name="report_list"),
    path("reports/new/", views.report_request, name="report_request"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/download/", views.report_download, name="report_download"),
]
