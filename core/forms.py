"""Portal forms that edit texts in every language (docs/translations.md, "Editing in three
languages"): one mechanism for every such form.

Each translated field of the form becomes one field per language (``title_en``, ``title_mk``,
``title_sq``, labelled "Title (English)" … in the reader's language, each input with its
``lang``), laid side by side by templates/includes/translated_fields.html, which
templates/includes/form_fields.html uses for every translated item of ``visible_items``. A
required field needs a text in at least one language; a language left empty stays empty (pages
show the fallback, marked "not yet translated", and /translations/ lists it).
``cleaned_data[field]`` still holds one text, the reader's (else the fallback), for the
services that take one.

Two bases:

- ``TranslatedModelForm``: a model whose fields are registered with django-modeltranslation
  (meetings, decisions, trainings). The form asks once whether "These texts are the official
  wording"; ``edit_save`` runs the record's service and writes every language with its
  provenance (``core.translations.translated_texts_save``) as one edit: one transaction, one
  version in the record's history.
- ``TranslatedForm``: a form of no one model (a meeting's attendance, the period narrative):
  its translated fields are named in ``translated_fields`` or given as ``texts`` when it is
  made, and ``instance`` (or ``initial``) gives their stored texts. A form that sets
  ``origin_per_language`` asks beside each Macedonian and Albanian text where it comes from
  (official, working or machine translation) instead of the one tick; ``cleaned_texts`` and
  ``cleaned_origins`` give the services every language.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar, cast

from django import forms
from django.conf import settings
from django.db import models, transaction
from django.db.models import Max
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from modeltranslation.translator import NotRegistered, translator

from core.choices import TextOrigin
from core.history import history_model, is_tracked
from core.translation_work import source_language
from core.translations import fallback_languages, text_origin, translated_texts_save

OFFICIAL_FIELD = "texts_official"
AT_LEAST_ONE = _("Needed in at least one of the three languages.")

RecordT = TypeVar("RecordT", bound=models.Model)


def translated_field_names(model: type[models.Model]) -> tuple[str, ...]:
    """The fields of ``model`` stored once per language; none for a model not registered."""
    try:
        options = translator.get_options_for_model(model)
    except NotRegistered:
        return ()
    return tuple(options.fields)  # type: ignore[attr-defined]


def _languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def texts_initial(obj: models.Model, *names: str) -> dict[str, str]:
    """The stored texts of ``obj``'s translated fields ``names`` in every language, as a
    ``TranslatedForm``'s ``initial`` takes them (``representatives_mk`` …)."""
    return {
        f"{name}_{code}": getattr(obj, f"{name}_{code}", None) or ""
        for name in names
        for code in _languages()
    }


def history_mark(model: type[models.Model]) -> int:
    """The newest version in ``model``'s history now (0 for none, or an untracked model): the
    versions an edit writes after it are that edit's."""
    if not is_tracked(model):
        return 0
    versions = history_model(model)._default_manager
    return int(versions.aggregate(mark=Max("pk"))["mark"] or 0)


@dataclass(frozen=True)
class LanguageInput:
    """A translated field's input in one language, and beside it, on a form that asks it per
    language, where its text comes from (none for the source language, English)."""

    text: forms.BoundField
    origin: forms.BoundField | None


@dataclass(frozen=True)
class TranslatedField:
    """A translated field as the form shows it: a fieldset whose legend is the field's label,
    with one input per language, and the errors of the field as a whole (no language given)."""

    name: str
    id: str
    label: str
    help_text: str
    required: bool
    inputs: list[LanguageInput]
    group_errors: list[str]
    is_translated: bool = True

    @property
    def fields(self) -> list[forms.BoundField]:
        """The text inputs, one per language."""
        return [language.text for language in self.inputs]

    @property
    def help_id(self) -> str:
        return f"{self.id}_helptext"

    @property
    def error_id(self) -> str:
        return f"{self.id}_error"

    @property
    def errors(self) -> bool:
        return bool(self.group_errors) or any(field.errors for field in self.fields)


