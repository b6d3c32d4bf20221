"""A drop-down for the long pickers of the participant register's and the training list's
filters.

Django's ``Select`` builds a dictionary for every option and renders it through a template of
its own: a picker of the 2,000 trainings of a programme costs more than the rest of the page.
``LongSelect`` writes the same markup (``django/forms/widgets/select.html``) in Python.
"""

from __future__ import annotations

import html
from typing import Any

from django import forms
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
