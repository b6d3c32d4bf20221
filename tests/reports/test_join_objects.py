"""The join's own writing of pypdf's objects (the joining child's time after the last
part) makes what pypdf makes: the same bytes for every object, the same cloned
structure tree, and so the same file."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

from reports.choices import PDFUA_VARIANT
from reports.render import (
    SafeURLFetcher,
    _layout,
    _render_parts,
    _Serializer,
    _Structure,
    write_compact,
)

# A part with what a report's parts hold: headings, a table with header cells, a list, links
# inside the document and out of it, and text in Macedonian and Albanian.
PART = """<html lang="mk"><head><title>Дел</title></head><body>
<h1 id="part-{n}">Дел {n}: Препораки (ç, ë)</h1>
<p>Види <a href="#part-{n}">почеток</a> и <a href="https://example.org/(a)">извор</a>.</p>
<table><caption>Обуки</caption><thead><tr><th>Број</th><th>Место</th></tr></thead>
<tbody>{rows}</tbody></table>
<ul><li>Прво</li><li>Dytë</li></ul>
</body></html>"""


def _pdf(html: str) -> bytes:
    document = _layout(html, SafeURLFetcher(static_roots=[]))
    data: bytes = document.write_pdf(pdf_variant=PDFUA_VARIANT)
    return data


@pytest.fixture(scope="module")
def parts() -> list[bytes]:
    rows = "".join(f"<tr><td>{i}</td><td>Скопје {i}</td></tr>" for i in range(60))
    return [_pdf(PART.format(n=n, rows=rows)) for n in range(3)]


def _pypdf_bytes(obj: Any) -> bytes:
    written = io.BytesIO()
    obj.write_to_stream(written)
    return written.getvalue()


def test_the_serializer_writes_every_object_of_a_tagged_part_as_pypdf_does(
    parts: list[bytes],
) -> None:
    reader = PdfReader(io.BytesIO(parts[0]))
    serialized = _Serializer()
    compared = 0
    for number in [*reader.xref_objStm, *reader.xref.get(0, {})]:
        obj = reader.get_object(number)
        if obj is None or isinstance(obj, StreamObject):
            continue  # streams are written by pypdf itself
        assert serialized(obj) == _pypdf_bytes(obj), number
        compared += 1
    assert compared > 100  # the structure tree's elements among them


@pytest.mark.parametrize(
    "value",
    [
        NumberObject(1),
        FloatObject(1),
        FloatObject("0.1"),
        FloatObject("-12.3456789"),
        FloatObject(0),
        TextStringObject("Препорака (1) \\ 100%"),
        TextStringObject("plain text"),
        NameObject("/A#B C"),
        ArrayObject([NumberObject(1), FloatObject(1), NameObject("/X"), ArrayObject()]),
        DictionaryObject(
            {
                NameObject("/K"): ArrayObject([NumberObject(0), NumberObject(1)]),
                NameObject("/Alt"): TextStringObject("Графикон"),
                NameObject("/Pg"): IndirectObject(12, 0, None),
            }
        ),
    ],
    # An indirect object's repr names its reader's address, which differs from one test
    # process to the next: the ids leave it out, so that every process collects the same tests.
    ids=lambda value: re.sub(r"(IndirectObject\(\d+, \d+), \d+\)", r"\1)", repr(value)),
)
def test_the_serializer_writes_a_value_as_pypdf_does(value: Any) -> None:
    serialized = _Serializer()
    assert serialized(value) == _pypdf_bytes(value)
    assert serialized(value) == _pypdf_bytes(value)  # again, from what it kept


class _PypdfStructure(_Structure):
    """The structure joined with pypdf's own clone, as it was before."""

    def _clone(self, value: Any, translated: dict[Any, Any]) -> Any:
        return value.clone(self.writer, ignore_fields=("/P",))


def _joined(parts: list[bytes], structure: type[_Structure], target: Path) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(parts[0]))
    joined = structure(writer)
    for part in parts[1:]:
        reader = PdfReader(io.BytesIO(part))
        first = len(writer.pages)
        writer.append(reader)
        joined.adopt(reader, writer.pages[first:])
    write_compact(writer, target)
    return target.read_bytes()


def test_a_joined_structure_is_the_one_pypdfs_clone_made_to_the_byte(
    parts: list[bytes], tmp_path: Path
) -> None:
    ours = _joined(parts, _Structure, tmp_path / "ours.pdf")
    theirs = _joined(parts, _PypdfStructure, tmp_path / "theirs.pdf")
    assert ours == theirs

    # And it is a structure tree: every part's elements under the one document element,
    # each with its parent, its page among the joined file's pages.
    reader = PdfReader(io.BytesIO(ours))
    root: Any = reader.root_object["/StructTreeRoot"]
    document = root["/K"][0].get_object()
    pages = {page.indirect_reference.idnum for page in reader.pages}
    elements = 0
    stack = [document]
    while stack:
        element = stack.pop()
        for kid in element.get("/K") if isinstance(element.get("/K"), list) else []:
            kid = kid.get_object() if isinstance(kid, IndirectObject) else kid
            if isinstance(kid, DictionaryObject) and kid.get("/Type") == "/StructElem":
                assert kid["/P"].get_object() is element
                if "/Pg" in kid:
                    assert kid.raw_get("/Pg").idnum in pages
                stack.append(kid)
                elements += 1
    headings = [kid.get_object()["/S"] for kid in document["/K"]]
    assert headings.count("/H1") == 3 and elements > 3 * 60


def test_a_parts_child_leaves_what_it_laid_out_for_the_joining_child(tmp_path: Path) -> None:
    # The joining child lays out the front matter from these while the last part is written.
    documents: list[dict[str, Any]] = [
        {
            "html": PART.format(
                n=n, rows="".join(f"<tr><td>{i}</td></tr>" for i in range(10 + 80 * n))
            ),
            "output": str(tmp_path / f"{n}.pdf"),
        }
        for n in range(2)
    ]
    documents[0]["layout_only"] = True
    result = _render_parts({"documents": documents}, SafeURLFetcher(static_roots=[]))

    for n, (document, done) in enumerate(zip(documents, result["documents"], strict=True)):
        laid_out = json.loads(Path(f"{document['output']}.layout").read_text())
        assert laid_out == done
        assert f"part-{n}" in laid_out["anchors"]
    assert result["documents"][1]["pages"] > result["documents"][0]["pages"]
    assert not Path(documents[0]["output"]).exists()  # the front matter: laid out only
    assert len(PdfReader(documents[1]["output"]).pages) == result["documents"][1]["pages"]
    assert not list(tmp_path.glob("*.writing"))
