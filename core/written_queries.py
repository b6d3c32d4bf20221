"""Queries a page runs on every request, written to SQL once per process.

Django turns a queryset into SQL on every request, and for a page of a few window queries that
costs more than the database takes to answer them. A selector that needs it builds its SQL
from the querysets and expressions that define its rules (compiled here by Django, so each
rule keeps its one definition), keeps it with ``written_once``, runs it on a cursor and
loads each row as the models' instances with ``instances_from_row``, as a queryset with
``only`` and ``select_related`` would give them. ``where_sql`` gives a permission gate's
condition to put in such a query. Use it only where a profile shows compiling to dominate.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Model, QuerySet
from django.utils import translation

Columns = tuple[tuple[type[Model], tuple[str, ...]], ...]


def columns_of(model: type[Model], wanted: Collection[str]) -> tuple[type[Model], tuple[str, ...]]:
    """The model with the fields of ``wanted`` in the order of its fields (``Model.from_db``
    takes its values so)."""
    return model, tuple(f.attname for f in model._meta.concrete_fields if f.attname in wanted)


def select_sql(columns: Columns) -> str:
    """The columns' SQL, each table by its own name, as ``c0``, ``c1``, …"""
    quote = connection.ops.quote_name
    names = [
        f"{quote(model._meta.db_table)}.{quote(str(f.column))}"
        for model, fields in columns
        for f in model._meta.concrete_fields
        if f.attname in fields
    ]
    return ", ".join(f"{name} AS c{i}" for i, name in enumerate(names))


@functools.cache
def _conversions(columns: Columns, vendor: str) -> tuple[tuple[int, tuple[Any, ...], Any], ...]:
    """Where the columns' values need converting as a queryset converts them (the
    database's and the fields' converters), by place: PostgreSQL's need none, SQLite's
    dates and times (a local run) do."""
    found = []
    place = 0
    for model, fields in columns:
        for f in model._meta.concrete_fields:
            if f.attname in fields:
                column = f.get_col(model._meta.db_table)
                converters = connection.ops.get_db_converters(column) + f.get_db_converters(
                    connection
                )
                if converters:
                    found.append((place, tuple(converters), column))
                place += 1
    return tuple(found)


def instances_from_row(
    row: Sequence[Any], columns: Columns, loaded: dict[tuple[type[Model], Any], Model]
) -> tuple[list[Any], Sequence[Any]]:
    """Each model's instance read from its columns of the row (its key first, as in every
    model here; None where the key is null: no related row), one already ``loaded`` reused;
    and the row's other values."""
    if conversions := _conversions(columns, connection.vendor):
        row = list(row)
        for place, converters, column in conversions:
            for convert in converters:
                row[place] = convert(row[place], column, connection)
    instances: list[Any] = []
    start = 0
    for model, fields in columns:
        values = row[start : start + len(fields)]
        start += len(fields)
        if values[0] is None:
            instances.append(None)
            continue
        instance = loaded.get((model, values[0]))
        if instance is None:
            instance = loaded[model, values[0]] = model.from_db(DEFAULT_DB_ALIAS, fields, values)
        instances.append(instance)
    return instances, row[start:]


def order_by_sql(compiler: Any, language: str) -> tuple[str, list[Any]]:
    """The ORDER BY of the compiler's query, in the alphabet of ``language``."""
    with translation.override(language):
        order = compiler.get_order_by()
    return (
        ", ".join(sql for _expr, (sql, _params, _ref) in order),
        [p for _expr, (_sql, params, _ref) in order for p in params],
    )


def written_once(build: Any, *args: Any) -> Any:
    """``build(*args)``, a query written once per process (``functools.cache``) on
    PostgreSQL. On SQLite (a local run) it is written each time: compiling the reader's
    order registers its collation on the connection (``core.collation``), which a request's
    new connection would lack."""
    return build(*args) if connection.vendor == "postgresql" else build.__wrapped__(*args)


def where_sql(queryset: QuerySet[Any]) -> tuple[str, list[Any]]:
    """The condition of ``queryset`` as SQL on its model's table (named by its own name, not
    an alias) and its parameters: a permission gate's rule put in a query written once."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.compile(queryset.query.where)
    except EmptyResultSet:
        return "FALSE", []
    except FullResultSet:  # no condition: every row
        return "TRUE", []
    return sql, list(params)
