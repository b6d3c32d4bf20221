"""The translation catalogues: every text of the platform in Macedonian and Albanian, the
catalogues up to date with the code and the templates, and the compiled files up to date with
their sources. The last tests make each check fail on purpose, so a check that has stopped
looking cannot pass unnoticed."""

from __future__ import annotations

import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

BASE = Path(settings.BASE_DIR)
LANGUAGES = ("mk", "sq")
PLURAL_FORMS = {
    "mk": "nplurals=2; plural=(n % 10 == 1 && n % 100 != 11) ? 0 : 1;",
    "sq": "nplurals=2; plural=(n != 1);",
}
# Directories that hold no text of the platform: tools, caches, uploads and the tests. The same
# list goes to makemessages (-i) in the command written at the top of each catalogue.
NOT_SOURCE = ("node_modules", "tests", "var")

Key = tuple[str, str, str]  # context, msgid, plural msgid


def _catalogues(root: Path = BASE) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in NOT_SOURCE]
        if Path(dirpath).name == "LC_MESSAGES" and "django.po" in filenames:
            found.append(Path(dirpath) / "django.po")
    return sorted(found)


def _language(po_path: Path) -> str:
    return po_path.parent.parent.name


def _key(entry: polib.POEntry) -> Key:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def _problems(po_path: Path) -> list[str]:
    """What keeps a catalogue from being complete: each entry untranslated, fuzzy or obsolete."""
    catalogue = polib.pofile(str(po_path))
    problems = []
    expected = PLURAL_FORMS[_language(po_path)]
    if catalogue.metadata.get("Plural-Forms") != expected:
        problems.append(f"Plural-Forms is not {expected!r}")
    for entry in catalogue:
        if entry.obsolete:
            problems.append(f"obsolete: {entry.msgid!r}")
        elif "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.msgid!r}")
        elif entry.msgid_plural and not all(entry.msgstr_plural.values()):
            problems.append(f"untranslated plural: {entry.msgid!r}")
        elif not entry.msgid_plural and not entry.msgstr:
            problems.append(f"untranslated: {entry.msgid!r}")
    return problems


def _translations(language: str, root: Path = BASE) -> dict[Key, list[tuple[str, Path]]]:
    """Each msgid of the language's catalogues, with its translation in each catalogue."""
    found: dict[Key, list[tuple[str, Path]]] = {}
    for po_path in _catalogues(root):
        if _language(po_path) != language:
            continue
        for entry in polib.pofile(str(po_path)):
            if not entry.obsolete:
                text = entry.msgstr or repr(sorted(entry.msgstr_plural.items()))
                found.setdefault(_key(entry), []).append((text, po_path))
    return found


def _copy_source(into: Path) -> Path:
    """The project without its catalogues, caches and tests, for makemessages to read."""

    def skip(directory: str, names: list[str]) -> set[str]:
        return {
            n
            for n in names
            if n.startswith(".")
            or n in NOT_SOURCE
            or n in ("locale", "__pycache__", "db.sqlite3")
            or n.endswith((".po", ".mo"))
        }

    shutil.copytree(BASE, into, ignore=skip)
    return into


def _source_msgids(tree: Path) -> set[Key]:
    """The msgids makemessages finds in a copy of the project, as one fresh catalogue."""
    command = [sys.executable, "manage.py", "makemessages", "-l", "mk", "--no-obsolete"]
    for pattern in NOT_SOURCE:
        command += ["-i", pattern]
    # The settings name the locale directories from where they are, so in the copy they point
    # into the copy; DJANGO_DEBUG spares the copy a production configuration.
    env = {**os.environ, "DJANGO_DEBUG": "true"}
    subprocess.run(command, cwd=tree, env=env, check=True, capture_output=True)
    fresh = _catalogues(tree)
    assert [p.relative_to(tree) for p in fresh] == [Path("locale/mk/LC_MESSAGES/django.po")]
    return {_key(e) for e in polib.pofile(str(fresh[0]))}


