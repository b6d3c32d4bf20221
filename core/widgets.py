"""Form widgets written without a template per option, for the filters of every list, the long
pickers of the participant register and the pages with a form on every row (a training's scores
page renders five inputs for each participant).

Django's ``Select`` builds a dictionary for every option and renders it through a template of
its own: about 170 options cost a third of the recommendation list's CPU, and a picker of the
2,000 trainings of a programme costs more than the rest of its page. ``QuickSelect`` writes
the same markup (``django/forms/widgets/select.html``, line breaks and all) in Python.
``quicken_selects`` gives every plain drop-down of a form these widgets; the base filter
classes in ``core.filters`` call it, so a new filter gets them without asking.
``quicken_widgets`` does the same for every plain widget of a form (inputs, text areas,
checkboxes, radio buttons): the forms drawn with hundreds of them call it.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.choices import normalize_choices
from django.utils.safestring import SafeString, mark_safe


def escaped(value: Any) -> str:
    """``conditional_escape`` without its lazy wrapping, which costs more than the escaping
    over thousands of options: HTML already safe as it is, anything else escaped."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


def attributes(attrs: dict[str, Any]) -> str:
    """The attributes as ``django/forms/widgets/attrs.html`` writes them: in their order,
    False left out, True as the bare name."""
    return "".join(
        f" {escaped(name)}" if value is True else f' {escaped(name)}="{escaped(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class _QuickSelectMixin:
    """The rendering of ``forms.Select`` and ``forms.SelectMultiple`` in Python. Choices in
    groups are left to Django's templates."""

    allow_multiple_selected: bool
    attrs: dict[str, Any]
    _choices: Any

    @property
    def choices(self) -> Any:
        return self._choices

    @choices.setter
    def choices(self, value: Any) -> None:
        # A list is kept as it is: normalising 2,000 pairs costs more than writing them out.
        self._choices = value if isinstance(value, list) else normalize_choices(value)

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        # iter(): a list() of a model's choices would count them first, in a query of its own.
        choices = list(iter(self.choices))
        if any(isinstance(label, list | tuple) for _value, label in choices):
            return super().render(name, value, attrs, renderer)  # type: ignore[misc]
        wanted = set(self.format_value(value))  # type: ignore[attr-defined]
        own = self.build_attrs(self.attrs, attrs)  # type: ignore[attr-defined]
        if self.allow_multiple_selected:
            own["multiple"] = True  # as Select.get_context adds it: after the others
        parts = [f'<select name="{escaped(name)}"{attributes(own)}>']
        chosen = False
        for option_value, label in choices:
            shown = "" if option_value is None else str(option_value)
            # As forms.Select does: only the first option of the value is selected, unless
            # the drop-down takes several.
            selected = (self.allow_multiple_selected or not chosen) and shown in wanted
            chosen |= selected
            # Each option on its own line and followed by an empty one, as the included
            # option template (with its final newline) leaves it.
            parts.append(
                f'\n  <option value="{escaped(shown)}"{" selected" if selected else ""}>'
                f"{escaped(label)}</option>\n"
            )
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


class QuickSelect(_QuickSelectMixin, forms.Select):
    """``forms.Select`` with the same markup, written without a template per option."""


class QuickSelectMultiple(_QuickSelectMixin, forms.SelectMultiple):
    """``forms.SelectMultiple`` with the same markup, written without a template per option."""


# Only Django's own two: a subclass (NullBooleanSelect, a widget of another app) may render
# or read its value differently.
_QUICK: dict[type[forms.Widget], type[forms.Widget]] = {
    forms.Select: QuickSelect,
    forms.SelectMultiple: QuickSelectMultiple,
}


def quicken_selects(form: forms.BaseForm) -> None:
    """Write the form's plain drop-downs without a template per option. The widget stays the
    same object, with its attributes, choices and state; only its class, and so how it
    renders, changes (a new widget would have to copy what each field set on the old one).
    A drop-down of records gets ``ListedChoiceIterator``."""
    for field in form.fields.values():
        quick = _QUICK.get(type(field.widget))
        if quick is not None:
            field.widget.__class__ = quick
            # A drop-down of records reads them in one plain query, not through a cursor.
            if isinstance(field, forms.ModelChoiceField) and field.iterator is ModelChoiceIterator:
                choices_listed(field)


# --- Inputs written without a template: the pages with a form on every row -------------------


class QuickInputMixin:
    """An ``<input>`` written as ``django/forms/widgets/input.html`` writes it, from the same
    context (``get_context``), without a template."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        shown = "" if widget["value"] is None else f' value="{escaped(widget["value"])}"'
        return mark_safe(  # noqa: S308 - every value below is escaped
            f'<input type="{escaped(widget["type"])}" name="{escaped(widget["name"])}"'
            f"{shown}{attributes(widget['attrs'])}>"
        )


class QuickNumberInput(QuickInputMixin, forms.NumberInput):
    """``forms.NumberInput``, written without a template."""


class QuickCheckboxInput(QuickInputMixin, forms.CheckboxInput):
    """``forms.CheckboxInput``, written without a template."""


class QuickDateInput(QuickInputMixin, forms.DateInput):
    """``forms.DateInput``, written without a template."""


class QuickHiddenInput(QuickInputMixin, forms.HiddenInput):
    """``forms.HiddenInput``, written without a template."""


def _input(widget: dict[str, Any]) -> str:
    """``django/forms/widgets/input.html`` (rendered inside another template: with its
    final newline)."""
    shown = "" if widget["value"] is None else f' value="{escaped(widget["value"])}"'
    return (
        f'<input type="{escaped(widget["type"])}" name="{escaped(widget["name"])}"'
        f"{shown}{attributes(widget['attrs'])}>\n"
    )


def _option(option: dict[str, Any]) -> str:
    """``django/forms/widgets/checkbox_option.html`` and the ``input_option.html`` it
    includes, each with its final newline."""
    if not option["wrap_label"]:
        return _input(option) + "\n\n"
    target = option["attrs"].get("id")
    opening = f'<label for="{escaped(target)}">' if target else "<label>"
    return f"{opening}{_input(option)} {escaped(option['label'])}</label>\n\n"


class QuickTextInput(QuickInputMixin, forms.TextInput):
    """``forms.TextInput``, written without a template."""


class QuickTextarea(forms.Textarea):
    """``forms.Textarea`` with the same markup (``django/forms/widgets/textarea.html``),
    written without a template."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        # As the template's ``{% if widget.value %}``: an empty text writes nothing.
        text = escaped(widget["value"]) if widget["value"] else ""
        return mark_safe(  # noqa: S308 - every value here is escaped
            f'<textarea name="{escaped(widget["name"])}"{attributes(widget["attrs"])}>\n'
            f"{text}</textarea>"
        )


class _QuickMultipleInputMixin:
    """The rendering of ``django/forms/widgets/multiple_input.html`` (a list of checkboxes
    or radio buttons) in Python, without a template per option."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        own = widget["attrs"]
        parts = [
            "<div",
            f' id="{escaped(own["id"])}"' if own.get("id") else "",
            f' class="{escaped(own["class"])}"' if own.get("class") else "",
            ">",
        ]
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append(f"\n  <div><label>{escaped(group)}</label>")
            parts.extend(f"<div>\n    {_option(option)}</div>" for option in options)
            if group:
                parts.append("\n  </div>")
        parts.append("\n</div>")
        # As the template renderer does, the whole is stripped of surrounding white space.
        return mark_safe("".join(parts).strip())  # noqa: S308 - every value above is escaped


class QuickCheckboxSelectMultiple(_QuickMultipleInputMixin, forms.CheckboxSelectMultiple):
    """``forms.CheckboxSelectMultiple`` with the same markup, written without a template per
    option."""


class QuickRadioSelect(_QuickMultipleInputMixin, forms.RadioSelect):
    """``forms.RadioSelect`` with the same markup, written without a template per option."""


# Only Django's own classes, as ``_QUICK``: a subclass may render or read its value otherwise.
_QUICK_WIDGETS: dict[type[forms.Widget], type[forms.Widget]] = {
    **_QUICK,
    forms.TextInput: QuickTextInput,
    forms.NumberInput: QuickNumberInput,
    forms.CheckboxInput: QuickCheckboxInput,
    forms.DateInput: QuickDateInput,
    forms.HiddenInput: QuickHiddenInput,
    forms.Textarea: QuickTextarea,
    forms.CheckboxSelectMultiple: QuickCheckboxSelectMultiple,
    forms.RadioSelect: QuickRadioSelect,
}


def quicken_widgets(form: forms.BaseForm) -> None:
    """Write every plain Django widget of the form without a template: ``quicken_selects``
    for its drop-downs, and the inputs, text areas, checkboxes and radio buttons besides. The
    widgets stay the same objects, as there; only their class changes."""
    quicken_selects(form)
    for field in form.fields.values():
        quick = _QUICK_WIDGETS.get(type(field.widget))
        if quick is not None:
            field.widget.__class__ = quick


class ListedChoiceIterator(ModelChoiceIterator):
    """A model picker's choices, the same pairs as ``ModelChoiceIterator``'s, read in one
    plain query when the picker is rendered: Django's reads them through a server-side cursor
    (``QuerySet.iterator()``), three round trips to the database for each picker. Read through
    ``.all()``: iterating the field's own queryset would keep its rows for every later form
    (a form class's fields are shared by its instances' deep copies only until first read)."""

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


def choices_listed(field: forms.ModelChoiceField[Any]) -> None:
    """Have the picker read its choices with ``ListedChoiceIterator``. Call it after setting
    the field's queryset."""
    field.iterator = ListedChoiceIterator
    field.widget.choices = field.choices
