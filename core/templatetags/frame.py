"""What the portal's frame (templates/base.html) shows on every page and can work out once per
process instead of on every request: the addresses of its links, and the languages of its
switcher. Every page pays for the frame, so what does not change between requests is kept."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import URLResolver, get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils.text import capfirst
from django.utils.translation import get_language_info

register = template.Library()

# Every page the frame links to, by the name the template reads it under. The addresses do not
# depend on the language (the URL conf has no language prefix) nor on the request.
FRAME_LINKS = {
    "dashboard": "dashboard:dashboard",
    "notifications": "notifications:notification_list",
    "membership_requests": "stakeholders:membership_request_list",
    "admin": "admin:index",
    "logout": "logout",
    "set_language": "set_language",
    "recommendations": "recommendations:list",
    "my_updates": "recommendations:my_updates",
    "review_queue": "recommendations:review_queue",
    "trainings": "trainings:list",
    "people": "trainings:people",
    "meetings": "programme:meeting_list",
    "results": "programme:results_framework",
    "research": "research:pipeline",
    "institutions": "stakeholders:institution_list",
    "imports": "imports:import_list",
    "reports": "reports:report_list",
    "search": "dashboard:search",
    "public": "public:home",
    "calendar": "calendars:settings",
    "api_tokens": "api:tokens",
    "translations": "core:translations",
}


@register.simple_tag
def frame_links() -> dict[str, str]:
    """The frame's links (``{{ frame_urls.trainings }}``), each reversed once per process: a
    ``{% url %}`` resolves its name again on every page."""
    # Kept by what reverse() reads besides the name: the URL conf in force (a test may
    # override it; Django then makes a new resolver) and the prefix the site is served under.
    return _links(get_resolver(get_urlconf()), get_script_prefix())


@lru_cache(maxsize=8)
def _links(resolver: URLResolver, prefix: str) -> dict[str, str]:
    return {key: reverse(name) for key, name in FRAME_LINKS.items()}


@register.simple_tag
def frame_languages() -> tuple[tuple[str, str], ...]:
    """The language switcher's choices: each language's code and its name in itself
    (English, Македонски, Shqip), in the order of the settings."""
    return _languages(tuple(code for code, _name in settings.LANGUAGES))


@lru_cache(maxsize=2)
def _languages(codes: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((code, capfirst(get_language_info(code)["name_local"])) for code in codes)
