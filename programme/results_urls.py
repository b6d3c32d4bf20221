from __future__ import annotations

from django.urls import path

from programme import results_views

# Included under "results/" in the programme's namespace.
urlpatterns = [
    path("", results_views.framework, name="results_framework"),
    path("iptt/", results_views.iptt, name="results_iptt"),
    path("iptt.xlsx", results_views.iptt_export, {"fmt": "xlsx"}, name="results_iptt_xlsx"),
    path("iptt.csv", results_views.iptt_export, {"fmt": "csv"}, name="results_iptt_csv"),
    path("indicators/<int:pk>/", results_views.indicator_detail, name="results_indicator"),
    path(
        "indicators/<int:pk>/settings/",
        results_views.indicator_settings,
        name="results_indicator_settings",
    ),
    path("periods/<int:pk>/close/", results_views.period_close, name="results_period_close"),
    path("periods/<int:pk>/reopen/", results_views.period_reopen, name="results_period_reopen"),
]