def _compiled(po_path: Path, into: Path) -> Path:
    mo_path = into / f"{_language(po_path)}.mo"
    subprocess.run(
        ["msgfmt", "--check", "-o", str(mo_path), str(po_path)], check=True, capture_output=True
    )
    return mo_path


def _messages(mo_path: Path) -> dict[object, str]:
    with mo_path.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)


def test_there_is_a_catalogue_for_each_language() -> None:
    languages = sorted(_language(p) for p in _catalogues())
    assert set(languages) == set(LANGUAGES)
    assert set(LANGUAGES) == {code for code, _name in settings.LANGUAGES} - {"en"}


@pytest.mark.parametrize("po_path", _catalogues(), ids=lambda p: str(p.relative_to(BASE)))
def test_every_entry_is_translated_and_none_is_fuzzy(po_path: Path) -> None:
    assert _problems(po_path) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_msgid_has_two_different_translations(language: str) -> None:
    clashes = {
        key: places
        for key, places in _translations(language).items()
        if len({text for text, _path in places}) > 1
    }
    assert clashes == {}


def test_the_catalogues_hold_every_text_of_the_code_and_no_other(tmp_path: Path) -> None:
    in_source = _source_msgids(_copy_source(tmp_path / "source"))
    assert len(in_source) > 1000
    for language in LANGUAGES:
        catalogued = set(_translations(language))
        assert sorted(in_source - catalogued) == [], f"{language}: run makemessages"
        assert sorted(catalogued - in_source) == [], f"{language}: run makemessages"


@pytest.mark.parametrize("po_path", _catalogues(), ids=lambda p: str(p.relative_to(BASE)))
def test_the_compiled_catalogue_is_the_compiled_po_file(po_path: Path, tmp_path: Path) -> None:
    shipped = po_path.with_suffix(".mo")
    assert shipped.exists(), "run compilemessages"
    assert _messages(shipped) == _messages(_compiled(po_path, tmp_path)), "run compilemessages"


# The checks above, made to fail.


def test_an_untranslated_or_fuzzy_entry_is_a_problem(tmp_path: Path) -> None:
    for language in LANGUAGES:
        catalogue = polib.pofile(str(BASE / "locale" / language / "LC_MESSAGES" / "django.po"))
        catalogue.append(polib.POEntry(msgid="A sentence nobody translated"))
        fuzzy = polib.POEntry(msgid="A guess", msgstr="Guess", flags=["fuzzy"])
        catalogue.append(fuzzy)
        po_path = tmp_path / language / "LC_MESSAGES" / "django.po"
        po_path.parent.mkdir(parents=True)
        catalogue.save(str(po_path))
        assert _problems(po_path) == [
            "untranslated: 'A sentence nobody translated'",
            "fuzzy: 'A guess'",
        ]


def test_a_new_text_in_a_template_is_missing_from_the_catalogues(tmp_path: Path) -> None:
    tree = _copy_source(tmp_path / "source")
    (tree / "templates" / "zz_new.html").write_text(
        '{% load i18n %}<p>{% translate "A sentence nobody translated" %}</p>'
    )
    missing = _source_msgids(tree) - set(_translations("mk"))
    assert missing == {("", "A sentence nobody translated", "")}


def test_a_changed_po_file_no_longer_matches_its_compiled_file(tmp_path: Path) -> None:
    source = BASE / "locale" / "mk" / "LC_MESSAGES" / "django.po"
    catalogue = polib.pofile(str(source))
    entry = next(e for e in catalogue if not e.msgid_plural)
    entry.msgstr += " (changed)"
    po_path = tmp_path / "mk" / "LC_MESSAGES" / "django.po"
    po_path.parent.mkdir(parents=True)
    catalogue.save(str(po_path))
    assert _messages(source.with_suffix(".mo")) != _messages(_compiled(po_path, tmp_path))
