from __future__ import annotations

from django.urls import path

from stakeholders import views

app_name = "stakeholders"

urlpatterns = [
    path("", views.institution_list, name="institution_list"),
    path("<int:pk>/", views.institution_detail, name="institution_detail"),
    path("<int:pk>/members/invite/", views.member_invite, name="member_invite"),
    path("members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("requests/", views.membership_request_list, name="membership_request_list"),
    path(
        "requests/<int:pk>/accept/",
        views.membership_request_accept,
        name="membership_request_accept",
    ),
    path(
        "requests/<int:pk>/decline/",
        views.membership_request_decline,
        name="membership_request_decline",
    ),
]
