"""For every list and every persona, the API answers exactly the records the portal's list
(or, where the portal has no list page, its permission gate) gives that persona."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import QuerySet
from django.test import Client

from programme.models import Action, ActionPoint, Decision, Outcome, ReportingPeriod
from programme.permissions import (
    framework_visible_to,
    indicator_values_visible_to,
    indicators_visible_to,
    meetings_visible_to,
)
from recommendations.permissions import updates_visible_to
from stakeholders.models import User
from tests.api.conftest import PERSONAS, api_ids, bearer
from tests.test_persona_matrix import World

pytestmark = pytest.mark.django_db


def _page_ids(client: Client, url: str, key: Callable[[Any], int] = lambda r: r.pk) -> list[int]:
    """The ids of a portal list page's whole filtered list (every page of it)."""
    response = client.get(url)
    assert response.status_code == 200, url
    return [key(row) for row in response.context["page_obj"].paginator.object_list]


def _framework(user: User, queryset: QuerySet[Any]) -> list[int]:
    return list(queryset.values_list("pk", flat=True)) if framework_visible_to(user) else []


def _ids(queryset: QuerySet[Any]) -> list[int]:
    return list(queryset.values_list("pk", flat=True))


# Each API list and what the portal gives the persona: its list page where there is one.
PORTAL: dict[str, Callable[[Client, User], list[int]]] = {
    "institutions": lambda c, u: _page_ids(c, "/institutions/"),
    "trainings": lambda c, u: _page_ids(c, "/trainings/"),
    "meetings": lambda c, u: _page_ids(c, "/meetings/"),
    "studies": lambda c, u: _page_ids(c, "/research/?layout=list"),
    "recommendations": lambda c, u: _page_ids(
        c, "/recommendations/", key=lambda row: row.recommendation.pk
    ),
    "updates": lambda c, u: _ids(updates_visible_to(u)),
    "indicators": lambda c, u: _ids(indicators_visible_to(u)),
    "indicator-values": lambda c, u: _ids(indicator_values_visible_to(u)),
    "decisions": lambda c, u: _ids(Decision.objects.filter(meeting__in=meetings_visible_to(u))),
    "action-points": lambda c, u: _ids(
        ActionPoint.objects.filter(meeting__in=meetings_visible_to(u))
    ),
    "actions": lambda c, u: _framework(u, Action.objects.all()),
    "periods": lambda c, u: _framework(u, ReportingPeriod.objects.all()),
    "outcomes": lambda c, u: _framework(u, Outcome.objects.all()),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_list_answers_what_the_portal_shows_the_persona(
    persona: str, world: World, tokens: dict[str, str]
) -> None:
    portal = Client()
    portal.force_login(world.users[persona])
    api = Client()
    for endpoint, portal_ids in PORTAL.items():
        answered = api_ids(api, tokens[persona], f"/api/v1/{endpoint}/")
        assert answered == sorted(answered), f"{endpoint}: not in a stable order"
        expected = sorted(portal_ids(portal, world.users[persona]))
        assert answered == expected, f"{endpoint} as {persona}"


def test_lists_differ_between_institutions(world: World, tokens: dict[str, str]) -> None:
    """CSO B's training and returned update reach CSO B, never CSO A: the comparison above
    would hold vacuously if every persona saw everything."""
    client = Client()
    for endpoint, record in (("trainings", world.training), ("updates", world.update)):
        assert record.pk in api_ids(client, tokens["demo-cso-b"], f"/api/v1/{endpoint}/")
        assert record.pk not in api_ids(client, tokens["demo-cso-a"], f"/api/v1/{endpoint}/")
        assert record.pk in api_ids(client, tokens["demo-admin"], f"/api/v1/{endpoint}/")


@pytest.mark.parametrize(
    ("endpoint", "record"),
    [("trainings", "training"), ("updates", "update"), ("indicator-values", "value_draft")],
)
def test_another_institutions_record_answers_404(
    world: World, tokens: dict[str, str], endpoint: str, record: str
) -> None:
    url = f"/api/v1/{endpoint}/{getattr(world, record).pk}/"
    client = Client()
    assert client.get(url, headers=bearer(tokens["demo-cso-a"])).status_code == 404
    own = client.get(url, headers=bearer(tokens["demo-cso-b"]))
    assert own.status_code == 200
    assert own.json()["id"] == getattr(world, record).pk


def test_the_team_needs_the_second_factor_on_its_token_too(world: World) -> None:
    """A programme-team token made before the second factor reads as a plain member."""
    from api.services import api_token_create

    _token, clear = api_token_create(
        user=world.users["demo-admin"], name="Unverified", second_factor=False
    )
    _token, verified = api_token_create(
        user=world.users["demo-admin"], name="Verified", second_factor=True
    )
    client = Client()
    url = f"/api/v1/indicator-values/{world.value_draft.pk}/"
    assert client.get(url, headers=bearer(verified)).status_code == 200
    assert client.get(url, headers=bearer(clear)).status_code == 404


def test_a_trainings_participants_are_named_as_on_its_page(
    world: World, tokens: dict[str, str]
) -> None:
    from trainings.models import Attendance, Participant

    person = Participant.objects.create(
        full_name="Unconsented Person", sex="female", registered_by_institution=world.cso_b
    )
    Attendance.objects.create(training=world.training, participant=person, consent=False)
    client = Client()
    url = f"/api/v1/trainings/{world.training.pk}/"
    by_b = client.get(url, headers=bearer(tokens["demo-cso-b"])).json()
    assert [p["name"] for p in by_b["attendance"]] == ["Unconsented Person"]
    assert by_b["participants"] == 1
    assert by_b["women"] == 1
    by_observer = client.get(url, headers=bearer(tokens["demo-observer"])).json()
    assert [p["name"] for p in by_observer["attendance"]] == [None]
    assert "Unconsented Person" not in str(by_observer)


def test_filters_narrow_a_list_as_the_portals_filters_do(
    world: World, tokens: dict[str, str]
) -> None:
    client = Client()
    portal = Client()
    portal.force_login(world.users["demo-cso-b"])
    token = tokens["demo-cso-b"]
    for query in ("q=Peer", f"organiser={world.cso_b.pk}", "status=held"):
        assert api_ids(client, token, f"/api/v1/trainings/?{query}") == sorted(
            _page_ids(portal, f"/trainings/?{query}")
        ), query
    for query in ("status=none", "status=in_progress", "q=victim"):
        assert api_ids(client, token, f"/api/v1/recommendations/?{query}") == sorted(
            _page_ids(portal, f"/recommendations/?{query}", key=lambda r: r.recommendation.pk)
        ), query
    own = api_ids(client, token, f"/api/v1/updates/?institution={world.cso_b.pk}")
    assert world.update.pk in own
    assert own == sorted(
        _ids(updates_visible_to(world.users["demo-cso-b"]).filter(institution=world.cso_b))
    )
    in_period = api_ids(client, token, f"/api/v1/updates/?period={world.period.pk}")
    assert in_period == sorted(
        _ids(updates_visible_to(world.users["demo-cso-b"]).filter(period=world.period))
    )
    assert client.get("/api/v1/updates/?period=abc", headers=bearer(token)).status_code == 400
    assert client.get("/api/v1/recommendations/?status=x", headers=bearer(token)).status_code == 400


def test_read_only_methods_answer(world: World, tokens: dict[str, str]) -> None:
    client = Client()
    token = tokens["demo-cso-b"]
    assert client.head("/api/v1/trainings/", headers=bearer(token)).status_code == 200
    assert client.options("/api/v1/trainings/", headers=bearer(token)).status_code == 200
