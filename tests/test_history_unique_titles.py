"""A record whose title is unique (an action, a programme) keeps a history version per save:
the title repeats from version to version, so the history table must not hold it unique."""

from __future__ import annotations

import pytest
from django.db import connection

from core.history import history_model
from programme.models import Action, Programme

pytestmark = pytest.mark.django_db


def _programme_and_action() -> tuple[Programme, Action]:
    programme = Programme.objects.create(name="Horizontal Facility test")
    action = Action.objects.create(programme=programme, title="An action", country="MK")
    return programme, action


def test_an_action_saved_twice_has_two_versions_with_the_same_title() -> None:
    _programme, action = _programme_and_action()
    action.on_track_percent = 80
    action.save()
    action.summary = "A second change."
    action.save()
    titles = list(action.history.values_list("title_en", flat=True))
    assert titles == ["An action"] * 3


def test_a_programme_saved_twice_has_two_versions_with_the_same_name() -> None:
    programme, _action = _programme_and_action()
    programme.short_name = "HF"
    programme.save()
    assert programme.history.count() == 2


def test_no_history_table_holds_a_unique_index_but_its_key() -> None:
    """Every language's column of a unique field included (title_en, title_mk, title_sq)."""
    tables = [history_model(m)._meta.db_table for m in (Action, Programme)]
    with connection.cursor() as cursor:
        constraints = {
            name: spec
            for table in tables
            for name, spec in connection.introspection.get_constraints(cursor, table).items()
        }
    unique = [
        name for name, spec in constraints.items() if spec["unique"] and not spec["primary_key"]
    ]
    assert unique == []
    indexed = {tuple(spec["columns"]) for spec in constraints.values() if spec["index"]}
    assert {("title_en",), ("title_mk",), ("title_sq",), ("name_en",)} <= indexed
