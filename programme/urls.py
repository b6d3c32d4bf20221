from __future__ import annotations

from django.urls import path

from programme import import_views, meeting_views, views
from programme.notifications.urls import urlpatterns as notification_urls
from programme.reports import views as report_views

app_name = "programme"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("meetings/", meeting_views.meeting_list, name="meeting_list"),
    path("meetings/<int:pk>/", meeting_views.meeting_detail, name="meeting_detail"),
    path("action-points/<int:pk>/edit/", meeting_views.action_point_edit, name="action_point_edit"),
    path("search/", views.search_view, name="search"),
    path("imports/", import_views.import_list, name="import_list"),
    path("imports/new/<str:kind>/", import_views.import_start, name="import_start"),
    path(
        "imports/template/<str:kind>/<str:language>.xlsx",
        import_views.import_template,
        name="import_template",
    ),
    path("imports/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:pk>/status/", import_views.import_status, name="import_status"),
    path("imports/<int:pk>/confirm/", import_views.import_confirm, name="import_confirm"),
    path("imports/<int:pk>/recheck/", import_views.import_recheck, name="import_recheck"),
    path("imports/<int:pk>/discard/", import_views.import_discard, name="import_discard"),
    path("imports/<int:pk>/rollback/", import_views.import_rollback, name="import_rollback"),
    path("imports/<int:pk>/file/", import_views.import_file, name="import_file"),
    path("exports/<str:kind>.<str:fmt>", import_views.export, name="export"),
    path("reports/", report_views.report_list, name="report_list"),
    path("reports/new/", report_views.report_request, name="report_request"),
    path("reports/<int:pk>/", report_views.report_detail, name="report_detail"),
    path("reports/<int:pk>/download/", report_views.report_download, name="report_download"),
    *notification_urls,
]
