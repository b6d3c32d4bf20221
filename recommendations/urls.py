from __future__ import annotations

from django.urls import include, path

from recommendations import views

app_name = "recommendations"

urlpatterns = [
    path("", views.recommendation_list, name="list"),
    path("<int:pk>/", views.recommendation_detail, name="detail"),
    path("<int:pk>/report/", views.update_create, name="update_create"),
    path("updates/<int:pk>/", views.update_detail, name="update_detail"),
    path("updates/<int:pk>/edit/", views.update_edit, name="update_edit"),
    path("updates/<int:pk>/submit/", views.update_submit, name="update_submit"),
    path("updates/<int:pk>/review/", views.update_review, name="update_review"),
    path("updates/<int:pk>/comment/", views.update_comment, name="update_comment"),
    path("updates/<int:pk>/evidence/", views.evidence_add, name="evidence_add"),
    path("evidence/<int:pk>/download/", views.evidence_download, name="evidence_download"),
    # The review queue and "My institution's updates".
    path("", include("recommendations.review_urls")),
    path("updates/<int:pk>/withdraw/", views.update_withdraw, name="update_withdraw"),
    path("evidence/<int:pk>/remove/", views.evidence_remove, name="evidence_remove"),
    path("evidence/<int:pk>/redact/", views.evidence_redact, name="evidence_redact"),
]
