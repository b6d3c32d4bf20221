"""Portal forms that edit a record's translated fields in every language (docs/translations.md,
"Editing in three languages").

A ``ModelForm`` whose model registers fields with django-modeltranslation derives from
``TranslatedModelForm``: each translated field in the form becomes one field per language
(``title_en``, ``title_mk``, ``title_sq``, labelled "Title (English)" … in the reader's
language, each input with its ``lang``), laid side by side by
templates/includes/translated_fields.html. A field the model requires needs a text in at least
one language; a language left empty stays empty (pages show the fallback, marked "not yet
translated", and /translations/ lists it). ``cleaned_data[field]`` still holds one text, the
reader's (else the fallback), for the services that take it; after the service, the view calls
``translations_save`` to write every language with its provenance.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from modeltranslation.translator import NotRegistered, translator

from core.translations import fallback_languages, translated_texts_save

OFFICIAL_FIELD = "texts_official"
AT_LEAST_ONE = _("Needed in at least one of the three languages.")


def translated_field_names(model: type[models.Model]) -> tuple[str, ...]:
    """The fields of ``model`` stored once per language; none for a model not registered."""
    try:
        options = translator.get_options_for_model(model)
    except NotRegistered:
        return ()
    return tuple(options.fields)  # type: ignore[attr-defined]


def _languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


@dataclass(frozen=True)
class TranslatedField:
    """A translated field as the form shows it: a fieldset whose legend is the field's label,
    with one input per language, and the errors of the field as a whole (no language given)."""

    name: str
    id: str
    label: str
    help_text: str
    required: bool
    fields: list[forms.BoundField]
    group_errors: list[str]
    is_translated: bool = True

    @property
    def help_id(self) -> str:
        return f"{self.id}_helptext"

    @property
    def error_id(self) -> str:
        return f"{self.id}_error"

    @property
    def errors(self) -> bool:
        return bool(self.group_errors) or any(field.errors for field in self.fields)


class TranslatedModelForm(forms.ModelForm):
    """A ModelForm whose translated fields are edited in every language, side by side."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        language = get_language()
        self.reader_language = language if language in _languages() else settings.LANGUAGE_CODE
        translated = set(translated_field_names(type(self.instance)))
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
            for language in _languages():
                name = f"{key}_{language}"
                fields[name] = self._language_field(field, label, language)
                if name not in self.initial:
                    self.initial[name] = getattr(self.instance, name, None) or ""
            if self.is_bound:
                self.posted_languages[key] = self._posted(data, key)
        if self.translated_names:
            # The tick follows the last translated field, whose texts it speaks of.
            names = list(fields)
            last = names.index(f"{self.translated_names[-1]}_{_languages()[-1]}")
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
                **{name: fields[name] for name in names[: last + 1]},
                OFFICIAL_FIELD: official,
                **{name: fields[name] for name in names[last + 1 :]},
            }
        self.fields = fields
        self.data = data

    @staticmethod
    def _language_field(field: forms.Field, label: str, language: str) -> forms.Field:
        copied = copy.deepcopy(field)
        copied.required = False  # at least one language: checked in clean()
        copied.label = f"{label} ({dict(settings.LANGUAGES)[language]})"
        copied.help_text = ""
        copied.widget.attrs["lang"] = language
        return copied

    def _posted(self, data: Any, key: str) -> list[str]:
        names = [f"{key}_{language}" for language in _languages()]
        if any(name in data for name in names):
            return _languages()
        # A page of before sent one text, in the reader's language: the others stay as
        # they are stored.
        data[f"{key}_{self.reader_language}"] = data.get(key, "")
        for language in _languages():
            if language != self.reader_language:
                data[f"{key}_{language}"] = self.initial[f"{key}_{language}"]
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
        grouped = {
            f"{key}_{language}": key for key in self.translated_names for language in _languages()
        }
        for bound in self.visible_fields():
            key = grouped.get(bound.name)
            if key is None:
                items.append(bound)
            elif bound.name.endswith(f"_{_languages()[0]}"):
                label, help_text, required = self._groups[key]
                items.append(
                    TranslatedField(
                        name=key,
                        id=self._group_id(key),
                        label=label,
                        help_text=help_text,
                        required=required,
                        fields=[self[f"{key}_{language}"] for language in _languages()],
                        group_errors=[str(e) for e in self.errors.get(key, [])],
                    )
                )
        return items

    def translations_save(self, obj: models.Model, *, by: Any) -> models.Model:
        """Write the texts of every language onto ``obj`` (saved already by its service) with
        their provenance; returns the record as stored."""
        texts = {
            key: {
                language: self.cleaned_data.get(f"{key}_{language}") or ""
                for language in self.posted_languages.get(key, [])
            }
            for key in self.translated_names
        }
        return translated_texts_save(
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
        )
