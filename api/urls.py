from __future__ import annotations

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from api import portal_views
from api.endpoints import ENDPOINTS

app_name = "api"

router = SimpleRouter()
for endpoint in ENDPOINTS:
    router.register(endpoint.prefix, endpoint.viewset, basename=endpoint.basename)

urlpatterns: list[URLPattern | URLResolver] = [
    path("v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("v1/", include(router.urls)),
    path("tokens/", portal_views.tokens, name="tokens"),
    path("tokens/<int:pk>/revoke/", portal_views.token_revoke, name="token_revoke"),
    path("", portal_views.docs, name="docs"),
]
