from __future__ import annotations

from django.conf import settings
from django.urls import URLPattern, URLResolver, path, register_converter

from publicsite import iati_views, views


class LanguageConverter:
    """A language of the site in a public page's address: en, mk or sq."""

    regex = "|".join(code for code, _name in settings.LANGUAGES)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(LanguageConverter, "language")


def public_views_urls() -> list[URLPattern]:
    """Each page at /public/<page> (the reader's language) and /public/<language>/<page>."""
    patterns = []
    for name in views.PAGES:
        route = "" if name == "home" else f"{name}/"
        patterns += [
            path(f"public/{route}", views.public_page, {"page": name}, name=name),
            path(
                f"public/<language:language>/{route}",
                views.public_page,
                {"page": name},
                name=f"{name}_in",
            ),
        ]
    return patterns


app_name = "public"
urlpatterns: list[URLPattern | URLResolver] = [
    # The public site's pages (publicsite/views.py).
    *public_views_urls(),
    path("public/research/files/<int:pk>/", views.study_file, name="study_file"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
    path("robots.txt", views.robots, name="robots"),
    # (public site urls end)
    # The IATI export (publicsite/iati_views.py).
    path("iati/activities.xml", iati_views.iati_activities, name="iati_activities"),
    # (iati urls end)
]
