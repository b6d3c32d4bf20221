"""Where a translated text comes from (docs/translations.md).

A record's translated field (django-modeltranslation: ``title_en``, ``title_mk``, ``title_sq``)
holds one text per language. ``TextProvenance`` says, per record, field and language, whether
that text is the official wording, a working translation by the programme team or a machine
translation awaiting review. No row means official: the English originals, and what an
administrator types in a language. A portal form that edits every language records its texts
with ``translated_texts_save``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import translation
from modeltranslation import settings as modeltranslation_settings
from modeltranslation.utils import build_localized_fieldname
from modeltranslation.utils import get_language as active_language

from core.choices import NOT_STATED, TextOrigin
from core.history import history_model, is_tracked
from core.models import TextProvenance


def _content_type(model: type[models.Model] | models.Model) -> ContentType:
    # The concrete model: a proxy's texts are its concrete model's texts.
    return ContentType.objects.get_for_model(model, for_concrete_model=True)


def text_origin(obj: models.Model, field: str, language: str) -> TextOrigin:
    """Where ``obj``'s ``field`` in ``language`` comes from; official without a row."""
    origin = (
        TextProvenance.objects.filter(
            content_type=_content_type(obj), object_id=obj.pk, field=field, language=language
        )
        .values_list("origin", flat=True)
        .first()
    )
    return TextOrigin(origin) if origin else TextOrigin.OFFICIAL


def text_origins(
    objects: Iterable[models.Model], field: str, language: str
) -> dict[int, TextOrigin]:
    """The origin of ``field`` in ``language`` of each of ``objects`` (all of one model), by
    primary key, in one query: for lists."""
    objects = list(objects)
    if not objects:
        return {}
    origins = {obj.pk: TextOrigin.OFFICIAL for obj in objects}
    rows = TextProvenance.objects.filter(
        content_type=_content_type(objects[0]),
        object_id__in=list(origins),
        field=field,
        language=language,
    ).values_list("object_id", "origin")
    for object_id, origin in rows:
        origins[object_id] = TextOrigin(origin)
    return origins


def text_origins_together(
    wanted: Iterable[tuple[Iterable[models.Model], str]], language: str
) -> list[dict[int, TextOrigin]]:
    """For each ``(objects, field)`` of ``wanted`` (each list of one model), what
    :func:`text_origins` answers, in one query for them all: for a page that shows several
    fields of several records. In the default language (English, the original, which
    :func:`shown_text` never asks about) every text is official and no query is made."""
    lists = [(list(objects), field) for objects, field in wanted]
    answers = [{obj.pk: TextOrigin.OFFICIAL for obj in objects} for objects, _field in lists]
    if not any(answers) or language == settings.MODELTRANSLATION_DEFAULT_LANGUAGE:
        return answers
    condition = models.Q()
    index: dict[tuple[int, str], list[dict[int, TextOrigin]]] = {}
    for (objects, field), answer in zip(lists, answers, strict=True):
        if not objects:
            continue
        content_type = _content_type(objects[0])
        condition |= models.Q(content_type=content_type, object_id__in=list(answer), field=field)
        index.setdefault((content_type.pk, field), []).append(answer)
    rows = TextProvenance.objects.filter(condition, language=language).values_list(
        "content_type_id", "field", "object_id", "origin"
    )
    for content_type_id, field, object_id, origin in rows:
        for answer in index.get((content_type_id, field), []):
            if object_id in answer:
                answer[object_id] = TextOrigin(origin)
    return answers


