"""The notifications' own catalogs: compiled as shipped, and used for emails and pages."""

from __future__ import annotations

import gettext
import re
import subprocess
from pathlib import Path

import pytest
from django.utils import translation

from notifications.choices import NotificationKind, ReminderStage
from notifications.models import Notification

LOCALE = Path(__file__).resolve().parents[2] / "locale"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "notifications"


def _catalog(path: Path) -> dict[object, str]:
    with path.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)


@pytest.mark.parametrize("language", ["mk", "sq"])
def test_the_shipped_catalog_is_the_compiled_po_file(language: str, tmp_path: Path) -> None:
    source = LOCALE / language / "LC_MESSAGES" / "django.po"
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(source)], check=True)
    assert _catalog(LOCALE / language / "LC_MESSAGES" / "django.mo") == _catalog(compiled)


@pytest.mark.parametrize("language", ["mk", "sq"])
def test_every_sentence_of_the_notification_templates_is_translated(language: str) -> None:
    catalog = _catalog(LOCALE / language / "LC_MESSAGES" / "django.mo")
    for template in TEMPLATES.glob("*.*"):
        for msgid in re.findall(r'{% translate "([^"]+)"', template.read_text()):
            if " " in msgid:  # single words come from the platform's shared catalogs
                assert catalog.get(msgid), f"{template.name}: {msgid}"


@pytest.mark.parametrize(
    ("language", "start"), [("mk", "Извештаите за напредок"), ("sq", "Raportet e progresit")]
)
def test_a_reminder_reads_in_the_readers_language(language: str, start: str) -> None:
    notification = Notification(
        kind=NotificationKind.UPDATE_DUE,
        stage=ReminderStage.DUE,
        params={
            "period": "2026 H2",
            "due_date": "2026-12-31",
            "institution": "MLSP",
            "numbers": "7",
        },
    )
    with translation.override(language):
        assert notification.text.startswith(start)
    with translation.override("en"):
        assert notification.text.startswith("Progress updates for 2026 H2 are due today")
