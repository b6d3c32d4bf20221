"""The frame every portal page pays for (templates/base.html, its tags and context processors).

An empty page that extends base.html is the frame alone: its queries are pinned here for an
institution's member and for the programme team, so a badge or a link that starts asking the
database on every page fails a test. The header's badges show when there is something to show
and vanish when not; the navigation reads the same in every language.
"""

from __future__ import annotations

import re
import types

import pytest
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext, override_script_prefix
from django.urls import include, path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from notifications.choices import NotificationKind
from notifications.models import Notification
from stakeholders.choices import InstitutionKind, MembershipRequestState, MembershipRole
from stakeholders.models import Membership, MembershipRequest, User
from tests import factories

EMPTY_URL = "/frame-test/empty/"
MINIMAL_URL = "/frame-test/minimal/"

# The queries of an empty page beyond those of a minimal one behind the same middleware: the
# persona (the member's institutions), and the header's two badges in one query; for the
# programme team also the review queue's count in the navigation.
FRAME_QUERIES = {"member": 2, "team": 3}
NOTIFICATIONS = f'"{Notification._meta.db_table}"'
REQUESTS = f'"{MembershipRequest._meta.db_table}"'
MEMBERSHIPS = f'"{Membership._meta.db_table}"'


def _empty_page(request: HttpRequest) -> HttpResponse:
    template = engines["django"].from_string('{% extends "base.html" %}')
    return HttpResponse(template.render({}, request))


def _minimal_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<!doctype html><title>minimal</title>")


_urls = types.ModuleType("page_frame_urls")
_urls.urlpatterns = [
    path(EMPTY_URL.strip("/") + "/", _empty_page),
    path(MINIMAL_URL.strip("/") + "/", _minimal_page),
    path("", include("config.urls")),
]


@pytest.fixture
def member(db: None) -> User:
    """A CSO's focal point: the persona whose pages the benchmark times."""
    membership = factories.MembershipFactory.create(
        institution__kind=InstitutionKind.CSO, role=MembershipRole.FOCAL_POINT
    )
    return membership.user


@pytest.fixture
def team(db: None) -> User:
    return factories.UserFactory.create(programme_team=True)


def _queries(client: Client, url: str) -> list[str]:
    client.get(url)  # the first request warms what the process keeps
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def _page(client: Client, url: str = EMPTY_URL) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@override_settings(ROOT_URLCONF=_urls)
@pytest.mark.parametrize("persona", ["member", "team"])
def test_the_frame_costs_a_fixed_number_of_queries(
    client: Client, request: pytest.FixtureRequest, persona: str
) -> None:
    user = request.getfixturevalue(persona)
    client.force_login(user)
    minimal = _queries(client, MINIMAL_URL)
    empty = _queries(client, EMPTY_URL)
    assert len(empty) - len(minimal) == FRAME_QUERIES[persona], empty
    # Each badge is asked once, both in the same query; the persona once.
    badges = [sql for sql in empty if NOTIFICATIONS in sql]
    assert len(badges) == 1 and REQUESTS in badges[0]
    assert sum(REQUESTS in sql for sql in empty) == 1
    assert sum(MEMBERSHIPS in sql for sql in empty) == 1


@override_settings(ROOT_URLCONF=_urls)
def test_the_header_badges_appear_only_while_there_is_something_to_show(
    client: Client, member: User
) -> None:
    client.force_login(member)
    page = _page(client)
    assert 'visually-hidden"> unread' not in page
    assert "Membership requests" not in page

    notification = Notification.objects.create(
        recipient=member, kind=NotificationKind.UPDATE_DUE, key="frame-test", url="/"
    )
    inviting = factories.InstitutionFactory.create()
    waiting = MembershipRequest.objects.create(
        institution=inviting, user=member, role=MembershipRole.VIEWER
    )
    page = _page(client)
    link = reverse("notifications:notification_list")
    assert (
        f'<a href="{link}">Notifications (1<span class="visually-hidden"> unread</span>)</a>'
        in page
    )
    requests = reverse("stakeholders:membership_request_list")
    assert f'<a href="{requests}">Membership requests (1)</a>' in page

    # Someone else's notification and request are not the member's.
    other = factories.UserFactory.create()
    Notification.objects.create(
        recipient=other, kind=NotificationKind.UPDATE_DUE, key="frame-test", url="/"
    )
    MembershipRequest.objects.create(institution=inviting, user=other, role=MembershipRole.VIEWER)
    assert "Notifications (1<span" in _page(client)

    notification.read_at = timezone.now()
    notification.save(update_fields=["read_at"])
    waiting.state = MembershipRequestState.DECLINED
    waiting.save(update_fields=["state"])
    page = _page(client)
    assert f'<a href="{link}">Notifications</a>' in page
    assert "Membership requests" not in page


