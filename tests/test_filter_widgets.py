"""The lists' filters write their drop-downs without a template per option: every
filter's form gets the quick widgets through one base class, and writes the same HTML as
Django's widgets, with the same queries, in English, Macedonian and Albanian."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import django_filters
import pytest
from django import forms
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from core.filters import FilterForm, FilterSet
from core.widgets import QuickSelect, QuickSelectMultiple, quicken_selects
from programme.filters import MeetingFilter
from programme.models import Meeting
from recommendations.filters import RecommendationFilterForm
from research.filters import StudyFilter
from research.models import Study
from stakeholders.filters import InstitutionFilter
from stakeholders.models import Institution
from trainings.filters import TrainingFilter
from trainings.models import Training

# Each list's filter form, bound to the data given (None: unbound, as a first visit).
FORMS: dict[str, Callable[[dict[str, Any] | None], forms.Form]] = {
    "recommendations": lambda data: RecommendationFilterForm(data),
    "meetings": lambda data: MeetingFilter(data, queryset=Meeting.objects.all()).form,
    "studies": lambda data: StudyFilter(data, queryset=Study.objects.all()).form,
    "institutions": lambda data: InstitutionFilter(data, queryset=Institution.objects.all()).form,
    "trainings": lambda data: TrainingFilter(data, queryset=Training.objects.all()).form,
}

_DJANGO = {QuickSelect: forms.Select, QuickSelectMultiple: forms.SelectMultiple}


def _as_django(form: forms.Form) -> forms.Form:
    """The same form with Django's own drop-downs back."""
    for field in form.fields.values():
        django = _DJANGO.get(type(field.widget))
        if django is not None:
            field.widget.__class__ = django
    return form


def _drop_downs(form: forms.Form) -> dict[str, forms.Field]:
    return {
        name: field
        for name, field in form.fields.items()
        if isinstance(field.widget, forms.Select | forms.SelectMultiple)
    }


def _chosen(form: forms.Form) -> dict[str, Any]:
    """The last option of every drop-down: a value that is not the first, selected one."""
    data: dict[str, Any] = {}
    for name, field in _drop_downs(form).items():
        choices = list(iter(field.widget.choices))
        assert len(choices) > 1, f"{name} offers nothing to choose"
        data[name] = str(choices[-1][0])
    return data


def _normalised(markup: str) -> str:
    return re.sub(r"\s+", " ", markup).strip()


def _rendered(form: forms.Form) -> tuple[str, int]:
    """The filters as the lists include them, and the queries that took."""
    with CaptureQueriesContext(connection) as queries:
        markup = render_to_string("includes/filters.html", {"form": form})
    return markup, len(queries)


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
@pytest.mark.parametrize("chosen", [False, True], ids=["unbound", "chosen"])
@pytest.mark.parametrize("name", list(FORMS))
def test_every_list_filter_writes_what_django_s_widgets_write(
    demo: dict[str, Any], name: str, chosen: bool, language: str
) -> None:
    build = FORMS[name]
    with translation.override(language):
        data = _chosen(build(None)) if chosen else None
        form = build(data)
        assert _drop_downs(form), f"the {name} filters have no drop-down"
        assert all(
            type(field.widget) in (QuickSelect, QuickSelectMultiple)
            for field in _drop_downs(form).values()
        )
        ours, our_queries = _rendered(form)
        django, django_queries = _rendered(_as_django(build(data)))
    assert _normalised(ours) == _normalised(django)
    # Line breaks and all, as the templates write them.
    assert ours == django
    assert our_queries == django_queries
    if data is not None:
        assert ours.count(" selected>") == len(data)


class _Fruit(FilterSet):
    """A filter as a new list would write it, with what django-filter picks."""

    kind = django_filters.ChoiceFilter(
        choices=[("a", "Apples & <pears>"), ("b", 'Ѓорѓи "Gjorgji"'), ("c", "Çlirim 'Ç'")]
    )
    kinds = django_filters.MultipleChoiceFilter(
        choices=[("a", "Apples & <pears>"), ("b", 'Ѓорѓи "Gjorgji"'), ("c", "Çlirim")]
    )
    grouped = django_filters.ChoiceFilter(
        choices=[("Fruit", [("a", "Apple"), ("b", "Pear")]), ("c", "Carrot")]
    )
    ripe = django_filters.BooleanFilter()

    class Meta:
        model = Institution
        fields: list[str] = []


@pytest.mark.parametrize(
    "data",
    [None, {"kind": "b", "kinds": ["a", "c"], "grouped": "b", "ripe": "true"}, {"kind": "x"}],
    ids=["unbound", "chosen", "invalid"],
)
def test_a_new_filter_gets_the_quick_drop_downs_without_asking(data: dict[str, Any] | None) -> None:
    form = _Fruit(data, queryset=Institution.objects.none()).form
    assert type(form.fields["kind"].widget) is QuickSelect
    assert type(form.fields["kinds"].widget) is QuickSelectMultiple
    # Another kind of drop-down is left as it is: it reads its own choices.
    assert type(form.fields["ripe"].widget) is forms.NullBooleanSelect
    django = _as_django(_Fruit(data, queryset=Institution.objects.none()).form)
    for name in form.fields:
        assert str(form[name]) == str(django[name]), name
    if data and "kinds" in data:
        assert str(form["kinds"]).count(" selected>") == 2
        assert " multiple>" in str(form["kinds"])
    assert "&amp; &lt;pears&gt;" in str(form["kind"])


def test_a_plain_filter_form_gets_them_too() -> None:
    class Plain(FilterForm):
        colour = forms.ChoiceField(choices=[("", "Any"), ("r", "Red")], required=False)
        colours = forms.MultipleChoiceField(choices=[("r", "Red"), ("g", "Green")])

    form = Plain({"colour": "r", "colours": ["r", "g"]})
    assert type(form.fields["colour"].widget) is QuickSelect
    assert type(form.fields["colours"].widget) is QuickSelectMultiple
    # Its class's own fields keep Django's widgets: only the form's copies change.
    assert type(Plain.base_fields["colour"].widget) is forms.Select
    assert str(form["colour"]) == str(_as_django(Plain({"colour": "r"}))["colour"])


@pytest.mark.django_db
def test_a_model_drop_down_reads_its_choices_once_without_counting_them() -> None:
    """As Django's widget does: the choices are read, never counted first (a list() of them
    would ask the database for their number in a query of its own)."""

    class Pick(forms.Form):
        institution: forms.ModelChoiceField[Institution] = forms.ModelChoiceField(
            queryset=Institution.objects.order_by("pk")
        )

    form = Pick()
    quicken_selects(form)
    with CaptureQueriesContext(connection) as ours:
        str(form["institution"])
    with CaptureQueriesContext(connection) as django:
        str(_as_django(Pick())["institution"])
    assert len(ours) == len(django)
    assert not any("COUNT(" in query["sql"].upper() for query in ours.captured_queries)
