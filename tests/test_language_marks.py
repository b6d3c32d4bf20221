"""Text in another language than the page's is marked with its ``lang``, so a screen reader
reads an English recommendation with an English voice on a Macedonian page; the language
switcher names each language in itself; place names follow the reader's language; the seed
keeps an alias with a comma whole."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils.html import escape

from loaders.seeding import seed_load
from programme.models import Decision, Meeting
from recommendations.choices import UpdateState
from recommendations.models import ProgressUpdate, Recommendation
from stakeholders.models import Institution
from trainings.models import Training

pytestmark = pytest.mark.django_db


def _page(client: Client, url: str, language: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _start(text: str) -> str:
    """The text's first words as a page writes them (escaped), whole or truncated."""
    return escape(" ".join(text.split()[:4]))


def _marked_english(html: str, text: str) -> bool:
    """Whether the element that opens right before the text (or its number, in a search
    result) says it is English."""
    return (
        re.search(r'<[a-z]+\b[^<>]*\blang="en"[^<>]*>(?:\d+\. )?' + re.escape(_start(text)), html)
        is not None
    )


def _shown(html: str, text: str) -> bool:
    return _start(text) in html


def _pages_with_recommendation_text(demo: dict[str, Any]) -> list[tuple[str, Recommendation]]:
    """Pages that show a recommendation's text, and the recommendation each shows; the first
    (the "Report progress" form) for CSO A, the others for the programme team."""
    draft = ProgressUpdate.objects.get(state=UpdateState.DRAFT)  # CSO A's, recommendation 7
    training = Training.objects.filter(recommendations__isnull=False).first()
    assert training is not None, "the demo links a training to recommendations"
    linked = training.recommendations.order_by("number").first()
    assert linked is not None
    first = Recommendation.objects.order_by("recommendation_set", "number").first()
    assert first is not None
    return [
        (f"/recommendations/updates/{draft.pk}/edit/", draft.recommendation),  # the form
        ("/recommendations/", first),
        (f"/recommendations/{first.pk}/", first),
        (f"/institutions/{draft.institution_id}/", draft.recommendation),
        (f"/trainings/{training.pk}/", linked),
        (f"/search/?q={first.text_en.split()[0]}+{first.text_en.split()[1]}", first),
    ]


def test_english_recommendation_text_is_marked_on_macedonian_pages(client, demo) -> None:
    for url, rec in _pages_with_recommendation_text(demo):
        client.force_login(demo["demo-cso-a" if url.endswith("/edit/") else "demo-admin"])
        # A recommendation not yet translated falls back to the English original.
        Recommendation.objects.filter(pk=rec.pk).update(text_mk="")
        rec.refresh_from_db()
        html = _page(client, url, "mk")
        assert _shown(html, rec.text_en), url
        assert _marked_english(html, rec.text_en), url
        # On an English page the English text is in the page's language: no mark.
        assert not _marked_english(_page(client, url, "en"), rec.text_en), url


def test_a_translated_text_is_not_marked_english(client, demo) -> None:
    for url, rec in _pages_with_recommendation_text(demo):
        client.force_login(demo["demo-cso-a" if url.endswith("/edit/") else "demo-admin"])
        Recommendation.objects.filter(pk=rec.pk).update(
            text_mk="Институциите ја зајакнуваат соработката во секоја општина."
        )
        html = _page(client, url, "mk")
        if "/search/" not in url:  # the search found the English words; now it may not
            assert _shown(html, "Институциите ја зајакнуваат соработката во секоја општина."), url
            assert not re.search(r'lang="en"[^<>]*>Институциите', html), url
        Recommendation.objects.filter(pk=rec.pk).update(text_mk="")


def test_meeting_links_to_english_recommendations_are_marked(client, demo) -> None:
    client.force_login(demo["demo-admin"])
    meeting = Meeting.objects.filter(decisions__recommendations__isnull=False).first()
    assert meeting is not None
    rec = Recommendation.objects.filter(decisions__meeting=meeting).first()
    assert rec is not None
    Recommendation.objects.filter(pk=rec.pk).update(text_mk="")  # not yet translated

    def link(language: str) -> str:
        html = _page(client, f"/meetings/{meeting.pk}/", language)
        found = re.search(rf'<a href="/recommendations/{rec.pk}/"[^>]*>', html)
        assert found is not None
        return found.group(0)

    assert 'lang="en"' in link("mk")
    assert 'lang="en"' not in link("en")


def test_a_decision_shown_in_english_is_marked(client, demo) -> None:
    client.force_login(demo["demo-admin"])
    # A decision recorded in English only (the demo's have Macedonian texts).
    decision = Decision.objects.exclude(text_en="").first()
    assert decision is not None
    decision.text_mk = ""
    decision.save()
    url = f"/meetings/{decision.meeting_id}/"
    assert _marked_english(_page(client, url, "mk"), decision.text_en)
    assert not _marked_english(_page(client, url, "en"), decision.text_en)
    decision.text_mk = "Акцијата продолжува со обуки за полицијата и социјалните работници."
    decision.save()
    html = _page(client, url, "mk")
    assert "Акцијата продолжува" in html
    assert not re.search(r'lang="en"[^<>]*>Акцијата', html)


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
def test_the_switcher_names_each_language_in_itself(client, db, language) -> None:
    html = _page(client, "/accounts/login/", language)
    select = re.search(r'<select id="language".*?</select>', html, re.S)
    assert select is not None
    options = re.findall(
        r'<option value="(\w+)" lang="(\w+)"[^>]*>([^<]+)</option>', select.group(0)
    )
    assert options == [("en", "en", "English"), ("mk", "mk", "Македонски"), ("sq", "sq", "Shqip")]
    assert re.search(rf'<option value="{language}" lang="{language}" selected>', select.group(0))


def test_the_seed_keeps_an_alias_with_a_comma_whole(db) -> None:
    seed_load()
    ministry = Institution.objects.get(code="mspdy")
    assert ministry.alias_list() == ["Ministry of Social Policy, Demography and Youth"]
    assert Institution.objects.get(code="eu-delegation").alias_list() == ["EU Delegation", "EUD"]


def test_country_and_places_are_named_in_the_readers_language(client, demo) -> None:
    client.force_login(demo["demo-admin"])
    cso = Institution.objects.filter(country="North Macedonia").first()
    assert cso is not None
    country = {
        "sq": "Maqedonia e Veriut",
        "mk": "Северна Македонија",
        "en": "North Macedonia",
    }
    for language, name in country.items():
        html = _page(client, f"/institutions/{cso.pk}/", language)
        assert f"<dd>{name}</dd>" in html, language
    assert "<dd>North Macedonia</dd>" not in _page(client, f"/institutions/{cso.pk}/", "sq")

    meeting = Meeting.objects.filter(place="Skopje").first()
    assert meeting is not None
    for language, name in {"sq": "Shkup", "mk": "Скопје", "en": "Skopje"}.items():
        html = _page(client, f"/meetings/{meeting.pk}/", language)
        assert f"<dd>{name}</dd>" in html, language
    assert "<dd>Skopje</dd>" not in _page(client, f"/meetings/{meeting.pk}/", "sq")
