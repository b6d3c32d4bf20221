"""The Django admin's site: only staff who passed their second factor in this session.

django-otp's ``OTPAdminSite`` lets in only verified users. Its own login form is not used: the
admin's login page sends people to the portal's sign-in and then to the second-factor page
(``two_factor_verify``), so there is one way in and it always asks for the code.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django_otp.admin import OTPAdminSite


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` the request asks for, if it stays on this site; else ``default``."""
    wanted = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return default


class PlatformAdminSite(OTPAdminSite):
    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    @method_decorator(never_cache)
    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        next_url = safe_next(request, reverse("admin:index", current_app=self.name))
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(next_url)
        if not (user.is_active and user.is_staff):
            raise PermissionDenied
        if self.has_permission(request):
            return redirect(next_url)
        return redirect_to_login(next_url, reverse("two_factor_verify"))
