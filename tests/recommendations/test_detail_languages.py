"""The recommendation's page in Macedonian and Albanian looks up where its translated texts
come from (the set's heading, the recommendation's text, the instruments cited, the
decisions) in one query, so it runs at most two queries more than the English page, and
shows the status of every text that is not official, as each text's own look-up would."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from core.choices import TextOrigin
from core.models import TextProvenance
from core.translations import text_origins, text_origins_together, text_provenance_set
from programme.models import Decision, Meeting
from recommendations.choices import InstrumentKind
from recommendations.models import Instrument, Recommendation

pytestmark = pytest.mark.django_db

REC = 6  # both demo CSOs are invited to report on it
PERSONAS = ["demo-admin", "demo-cso-a", "demo-observer"]


def _client(user: Any, language: str) -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _cited(rec: Recommendation) -> tuple[Instrument, Decision]:
    """An instrument cited by ``rec`` and a decision on it, each with texts in every
    language, so that every kind of translated text the page shows is there."""
    instrument = Instrument.objects.create(
        name_en="Cited convention",
        name_mk="Цитирана конвенција",
        name_sq="Konventa e cituar",
        slug="cited-convention",
        kind=InstrumentKind.values[0],
    )
    rec.instruments.add(instrument)
    meeting = Meeting.objects.order_by("pk").first()
    assert meeting is not None
    decision = Decision.objects.create(
        meeting=meeting,
        number=90,
        text_en="The committee asks for a review.",
        text_mk="Комитетот бара преглед.",
        text_sq="Komiteti kërkon një rishikim.",
    )
    decision.recommendations.add(rec)
    return instrument, decision


def _page(client: Client, path: str) -> tuple[str, int, int]:
    """The page's HTML, its queries and how many of them read the texts' origins."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    table = TextProvenance._meta.db_table
    origins = [q for q in queries.captured_queries if table in q["sql"]]
    return response.content.decode(), len(queries), len(origins)


@pytest.mark.parametrize("username", PERSONAS)
def test_the_macedonian_and_albanian_page_runs_at_most_two_queries_more(
    demo: dict[str, Any], username: str
) -> None:
    rec = Recommendation.objects.get(number=REC)
    _cited(rec)
    for query in ("", "?all=updates", "?all=history"):
        path = f"/recommendations/{rec.pk}/{query}"
        counts = {}
        for language in ("en", "mk", "sq"):
            client = _client(demo[username], language)
            _page(client, path)  # per-process caches (content types) filled
            _html, counts[language], origins = _page(client, path)
            assert origins == (0 if language == "en" else 1), (language, path)
        assert counts["mk"] <= counts["en"] + 2, (path, counts)
        assert counts["sq"] <= counts["en"] + 2, (path, counts)


@pytest.mark.parametrize("language", ["mk", "sq"])
def test_every_working_translation_on_the_page_shows_its_status(
    demo: dict[str, Any], language: str
) -> None:
    rec = Recommendation.objects.get(number=REC)
    instrument, decision = _cited(rec)
    rs = rec.recommendation_set
    for obj, field in ((rec, "text"), (rs, "title"), (instrument, "name"), (decision, "text")):
        text_provenance_set(obj=obj, field=field, language=language, origin=TextOrigin.OFFICIAL)
    client = _client(demo["demo-admin"], language)
    path = f"/recommendations/{rec.pk}/"
    html, _queries, _origins = _page(client, path)
    official = html.count('class="source-text"')
    marked = 0
    for obj, field in ((rec, "text"), (rs, "title"), (instrument, "name"), (decision, "text")):
        text_provenance_set(obj=obj, field=field, language=language, origin=TextOrigin.WORKING)
        marked += 1
        html, _queries, origins = _page(client, path)
        assert origins == 1
        # Each text marked a working translation shows its status and English source.
        assert html.count('class="source-text"') == official + marked, (obj, field)
        assert escape(getattr(obj, f"{field}_en")) in html
    # The instrument's name has the status where it is shown, its short name none.
    text_provenance_set(
        obj=instrument, field="short_name", language=language, origin=TextOrigin.MACHINE
    )
    html, _queries, _origins = _page(client, path)
    assert html.count('class="source-text"') == official + marked


def test_origins_looked_up_together_are_those_looked_up_one_by_one(demo: dict[str, Any]) -> None:
    rec = Recommendation.objects.get(number=REC)
    instrument, decision = _cited(rec)
    text_provenance_set(obj=decision, field="text", language="mk", origin=TextOrigin.MACHINE)
    text_provenance_set(obj=instrument, field="name", language="mk", origin=TextOrigin.WORKING)
    text_provenance_set(obj=instrument, field="name", language="sq", origin=TextOrigin.MACHINE)
    recs = list(Recommendation.objects.order_by("pk"))
    wanted: list[tuple[Sequence[Model], str]] = [
        (recs, "text"),
        ([rec.recommendation_set], "title"),
        ([instrument], "name"),
        ([instrument], "short_name"),
        ([decision], "text"),
        ([], "text"),
    ]
    for language in ("mk", "sq"):
        with CaptureQueriesContext(connection) as queries:
            together = text_origins_together(wanted, language)
        assert len(queries) == 1
        assert together == [text_origins(objects, field, language) for objects, field in wanted]
    assert together[2] == {instrument.pk: TextOrigin.MACHINE}
    assert TextOrigin.WORKING in text_origins_together(wanted, "mk")[0].values()
    # English is the original: official, without a query.
    with CaptureQueriesContext(connection) as queries:
        english = text_origins_together(wanted, "en")
    assert len(queries) == 0
    assert all(set(answer.values()) <= {TextOrigin.OFFICIAL} for answer in english)
