"""What keeps the participant register fast at tens of thousands of people.

- One index per interface language on the name in that language's ICU collation, then the
  id: the register's order (``alphabetical("full_name"), "pk"``), so a page of it reads 25
  rows from an index instead of sorting the whole register.
- The name spelled in Latin letters kept by PostgreSQL in a generated column,
  ``full_name_spelled``, with a trigram index (pg_trgm): a search by name
  (``registry_selectors.people_named``) reads the matching rows from the index and compares
  them with the stored spelling, instead of spelling every name it looks at (some forty
  REPLACEs a row). PostgreSQL computes the column from the name on every write, so nothing
  in the application keeps it.

The SQL is frozen here, exactly as the expressions the queries use wrote it when this
migration was made (``core.collation.Alphabetical("full_name", code)`` for the indexes,
``core.alphabet.latin_spelling_in_database("full_name")`` for the column): an old migration
must give a fresh database the same thing whatever the code becomes. A change to those
expressions (``LATIN_SPELLING``) needs a new migration that builds the column or the indexes
anew; tests/trainings/test_register_speed.py fails until one does (the column must spell
names as the search does, the planner must use the indexes).

PostgreSQL only: SQLite (``make run``, the embedded mode) has neither ICU nor pg_trgm, and
its registers are small; there this migration does nothing.
"""

from typing import Any

from django.db import migrations

# The three name indexes, the generated column, pg_trgm (a trusted extension since
# PostgreSQL 13: the database's owner may create it) and the trigram index.
FORWARDS = [
    (
        'CREATE INDEX "trainings_participant_name_en" ON "trainings_participant" (('
        '"full_name" COLLATE "en-x-icu"), "id")'
    ),
    (
        'CREATE INDEX "trainings_participant_name_mk" ON "trainings_participant" (('
        '"full_name" COLLATE "mk-x-icu"), "id")'
    ),
    (
        'CREATE INDEX "trainings_participant_name_sq" ON "trainings_participant" (('
        '"full_name" COLLATE "sq-x-icu"), "id")'
    ),
    (
        'ALTER TABLE "trainings_participant" ADD COLUMN "full_name_spelled" text GENERATED '
        'ALWAYS AS (REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE('
        'REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE('
        'REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE('
        'REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE('
        'REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE('
        'REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE('
        'REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE('
        'REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE('
        'REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(LOWER("full_name"), \'А\', \'a\'), \'Б\', '
        "'b'), 'В', 'v'), 'Г', 'g'), 'Д', 'd'), 'Ѓ', 'gj'), 'Е', 'e'), 'Ж', 'zh'), 'З', 'z'),"
        " 'Ѕ', 'dz'), 'И', 'i'), 'Ј', 'j'), 'К', 'k'), 'Л', 'l'), 'Љ', 'lj'), 'М', 'm'), 'Н',"
        " 'n'), 'Њ', 'nj'), 'О', 'o'), 'П', 'p'), 'Р', 'r'), 'С', 's'), 'Т', 't'), 'Ќ', "
        "'kj'), 'У', 'u'), 'Ф', 'f'), 'Х', 'h'), 'Ц', 'c'), 'Ч', 'ch'), 'Џ', 'dzh'), 'Ш', "
        "'sh'), 'Ѐ', 'e'), 'Ѝ', 'i'), 'а', 'a'), 'б', 'b'), 'в', 'v'), 'г', 'g'), 'д', 'd'), "
        "'ѓ', 'gj'), 'е', 'e'), 'ж', 'zh'), 'з', 'z'), 'ѕ', 'dz'), 'и', 'i'), 'ј', 'j'), 'к',"
        " 'k'), 'л', 'l'), 'љ', 'lj'), 'м', 'm'), 'н', 'n'), 'њ', 'nj'), 'о', 'o'), 'п', "
        "'p'), 'р', 'r'), 'с', 's'), 'т', 't'), 'ќ', 'kj'), 'у', 'u'), 'ф', 'f'), 'х', 'h'), "
        "'ц', 'c'), 'ч', 'ch'), 'џ', 'dzh'), 'ш', 'sh'), 'ѐ', 'e'), 'ѝ', 'i'), 'Š', 'sh'), "
        "'Ž', 'zh'), 'Č', 'ch'), 'Ć', 'kj'), 'Đ', 'gj'), 'Ǵ', 'gj'), 'Ḱ', 'kj'), 'Ë', 'e'), "
        "'Ç', 'ch'), 'š', 'sh'), 'ž', 'zh'), 'č', 'ch'), 'ć', 'kj'), 'đ', 'gj'), 'ǵ', 'gj'), "
        "'ḱ', 'kj'), 'ë', 'e'), 'ç', 'ch'), 'dzh', 'dz')) STORED"
    ),
    'CREATE EXTENSION IF NOT EXISTS pg_trgm',
    (
        'CREATE INDEX "trainings_participant_spelled_trgm" ON "trainings_participant" USING '
        'gin ("full_name_spelled" gin_trgm_ops)'
    ),
]

# Dropping the column drops its trigram index.
BACKWARDS = [
    'ALTER TABLE "trainings_participant" DROP COLUMN "full_name_spelled"',
    'DROP INDEX IF EXISTS "trainings_participant_name_en"',
    'DROP INDEX IF EXISTS "trainings_participant_name_mk"',
    'DROP INDEX IF EXISTS "trainings_participant_name_sq"',
]


class RunSQLOnPostgreSQL(migrations.RunSQL):
    """``RunSQL`` on PostgreSQL; nothing on any other database."""

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [
        ("trainings", "0012_training_methodology_translated"),
    ]

    operations = [RunSQLOnPostgreSQL(FORWARDS, BACKWARDS)]
