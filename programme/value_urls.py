"""Reported indicator values: entering them, their review and their evidence (under results/)."""

from __future__ import annotations

from django.urls import path

from programme import value_views

urlpatterns = [
    path("mine/", value_views.value_mine, name="value_mine"),
    path(
        "indicators/<int:pk>/periods/<int:period_pk>/report/",
        value_views.value_report,
        name="value_report",
    ),
    path("values/<int:pk>/", value_views.value_detail, name="value_detail"),
    path("values/<int:pk>/submit/", value_views.value_submit, name="value_submit"),
    path("values/<int:pk>/withdraw/", value_views.value_withdraw, name="value_withdraw"),
    path("values/<int:pk>/review/", value_views.value_review, name="value_review"),
    path("values/<int:pk>/evidence/", value_views.value_evidence_add, name="value_evidence_add"),
    path("evidence/<int:pk>/", value_views.value_evidence_download, name="value_evidence_download"),
    path(
        "evidence/<int:pk>/remove/",
        value_views.value_evidence_remove,
        name="value_evidence_remove",
    ),
]
