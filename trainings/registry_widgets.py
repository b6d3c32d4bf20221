"""A drop-down for the long pickers of the participant register's and the training list's
filters, and the inputs of the pages with a form on every row.

Django's ``Select`` builds a dictionary for every option and renders it through a template of
its own: a picker of the 2,000 trainings of a programme costs more than the rest of the page.
``LongSelect`` writes the same markup (``django/forms/widgets/select.html``) in Python. So do
the ``Quick…Input`` widgets for ``django/forms/widgets/input.html``: a training's scores page
renders five inputs for each of its participants.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.choices import normalize_choices
from django.utils.safestring import SafeString, mark_safe


def _escaped(value: Any) -> str:
    """``conditional_escape`` without its lazy wrapping, which costs more than the escaping
    over thousands of options: HTML already safe as it is, anything else escaped."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


def _attributes(attrs: dict[str, Any]) -> str:
    """The attributes as ``django/forms/widgets/attrs.html`` writes them: in their order,
    False left out, True as the bare name."""
    return "".join(
        f" {_escaped(name)}" if value is True else f' {_escaped(name)}="{_escaped(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class LongSelect(forms.Select):
    """``forms.Select`` with the same markup, written without a template per option. Choices
    in groups are left to ``forms.Select``."""

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
            return super().render(name, value, attrs, renderer)
        wanted = set(self.format_value(value))
        parts = [
            f'<select name="{_escaped(name)}"{_attributes(self.build_attrs(self.attrs, attrs))}>'
        ]
        chosen = False
        for option_value, label in choices:
            shown = "" if option_value is None else str(option_value)
            # As forms.Select does: only the first option of the value is selected.
            selected = not chosen and shown in wanted
            chosen |= selected
            parts.append(
                f'\n  <option value="{_escaped(shown)}"{" selected" if selected else ""}>'
                f"{_escaped(label)}</option>"
            )
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped


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
        shown = "" if widget["value"] is None else f' value="{_escaped(widget["value"])}"'
        return mark_safe(  # noqa: S308 - every value below is escaped
            f'<input type="{_escaped(widget["type"])}" name="{_escaped(widget["name"])}"'
            f"{shown}{_attributes(widget['attrs'])}>"
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
    shown = "" if widget["value"] is None else f' value="{_escaped(widget["value"])}"'
    return (
        f'<input type="{_escaped(widget["type"])}" name="{_escaped(widget["name"])}"'
        f"{shown}{_attributes(widget['attrs'])}>\n"
    )


def _option(option: dict[str, Any]) -> str:
    """``django/forms/widgets/checkbox_option.html`` and the ``input_option.html`` it
    includes, each with its final newline."""
    if not option["wrap_label"]:
        return _input(option) + "\n\n"
    target = option["attrs"].get("id")
    opening = f'<label for="{_escaped(target)}">' if target else "<label>"
    return f"{opening}{_input(option)} {_escaped(option['label'])}</label>\n\n"


class QuickCheckboxSelectMultiple(forms.CheckboxSelectMultiple):
    """``forms.CheckboxSelectMultiple`` with the same markup
    (``django/forms/widgets/multiple_input.html``), written without a template per option."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        own = widget["attrs"]
        parts = [
            "<div",
            f' id="{_escaped(own["id"])}"' if own.get("id") else "",
            f' class="{_escaped(own["class"])}"' if own.get("class") else "",
            ">",
        ]
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append(f"\n  <div><label>{_escaped(group)}</label>")
            parts.extend(f"<div>\n    {_option(option)}</div>" for option in options)
            if group:
                parts.append("\n  </div>")
        parts.append("\n</div>")
        # As the template renderer does, the whole is stripped of surrounding white space.
        return mark_safe("".join(parts).strip())  # noqa: S308 - every value above is escaped


class ListedChoiceIterator(ModelChoiceIterator):
    """A model picker's choices, the same pairs as ``ModelChoiceIterator``'s, read in one
    plain query when the picker is rendered: Django's reads them through a server-side cursor
    (``QuerySet.iterator()``), three round trips to the database for each picker."""

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


def choices_listed(field: forms.ModelChoiceField[Any]) -> None:
    """Have the picker read its choices with ``ListedChoiceIterator``. Call it after setting
    the field's queryset."""
    field.iterator = ListedChoiceIterator
    field.widget.choices = field.choices
