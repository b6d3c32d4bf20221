"""The indicator settings form and the meeting attendance form write their widgets without a
template, to the same HTML as Django's widgets: unbound and sent back with errors,
in English, Macedonian and Albanian, with the same queries."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from core.forms import texts_initial
from core.widgets import (
    QuickCheckboxInput,
    QuickCheckboxSelectMultiple,
    QuickDateInput,
    QuickHiddenInput,
    QuickNumberInput,
    QuickRadioSelect,
    QuickSelect,
    QuickSelectMultiple,
    QuickTextarea,
    QuickTextInput,
    quicken_widgets,
)
from programme.forms import AttendanceFormSet, IndicatorSettingsForm
from programme.models import Indicator, Meeting, MeetingAttendance
from stakeholders.models import Institution

pytestmark = pytest.mark.django_db

# Each quick widget and Django's widget it stands for.
_DJANGO: dict[type[forms.Widget], type[forms.Widget]] = {
    QuickSelect: forms.Select,
    QuickSelectMultiple: forms.SelectMultiple,
    QuickTextInput: forms.TextInput,
    QuickNumberInput: forms.NumberInput,
    QuickCheckboxInput: forms.CheckboxInput,
    QuickDateInput: forms.DateInput,
    QuickHiddenInput: forms.HiddenInput,
    QuickTextarea: forms.Textarea,
    QuickCheckboxSelectMultiple: forms.CheckboxSelectMultiple,
    QuickRadioSelect: forms.RadioSelect,
}
LANGUAGES = ["en", "mk", "sq"]


def _as_django(form: forms.BaseForm) -> forms.BaseForm:
    """The same form with Django's own widgets back."""
    for field in form.fields.values():
        django = _DJANGO.get(type(field.widget))
        if django is not None:
            field.widget.__class__ = django
    return form


def _all_quick(form: forms.BaseForm) -> None:
    slow = {
        name: type(field.widget).__name__
        for name, field in form.fields.items()
        if type(field.widget) in _DJANGO.values()
    }
    assert not slow, f"written through Django's templates: {slow}"


# --- Each widget on its own: escaping, empty values, attributes --------------------------------


