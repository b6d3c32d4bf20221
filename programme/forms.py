"""Forms of the programme's pages: recording meetings and reporting progress on an action
point, and reported indicator values with their review and evidence."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.forms.formsets import ManagementForm
from django.utils.functional import cached_property
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

from core.basemodels import NO_VICTIM_DETAILS
from core.collation import alphabetical
from core.forms import TranslatedForm, TranslatedModelForm
from core.uploads import ALLOWED_EXTENSIONS, validate_upload
from core.widgets import QuickSelect, quicken_widgets
from programme.calculations import Calculation, calculation_choices, calculations
from programme.choices import Aggregation, Direction, IndicatorKind
from programme.models import (
    Action,
    ActionPoint,
    Decision,
    Indicator,
    Meeting,
    Outcome,
    ReportingPeriod,
)
from stakeholders.models import Institution


class ActionPointForm(forms.ModelForm):
    """Only the progress fields: what was asked, of whom and where cannot change here."""

    seen_at = forms.DateTimeField(widget=forms.HiddenInput)

    class Meta:
        model = ActionPoint
        fields = ["status", "progress_note", "closed_on"]
        widgets = {
            "progress_note": forms.Textarea(attrs={"rows": 5}),
            "closed_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "status": _("Done and cancelled action points need their closing date."),
            "closed_on": _("Leave empty while the action point is open or in progress."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk:
            self.initial["seen_at"] = self.instance.updated_at


# --- Reported indicator values ----------------------------------------------------------------


def _amount_field(label: Any, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, min_value=0, max_digits=12, decimal_places=2, localize=True, **kwargs
    )


class IndicatorValueForm(forms.Form):
    """The figures an institution reports for one period; the target is the programme team's.

    An indicator reported by sex also asks for women, men and other or not stated.
    ``seen_at`` is when the form was opened, so a value saved since is not overwritten.
    """

    actual = _amount_field(_("Value reached"))
    actual_women = _amount_field(_("Women"), required=False)
    actual_men = _amount_field(_("Men"), required=False)
    actual_other = _amount_field(
        _("Other or not stated"),
        required=False,
        help_text=_("Women, men and other or not stated add up to the value reached."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=NO_VICTIM_DETAILS,
    )
    seen_at = forms.DateTimeField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, by_sex: bool, unit: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if unit:
            self.fields["actual"].help_text = _("Counted in %(unit)s.") % {"unit": unit}
        if by_sex:
            for name in ("actual_women", "actual_men", "actual_other"):
                self.fields[name].required = True
        else:
            for name in ("actual_women", "actual_men", "actual_other"):
                del self.fields[name]


class IndicatorValueReviewForm(forms.Form):
    """The programme team's decision on a submitted value, or taking back an approved one."""

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("approve", _("Approve: the value counts")),
            ("return", _("Return for revision")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment to the institution"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=format_lazy("{} {}", _("Required when you return the value."), NO_VICTIM_DETAILS),
    )

    def __init__(self, *args: Any, approved: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if approved:
            # An approved value can only be taken back: the decision is made for the person.
            self.fields["decision"].choices = [  # type: ignore[attr-defined]
                ("return", _("Return for revision"))
            ]
            self.fields["decision"].initial = "return"
            self.fields["decision"].widget = forms.HiddenInput()
            self.fields["comment"].required = True
            self.fields["comment"].help_text = NO_VICTIM_DETAILS

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "return" and not data.get("comment", "").strip():
            raise ValidationError({"comment": _("Say what needs to change.")})
        return data


# --- Results framework settings ----------------------------------------------------------------


def _indicator_label(name: str) -> Any:
    field: Any = Indicator._meta.get_field(name)
    return capfirst(field.verbose_name)


def _indicator_help(name: str) -> Any:
    field: Any = Indicator._meta.get_field(name)
    return field.help_text


@dataclass(frozen=True)
class ParameterGroup:
    """The settings of one calculation, shown open when the indicator uses it."""

    calculation: Calculation
    fields: list[forms.BoundField]
    chosen: bool

    @property
    def has_errors(self) -> bool:
        return any(field.errors for field in self.fields)


class IndicatorSettingsForm(forms.Form):
    """An indicator's settings and its target for each period, as the programme team sets
    them. Each calculation's own settings are listed with it; only the chosen calculation's
    are kept. A closed period's target cannot change here."""

    BASE = (
        "kind",
        "calculation",
        "responsible",
        "baseline",
        "target_end",
        "direction",
        "aggregation",
        "by_sex",
        "is_public",
    )

    kind = forms.ChoiceField(
        label=_indicator_label("kind"), choices=IndicatorKind.choices, widget=forms.RadioSelect
    )
    calculation = forms.ChoiceField(
        label=_indicator_label("calculation"),
        choices=calculation_choices,
        required=False,
        help_text=_indicator_help("calculation"),
    )
    responsible: forms.ModelChoiceField[Institution] = forms.ModelChoiceField(
        label=_indicator_label("responsible"),
        queryset=Institution.objects.order_by(alphabetical("name")),
        required=False,
        help_text=_indicator_help("responsible"),
    )
    baseline = forms.DecimalField(
        label=_indicator_label("baseline"), min_value=0, max_digits=12, decimal_places=2
    )
    target_end = forms.DecimalField(
        label=_indicator_label("target_end"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        required=False,
    )
    direction = forms.ChoiceField(
        label=_indicator_label("direction"), choices=Direction.choices, widget=forms.RadioSelect
    )
    aggregation = forms.ChoiceField(
        label=_indicator_label("aggregation"), choices=Aggregation.choices
    )
    by_sex = forms.BooleanField(
        label=_indicator_label("by_sex"), required=False, help_text=_indicator_help("by_sex")
    )
    is_public = forms.BooleanField(
        label=_indicator_label("is_public"),
        required=False,
        help_text=_indicator_help("is_public"),
    )

    def __init__(
        self,
        data: Any = None,
        *,
        indicator: Indicator,
        periods: Sequence[ReportingPeriod],
        targets: Mapping[int, Decimal | None],
    ) -> None:
        initial: dict[str, Any] = {name: getattr(indicator, name) for name in self.BASE}
        initial["responsible"] = indicator.responsible_id
        super().__init__(data, initial=initial)
        self.periods = list(periods)
        self._groups: list[tuple[Calculation, list[str]]] = []
        # Several calculations offer the same options (topics, professional groups): each list
        # is read once for the form, and once only, however often it is drawn and validated
        # (a callable's choices are read again each time).
        options: dict[Callable[[], list[tuple[str, str]]], list[tuple[str, str]]] = {}
        for calculation in calculations():
            names = []
            for parameter in calculation.parameters:
                name = f"parameter__{calculation.key}__{parameter.name}"
                field: forms.Field
                if parameter.options not in options:
                    options[parameter.options] = parameter.options()
                listed = options[parameter.options]
                if parameter.many:
                    field = forms.MultipleChoiceField(
                        choices=listed,
                        widget=forms.CheckboxSelectMultiple,
                        required=False,
                        label=str(parameter.label),
                        help_text=str(parameter.help_text),
                    )
                else:
                    field = forms.ChoiceField(
                        choices=[("", "—"), *listed],
                        required=False,
                        label=str(parameter.label),
                        help_text=str(parameter.help_text),
                    )
                self.fields[name] = field
                if indicator.calculation == calculation.key:
                    self.initial[name] = (indicator.parameters or {}).get(parameter.name)
                else:
                    self.initial[name] = calculation.defaults.get(parameter.name)
                names.append(name)
            self._groups.append((calculation, names))
        for period in self.periods:
            name = f"target_{period.pk}"
            self.fields[name] = forms.DecimalField(
                label=period.name,
                min_value=0,
                max_digits=12,
                decimal_places=2,
                required=False,
                disabled=period.is_closed,
                help_text=_("Closed: reopen the period to change its target.")
                if period.is_closed
                else "",
            )
            self.initial[name] = targets.get(period.pk)
        # About 200 options and checkboxes: written without a template each.
        quicken_widgets(self)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("kind") == IndicatorKind.COMPUTED and not cleaned.get("calculation"):
            self.add_error(
                "calculation", _("Choose how a computed indicator's value is calculated.")
            )
        return cleaned

    def base_fields_shown(self) -> list[forms.BoundField]:
        return [self[name] for name in self.BASE]

    def parameter_groups(self) -> list[ParameterGroup]:
        chosen = self.data.get("calculation") if self.is_bound else self.initial["calculation"]
        return [
            ParameterGroup(
                calculation=calculation,
                fields=[self[name] for name in names],
                chosen=calculation.key == chosen,
            )
            for calculation, names in self._groups
            if names
        ]

    def target_fields(self) -> list[forms.BoundField]:
        return [self[f"target_{period.pk}"] for period in self.periods]

    def settings(self) -> dict[str, Any]:
        """What the service ``indicator_settings_save`` takes, from a valid form."""
        data = self.cleaned_data
        key = data["calculation"] if data["kind"] == IndicatorKind.COMPUTED else ""
        parameters: dict[str, Any] = {}
        for calculation, names in self._groups:
            if calculation.key != key:
                continue
            for name, parameter in zip(names, calculation.parameters, strict=True):
                if data.get(name) not in (None, "", []):
                    parameters[parameter.name] = data[name]
        return {
            "kind": data["kind"],
            "calculation": key,
            "parameters": parameters,
            "responsible": data["responsible"],
            "baseline": data["baseline"],
            "target_end": data["target_end"],
            "direction": data["direction"],
            "aggregation": data["aggregation"],
            "by_sex": bool(data["by_sex"]),
            "is_public": bool(data["is_public"]),
            "targets": {
                period.pk: data.get(f"target_{period.pk}")
                for period in self.periods
                if not period.is_closed
            },
        }


# --- Recording the steering committee's meetings -----------------------------------------------


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MeetingForm(TranslatedModelForm):
    """A meeting's facts, agenda and minutes, as the programme team records them, its texts in
    every language. The model says what a held meeting needs (its date); the number must be
    free in the action."""

    class Meta:
        model = Meeting
        fields = [
            "number",
            "status",
            "date",
            "place",
            "format",
            "purpose",
            "agenda",
            "minutes",
            "minutes_file",
        ]
        widgets = {
            "status": forms.RadioSelect,
            "format": forms.RadioSelect,
            "date": _date_input(),
            "purpose": forms.Textarea(attrs={"rows": 3}),
            "agenda": forms.Textarea(attrs={"rows": 10}),
            "minutes": forms.Textarea(attrs={"rows": 12}),
        }
        help_texts = {
            "date": _("Required once the meeting is held."),
            "place": _("A city or venue; for an online meeting, the platform used."),
        }

    def __init__(self, *args: Any, action: Action, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.action = action
        # Filled in per request: at import time it would be English for everyone.
        self.fields["minutes_file"].help_text = _("Up to 10 MB: %(types)s") % {
            "types": ", ".join(ALLOWED_EXTENSIONS)
        }

    def clean_number(self) -> int:
        number: int = self.cleaned_data["number"]
        taken = Meeting.objects.filter(action=self.action, number=number)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(_("This action already has a meeting with this number."))
        return number

    def clean_minutes_file(self) -> Any:
        upload = self.cleaned_data.get("minutes_file")
        if isinstance(upload, UploadedFile):
            validate_upload(upload)
        return upload

    def service_arguments(self) -> dict[str, Any]:
        """What ``meeting_create`` and ``meeting_update`` take, from a valid form."""
        data = self.cleaned_data
        upload = data.get("minutes_file")
        return {
            "number": data["number"],
            "status": data["status"],
            "date": data["date"],
            "place": data["place"],
            "format": data["format"],
            "purpose": data["purpose"],
            "agenda": data["agenda"],
            "minutes": data["minutes"],
            "minutes_file": upload if isinstance(upload, UploadedFile) else None,
        }

    @property
    def minutes_file_cleared(self) -> bool:
        return self.cleaned_data.get("minutes_file") is False


class AttendanceRowForm(TranslatedForm):
    """One institution at a meeting and who represented it: the positions are words of a
    language, so the text is written in every language (``initial`` from ``texts_initial``)."""

    translated_fields = ("representatives",)

    # QuickSelect: every row lists each institution, and Django's Select renders each option
    # through a template of its own.
    institution: forms.ModelChoiceField[Institution] = forms.ModelChoiceField(
        label=_("Institution"),
        queryset=Institution.objects.order_by(alphabetical("name")),
        widget=QuickSelect,
    )
    representatives = forms.CharField(
        label=_("Representatives"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=format_lazy(
            "{} {} {}",
            _("Names and positions, one per line."),
            _(
                "Write each name as it is, the same in every language; translate only the "
                "positions."
            ),
            NO_VICTIM_DETAILS,
        ),
    )

    def __init__(
        self,
        *args: Any,
        institutions: InstitutionChoices | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if institutions is not None:
            field = cast("forms.ModelChoiceField[Institution]", self.fields["institution"])
            field.widget.choices = institutions.choices
            # A posted choice is found among the same institutions: no query for each row.
            field.to_python = institutions.to_python  # type: ignore[method-assign]


class InstitutionChoices:
    """The institutions of an attendance form's pickers, read and labelled once for every
    row: each row's own field would read them again, in a query of its own, and label
    each institution again in the reader's language."""

    def __init__(self, field: forms.ModelChoiceField[Institution]) -> None:
        self.field = field

    @cached_property
    def institutions(self) -> dict[str, Institution]:
        # all(): a fresh query; the field's own queryset, shared by every request, would keep
        # the institutions of the first.
        queryset = self.field.queryset
        read = queryset.all() if queryset is not None else []
        return {str(institution.pk): institution for institution in read}

    @cached_property
    def choices(self) -> list[tuple[Any, str]]:
        """The options as ``ModelChoiceIterator`` gives them: the empty one, then each
        institution's value and label."""
        return [
            ("", str(self.field.empty_label)),
            *(
                (
                    forms.models.ModelChoiceIteratorValue(institution.pk, institution),
                    self.field.label_from_instance(institution),
                )
                for institution in self.institutions.values()
            ),
        ]

    def to_python(self, value: Any) -> Institution | None:
        """``ModelChoiceField.to_python`` from the institutions read once."""
        if value in self.field.empty_values:
            return None
        institution = self.institutions.get(str(value))
        if institution is None:
            raise ValidationError(
                self.field.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return institution


class BaseAttendanceFormSet(forms.BaseFormSet):
    @cached_property
    def _institutions(self) -> InstitutionChoices:
        field = AttendanceRowForm.base_fields["institution"]
        return InstitutionChoices(cast("forms.ModelChoiceField[Institution]", field))

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        # One list of institutions for every row and the empty form.
        return {**super().get_form_kwargs(index), "institutions": self._institutions}

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        # Here, once the "Delete" box is added: each row's text areas, checkbox and hidden
        # inputs written without a template.
        quicken_widgets(form)

    @cached_property
    def management_form(self) -> ManagementForm:
        form: ManagementForm = super().management_form
        quicken_widgets(form)
        return form

    def clean(self) -> None:
        super().clean()
        seen: set[int] = set()
        for form in self.forms:
            if not form.has_changed() and not form.initial:
                continue
            if form.cleaned_data.get("DELETE"):
                continue
            institution = form.cleaned_data.get("institution")
            if institution is None:
                continue
            if institution.pk in seen:
                form.add_error("institution", _("Each institution can be listed once."))
            seen.add(institution.pk)

    def kept_forms(self) -> list[AttendanceRowForm]:
        """The rows of a valid formset that name an institution and are not deleted."""
        return [
            form
            for form in self.forms
            if not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("institution") is not None
        ]

    def rows(self) -> list[tuple[Institution, str]]:
        """The institutions kept, with their representatives in the reader's language (the
        form writes every language after the service: ``translated_edit_save``)."""
        return [
            (form.cleaned_data["institution"], form.cleaned_data.get("representatives", ""))
            for form in self.kept_forms()
        ]


AttendanceFormSet = cast(
    "type[BaseAttendanceFormSet]",
    forms.formset_factory(
        AttendanceRowForm, formset=BaseAttendanceFormSet, extra=3, can_delete=True
    ),
)


class DecisionForm(TranslatedModelForm):
    """A decision of the committee in every language, with the outcomes and recommendations it
    bears on."""

    class Meta:
        model = Decision
        fields = ["number", "text", "outcomes", "recommendations", "is_public"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 5}),
            "outcomes": forms.CheckboxSelectMultiple,
            "recommendations": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        outcomes: Any = self.fields["outcomes"]
        outcomes.queryset = Outcome.objects.filter(action_id=meeting.action_id).order_by("code")
        recommendations: Any = self.fields["recommendations"]
        recommendations.queryset = recommendations.queryset.order_by("number")


class ActionPointRaiseForm(forms.ModelForm):
    """What the committee asked, of which institution and by when; progress is reported on
    the action point's own form."""

    class Meta:
        model = ActionPoint
        fields = ["description", "owner", "due_date", "decision"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "due_date": _date_input(),
        }

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner: Any = self.fields["owner"]
        owner.queryset = Institution.objects.order_by(alphabetical("name"))
        decision: Any = self.fields["decision"]
        decision.queryset = meeting.decisions.order_by("number")
        decision.help_text = _("Optional: the decision the action point follows from.")
