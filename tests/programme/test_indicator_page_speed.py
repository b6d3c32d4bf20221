"""An indicator's page under load: the records a computed indicator counted are listed once
and kept under the figures' version, keyed by the reader, so whatever changes what a reader
sees shows on their next request; the page reads the database a fixed number of times."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from programme.choices import Aggregation, IndicatorKind, ValueState
from programme.models import Indicator, ReportingPeriod
from stakeholders.choices import InstitutionKind, MembershipRole, Sex
from stakeholders.models import Institution, User
from tests.factories import (
    ActionFactory,
    AttendanceFactory,
    GroupFactory,
    IndicatorFactory,
    IndicatorValueFactory,
    InstitutionFactory,
    MembershipFactory,
    OutcomeFactory,
    ParticipantFactory,
    ReportingPeriodFactory,
    TrainingFactory,
    TrainingGroupObjectPermissionFactory,
    UserFactory,
)
from trainings.choices import TrainingStatus
from trainings.models import Training

pytestmark = pytest.mark.django_db

D = Decimal


@dataclass
class Page:
    periods: list[ReportingPeriod]  # 2025 H1, 2025 H2
    trained: Indicator  # computed: participants trained
    reported: Indicator  # reported by ``org``: approved in H1, a draft in H2
    host: Institution  # organises the trainings
    tetovo: Training  # one of the two held in 2025 H1
    org: Institution
    users: dict[str, User]  # team, observer (an EU body), member (of org), outsider


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _trained(page_action: object, host: Institution, day: date, title: str) -> Training:
    training: Training = TrainingFactory.create(
        action=page_action,
        organiser=host,
        title=title,
        start_date=day,
        end_date=day,
        status=TrainingStatus.HELD,
    )
    AttendanceFactory.create(training=training, participant=ParticipantFactory.create(sex=Sex.MALE))
    return training


def _member(institution: Institution) -> User:
    user: User = MembershipFactory.create(institution=institution, role=MembershipRole.EDITOR).user
    return user


@pytest.fixture
def page() -> Page:
    action = ActionFactory.create()
    periods = [
        ReportingPeriodFactory.create(
            action=action,
            name=f"2025 H{half}",
            start_date=date(2025, 1 if half == 1 else 7, 1),
            end_date=date(2025, 6, 30) if half == 1 else date(2025, 12, 31),
            due_date=date(2025, 7, 31) if half == 1 else date(2026, 1, 31),
        )
        for half in (1, 2)
    ]
    outcome = OutcomeFactory.create(action=action, code="1", title="Professionals prevent")
    trained = IndicatorFactory.create(
        outcome=outcome,
        code="1.b",
        title="Professionals trained",
        kind=IndicatorKind.COMPUTED,
        calculation="participants_trained",
        target_end=D(10),
    )
    org = InstitutionFactory.create(kind=InstitutionKind.CSO, name="Open Gate")
    reported = IndicatorFactory.create(
        outcome=outcome,
        code="1.a",
        title="Referral protocols adopted",
        responsible=org,
        target_end=D(8),
        aggregation=Aggregation.SUM,
    )
    for period in periods:
        IndicatorValueFactory.create(indicator=trained, period=period, target=D(2), actual=None)
    IndicatorValueFactory.create(
        indicator=reported, period=periods[0], target=D(4), actual=D(4), state=ValueState.APPROVED
    )
    IndicatorValueFactory.create(
        indicator=reported, period=periods[1], target=D(4), actual=D(9), state=ValueState.DRAFT
    )
    host = InstitutionFactory.create(kind=InstitutionKind.CSO, name="Training House")
    _trained(action, host, date(2025, 3, 1), "Identification of victims, Bitola")
    tetovo = _trained(action, host, date(2025, 4, 1), "Referral in practice, Tetovo")
    users = {
        "team": UserFactory.create(programme_team=True),
        "observer": _member(InstitutionFactory.create(kind=InstitutionKind.EU_BODY)),
        "member": _member(org),
        "outsider": _member(InstitutionFactory.create(kind=InstitutionKind.CSO)),
    }
    return Page(periods, trained, reported, host, tetovo, org, users)


def _client(user: User, language: str = "en") -> Client:
    client = Client(headers={"Accept-Language": language})
    client.force_login(user)
    return client


def _url(indicator: Indicator, period: ReportingPeriod) -> str:
    return reverse("programme:results_indicator", args=[indicator.pk]) + f"?period={period.pk}"


def _main(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    html = str(response.content.decode())
    return html[html.index("<main") : html.index("</main>")]


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        _main(client, url)
    return len(queries)


def test_a_training_held_shows_among_the_records_counted_on_the_next_request(page: Page) -> None:
    client = _client(page.users["team"])
    url = _url(page.trained, page.periods[0])
    before = _main(client, url)
    assert "Referral in practice, Tetovo" in before
    assert "Hotlines and shelters, Ohrid" not in before
    assert _main(client, url) == before  # kept
    _trained(page.periods[0].action, page.host, date(2025, 5, 2), "Hotlines and shelters, Ohrid")
    after = _main(client, url)
    assert "Hotlines and shelters, Ohrid" in after
    assert "Referral in practice, Tetovo" in after


def test_records_counted_are_listed_to_each_reader_as_they_may_see_them(page: Page) -> None:
    url = _url(page.trained, page.periods[0])
    # Kept for the observer and the team first: the outsider is not told the names all the same.
    assert "Referral in practice, Tetovo" in _main(_client(page.users["observer"]), url)
    assert "Referral in practice, Tetovo" in _main(_client(page.users["team"]), url)
    outsider = _client(page.users["outsider"])
    assert "Referral in practice, Tetovo" not in _main(outsider, url)
    # Given sight of one training through a group, the outsider reads it on the next request.
    group = GroupFactory.create()
    TrainingGroupObjectPermissionFactory.create(group=group, content_object=page.tetovo)
    page.users["outsider"].groups.add(group)
    shown = _main(outsider, url)
    assert "Referral in practice, Tetovo" in shown
    assert "Identification of victims, Bitola" not in shown


@pytest.mark.parametrize(
    ("language", "heading"), [("en", "Definition"), ("mk", "Дефиниција"), ("sq", "Përkufizimi")]
)
def test_a_kept_page_is_the_page_written_afresh(page: Page, language: str, heading: str) -> None:
    for user in page.users.values():
        client = _client(user, language)
        for indicator in (page.trained, page.reported):
            for period in page.periods:
                url = _url(indicator, period)
                cache.clear()
                written = _main(client, url)
                kept = _main(client, url)
                assert f"<h2>{heading}</h2>" in written
                assert kept == written


def test_a_draft_state_is_named_only_to_those_who_may_see_it(page: Page) -> None:
    url = _url(page.reported, page.periods[1])
    assert "state-draft" in _main(_client(page.users["member"]), url)
    assert "state-draft" in _main(_client(page.users["team"]), url)
    assert "state-draft" not in _main(_client(page.users["outsider"]), url)


@pytest.mark.parametrize("who", ["team", "observer"])
def test_the_page_reads_as_often_with_2_as_with_12_records_counted(page: Page, who: str) -> None:
    client = _client(page.users[who])
    url = _url(page.trained, page.periods[0])
    _main(client, url)  # the session and the language are settled once
    cache.clear()
    cold_2 = _queries(client, url)
    warm_2 = _queries(client, url)
    for day in range(10):
        _trained(page.periods[0].action, page.host, date(2025, 6, 1 + day), f"Course {day}")
    cache.clear()
    cold_12 = _queries(client, url)
    warm_12 = _queries(client, url)
    assert (cold_12, warm_12) == (cold_2, warm_2)
    # Kept, the records counted are not read again.
    assert warm_12 < cold_12
    assert _main(client, url).count("Course ") == 10
