"""Accounts: signing in and out, the staff's second factor, password resets and invitations.

The names have no namespace: Django's auth views and LOGIN_URL refer to them as they are.
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from stakeholders import account_views, auth
from stakeholders.forms import LoginForm

urlpatterns = [
    path("login/", auth.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", account_views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/enrol/", account_views.two_factor_enrol, name="two_factor_enrol"),
    path("password-reset/", account_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        account_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "invitation/<uidb64>/<token>/",
        account_views.InvitationAcceptView.as_view(),
        name="invitation_accept",
    ),
]
