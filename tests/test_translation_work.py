"""Content translation as a task: the missing-translations page and the offline workbook."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any, cast

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from core import translation_work
from core.choices import TextOrigin
from core.models import TextProvenance
from core.spreadsheets import write_xlsx
from core.translation_work import translations_export, translations_import
from core.translations import text_origin, text_provenance_set
from recommendations.models import Recommendation
from stakeholders.selectors import persona_for
from tests.factories import RecommendationFactory

pytestmark = pytest.mark.django_db

XLSX = "translations.xlsx"


@pytest.fixture(autouse=True)
def _team_gate() -> Iterator[None]:
    """The programme team's rule, as stakeholders registers it."""
    before = list(translation_work._gate)
    translation_work.translation_gate_register(lambda user: persona_for(user).is_programme_team)
    yield
    translation_work._gate[:] = before


def _rec(**fields: Any) -> Recommendation:
    return cast(Recommendation, RecommendationFactory(**fields))


def _book(data: bytes) -> tuple[Any, Any, list[str]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    headers = [cell.value for cell in sheet[1]]
    return book, sheet, headers


def _row_of(sheet: Any, headers: list[str], model: str, pk: int, field: str) -> int:
    for number, row in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        values = dict(zip(headers, row, strict=False))
        if values["model"] == model and values["record_id"] == pk and values["field"] == field:
            return number
    raise AssertionError(f"No row for {model} {pk} {field}")


def _fill(data: bytes, fills: list[tuple[Recommendation, str, str, str]]) -> bytes:
    """The workbook with ``(record, field, column, value)`` written in."""
    book, sheet, headers = _book(data)
    for obj, field, column, value in fills:
        number = _row_of(sheet, headers, "recommendations.recommendation", obj.pk, field)
        sheet.cell(row=number, column=headers.index(column) + 1, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _missing_pks(model_label: str) -> set[int]:
    return {
        record.pk
        for kind in translation_work.missing_translations()
        if kind.model_label == model_label
        for record in kind.records
    }


def test_round_trip_fills_a_missing_text_as_a_working_translation(
    admin_client: Client, admin_user: Any
) -> None:
    rec = _rec(text_en="Train labour inspectors.", text_mk="", text_sq="Trajno")
    assert rec.pk in _missing_pks("recommendations.recommendation")

    data = translations_export()
    _unused, sheet, headers = _book(data)
    number = _row_of(sheet, headers, "recommendations.recommendation", rec.pk, "text")
    row = dict(
        zip(
            headers,
            next(sheet.iter_rows(min_row=number, max_row=number, values_only=True)),
            strict=False,
        )
    )
    assert row["en"] == "Train labour inspectors."
    assert row["mk"] in ("", None)
    assert row["origin_sq"] == "official"

    filled = _fill(data, [(rec, "text", "mk", "Обука на трудовите инспектори.")])
    result = translations_import(data=filled, filename=XLSX, by=admin_user)
    assert result.errors == []
    assert result.written == 1
    rec.refresh_from_db()
    assert rec.text_mk == "Обука на трудовите инспектори."
    assert rec.text_sq == "Trajno"  # untouched
    assert text_origin(rec, "text", "mk") == TextOrigin.WORKING
    assert rec.pk not in _missing_pks("recommendations.recommendation")

    # The recommendation's page in Macedonian shows the text, marked a working translation.
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "mk"
    html = admin_client.get(reverse("recommendations:detail", args=[rec.pk])).content.decode()
    assert "Обука на трудовите инспектори." in html


def test_the_page_uploads_and_says_how_many_texts_were_written(admin_client: Client) -> None:
    rec = _rec(text_en="Open shelters.", text_mk="", text_sq="")
    page = admin_client.get(reverse("core:translations")).content.decode()
    assert "Open shelters." in page
    assert reverse("admin:recommendations_recommendation_change", args=[rec.pk]) in page

    export = admin_client.get(reverse("core:translations_export"))
    assert export.status_code == 200
    data = b"".join(export.streaming_content) if export.streaming else export.content
    filled = _fill(
        data,
        [(rec, "text", "mk", "Отворете засолништа."), (rec, "text", "sq", "Hapni strehimore.")],
    )
    response = admin_client.post(
        reverse("core:translations"),
        {"file": SimpleUploadedFile(XLSX, filled)},
        follow=True,
    )
    assert response.status_code == 200
    assert "2 texts were written." in response.content.decode()
    rec.refresh_from_db()
    assert (rec.text_mk, rec.text_sq) == ("Отворете засолништа.", "Hapni strehimore.")
    assert rec.pk not in _missing_pks("recommendations.recommendation")


def test_an_official_text_is_never_overwritten_and_nothing_is_written(admin_user: Any) -> None:
    official = _rec(text_en="Fund the hotline.", text_mk="Финансирајте ја.")
    open_one = _rec(text_en="Map the risks.", text_mk="", text_sq="")
    data = _fill(
        translations_export(),
        [
            (official, "text", "mk", "Друг превод."),
            (open_one, "text", "mk", "Мапирајте ги ризиците."),
        ],
    )
    result = translations_import(data=data, filename=XLSX, by=admin_user)
    assert result.written == 0
    assert len(result.errors) == 1
    assert "official wording" in result.errors[0].message
    official.refresh_from_db()
    open_one.refresh_from_db()
    assert official.text_mk == "Финансирајте ја."
    assert open_one.text_mk == ""
    assert not TextProvenance.objects.exists()


def test_a_working_or_machine_text_may_be_replaced_and_the_origin_column_counts(
    admin_user: Any,
) -> None:
    rec = _rec(text_en="Collect data.", text_mk="Стар превод.", text_sq="")
    text_provenance_set(obj=rec, field="text", language="mk", origin=TextOrigin.MACHINE)
    data = _fill(
        translations_export(),
        [
            (rec, "text", "mk", "Собирајте податоци."),
            (rec, "text", "origin_mk", "working"),  # reviewed: no longer a machine's
            (rec, "text", "sq", "Mblidhni të dhëna."),
            (rec, "text", "origin_sq", "machine"),
        ],
    )
    result = translations_import(data=data, filename=XLSX, by=admin_user)
    assert result.errors == [] and result.written == 2
    rec.refresh_from_db()
    assert rec.text_mk == "Собирајте податоци."
    assert text_origin(rec, "text", "mk") == TextOrigin.WORKING
    assert text_origin(rec, "text", "sq") == TextOrigin.MACHINE


def test_a_file_with_one_bad_row_writes_nothing(admin_user: Any) -> None:
    good = _rec(text_en="Protect witnesses.", text_mk="", text_sq="")
    bad = _rec(text_en="Review the law.", text_mk="", text_sq="")
    data = _fill(
        translations_export(),
        [
            (good, "text", "mk", "Заштитете ги сведоците."),
            (bad, "text", "sq", "Rishikoni ligjin."),
            (bad, "text", "origin_sq", "official"),  # never official from a file
        ],
    )
    book, sheet, _headers = _book(data)
    sheet.append(["recommendations.recommendation", 999999, "", "text", "", "Нема", "", "", ""])
    sheet.append(["nosuch.model", 1, "", "text", "", "x", "", "", ""])
    out = io.BytesIO()
    book.save(out)
    result = translations_import(data=out.getvalue(), filename=XLSX, by=admin_user)
    assert result.written == 0
    messages = [error.message for error in result.errors]
    assert len(messages) == 3
    assert any("origin_sq" in m for m in messages)
    assert any("999999" in m for m in messages)
    assert any("nosuch.model" in m for m in messages)
    good.refresh_from_db()
    assert good.text_mk == ""
    assert not TextProvenance.objects.exists()


def test_a_text_too_long_for_its_field_is_a_row_error(admin_user: Any) -> None:
    rec = _rec(text_en="Short.", text_mk="", text_sq="")
    rec.recommendation_set.title_mk = ""
    rec.recommendation_set.save()
    limit = rec.recommendation_set._meta.get_field("title_mk").max_length
    assert limit is not None
    book, sheet, headers = _book(translations_export())
    number = _row_of(
        sheet, headers, "recommendations.recommendationset", rec.recommendation_set.pk, "title"
    )
    sheet.cell(row=number, column=headers.index("mk") + 1, value="д" * (limit + 1))
    out = io.BytesIO()
    book.save(out)
    result = translations_import(data=out.getvalue(), filename=XLSX, by=admin_user)
    assert result.written == 0
    assert [e.row for e in result.errors] == [number]
    assert "at most" in result.errors[0].message


def test_the_page_makes_a_bounded_number_of_queries(
    admin_client: Client, django_assert_max_num_queries: Any
) -> None:
    RecommendationFactory.create_batch(3, text_mk="", text_sq="")
    admin_client.get(reverse("core:translations"))  # warm caches (content types, session)
    models = len(translation_work.translatable_models())
    with django_assert_max_num_queries(models + 12) as few:
        admin_client.get(reverse("core:translations"))
    RecommendationFactory.create_batch(20, text_mk="", text_sq="")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get(reverse("core:translations"))
    assert response.status_code == 200


def test_without_a_registered_gate_nobody_may(admin_client: Client) -> None:
    translation_work._gate.clear()
    assert admin_client.get(reverse("core:translations")).status_code == 403


def test_a_reviewed_machine_text_becomes_working_and_official_stays_official(
    admin_user: Any,
) -> None:
    rec = _rec(text_en="Train judges.", text_mk="Обучете судии.", text_sq="Trajnoni gjyqtarët.")
    text_provenance_set(obj=rec, field="text", language="mk", origin=TextOrigin.MACHINE)
    data = _fill(
        translations_export(),
        [(rec, "text", "origin_mk", "working"), (rec, "text", "origin_sq", "machine")],
    )
    result = translations_import(data=data, filename=XLSX, by=admin_user)
    assert result.errors == [] and result.written == 1
    assert text_origin(rec, "text", "mk") == TextOrigin.WORKING
    assert text_origin(rec, "text", "sq") == TextOrigin.OFFICIAL


def test_a_record_written_only_in_macedonian_lacks_english_and_albanian() -> None:
    rec = _rec(text_en="", text_mk="Препорака напишана само на македонски.", text_sq="")
    kinds = translation_work.missing_translations()
    (record,) = [
        r
        for kind in kinds
        if kind.model_label == "recommendations.recommendation"
        for r in kind.records
        if r.pk == rec.pk
    ]
    assert record.label == "Препорака напишана само на македонски."
    assert [(f.name, f.languages) for f in record.fields if f.name == "text"] == [
        ("text", ["en", "sq"])
    ]


def _row(sheet: Any, headers: list[str], number: int) -> dict[str, Any]:
    cells = next(sheet.iter_rows(min_row=number, max_row=number, values_only=True))
    return dict(zip(headers, cells, strict=False))


def test_a_macedonian_only_record_is_filled_offline_in_english_and_albanian(
    admin_client: Client, admin_user: Any
) -> None:
    """The row is the record's, not its English's: a record written only in Macedonian is
    exported, filled in English and Albanian, imported, and its page shows both."""
    rec = _rec(text_en="", text_mk="Заштитете ги жртвите.", text_sq="")
    data = translations_export()
    _unused, sheet, headers = _book(data)
    row = _row(
        sheet, headers, _row_of(sheet, headers, "recommendations.recommendation", rec.pk, "text")
    )
    assert row["en"] in ("", None)
    assert row["mk"] == "Заштитете ги жртвите."
    assert row["record_label"] == "Заштитете ги жртвите."
    assert (row["origin_en"], row["origin_mk"]) in [(None, "official"), ("", "official")]

    filled = _fill(
        data,
        [(rec, "text", "en", "Protect the victims."), (rec, "text", "sq", "Mbroni viktimat.")],
    )
    result = translations_import(data=filled, filename=XLSX, by=admin_user)
    assert result.errors == []
    assert result.written == 2
    rec.refresh_from_db()
    assert (rec.text_en, rec.text_mk, rec.text_sq) == (
        "Protect the victims.",
        "Заштитете ги жртвите.",
        "Mbroni viktimat.",
    )
    assert text_origin(rec, "text", "en") == TextOrigin.WORKING
    assert text_origin(rec, "text", "mk") == TextOrigin.OFFICIAL  # the original stays official
    assert text_origin(rec, "text", "sq") == TextOrigin.WORKING
    assert rec.pk not in _missing_pks("recommendations.recommendation")

    for language, text in (("en", "Protect the victims."), ("sq", "Mbroni viktimat.")):
        admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        page = admin_client.get(reverse("recommendations:detail", args=[rec.pk]))
        assert text in page.content.decode()


def test_an_official_english_text_is_not_overwritten_from_a_file(admin_user: Any) -> None:
    rec = _rec(text_en="Fund the hotline.", text_mk="", text_sq="")
    data = _fill(translations_export(), [(rec, "text", "en", "Fund the shelters.")])
    result = translations_import(data=data, filename=XLSX, by=admin_user)
    assert result.written == 0
    assert ["official wording" in e.message for e in result.errors] == [True]
    rec.refresh_from_db()
    assert rec.text_en == "Fund the hotline."


def test_a_workbook_of_before_without_origin_en_still_imports(admin_user: Any) -> None:
    """Workbooks downloaded before English could be filled in name the record too: accepted."""
    rec = _rec(text_en="Map the routes.", text_mk="", text_sq="")
    book, sheet, headers = _book(translations_export())
    sheet.delete_cols(headers.index("origin_en") + 1)
    out = io.BytesIO()
    book.save(out)
    data = _fill(out.getvalue(), [(rec, "text", "mk", "Мапирајте ги рутите.")])
    assert "origin_en" not in _book(data)[2]

    result = translations_import(data=data, filename=XLSX, by=admin_user)

    assert result.errors == [] and result.written == 1
    rec.refresh_from_db()
    assert rec.text_mk == "Мапирајте ги рутите."


def test_a_workbook_that_found_texts_by_their_english_is_refused(admin_user: Any) -> None:
    """One English text may be several records' (and a record may have none): refused as a
    whole, asking for a new download, rather than guessed at."""
    first = _rec(text_en="Train the police.", text_mk="", text_sq="")
    second = _rec(text_en="Train the police.", text_mk="", text_sq="")
    data = write_xlsx(
        ["en", "mk", "sq"], [["Train the police.", "Обучете ја полицијата.", ""]], title="Sheet"
    )

    result = translations_import(data=data, filename=XLSX, by=admin_user)

    assert result.written == 0
    assert len(result.errors) == 1
    assert "Download the translations workbook again" in result.errors[0].message
    for rec in (first, second):
        rec.refresh_from_db()
        assert rec.text_mk == ""
    assert not TextProvenance.objects.exists()
