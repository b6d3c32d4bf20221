from __future__ import annotations

from django.urls import path

from programme import narrative_views, results_views

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

# The period narrative (programme/narrative_views.py): the programme team's pages.
urlpatterns += [
    path(
        "periods/<int:pk>/narrative/",
        narrative_views.narrative_period,
        name="narrative_period",
    ),
    path(
        "periods/<int:pk>/narrative/outcomes/<int:outcome>/",
        narrative_views.narrative_outcome_edit,
        name="narrative_outcome_edit",
    ),
    path(
        "periods/<int:pk>/narrative/risks/add/",
        narrative_views.narrative_risk_add,
        name="narrative_risk_add",
    ),
    path(
        "periods/<int:pk>/narrative/risks/<int:risk>/",
        narrative_views.narrative_risk_edit,
        name="narrative_risk_edit",
    ),
    path(
        "periods/<int:pk>/narrative/risks/<int:risk>/remove/",
        narrative_views.narrative_risk_remove,
        name="narrative_risk_remove",
    ),
    path(
        "periods/<int:pk>/narrative/undo/<slug:kind>/<int:record>/",
        narrative_views.narrative_undo,
        name="narrative_undo",
    ),
    path(
        "periods/<int:pk>/narrative/<slug:part>/",
        narrative_views.narrative_part_edit,
        name="narrative_part_edit",
    ),
]
