"""The content translations page: the records it lists follow the rule, and its
queries stay the same however many records lack a language.

The rule is spelled out here in Python over every record (a field with a text in at least one
language and none in another), independently of the SQL that ``missing_translations`` runs.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.text import capfirst

from core import translation_work
from recommendations.models import Recommendation
from stakeholders.selectors import persona_for
from tests.factories import RecommendationFactory, RecommendationSetFactory

pytestmark = pytest.mark.django_db

LANGUAGES = [code for code, _name in settings.LANGUAGES]
KIND = "recommendations.recommendation"

Expected = dict[str, tuple[int, list[tuple[int, list[tuple[str, list[str]]]]]]]


@pytest.fixture(autouse=True)
def _team_gate() -> Iterator[None]:
    """The programme team's rule, as stakeholders registers it."""
    before = list(translation_work._gate)
    translation_work.translation_gate_register(lambda user: persona_for(user).is_programme_team)
    yield
    translation_work._gate[:] = before


def _expected() -> Expected:
    """Per kind: how many records lack a language, and the first page of them (by id) with
    each lacking field and the languages it lacks, read record by record."""
    out: Expected = {}
    for model, fields in translation_work.translatable_models():
        lacking = []
        for obj in model._default_manager.order_by("pk"):
            missing = []
            for name in fields:
                lacks = [lang for lang in LANGUAGES if not getattr(obj, f"{name}_{lang}")]
                if 0 < len(lacks) < len(LANGUAGES):
                    missing.append((name, lacks))
            if missing:
                lacking.append((obj.pk, missing))
        if lacking:
            out[model._meta.label_lower] = (
                len(lacking),
                lacking[: translation_work.PAGE_RECORDS],
            )
    return out


def _listed() -> Expected:
    return {
        kind.model_label: (
            kind.count,
            [(r.pk, [(f.name, f.languages) for f in r.fields]) for r in kind.records],
        )
        for kind in translation_work.missing_translations()
    }


def _lacking(count: int) -> list[Recommendation]:
    """``count`` recommendations written in English only, in one set."""
    rset = RecommendationSetFactory()
    return list(
        RecommendationFactory.create_batch(count, recommendation_set=rset, text_mk="", text_sq="")
    )


def test_every_kind_lists_what_lacks_a_language_as_the_rule_says() -> None:
    rset = RecommendationSetFactory()
    english = RecommendationFactory(recommendation_set=rset, text_mk="", text_sq="")
    macedonian = RecommendationFactory(
        recommendation_set=rset, text_en="", text_mk="Заштитете ги жртвите.", text_sq=""
    )
    albanian_missing = RecommendationFactory(
        recommendation_set=rset, text_en="Fund shelters.", text_mk="Финансирајте.", text_sq=""
    )
    complete = RecommendationFactory(
        recommendation_set=rset, text_en="Train.", text_mk="Обучете.", text_sq="Trajnoni."
    )
    _lacking(translation_work.PAGE_RECORDS + 5)  # more than the page lists

    expected = _expected()
    assert _listed() == expected
    count, records = expected[KIND]
    assert count >= translation_work.PAGE_RECORDS + 8
    assert len(records) == translation_work.PAGE_RECORDS
    shown = dict(records)
    assert shown[english.pk] == [("text", ["mk", "sq"])]
    assert shown[macedonian.pk] == [("text", ["en", "sq"])]  # lacks English too
    assert shown[albanian_missing.pk] == [("text", ["sq"])]
    assert complete.pk not in shown

    kind = next(k for k in translation_work.missing_translations() if k.model_label == KIND)
    record = next(r for r in kind.records if r.pk == macedonian.pk)
    assert record.label == "Заштитете ги жртвите."
    assert record.url == reverse("admin:recommendations_recommendation_change", args=[record.pk])


def test_the_lacking_records_come_in_one_query() -> None:
    _lacking(3)
    with CaptureQueriesContext(connection) as queries:
        translation_work.missing_translations()
    assert len(queries) == 1


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_shows_each_record_with_its_link_and_the_languages_it_lacks(
    admin_client: Client, language: str
) -> None:
    rset = RecommendationSetFactory()
    marked = RecommendationFactory(
        recommendation_set=rset, text_en="Protect <children> & victims.", text_mk="", text_sq=""
    )
    macedonian = RecommendationFactory(
        recommendation_set=rset, text_en="", text_mk="Само македонски.", text_sq=""
    )
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = admin_client.get(reverse("core:translations")).content.decode()
    with translation.override(language):
        text = capfirst(str(Recommendation._meta.get_field("text").verbose_name))
        for rec, label, lacks in (
            (marked, "Protect <children> & victims.", "mk, sq"),
            (macedonian, "Само македонски.", "en, sq"),
        ):
            url = reverse("admin:recommendations_recommendation_change", args=[rec.pk])
            row = f'<td><a href="{url}">{escape(label)}</a></td>\n'
            row += f"        <td><ul><li>{escape(text)}: {lacks}</li></ul></td>"
            assert row in html
    assert "<children>" not in html


def _page_queries(client: Client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("core:translations"))
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_pages_queries_are_the_same_with_10_and_300_lacking_records(
    admin_client: Client,
) -> None:
    _lacking(10)
    admin_client.get(reverse("core:translations"))  # warm caches (content types, session)
    few, _html = _page_queries(admin_client)
    _lacking(290)
    many, html = _page_queries(admin_client)
    assert many == few
    count, _records = _expected()[KIND]
    assert count >= 300
    assert f"{count} records lack a translation" in html
    assert f"the first {translation_work.PAGE_RECORDS} shown" in html
    assert html.count("/admin/recommendations/recommendation/") == translation_work.PAGE_RECORDS


def test_the_export_still_has_every_text_of_a_lacking_record() -> None:
    """The workbook export shares the label rule with the page: a record written only in
    Macedonian is labelled by its Macedonian text there too."""
    rec = RecommendationFactory(text_en="", text_mk="Само на македонски.", text_sq="")
    sheet = openpyxl.load_workbook(io.BytesIO(translation_work.translations_export())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    headers = list(rows[0])
    found: list[dict[str, Any]] = [
        dict(zip(headers, row, strict=False))
        for row in rows[1:]
        if row[0] == KIND and row[1] == rec.pk
    ]
    assert [(r["field"], r["record_label"], r["mk"]) for r in found] == [
        ("text", "Само на македонски.", "Само на македонски.")
    ]
