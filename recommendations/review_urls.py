"""The review queue and each institution's own updates (included in recommendations.urls)."""

from __future__ import annotations

from django.urls import path

from recommendations import review_views

urlpatterns = [
    path("review/", review_views.review_queue, name="review_queue"),
    path("review/approve/", review_views.review_approve, name="review_approve"),
    path("review/next/", review_views.review_next, name="review_next"),
    path("mine/", review_views.my_updates, name="my_updates"),
]
