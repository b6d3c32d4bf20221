"""Broken and hostile files get a clear reason, never a 500, and nothing is written."""

from __future__ import annotations

import io
import tracemalloc
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.spreadsheets import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    EncodingUncertain,
    FileRejected,
    decode_text,
    read_sheet,
    sniff_delimiter,
)
from imports import services as imports
from tests.imports import files
from trainings.models import Participant, Training

pytestmark = pytest.mark.django_db

HEADERS = ["Full name", "Sex", "Institution"]
ROWS = [["Ана Петровска", "Ж", "MSPDY"]]


def _reject(data: bytes, name: str, code: str) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        read_sheet(data, filename=name)
    assert caught.value.code == code, caught.value.message
    return caught.value


def test_a_corrupt_xlsx_is_called_damaged() -> None:
    good = files.xlsx(HEADERS, ROWS)
    error = _reject(good[: len(good) // 2], "broken.xlsx", "corrupt")
    assert "damaged" in error.message


def test_content_that_does_not_match_the_extension_is_refused() -> None:
    assert "does not match" in _reject(files.xlsx(HEADERS, ROWS), "list.csv", "mismatch").message
    _reject(files.csv_file(HEADERS, ROWS), "list.xlsx", "mismatch")
    _reject(files.ods(HEADERS, ROWS), "list.xlsx", "mismatch")
    _reject(b"%PDF-1.4 not a spreadsheet\x00\x00", "list.csv", "mismatch")
    _reject(b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "old.xlsx", "xls")


def test_unknown_extensions_and_empty_files_are_refused() -> None:
    _reject(b"name\n", "list.exe", "extension")
    _reject(b"", "list.csv", "empty")


def test_an_oversized_file_is_refused_before_it_is_read() -> None:
    _reject(b"a" * (MAX_FILE_BYTES + 1), "big.csv", "too_big")


def test_an_oversized_upload_is_refused_by_the_service(demo) -> None:
    upload = SimpleUploadedFile("big.csv", b"x" * (MAX_FILE_BYTES + 10))
    with pytest.raises(ValidationError, match="the limit is 20 MB"):
        imports.import_batch_create(kind="institutions", upload=upload, by=demo["demo-admin"])


def test_a_zip_bomb_disguised_as_xlsx_is_refused_with_bounded_memory() -> None:
    bomb = files.zip_bomb_xlsx()
    assert len(bomb) < 2 * 1024 * 1024
    tracemalloc.start()
    try:
        error = _reject(bomb, "participants.xlsx", "zip_bomb")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "zip bomb" in error.message
    assert peak < 20 * 1024 * 1024


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_an_xml_entity_bomb_is_refused(fmt) -> None:
    if fmt == "xlsx":
        data, name = files.entity_bomb_xlsx(files.xlsx(HEADERS, ROWS)), "lol.xlsx"
    else:
        data, name = files.entity_bomb_ods(files.ods(HEADERS, ROWS)), "lol.ods"
    assert "entity" in _reject(data, name, "xml_entities").message


def test_defusedxml_refuses_entities_even_past_the_first_bytes() -> None:
    """A DTD pushed past the quick check still meets defusedxml in the ODS reader."""
    source = zipfile.ZipFile(io.BytesIO(files.ods(HEADERS, ROWS)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "content.xml":
                body = data.split(b"?>", 1)[1]
                data = b'<?xml version="1.0"?>' + b"<!-- " + b" " * 8000 + b" -->"
                data += files.BILLION_LAUGHS.split(b"\n", 1)[1] + body
            archive.writestr(info, data)
    _reject(out.getvalue(), "lol.ods", "xml_entities")


def test_too_many_rows_are_refused(settings) -> None:
    rows = "\n".join(f"P{i},F,MSPDY" for i in range(MAX_ROWS + 1))
    _reject(("Full name,Sex,Institution\n" + rows).encode(), "many.csv", "too_many_rows")


def test_a_huge_repeat_of_blank_ods_rows_is_read_quickly() -> None:
    data = files.ods(HEADERS, ROWS)
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            part = source.read(info)
            if info.filename == "content.xml":
                part = part.replace(
                    b"</table:table>",
                    b'<table:table-row table:number-rows-repeated="1048000">'
                    b'<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
                    b"</table:table>",
                )
            archive.writestr(info, part)
    sheet = read_sheet(out.getvalue(), filename="sheet.ods")
    assert [r.cells[0] for r in sheet.rows] == ["Ана Петровска"]


def test_unknown_and_missing_columns_name_the_expected_ones(run_import, demo) -> None:
    data = files.xlsx(["Full name", "Shoe size", "Institution"], ROWS)
    training = Training.objects.get(
        title_en="Free legal aid for trafficking victims: regional follow-up"
    )
    batch = run_import("attendance", data, "p.xlsx", user=demo["demo-ministry"], training=training)
    assert batch.status == "invalid"
    messages = " ".join(e["message"] for e in batch.errors)
    assert "Unknown columns: B “Shoe size”" in messages
    assert "Missing columns: “Sex”" in messages
    assert "“Pre-test score”" in messages  # the expected columns are named


def test_a_truncated_file_is_refused_at_upload(demo) -> None:
    upload = SimpleUploadedFile("i.xlsx", files.xlsx(HEADERS, ROWS)[:-200])
    with pytest.raises(ValidationError, match="damaged"):
        imports.import_batch_create(kind="institutions", upload=upload, by=demo["demo-admin"])


def test_a_file_broken_inside_is_kept_and_reported_not_crashed(run_import, demo) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook><sheets><sheet")
    before = Participant.objects.count()
    batch = run_import("institutions", out.getvalue(), "i.xlsx", user=demo["demo-admin"])
    assert batch.status == "invalid"
    assert "damaged" in batch.file_error
    assert Participant.objects.count() == before


def test_the_upload_page_refuses_a_mismatched_file_without_a_500(client, demo) -> None:
    client.force_login(demo["demo-admin"])
    response = client.post(
        "/imports/new/institutions/",
        {"file": SimpleUploadedFile("i.xlsx", b"Name,Kind\nX,ministry\n"), "encoding": ""},
    )
    assert response.status_code == 200
    assert "does not match its name" in response.content.decode()


# --- Encodings and separators ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("Име;Пол\nАна;Ж\n".encode(), "utf-8"),
        (b"\xef\xbb\xbf" + "Име;Пол\nАна;Ж\n".encode(), "utf-8"),
        ("Име;Пол\nАна;Ж\n".encode("cp1251"), "cp1251"),
        ("Emri;Gjinia\nGëzim Çela;M\n".encode("cp1250"), "cp1250"),
        ("Emri;Gjinia\r\nGëzim Çela;M\r\n".encode("utf-16"), "utf-16"),
    ],
)
def test_encodings_are_told_from_the_bytes(data, encoding) -> None:
    text, found = decode_text(data)
    assert found == encoding or (encoding == "cp1250" and found in ("cp1250", "cp1252"))
    assert "Ана" in text or "Gëzim Çela" in text


def test_a_chosen_encoding_is_used_and_checked() -> None:
    data = "Име;Пол\n".encode("cp1251")
    assert decode_text(data, encoding="cp1251") == ("Име;Пол\n", "cp1251")
    with pytest.raises(FileRejected, match="cannot be read as UTF-8"):
        decode_text(data, encoding="utf-8")


def test_mojibake_is_never_chosen() -> None:
    with pytest.raises(EncodingUncertain) as caught:
        decode_text(bytes([0xC0, 0xC1, 0xC2, 0x3B, 0xC3, 0x0A]))
    assert {"cp1251", "cp1250", "cp1252"} <= set(caught.value.samples)


@pytest.mark.parametrize(
    ("line", "delimiter"),
    [("a;b;c", ";"), ("a,b,c", ","), ("a\tb\tc", "\t"), ('"x, y";b;c', ";"), ("single", ",")],
)
def test_separators_are_sniffed_outside_quotes(line, delimiter) -> None:
    assert sniff_delimiter(line + "\n") == delimiter
