"""The language switcher's URL, under Django's own name (``set_language``)."""

from __future__ import annotations

from django.urls import path

from stakeholders import account_views

urlpatterns = [
    # Django's set_language, which also stores a signed-in user's choice in their profile.
    path("setlang/", account_views.language_set, name="set_language"),
]
