"""What keeps the participant register fast at tens of thousands of people (issue 25).

- One index per interface language on the name in that language's ICU collation, then the
  id: the register's order (``alphabetical("full_name"), "pk"``), so a page of it reads 25
  rows from an index instead of sorting the whole register.
- The name spelled in Latin letters (``core.alphabet.latin_spelling_in_database``) kept by
  PostgreSQL in a generated column, ``full_name_spelled``, with a trigram index (pg_trgm): a
  search by name (``registry_selectors.people_named``) reads the matching rows from the index
  and compares them with the stored spelling, instead of spelling every name it looks at
  (some forty REPLACEs a row). PostgreSQL computes the column from the name on every write,
  so nothing in the application keeps it.

Both are built from the expressions the queries use; tests/trainings/test_register_speed.py
checks that the planner uses them and that the column spells names as the search does (a
change to ``LATIN_SPELLING`` needs a migration that generates the column anew). PostgreSQL
only: SQLite (``make run``) has neither ICU nor pg_trgm, and its registers are small.
"""

from typing import Any

from django.db import migrations
from django.db.models import F, Index
from django.db.models.sql import Query

from core.alphabet import latin_spelling_in_database
from core.collation import ICU_COLLATIONS, Alphabetical

SPELLED_COLUMN = "full_name_spelled"
TRIGRAM_INDEX = "trainings_participant_spelled_trgm"


def _name_indexes() -> list[Index]:
    return [
        Index(Alphabetical("full_name", code), F("id"), name=f"trainings_participant_name_{code}")
        for code in ICU_COLLATIONS
    ]


def _spelled_sql(model: Any, schema_editor: Any) -> str:
    """The SQL of the name spelled in Latin letters, as a query on the table writes it."""
    query = Query(model, alias_cols=False)
    expression = latin_spelling_in_database("full_name").resolve_expression(query)
    sql, params = query.get_compiler(connection=schema_editor.connection).compile(expression)
    return sql % tuple(schema_editor.quote_value(param) for param in params)


def register_indexes_create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    participant = apps.get_model("trainings", "Participant")
    table, quote = participant._meta.db_table, schema_editor.quote_name
    for index in _name_indexes():
        schema_editor.add_index(participant, index)
    schema_editor.execute(
        f"ALTER TABLE {quote(table)} ADD COLUMN {quote(SPELLED_COLUMN)} text "
        f"GENERATED ALWAYS AS ({_spelled_sql(participant, schema_editor)}) STORED"
    )
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX {quote(TRIGRAM_INDEX)} ON {quote(table)} "
        f"USING gin ({quote(SPELLED_COLUMN)} gin_trgm_ops)"
    )


def register_indexes_remove(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    participant = apps.get_model("trainings", "Participant")
    table, quote = participant._meta.db_table, schema_editor.quote_name
    # Dropping the column drops its index.
    schema_editor.execute(f"ALTER TABLE {quote(table)} DROP COLUMN {quote(SPELLED_COLUMN)}")
    for index in _name_indexes():
        schema_editor.remove_index(participant, index)


class Migration(migrations.Migration):
    dependencies = [
        ("trainings", "0012_training_methodology_translated"),
    ]

    operations = [migrations.RunPython(register_indexes_create, register_indexes_remove)]
