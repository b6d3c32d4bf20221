"""Every text of the reports exists in Macedonian and Albanian, and the compiled catalogues are
the ones their sources say."""

from __future__ import annotations

import gettext
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"
TEMPLATES = Path(settings.BASE_DIR) / "templates" / "reports"
CODE = Path(settings.BASE_DIR) / "programme" / "reports"


def _catalog(path: Path) -> dict[object, str]:
    with path.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)


def _template_msgids() -> set[str]:
    found: set[str] = set()
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for msgid in re.findall(r'{% translate "([^"]+)"', text):
            found.add(msgid.replace("%", "%%"))
        for body in re.findall(
            r"{% blocktranslate (?!count)[^%]*%}(.*?){% endblocktranslate %}", text
        ):
            found.add(re.sub(r"{{ (\w+) }}", r"%(\1)s", body.replace("%", "%%")))
    return found


def _code_msgids() -> set[str]:
    found: set[str] = set()
    for module in CODE.glob("*.py"):
        text = module.read_text(encoding="utf-8")
        found |= set(re.findall(r'\b_\(\s*"([^"]+)"\s*\)', text))
        found |= {
            f"{context}\x04{msgid}"
            for context, msgid in re.findall(r'pgettext\("([^"]+)", "([^"]+)"\)', text)
        }
    return found


@pytest.mark.parametrize("language", ["mk", "sq"])
def test_compiled_catalogue_matches_its_source(language, tmp_path) -> None:
    source = LOCALE / language / "LC_MESSAGES" / "django.po"
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(source)], check=True)
    shipped = LOCALE / language / "LC_MESSAGES" / "django.mo"
    assert _catalog(shipped) == _catalog(compiled), "run msgfmt on the .po file again"


@pytest.mark.parametrize("language", ["mk", "sq"])
def test_every_report_text_is_translated(language) -> None:
    catalog = _catalog(LOCALE / language / "LC_MESSAGES" / "django.mo")
    wanted = _template_msgids() | _code_msgids()
    assert len(wanted) > 150
    missing = sorted(m for m in wanted if not catalog.get(m))
    assert missing == []


def test_the_page_numbers_say_page_and_of_in_each_language() -> None:
    from django.utils import translation
    from django.utils.translation import pgettext

    words = {}
    for language in ("en", "mk", "sq"):
        with translation.override(language):
            words[language] = (pgettext("page number", "Page"), pgettext("page number", "of"))
    assert words == {"en": ("Page", "of"), "mk": ("Страница", "од"), "sq": ("Faqja", "nga")}