def text_provenance_set(
    *, obj: models.Model, field: str, language: str, origin: TextOrigin | str
) -> bool:
    """Record where ``obj``'s ``field`` in ``language`` comes from; official removes the row
    (no row is official). Returns whether anything changed, so that loaders stay idempotent."""
    origin = TextOrigin(origin)
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"Unknown language {language!r}.")
    lookup = {
        "content_type": _content_type(obj),
        "object_id": obj.pk,
        "field": field,
        "language": language,
    }
    if origin == TextOrigin.OFFICIAL:
        deleted, _ = TextProvenance.objects.filter(**lookup).delete()
        return bool(deleted)
    row = TextProvenance.objects.filter(**lookup).first()
    if row is None:
        TextProvenance.objects.create(**lookup, origin=origin)
        return True
    if row.origin != origin:
        row.origin = origin
        row.save(update_fields=["origin", "updated_at"])
        return True
    return False


@dataclass(frozen=True)
class ShownText:
    """A translated field as one page shows it: the text, its language and where it comes
    from, with the English source when the text shown is a translation that is not official."""

    text: str
    language: str
    origin: TextOrigin
    source: str
    # The reader's language has no text yet: ``text`` is another language's (the fallback).
    missing: bool = False

    @property
    def needs_status(self) -> bool:
        return self.origin != TextOrigin.OFFICIAL and bool(self.source)


def fallback_languages(language: str) -> list[str]:
    """Where a text missing in ``language`` is looked for, in the order of
    ``MODELTRANSLATION_FALLBACK_LANGUAGES`` (English, Macedonian, Albanian): the order a
    translated field falls back in when read on a record, so that a text looked up here and
    the same field read from its record never differ."""
    fallbacks = modeltranslation_settings.FALLBACK_LANGUAGES
    order = (*fallbacks.get(language, ()), *fallbacks["default"])
    return [code for code in dict.fromkeys(order) if code != language]


def text_in(texts: Mapping[str, str | None], language: str) -> str:
    """A text kept in every language (``{"en": ..., "mk": ..., "sq": ...}``, as figures kept
    in the cache hold names) as a reader of ``language`` reads it: theirs, else the first of
    :func:`fallback_languages` that has one; empty when no language has it."""
    for code in (language, *fallback_languages(language)):
        if text := texts.get(code):
            return text
    return ""


def texts_by_pk(queryset: models.QuerySet[Any], field: str) -> dict[Any, dict[str, str]]:
    """The translated ``field`` of each row of ``queryset`` in every language, by primary key,
    in one query: what :func:`name_or_not_stated` labels and the cache can keep."""
    columns = {code: build_localized_fieldname(field, code) for code, _name in settings.LANGUAGES}
    return {
        row["pk"]: {code: row[column] or "" for code, column in columns.items()}
        for row in queryset.values("pk", *columns.values())
    }


def name_or_not_stated(names: Mapping[str, str | None], language: str | None = None) -> str:
    """The name of what people are counted by (their profession) for a reader of ``language``
    (the active one by default): in it, else in the fallback languages' order (:func:`text_in`),
    else "Not stated" in the reader's language, for the people whose profession nobody
    recorded. The one rule of the dashboard's glance, the trainings' figures, the PDF reports
    and the public site: a profession named only in Macedonian shows in Macedonian to every
    reader rather than as "Not stated"."""
    language = language or active_language()
    if text := text_in(names, language):
        return text
    with translation.override(language):
        return str(NOT_STATED)


def shown_text(
    obj: models.Model, field: str, language: str, *, origin: TextOrigin | None = None
) -> ShownText:
    """What a page in ``language`` shows of ``obj``'s ``field``: the reader's text, or where
    it has none yet the fallback (English, else the other language that has one), marked
    ``missing``. ``origin`` saves the query when a list looked the origins up at once
    (``text_origins``)."""
    default = settings.MODELTRANSLATION_DEFAULT_LANGUAGE
    if not hasattr(obj, f"{field}_{language}"):  # not a translated field
        text = getattr(obj, field, "")
        return ShownText(text=text or "", language=default, origin=TextOrigin.OFFICIAL, source="")
    own = getattr(obj, f"{field}_{language}", None)
    if not own:
        for other in fallback_languages(language):
            if text := getattr(obj, f"{field}_{other}", None):
                return ShownText(
                    text=text, language=other, origin=TextOrigin.OFFICIAL, source="", missing=True
                )
        return ShownText(text="", language=language, origin=TextOrigin.OFFICIAL, source="")
    if language == default:
        # English is the original: it has no provenance, and costs no query.
        return ShownText(text=own, language=language, origin=TextOrigin.OFFICIAL, source="")
    if origin is None:
        origin = text_origin(obj, field, language)
    source = getattr(obj, f"{field}_{default}", "") or ""
    return ShownText(text=own, language=language, origin=origin, source=source)


