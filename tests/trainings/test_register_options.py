"""The register's training filter written once per list: ``KeptOptionsSelect``
writes what ``QuickSelect`` (and so Django's ``Select``) writes, whatever is chosen, the first
time and every time after, in each language."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy

from core.widgets import QuickSelect
from trainings.registry_forms import KeptOptionsSelect

CHOICES: list[tuple[Any, Any]] = [
    ("", gettext_lazy("Any")),
    (1, "Tom & Jerry <3"),
    (2, 'Ѓорѓи "Gjorgji"'),
    (3, "Çlirim"),
    (12, "Twelve"),
    (21, "Twenty-one"),
]
VALUES: list[Any] = [None, "", "2", 2, ["3"], ["21", "1"], "missing", '"><b>', "1\x00"]


@pytest.mark.parametrize("value", VALUES)
def test_the_kept_drop_down_writes_what_the_quick_one_writes(value: Any) -> None:
    attrs = {"id": "id_training", "aria-describedby": "help"}
    for code in ("en", "mk", "sq"):
        with translation.override(code):
            quick = QuickSelect(attrs={"class": "wide"}, choices=CHOICES)
            django = forms.Select(attrs={"class": "wide"}, choices=CHOICES)
            expected = quick.render("training", value, attrs)
            for _time in range(2):  # written, then read from what was kept
                kept = KeptOptionsSelect(attrs={"class": "wide"}, choices=CHOICES)
                assert kept.render("training", value, attrs) == expected, code
            assert " selected" not in expected or expected.count(" selected") == 1
            assert _normalised(expected) == _normalised(django.render("training", value, attrs))


def test_a_changed_list_is_written_anew() -> None:
    first = KeptOptionsSelect(choices=CHOICES).render("training", "2", {"id": "id_training"})
    renamed = [*CHOICES[:2], (2, "Renamed"), *CHOICES[3:]]
    again = KeptOptionsSelect(choices=renamed).render("training", "2", {"id": "id_training"})
    assert '<option value="2" selected>Renamed</option>' in again
    assert again == QuickSelect(choices=renamed).render("training", "2", {"id": "id_training"})
    assert first != again


def test_choices_in_groups_are_left_to_django() -> None:
    grouped = [("", "Any"), ("Spring", [(1, "One"), (2, "Two")])]
    kept = KeptOptionsSelect(choices=grouped).render("training", "2")
    assert kept == forms.Select(choices=grouped).render("training", "2")


def _normalised(markup: str) -> str:
    return re.sub(r">\s+<", "><", str(markup)).strip()
