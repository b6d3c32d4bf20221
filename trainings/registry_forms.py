"""Forms of the participant register: the search, correcting a person's record, and the
choices a merge asks for."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.collation import alphabetical
from core.portal import SearchField
from core.widgets import QuickSelect, choices_listed
from stakeholders.choices import Sex
from stakeholders.models import Institution, ProfessionalGroup, User
from trainings.models import Participant, Training
from trainings.registry_selectors import (
    KEPT_VALUE,
    MERGED_VALUE,
    MergePlan,
    register_training_choices,
    register_trainings,
)

PERSON_FIELDS = ("full_name", "sex", "professional_group", "email")


class PeopleSearchForm(forms.Form):
    """The register's search: a name in Cyrillic or Latin letters, and filters."""

    q = SearchField(
        label=_("Name"),
        required=False,
        help_text=_("In Cyrillic or Latin letters: “Stojanovska” finds “Стојановска”."),
    )
    institution: forms.ModelChoiceField[Institution] = forms.ModelChoiceField(
        label=_("Institution"),
        queryset=Institution.objects.order_by(alphabetical("name")),
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
        widget=QuickSelect,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        training = self.fields["training"]
        training.queryset = register_trainings(by=user)  # type: ignore[attr-defined]
        # The widget shows the names the selector keeps; the queryset still checks the choice.
        choices = register_training_choices(by=user)
        training.widget.choices = [("", training.empty_label), *choices]  # type: ignore[attr-defined]
        choices_listed(self.fields["institution"])  # type: ignore[arg-type]
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
