"""Every text of the imports and exports exists in Macedonian and Albanian, and the compiled
catalogues are the ones their sources say."""

from __future__ import annotations

import gettext
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from core.imports import resource_class

BASE = Path(settings.BASE_DIR)
LOCALE = BASE / "locale"
CODE = [
    "core/spreadsheets.py",
    "core/imports.py",
    "programme/resources.py",
    "imports/views.py",
    "stakeholders/resources.py",
    "trainings/resources.py",
    "recommendations/resources.py",
]
TEMPLATES = sorted((BASE / "templates" / "imports").glob("*.html"))


def _catalog(path: Path) -> dict[object, str]:
    with path.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)


def _msgids() -> set[str]:
    found: set[str] = set()
    for name in CODE:
        text = (BASE / name).read_text(encoding="utf-8")
        for call in re.finditer(
            r'\b(?:_|gettext_lazy|gettext)\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\)', text
        ):
            found.add(
                "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', call.group(1))).replace('\\"', '"')
            )
    for template in TEMPLATES:
        text = template.read_text(encoding="utf-8")
        found |= set(re.findall(r'{% translate "([^"]+)"', text))
        for body in re.findall(
            r"{% blocktranslate (?!count)[^%]*%}(.*?){% endblocktranslate %}", text
        ):
            found.add(re.sub(r"{{ (\w+) }}", r"%(\1)s", body))
    return found


@pytest.mark.parametrize("language", ["mk", "sq"])
def test_compiled_catalogue_matches_its_source(language, tmp_path) -> None:
    source = LOCALE / language / "LC_MESSAGES" / "django.po"
    compiled = tmp_path / "django.mo"
    subprocess.run(
        ["msgfmt", "--check", "-o", str(compiled), str(source)], check=True, capture_output=True
    )
    assert _catalog(LOCALE / language / "LC_MESSAGES" / "django.mo") == _catalog(compiled)


@pytest.mark.parametrize("language", ["mk", "sq"])
def test_every_import_text_is_translated(language) -> None:
    catalog = _catalog(LOCALE / language / "LC_MESSAGES" / "django.mo")
    wanted = _msgids()
    assert len(wanted) > 150
    missing = sorted(m for m in wanted if m not in catalog)
    assert missing == []


@pytest.mark.parametrize(
    "kind",
    [
        "institutions",
        "trainings",
        "attendance",
        "recommendations",
        "progress_updates",
        "action_points",
        "indicator_values",
    ],
)
def test_every_column_has_its_header_in_three_languages(kind) -> None:
    columns = resource_class(kind).columns()
    assert columns
    for language in ("en", "mk", "sq"):
        headers = [c.header.in_language(language) for _n, c in columns]
        assert all(headers) and len(set(headers)) == len(headers), (language, headers)
    with translation.override("mk"):
        assert [str(c.column_name) for _n, c in columns] == [c.header.mk for _n, c in columns]