class TranslatedFieldsMixin(forms.BaseForm):
    """What every form with texts in three languages shares: a form derives from
    ``TranslatedModelForm`` or ``TranslatedForm``, which call ``_translate_fields``."""

    #: Ask beside each translation where it comes from, instead of one "official wording" tick.
    origin_per_language: ClassVar[bool] = False

    def _translate_fields(self, names: Iterable[str]) -> None:
        """Replace each field of ``names`` by one field per language (and, where the form asks
        it, the origin of each translation), in the field's place."""
        language = get_language()
        self.reader_language = language if language in _languages() else settings.LANGUAGE_CODE
        translated = set(names)
        self.translated_names = [name for name in self.fields if name in translated]
        self._groups: dict[str, tuple[str, str, bool]] = {}
        # The languages each field's texts were posted in: all of them from this form's
        # page; only the reader's from a page of before, which sent one ``title``.
        self.posted_languages: dict[str, list[str]] = {}
        data = self.data.copy() if self.is_bound else self.data  # type: ignore[attr-defined]
        fields: dict[str, forms.Field] = {}
        for key, field in self.fields.items():
            if key not in translated:
                fields[key] = field
                continue
            label = capfirst(str(field.label or key))
            notes = [str(field.help_text or ""), str(AT_LEAST_ONE) if field.required else ""]
            help_text = " ".join(note for note in notes if note)
            self._groups[key] = (label, help_text, field.required)
            for code in _languages():
                name = f"{key}_{code}"
                fields[name] = self._language_field(field, label, code)
                if name not in self.initial:
                    self.initial[name] = self._stored(name)
                if self.origin_per_language and code != source_language():
                    fields[f"{key}_origin_{code}"] = self._origin_field(key, code)
            if self.is_bound:
                self.posted_languages[key] = self._posted(data, key)
        if self.translated_names and not self.origin_per_language:
            # The tick follows the last translated field, whose texts it speaks of.
            names_in_order = list(fields)
            last = names_in_order.index(f"{self.translated_names[-1]}_{_languages()[-1]}")
            official = forms.BooleanField(
                label=_("These texts are the official wording"),
                required=False,
                help_text=_(
                    "Tick when every language above is official wording. Otherwise a "
                    "Macedonian or Albanian text written beside the English one is shown as a "
                    "working translation."
                ),
            )
            fields = {
                **{name: fields[name] for name in names_in_order[: last + 1]},
                OFFICIAL_FIELD: official,
                **{name: fields[name] for name in names_in_order[last + 1 :]},
            }
        self.fields = fields
        self.data = data

    def _record(self) -> models.Model | None:
        record: models.Model | None = getattr(self, "instance", None)
        return record

    def _stored(self, name: str) -> str:
        return getattr(self._record(), name, None) or ""

    @staticmethod
    def _language_field(field: forms.Field, label: str, language: str) -> forms.Field:
        copied = copy.deepcopy(field)
        copied.required = False  # at least one language: checked in clean()
        copied.label = f"{label} ({dict(settings.LANGUAGES)[language]})"
        copied.help_text = ""
        copied.widget.attrs["lang"] = language
        return copied

    def _origin_field(self, key: str, language: str) -> forms.ChoiceField:
        record = self._record()
        label = _("Where this text comes from")
        return forms.ChoiceField(
            label=f"{label} ({dict(settings.LANGUAGES)[language]})",
            choices=TextOrigin.choices,
            initial=(
                text_origin(record, key, language)
                if record is not None and record.pk
                else TextOrigin.WORKING
            ),
        )

    def _posted(self, data: Any, key: str) -> list[str]:
        names = [self.add_prefix(f"{key}_{language}") for language in _languages()]
        if any(name in data for name in names):
            return _languages()
        # A page of before sent one text, in the reader's language: the others stay as
        # they are stored.
        data[self.add_prefix(f"{key}_{self.reader_language}")] = data.get(self.add_prefix(key), "")
        for language in _languages():
            if language != self.reader_language:
                data[self.add_prefix(f"{key}_{language}")] = self.initial[f"{key}_{language}"]
        return [self.reader_language]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for key in self.translated_names:
            texts = {
                language: str(cleaned.get(f"{key}_{language}") or "").strip()
                for language in _languages()
            }
            _label, _help, required = self._groups[key]
            fields_valid = all(f"{key}_{language}" in cleaned for language in _languages())
            if required and fields_valid and not any(texts.values()):
                self._group_error(key, _("Write this in at least one of the three languages."))
            # One text for the services that take one: the reader's, else the fallback.
            order = [self.reader_language, *fallback_languages(self.reader_language)]
            cleaned[key] = next((texts[language] for language in order if texts[language]), "")
        return cleaned

    def _group_id(self, key: str) -> str:
        name, auto_id = self.add_prefix(key), str(self.auto_id)
        return auto_id % name if "%s" in auto_id else name

    def _group_error(self, key: str, message: Any) -> None:
        """An error of the field as a whole, kept under its own name (``errors["title"]``)
        and named by each of its inputs, beside their own errors."""
        # ``add_error`` takes only a field of the form: the field as a whole is none.
        self.errors.setdefault(key, self.error_class()).append(message)
        error_id = f"{self._group_id(key)}_error"
        for language in _languages():
            name = f"{key}_{language}"
            own = [f"{self[name].auto_id}_error"] if self.has_error(name) else []
            self.fields[name].widget.attrs["aria-describedby"] = " ".join([error_id, *own])
            self.fields[name].widget.attrs["aria-invalid"] = "true"

    def visible_items(self) -> list[forms.BoundField | TranslatedField]:
        """The visible fields in order, each translated field as one ``TranslatedField``."""
        items: list[forms.BoundField | TranslatedField] = []
        grouped: dict[str, str] = {}
        for name in self.translated_names:
            for language in _languages():
                grouped[f"{name}_{language}"] = name
                grouped[f"{name}_origin_{language}"] = name
        for bound in self.visible_fields():
            key = grouped.get(bound.name)
            if key is None:
                items.append(bound)
            elif bound.name == f"{key}_{_languages()[0]}":
                label, help_text, required = self._groups[key]
                items.append(
                    TranslatedField(
                        name=key,
                        id=self._group_id(key),
                        label=label,
                        help_text=help_text,
                        required=required,
                        inputs=[
                            LanguageInput(
                                text=self[f"{key}_{language}"],
                                origin=(
                                    self[f"{key}_origin_{language}"]
                                    if f"{key}_origin_{language}" in self.fields
                                    else None
                                ),
                            )
                            for language in _languages()
                        ],
                        group_errors=[str(e) for e in self.errors.get(key, [])],
                    )
                )
        return items

    def cleaned_texts(self) -> dict[str, dict[str, str]]:
        """field → language → text, every language, as the services that take them all want
        them (a language a page of before did not send keeps its stored text)."""
        return {
            key: {
                language: str(self.cleaned_data.get(f"{key}_{language}") or "").strip()
                for language in _languages()
            }
            for key in self.translated_names
        }

    def cleaned_origins(self) -> dict[str, dict[str, str]]:
        """field → language → where the translation comes from, on a form that asks it per
        language."""
        return {
            key: {
                language: self.cleaned_data[f"{key}_origin_{language}"]
                for language in _languages()
                if f"{key}_origin_{language}" in self.cleaned_data
            }
            for key in self.translated_names
        }

    def translations_save(
        self, obj: RecordT, *, by: Any, after_version: int | None = None
    ) -> RecordT:
        """Write the texts of every language onto ``obj`` (saved already by its service) with
        their provenance; returns the record as stored. ``after_version``: see
        ``translated_edit_save``, which gives it."""
        texts = {
            key: {
                language: self.cleaned_data.get(f"{key}_{language}") or ""
                for language in self.posted_languages.get(key, [])
            }
            for key in self.translated_names
        }
        saved = translated_texts_save(
            obj=obj,
            texts=texts,
            written_in=self.reader_language,
            official=bool(self.cleaned_data.get(OFFICIAL_FIELD)),
            shown={
                key: {
                    language: str(self.initial.get(f"{key}_{language}") or "")
                    for language in _languages()
                }
                for key in self.translated_names
            },
            by=by,
            after_version=after_version,
        )
        return cast("RecordT", saved)  # the record it was given, read again