class _Everything(forms.Form):
    """A field of every widget ``quicken_widgets`` swaps, with awkward values."""

    text = forms.CharField(widget=forms.TextInput(attrs={"lang": "mk", "class": "a&b"}))
    number = forms.DecimalField(required=False)
    tick = forms.BooleanField(required=False)
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    pick = forms.ChoiceField(choices=[("", "—"), ("a", "Apples & <pears>"), ("b", "Ѓорѓи")])
    picks = forms.MultipleChoiceField(choices=[("a", "A"), ("b", 'Çlirim "Ç"')], required=False)
    boxes = forms.MultipleChoiceField(
        choices=[("a", "Apples & <pears>"), ("b", "Ѓорѓи")],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    radio = forms.ChoiceField(
        choices=[("x", "Да"), ("y", "Po <b>")], widget=forms.RadioSelect, required=False
    )
    # Subclasses are left alone: they may render or read their value otherwise.
    maybe = forms.NullBooleanField(required=False)
    moment = forms.SplitDateTimeField(required=False)


@pytest.mark.parametrize(
    "data",
    [
        None,
        {
            "text": 'Ѓ "quoted" & <b>',
            "number": "12.5",
            "tick": "on",
            "day": "2025-02-30",
            "hidden": "<x>",
            "notes": "\nFirst line & <i>\nSecond ‘line’\n",
            "pick": "b",
            "picks": ["a", "b"],
            "boxes": ["b"],
            "radio": "y",
        },
        {"text": "", "notes": "", "pick": "zzz", "boxes": ["nope"], "radio": "q"},
    ],
    ids=["unbound", "filled", "errors"],
)
def test_every_quick_widget_writes_what_django_s_writes(data: dict[str, Any] | None) -> None:
    form = _Everything(data)
    quicken_widgets(form)
    _all_quick(form)
    assert type(form.fields["maybe"].widget) is forms.NullBooleanSelect
    assert type(form.fields["moment"].widget) is forms.SplitDateTimeWidget
    django = _as_django(_Everything(data))
    if data is not None:
        assert form.is_valid() == django.is_valid()
    for name in form.fields:
        assert str(form[name]) == str(django[name]), name
    if data and data.get("notes"):
        # Django's template starts the text on a new line, as browsers drop the first one.
        assert "<textarea" in str(form["notes"])
        assert ">\n\nFirst line &amp; &lt;i&gt;" in str(form["notes"])


def test_only_the_form_s_own_widgets_change() -> None:
    form = _Everything()
    quicken_widgets(form)
    assert type(_Everything.base_fields["notes"].widget) is forms.Textarea
    assert type(_Everything.base_fields["radio"].widget) is forms.RadioSelect
    assert type(_Everything().fields["boxes"].widget) is forms.CheckboxSelectMultiple


# --- The indicator settings form ---------------------------------------------------------------


def _settings_form(indicator: Indicator, data: dict[str, Any] | None) -> IndicatorSettingsForm:
    periods = list(indicator.outcome.action.periods.order_by("start_date"))
    targets = {row.period_id: row.target for row in indicator.values.all()}
    return IndicatorSettingsForm(data, indicator=indicator, periods=periods, targets=targets)


def _settings_html(form: IndicatorSettingsForm) -> tuple[str, int]:
    """Every field as the settings page writes it, and the queries that took."""
    with CaptureQueriesContext(connection) as queries:
        fields = [
            *form.base_fields_shown(),
            *(field for group in form.parameter_groups() for field in group.fields),
            *form.target_fields(),
        ]
        markup = "".join(
            render_to_string("programme/results/field.html", {"field": field}) for field in fields
        )
        markup += render_to_string("includes/form_errors.html", {"form": form})
    return markup, len(queries)


def _indicator() -> Indicator:
    """A computed indicator whose calculation has settings, with periods to set targets for."""
    indicator = (
        Indicator.objects.filter(outcome__action__periods__isnull=False)
        .select_related("outcome__action")
        .distinct()
        .first()
    )
    assert indicator is not None, "the demo has no indicator with periods"
    indicator.kind = "computed"
    indicator.calculation = "participants_trained"
    indicator.parameters = {"topics": [], "professional_groups": []}
    return indicator


def _settings_errors(form: IndicatorSettingsForm) -> dict[str, Any]:
    """The form as shown, sent back with a wrong value in every kind of field."""
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        if isinstance(field, forms.MultipleChoiceField):
            choices: Any = field.choices
            options = [str(value) for value, _label in choices]
            data[name] = [*options[:1], "999999"]  # one chosen, one not among the options
        elif isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
            data[name] = "not-an-option"
        elif isinstance(field, forms.DecimalField):
            data[name] = "-3"
        elif isinstance(field, forms.BooleanField):
            data[name] = "on"
    data["kind"] = "computed"
    data["baseline"] = "many"
    return data


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("bound", [False, True], ids=["unbound", "errors"])
def test_the_settings_form_writes_what_django_s_widgets_write(
    demo: dict[str, Any], bound: bool, language: str
) -> None:
    indicator = _indicator()
    with translation.override(language):
        data = _settings_errors(_settings_form(indicator, None)) if bound else None
        form = _settings_form(indicator, data)
        _all_quick(form)
        assert isinstance(form.fields["kind"].widget, QuickRadioSelect)
        ours, our_queries = _settings_html(form)
        django_form = _as_django(_settings_form(indicator, data))
        assert isinstance(django_form, IndicatorSettingsForm)
        django, django_queries = _settings_html(django_form)
        if bound:
            assert not form.is_valid()
            assert form.errors == django_form.errors
            assert {"baseline", "calculation", "aggregation"} <= set(form.errors)
    assert ours == django
    assert our_queries == django_queries
    assert ours.count('type="checkbox"') > 20  # the lists of topics and professional groups
    assert ours.count("<option ") > 20


def test_the_settings_form_reads_each_option_list_once(demo: dict[str, Any]) -> None:
    """Topics and professional groups are offered by several calculations: one query each,
    however many fields offer them, drawn and validated."""
    indicator = _indicator()
    with CaptureQueriesContext(connection) as queries:
        form = _settings_form(indicator, None)
        _settings_html(form)
        bound = _settings_form(indicator, _settings_errors(form))
        bound.is_valid()
    tables = ['"trainings_topic"', '"stakeholders_professionalgroup"']
    for table in tables:
        reads = [q for q in queries.captured_queries if f"FROM {table}" in q["sql"]]
        assert len(reads) == 2, (table, len(reads))  # once for each of the two forms


# --- The meeting attendance form ---------------------------------------------------------------


def _attendance_formset(meeting: Meeting, data: dict[str, Any] | None) -> Any:
    initial = [
        {"institution": a.institution_id, **texts_initial(a, "representatives")}
        for a in meeting.attendance.all()
    ]
    return AttendanceFormSet(data, initial=initial, prefix="attendance")


def _attendance_html(formset: Any, empty: forms.BaseForm) -> str:
    """The formset as the attendance page writes it, and the empty form of a new row (made
    anew on each read of ``empty_form``)."""
    parts = [str(formset.management_form)]
    parts.extend(render_to_string("includes/form_fields.html", {"form": form}) for form in formset)
    parts.append(render_to_string("includes/form_fields.html", {"form": empty}))
    return "".join(parts)


def _meeting(demo: dict[str, Any]) -> Meeting:
    meeting = Meeting.objects.get(number=4)
    for institution in Institution.objects.order_by("pk")[:4]:
        MeetingAttendance.objects.get_or_create(
            meeting=meeting,
            institution=institution,
            defaults={
                "representatives_en": "A director & <adviser>\nAn adviser",
                "representatives_mk": "Директор\nСоветник",
            },
        )
    return meeting


def _attendance_errors(meeting: Meeting) -> dict[str, str]:
    """The form sent back with an institution twice, an unknown one and a row deleted."""
    rows = list(meeting.attendance.order_by("pk"))
    data = {
        "attendance-TOTAL_FORMS": str(len(rows) + 2),
        "attendance-INITIAL_FORMS": str(len(rows)),
        "attendance-MIN_NUM_FORMS": "0",
        "attendance-MAX_NUM_FORMS": "1000",
    }
    for index in range(len(rows)):
        data[f"attendance-{index}-institution"] = str(rows[0].institution_id)
        data[f"attendance-{index}-representatives_en"] = f"Row {index} “quoted” & <b>"
    data["attendance-1-DELETE"] = "on"
    data[f"attendance-{len(rows)}-institution"] = "999999"
    return data


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("bound", [False, True], ids=["unbound", "errors"])
def test_the_attendance_form_writes_what_django_s_widgets_write(
    demo: dict[str, Any], bound: bool, language: str
) -> None:
    meeting = _meeting(demo)
    data = _attendance_errors(meeting) if bound else None
    with translation.override(language):
        formset = _attendance_formset(meeting, data)
        quick_empty = formset.empty_form
        for form in [*formset, quick_empty, formset.management_form]:
            _all_quick(form)
        assert isinstance(formset.forms[0].fields["DELETE"].widget, QuickCheckboxInput)
        textareas = [
            field
            for field in formset.forms[0].fields.values()
            if type(field.widget) is QuickTextarea
        ]
        assert len(textareas) == 3  # the representatives in each language
        with CaptureQueriesContext(connection) as ours_queries:
            ours = _attendance_html(formset, quick_empty)
        django_formset = _attendance_formset(meeting, data)
        for form in [*django_formset, django_formset.management_form]:
            _as_django(form)
        empty = _as_django(django_formset.empty_form)
        with CaptureQueriesContext(connection) as django_queries:
            django = _attendance_html(django_formset, empty)
        if bound:
            assert not formset.is_valid()
            assert formset.errors == django_formset.errors
            assert any(formset.errors)
    assert type(empty.fields["representatives_en"].widget) is forms.Textarea
    assert ours == django
    assert len(ours_queries) == len(django_queries)
    assert ours.count("<textarea ") == 3 * (len(formset.forms) + 1)