@override_settings(ROOT_URLCONF=_urls)
def test_the_code_page_asks_for_no_badge(client: Client, team: User) -> None:
    """Until the programme team gives its code, the header offers only the way out."""
    TOTPDevice.objects.create(user=team, name="Phone", confirmed=True)
    client.force_login_password_only(team)
    url = reverse("two_factor_verify")
    queries = _queries(client, url)
    assert not [sql for sql in queries if NOTIFICATIONS in sql or REQUESTS in sql]
    page = _page(client, url)
    assert reverse("notifications:notification_list") not in page
    assert 'class="site-nav"' not in page


NAV_LABELS = [
    "Dashboard",
    "Recommendations",
    "Review queue",
    "Trainings",
    "Participants",
    "Meetings",
    "Results",
    "Research",
    "Institutions",
    "Spreadsheets",
    "Reports",
    "Search",
]


@override_settings(ROOT_URLCONF=_urls)
@pytest.mark.parametrize("language", ["en", "mk", "sq"])
def test_the_frame_speaks_the_readers_language(client: Client, team: User, language: str) -> None:
    team.preferred_language = language
    team.save(update_fields=["preferred_language"])
    client.force_login(team)
    page = _page(client)
    assert f'<html lang="{language}">' in page
    with translation.override(language):
        for label in [*NAV_LABELS, "Notifications", "Log out", "Public site", "Translations"]:
            assert f">{gettext(label)}<" in page, label
        if language != "en":
            assert gettext("Trainings") != "Trainings"  # a translation, not the English again
    # The switcher names each language in itself and selects the reader's.
    assert re.search(rf'<option value="{language}" lang="{language}" selected>', page)
    for code, name in [("en", "English"), ("mk", "Македонски"), ("sq", "Shqip")]:
        assert f'lang="{code}"' in page and f">{name}</option>" in page


@override_settings(ROOT_URLCONF=_urls)
@pytest.mark.parametrize(
    ("url_name", "current"),
    [
        ("dashboard:dashboard", "Dashboard"),
        ("recommendations:review_queue", "Review queue"),
        ("trainings:list", "Trainings"),
        ("trainings:people", "Participants"),
        ("programme:results_framework", "Results"),
        ("reports:report_list", "Reports"),
    ],
)
def test_the_navigation_marks_the_current_page_alone(
    client: Client, team: User, url_name: str, current: str
) -> None:
    client.force_login(team)
    page = _page(client, reverse(url_name))
    nav = page.split('class="site-nav"', 1)[1].split("</nav>", 1)[0]
    marked = re.findall(r'aria-current="page">([^<(]+)', nav)
    assert [label.strip() for label in marked] == [current]


@override_settings(ROOT_URLCONF=_urls)
def test_the_frame_links_follow_the_prefix_the_site_is_served_under(
    client: Client, member: User
) -> None:
    """The links are kept once per process, but per prefix: a site served under /portal/
    links under /portal/, and the same process serving it at the root links from the root."""
    client.force_login(member)
    trainings = reverse("trainings:list")
    with override_script_prefix("/portal/"):
        under = _page(client)
    assert f'href="/portal{trainings}"' in under and f'href="{trainings}"' not in under
    assert f'href="{trainings}"' in _page(client)