def translated_edit_save(
    *,
    edited: Sequence[TranslatedFieldsMixin],
    model: type[models.Model],
    service: Callable[[], Iterable[RecordT]],
    by: Any,
) -> list[RecordT]:
    """Save one edit of records with texts in every language: ``service`` checks and writes
    them (each translated field in the reader's language) and returns them in the order of
    the forms ``edited``; then each form writes its record's texts in every language, with their
    provenance. All in one transaction, and each record's texts join the version its service
    wrote: one edit is one version of a record in its history, with who made it and every
    field it changed, and one step for an undo."""
    with transaction.atomic():
        mark = history_mark(model)
        records = list(service())
        return [
            form.translations_save(record, by=by, after_version=mark)
            for form, record in zip(edited, records, strict=True)
        ]


class TranslatedModelForm(TranslatedFieldsMixin, forms.ModelForm):
    """A ModelForm whose translated fields are edited in every language, side by side."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._translate_fields(translated_field_names(type(self.instance)))

    def edit_save(self, service: Callable[[], RecordT], *, by: Any) -> RecordT:
        """Save the record through its ``service`` (a create or an update) and then its texts
        in every language, as one edit (``translated_edit_save``)."""
        (saved,) = translated_edit_save(
            edited=[self], model=self._meta.model, service=lambda: [service()], by=by
        )
        return saved


class TranslatedForm(TranslatedFieldsMixin, forms.Form):
    """A form of no one model with texts in every language: its fields named in
    ``translated_fields``, and the ``texts`` given when it is made, which come first.
    ``instance`` (or ``initial``, ``texts_initial``) gives their stored texts."""

    #: The declared fields stored once per language.
    translated_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        *args: Any,
        texts: Mapping[str, forms.Field] | None = None,
        instance: models.Model | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.instance = instance
        given = dict(texts or {})
        self.fields = {**given, **self.fields}
        self._translate_fields([*given, *self.translated_fields])
