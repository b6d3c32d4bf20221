"""The base classes of the lists' filters: their drop-downs are written without a template per
option (``core.widgets.quicken_selects``), whichever widgets django-filter or a field picks."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms

from core.widgets import quicken_selects


class FilterSet(django_filters.FilterSet):
    """A list's filters (django-filter), with quick drop-downs."""

    @property
    def form(self) -> forms.Form:
        # django-filter builds the form once and keeps it as ``_form``: quicken it then.
        # (Through a property, not ``Meta.form``: a subclass's own Meta would drop that.)
        if not hasattr(self, "_form"):
            quicken_selects(super().form)
        form: forms.Form = self._form
        return form


class FilterForm(forms.Form):
    """A list's filters as a plain form, with quick drop-downs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        quicken_selects(self)