# --- Texts typed in every language on a portal form -------------------------------------------


def _source_language(texts: dict[str, str], written_in: str) -> str | None:
    """The language a field's texts are translated from: English where it has one; else the
    language the person works in; else the first that has a text."""
    default = str(settings.MODELTRANSLATION_DEFAULT_LANGUAGE)
    for language in [default, written_in, *(code for code, _name in settings.LANGUAGES)]:
        if texts.get(language):
            return language
    return None


@transaction.atomic
def translated_texts_save(
    *,
    obj: models.Model,
    texts: Mapping[str, Mapping[str, str]],
    written_in: str,
    official: bool = False,
    shown: Mapping[str, Mapping[str, str]] | None = None,
    by: Any,
    after_version: int | None = None,
) -> models.Model:
    """Write the texts a person typed on a portal form (``{field: {language: text}}``; a
    language left out keeps its text, an empty one is cleared) and record where each comes
    from: the source text (English, or the language the person wrote in when English has
    none) is official; a Macedonian or Albanian text written or changed beside it is a
    working translation unless ``official`` says the person gives the official wording. An
    unchanged text keeps its origin. ``shown`` is what the form showed (the texts before the
    edit), when the record's own service wrote one language already. ``after_version``, when
    that service saved the record a moment ago in the same edit and transaction, is the
    newest version in the model's history before it (``core.forms.history_mark``): the texts
    then join the version the service wrote rather than add one, so one edit is one version,
    with its author and every field it changed (and one step for an undo). Returns the record
    as stored now."""
    obj = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
    changed: list[str] = []
    origins: list[tuple[str, str, TextOrigin]] = []
    for field, given in texts.items():
        current = {
            code: getattr(obj, f"{field}_{code}", None) or "" for code, _name in settings.LANGUAGES
        }
        before = {**current, **((shown or {}).get(field) or {})}
        final = {**current, **{code: (text or "").strip() for code, text in given.items()}}
        source = _source_language(final, written_in)
        for language in given:
            text = final[language]
            if text != current[language]:
                setattr(obj, f"{field}_{language}", text)
                changed.append(f"{field}_{language}")
            if text == (before[language] or "").strip() and not (text and official):
                continue  # unchanged: its origin stays what it was
            keeps_official = not text or official or language == source
            origins.append(
                (field, language, TextOrigin.OFFICIAL if keeps_official else TextOrigin.WORKING)
            )
    if changed:
        if any(f.name == "updated_at" for f in obj._meta.concrete_fields):
            changed.append("updated_at")
        obj._history_user = by  # type: ignore[attr-defined]  # django-simple-history
        version = None
        if after_version is not None and is_tracked(type(obj)):
            version = (
                history_model(type(obj))
                ._default_manager.filter(**{obj._meta.pk.attname: obj.pk}, pk__gt=after_version)
                .order_by("-pk")
                .first()
            )
        if version is None:
            obj.save(update_fields=changed)
        else:
            obj.save_without_historical_record(  # type: ignore[attr-defined]
                update_fields=changed
            )
            kept = {f.attname for f in version.tracked_fields}  # type: ignore[attr-defined]
            written = [name for name in changed if name in kept]
            for name in written:
                setattr(version, name, getattr(obj, name))
            version.save(update_fields=written)
    for field, language, origin in origins:
        text_provenance_set(obj=obj, field=field, language=language, origin=origin)
    return obj
