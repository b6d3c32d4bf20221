"""Forms of the participant register: the search, correcting a person's record, and the
choices a merge asks for."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import forms
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from core.collation import alphabetical
from core.portal import SearchField
from core.widgets import QuickSelect, choices_listed, escaped
from stakeholders.choices import Sex
from stakeholders.models import Institution, ProfessionalGroup, User
from trainings.models import Participant, Training
from trainings.registry_selectors import (
    KEPT_VALUE,
    MERGED_VALUE,
    MergePlan,
    register_institution_choices,
    register_institutions,
    register_training_choices,
    register_trainings,
)

PERSON_FIELDS = ("full_name", "sex", "professional_group", "email")


# No option's value: the drop-down written with none of its options chosen.
_NONE_CHOSEN = "\x00"


@lru_cache(maxsize=16)
def _none_chosen(name: str, attrs: tuple[tuple[str, Any], ...], choices: tuple[Any, ...]) -> str:
    """The drop-down as ``QuickSelect`` writes it with none of its options chosen."""
    return str(QuickSelect(choices=list(choices)).render(name, _NONE_CHOSEN, dict(attrs)))


class KeptOptionsSelect(QuickSelect):
    """``QuickSelect`` for a long list that comes back the same page after page (the
    register's 2,000 trainings): each list is written once per process (``_none_chosen``,
    under the list itself), and a page only marks the option it has chosen, the first one
    whose value it asks for, as ``QuickSelect`` chooses it."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        if any(isinstance(label, list | tuple) for _key, label in self.choices):
            return super().render(name, value, attrs, renderer)  # choices in groups
        own = self.build_attrs(self.attrs, attrs)
        # Each label as read in the reader's language: a list is kept once per language.
        choices = tuple((key, str(label)) for key, label in self.choices)
        try:
            markup = _none_chosen(name, tuple(own.items()), choices)
        except TypeError:  # an attribute that cannot be a key (a list): written each time
            return super().render(name, value, attrs, renderer)
        found = []
        for wanted in self.format_value(value):
            tag = f'<option value="{escaped(wanted)}">'
            at = markup.find(tag)
            if at >= 0:
                found.append(at + len(tag) - 1)
        if not found:
            return mark_safe(markup)  # noqa: S308 - written by QuickSelect, every value escaped
        at = min(found)
        return mark_safe(f"{markup[:at]} selected{markup[at:]}")  # noqa: S308 - as above


class PeopleSearchForm(forms.Form):
    """The register's search: a name in Cyrillic or Latin letters, and filters."""

    q = SearchField(
        label=_("Name"),
        required=False,
        help_text=_("In Cyrillic or Latin letters: “Stojanovska” finds “Стојановска”."),
    )
    institution: forms.ModelChoiceField[Institution] = forms.ModelChoiceField(
        label=_("Institution"),
        queryset=register_institutions(),
        required=False,
        empty_label=_("Any"),
        widget=QuickSelect,
    )
    profession: forms.ModelChoiceField[ProfessionalGroup] = forms.ModelChoiceField(
        label=_("Profession"),
        queryset=ProfessionalGroup.objects.order_by(alphabetical("name")),
        required=False,
        empty_label=_("Any"),
        widget=QuickSelect,
    )
    training: forms.ModelChoiceField[Training] = forms.ModelChoiceField(
        label=_("Training"),
        queryset=Training.objects.none(),
        required=False,
        empty_label=_("Any"),
        widget=KeptOptionsSelect,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        training = self.fields["training"]
        trainings = register_trainings(by=user)
        training.queryset = trainings  # type: ignore[attr-defined]
        # The widget shows the names the selector keeps; the queryset still checks the choice.
        choices = register_training_choices(by=user, trainings=trainings)
        training.widget.choices = [("", training.empty_label), *choices]  # type: ignore[attr-defined]
        # As the trainings: the names the selector keeps; the queryset checks the choice.
        institution = self.fields["institution"]
        institution.widget.choices = [
            ("", institution.empty_label),  # type: ignore[attr-defined]
            *register_institution_choices(),
        ]
        choices_listed(self.fields["profession"])  # type: ignore[arg-type]

    def filters(self) -> dict[str, Any]:
        """What to search for; nothing when the form is not valid."""
        if not self.is_valid():
            return {}
        return {name: self.cleaned_data[name] for name in self.fields}


class PersonForm(forms.Form):
    """A person's name, sex, profession and email, to correct them.

    Not a ModelForm: the service saves, and says when another record holds the name at
    the institution."""

    def __init__(self, *args: Any, participant: Participant, **kwargs: Any) -> None:
        kwargs["initial"] = {
            "full_name": participant.full_name,
            "sex": participant.sex,
            "professional_group": participant.professional_group_id,
            "email": participant.email,
        }
        super().__init__(*args, **kwargs)
        fields = forms.fields_for_model(
            Participant, fields=PERSON_FIELDS, widgets={"sex": forms.RadioSelect}
        )
        fields["sex"].choices = Sex.choices
        groups = ProfessionalGroup.objects.order_by(alphabetical("name"))
        fields["professional_group"].queryset = groups
        self.fields.update(fields)


class MergeChoicesForm(forms.Form):
    """For each detail the two records give differently, whose value stays."""

    def __init__(self, *args: Any, plan: MergePlan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for choice in plan.choices:
            self.fields[choice.name] = forms.ChoiceField(
                label=choice.label,
                choices=[
                    (KEPT_VALUE, f"{choice.kept or '—'} (#{plan.keep.pk})"),
                    (MERGED_VALUE, f"{choice.merged or '—'} (#{plan.merge.pk})"),
                ],
                initial=choice.default,
                # Left unchosen, the kept record's value stays (or the other's, if it has none).
                required=False,
                widget=forms.RadioSelect,
            )

    def choices(self) -> dict[str, str]:
        return {name: str(value) for name, value in self.cleaned_data.items()}
