"""The audit trail: each change to a domain record is kept, with who made it and when.

django-simple-history keeps a historical table beside each tracked model and writes to it
on every save and delete. Models are registered from their app's ready(), after
django-modeltranslation has added the per-language fields, so the history holds every
language (the library's documented way to combine the two).

Two things the library cannot see are handled here: who acts in a background job (there is
no request; the job names its user with ``acting_as``), and bulk writes, which skip the save
signals (each bulk write calls ``record_bulk``). The admin shows a record's history and
restores an earlier version; nothing in the portal writes to it. What must not be kept (a
password hash) is left out of a model's history with ``excluded_fields``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.apps import AppConfig
from django.db import connection
from django.db.models import Model
from django.db.models.signals import post_delete
from django.utils import timezone
from simple_history import register
from simple_history.models import HistoricalRecords

_acting: ContextVar[Any] = ContextVar("history_acting_user", default=None)


def _history_user(request: Any = None, **kwargs: Any) -> Any:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return _acting.get()


def _current_user() -> Any:
    """The user of the request being served (the library's middleware keeps it), or the one
    a job acts for."""
    return _history_user(getattr(HistoricalRecords.context, "request", None))


class _Records(HistoricalRecords):
    """The library's history, without its empty versions: a save that wrote only fields kept
    out of the history (a sign-in's ``last_login``) adds none, nor does adding to a
    many-to-many field what it already holds. A many-to-many change made from the other side
    (``group.user_set.add(user)``) is a new version of each record it changed."""

    def copy_fields(self, model: type[Model]) -> dict[str, Any]:
        fields: dict[str, Any] = super().copy_fields(model)
        for field in fields.values():
            translated = getattr(field, "translated_field", None)
            if translated is not None and translated.unique:
                # A language's column of a unique field (an action's title_en): the library
                # made the copy non-unique, but modeltranslation's field describes itself to
                # migrations as the field it translates, unique included, so the history table
                # got a unique index and the second version of an unchanged title failed. As
                # the field's own plain class, the copy describes itself as it is.
                field.__class__ = type(translated)
        return fields

    def post_save(self, instance: Any, created: bool, using: Any = None, **kwargs: Any) -> None:
        written = kwargs.get("update_fields")
        if written and set(written) <= set(self.excluded_fields):
            return
        super().post_save(instance, created, using=using, **kwargs)

    def m2m_changed(
        self, instance: Any, action: str, attr: str, pk_set: Any, reverse: bool, **kwargs: Any
    ) -> None:
        if action in ("post_add", "post_remove") and not pk_set:
            return
        if not reverse:
            super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)
            return
        # ``instance`` is the record on the other side; the changed ones are ours.
        if action == "pre_clear":
            held = self.cls._default_manager.filter(**{attr: instance})
            instance._history_cleared = list(held.values_list("pk", flat=True))
            return
        if action == "post_clear":
            pks = getattr(instance, "_history_cleared", [])
        elif action in ("post_add", "post_remove"):
            pks = pk_set
        else:
            return
        for record in self.cls._default_manager.filter(pk__in=pks):
            self.create_historical_record(record, "~")


def track(
    app: AppConfig,
    *model_names: str,
    excluded_fields: Sequence[str] = (),
    m2m_fields: Sequence[str] = (),
) -> None:
    """Keep the history of the app's named models, without ``excluded_fields`` (secrets,
    bookkeeping) and with the members of the many-to-many ``m2m_fields`` in each version."""
    for name in model_names:
        register(
            app.get_model(name),
            app=app.label,
            get_user=_history_user,
            records_class=_Records,
            excluded_fields=list(excluded_fields),
            m2m_fields=list(m2m_fields),
        )


def is_tracked(model: type[Model]) -> bool:
    return getattr(model._meta, "simple_history_manager_attribute", None) is not None


def history_model(model: type[Model]) -> type[Model]:
    """The model of a tracked model's history table."""
    manager_name = model._meta.simple_history_manager_attribute  # type: ignore[attr-defined]
    found: type[Model] = getattr(model, manager_name).model
    return found


@contextmanager
def acting_as(user: Any) -> Iterator[None]:
    """Name the user behind the changes a job makes (an import, say) in their history."""
    token = _acting.set(user)
    try:
        yield
    finally:
        _acting.reset(token)


def record_bulk(
    model: type[Model],
    objects: Sequence[Model],
    *,
    created: bool,
    by: Any = None,
    insert: Callable[[type[Model], list[Any]], Any] | None = None,
) -> None:
    """Write the history rows of records just created or updated in bulk, by ``by`` or else
    the request's or job's user. Call it after the write: the rows copy what is stored.

    On PostgreSQL the database copies the records into their history table itself, in one
    statement however many there are, so an import's history costs no Python objects. Elsewhere
    ``insert`` writes the rows built here; Django's bulk_create by default.
    """
    if not objects or not is_tracked(model):
        return
    history = history_model(model)
    now, user = timezone.now(), by or _current_user()
    kind = "+" if created else "~"
    if connection.vendor == "postgresql":
        _copy_in_database(model, history, [obj.pk for obj in objects], now, kind, user)
        return
    rows = [
        history(
            history_date=now,
            history_type=kind,
            history_user=user,
            history_change_reason="",
            **{
                field.attname: getattr(obj, field.attname)
                for field in history.tracked_fields  # type: ignore[attr-defined]
            },
        )
        for obj in objects
    ]
    if insert is None:
        history._default_manager.bulk_create(rows, batch_size=2000)
    else:
        insert(history, rows)


def _copy_in_database(
    model: type[Model], history: type[Model], pks: list[Any], now: Any, kind: str, user: Any
) -> None:
    quote = connection.ops.quote_name
    columns = [
        quote(str(field.column))
        for field in history.tracked_fields  # type: ignore[attr-defined]
    ]
    pk_column = quote(str(model._meta.pk.column))
    statement = (
        f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(columns)}, history_date, "  # noqa: S608 - names from the models
        "history_type, history_user_id, history_change_reason) "
        f"SELECT {', '.join(columns)}, %s, %s, %s, '' FROM {quote(model._meta.db_table)} "
        f"WHERE {pk_column} = ANY(%s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [now, kind, getattr(user, "pk", None), pks])


@contextmanager
def history_forgotten() -> Iterator[None]:
    """Delete records together with their whole history: every record deleted inside the
    block loses its history rows too, those of records removed by cascade included.

    For data that was never real (the demo data); real records keep their history when
    deleted, which is the point of an audit trail.
    """
    deleted: list[tuple[type[Model], Any]] = []

    def note(sender: type[Model], instance: Model, **kwargs: Any) -> None:
        if is_tracked(sender):
            deleted.append((sender, instance.pk))

    post_delete.connect(note, weak=False, dispatch_uid="history_forgotten")
    try:
        yield
    finally:
        post_delete.disconnect(dispatch_uid="history_forgotten")
    pks_by_model: dict[type[Model], list[Any]] = {}
    for model, pk in deleted:
        pks_by_model.setdefault(model, []).append(pk)
    for model, pks in pks_by_model.items():
        pk_name = model._meta.pk.attname
        versions = history_model(model)._default_manager.filter(**{f"{pk_name}__in": pks})
        # The many-to-many members kept with each version point at it without a constraint.
        for relation in versions.model._meta.related_objects:
            members = relation.related_model._default_manager
            members.filter(**{f"{relation.field.name}__in": versions}).delete()
        versions.delete()
