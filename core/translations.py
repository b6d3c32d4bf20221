"""Where a translated text comes from (docs/translations.md).

A record's translated field (django-modeltranslation: ``title_en``, ``title_mk``, ``title_sq``)
holds one text per language. ``TextProvenance`` says, per record, field and language, whether
that text is the official wording, a working translation by the programme team or a machine
translation awaiting review. No row means official: the English originals, and what an
administrator types in a language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models

from core.choices import TextOrigin
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

    @property
    def needs_status(self) -> bool:
        return self.origin != TextOrigin.OFFICIAL and bool(self.source)


def shown_text(
    obj: models.Model, field: str, language: str, *, origin: TextOrigin | None = None
) -> ShownText:
    """What a page in ``language`` shows of ``obj``'s ``field``: the reader's text, or the
    English one (the fallback) when the reader's language has none. ``origin`` saves the
    query when a list looked the origins up at once (``text_origins``)."""
    default = settings.MODELTRANSLATION_DEFAULT_LANGUAGE
    own = getattr(obj, f"{field}_{language}", None) if language != default else None
    if not own:
        english = getattr(obj, f"{field}_{default}", None)
        text = english if english is not None else getattr(obj, field, "")
        return ShownText(text=text or "", language=default, origin=TextOrigin.OFFICIAL, source="")
    if origin is None:
        origin = text_origin(obj, field, language)
    source = getattr(obj, f"{field}_{default}", "") or ""
    return ShownText(text=own, language=language, origin=origin, source=source)
