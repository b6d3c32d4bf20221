"""Forms of the trainings pages: a training, its participants and their scores."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import QuerySet
from django.forms import BaseModelFormSet, modelformset_factory
from django.utils.translation import gettext_lazy as _

from programme.models import Outcome
from recommendations.models import Recommendation
from stakeholders.choices import Sex
from stakeholders.models import Institution, ProfessionalGroup
from trainings.choices import SCORE_MAX, SCORE_MIN
from trainings.models import Attendance, Participant, Topic, Training
from trainings.services import PastedParticipant

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_SCORE_RANGE = _("Scores are between 0 and 100.")
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _score_field(label: StrOrPromise) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal(SCORE_MIN),
        max_value=Decimal(SCORE_MAX),
        max_digits=5,
        decimal_places=2,
        help_text=_("0 to 100"),
        error_messages={"min_value": _SCORE_RANGE, "max_value": _SCORE_RANGE},
        widget=forms.NumberInput(attrs={"step": "0.01", "min": SCORE_MIN, "max": SCORE_MAX}),
    )


class TrainingForm(forms.ModelForm):
    """A training's details. The organiser can only be one the user may log trainings for."""

    seen_at = forms.DateTimeField(widget=forms.HiddenInput)

    class Meta:
        model = Training
        # ``title`` is the current language's title (modeltranslation).
        fields = [
            "title",
            "organiser",
            "partners",
            "topics",
            "target_groups",
            "status",
            "start_date",
            "end_date",
            "venue",
            "city",
            "methodology",
            "recommendations",
            "outcomes",
        ]
        widgets = {
            "partners": forms.CheckboxSelectMultiple,
            "topics": forms.CheckboxSelectMultiple,
            "target_groups": forms.CheckboxSelectMultiple,
            "recommendations": forms.CheckboxSelectMultiple,
            "outcomes": forms.CheckboxSelectMultiple,
            "start_date": _DATE,
            "end_date": _DATE,
            "methodology": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "title": _("In the language you are using the site in."),
            "partners": _("Their members will see the training and their editors may change it."),
            "status": _("A training that was held needs its dates."),
        }

    def __init__(self, *args: Any, organisers: QuerySet[Institution], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organiser: forms.ModelChoiceField[Institution] = self.fields["organiser"]  # type: ignore[assignment]
        if self.instance.pk is None:
            del self.fields["seen_at"]
            organiser.queryset = organisers
            if not self.is_bound and len(choices := list(organisers[:2])) == 1:
                self.initial["organiser"] = choices[0].pk
        else:
            if not self.is_bound:
                self.initial["seen_at"] = self.instance.updated_at
            if organisers.filter(pk=self.instance.organiser_id).exists():
                organiser.queryset = organisers
            else:
                # A partner's editor changes the training but does not hand it to someone else.
                organiser.queryset = Institution.objects.filter(pk=self.instance.organiser_id)
                organiser.disabled = True
                organiser.help_text = _(
                    "Only the organiser's editors can give the training another organiser."
                )
        self.fields["partners"].queryset = Institution.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["topics"].queryset = Topic.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["target_groups"].queryset = ProfessionalGroup.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["recommendations"].queryset = Recommendation.objects.order_by("number")  # type: ignore[attr-defined]
        self.fields["outcomes"].queryset = Outcome.objects.order_by("code")  # type: ignore[attr-defined]

    def training_fields(self) -> dict[str, Any]:
        """The cleaned values, named as the services take them."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


_PARTICIPANT_FIELDS = [
    "full_name",
    "sex",
    "professional_group",
    "institution",
    "position",
    "email",
]
# Consent is given at a training: it is recorded on the attendance.
_CONSENT_FIELDS = ["consent", "consent_date"]


class ParticipantForm(forms.Form):
    """One participant, their consent and their scores at this training.

    The fields are the models', but this is not a ModelForm: a ModelForm would refuse
    someone already registered (the model's unique constraints), where the service finds
    them instead.
    """

    pre_score = _score_field(_("Pre-test score"))
    post_score = _score_field(_("Post-test score"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        person = forms.fields_for_model(
            Participant, fields=_PARTICIPANT_FIELDS, widgets={"sex": forms.RadioSelect}
        )
        person["sex"].choices = Sex.choices
        person["full_name"].help_text = _(
            "Someone you may already see (same name at the same institution, or same email) "
            "is found, not added twice."
        )
        person["professional_group"].queryset = ProfessionalGroup.objects.order_by("name")
        person["institution"].queryset = Institution.objects.order_by("name")
        consent = forms.fields_for_model(
            Attendance, fields=_CONSENT_FIELDS, widgets={"consent_date": _DATE}
        )
        self.fields = {**person, **consent, **self.fields}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("consent") and not data.get("consent_date"):
            self.add_error("consent_date", _("Give the date consent was given."))
        return data

    def participant_fields(self) -> dict[str, Any]:
        """The cleaned values, named as the service takes them."""
        names = [*_PARTICIPANT_FIELDS, *_CONSENT_FIELDS, "pre_score", "post_score"]
        return {name: self.cleaned_data[name] for name in names}


# --- pasting an attendance list from a spreadsheet ----------------------------------------

PASTE_COLUMNS: list[tuple[str, StrOrPromise]] = [
    ("full_name", _("Full name")),
    ("sex", _("Sex")),
    ("profession", _("Profession")),
    ("institution", _("Institution")),
    ("email", _("Email")),
    ("pre_score", _("Pre-test score")),
    ("post_score", _("Post-test score")),
]
PASTE_MAX_ROWS = 500

_SEXES = {
    Sex.FEMALE: {"f", "female", "woman", "w", "ж", "жена", "женски", "femër", "femer", "femra"},
    Sex.MALE: {"m", "male", "man", "м", "маж", "машки", "mashkull", "mashkulli"},
    Sex.OTHER: {"other", "x", "друго", "tjetër", "tjeter"},
}
_SEX_WORDS = {word: value for value, words in _SEXES.items() for word in words}
_HEADER_WORDS = ("name", "име", "emri", "emër", "emer", "participant", "учесник", "pjesëmarrës")


def _key(text: str) -> str:
    """How names are compared: case and spacing do not matter."""
    return " ".join(text.split()).casefold()


def sex_from_text(text: str) -> str | None:
    return _SEX_WORDS.get(_key(text).rstrip("."))


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    value: str
    message: str


class _Lookup:
    """Names in any language, short names, codes and other names, to the record they name."""

    def __init__(self) -> None:
        self.institutions: dict[str, set[Institution]] = {}
        for inst in Institution.objects.all():
            names = [
                getattr(inst, f"{field}_{lang}", "") or ""
                for field in ("name", "short_name")
                for lang in ("en", "mk", "sq")
            ]
            for name in [*names, inst.code or "", *inst.alias_list()]:
                if name.strip():
                    self.institutions.setdefault(_key(name), set()).add(inst)
        self.groups: dict[str, set[ProfessionalGroup]] = {}
        for group in ProfessionalGroup.objects.all():
            for name in [getattr(group, f"name_{lang}", "") or "" for lang in ("en", "mk", "sq")]:
                if name.strip():
                    self.groups.setdefault(_key(name), set()).add(group)
            self.groups.setdefault(_key(group.slug), set()).add(group)


def _score(text: str) -> Decimal | None:
    """A score as typed in a spreadsheet: 45, 45.5, 45,5 or 45%."""
    text = text.strip().rstrip("%").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValidationError(_("Not a number.")) from exc
    if not value.is_finite() or not SCORE_MIN <= value <= SCORE_MAX:
        raise ValidationError(_SCORE_RANGE)
    return value.quantize(Decimal("0.01"))


def _cells(line: str, separator: str) -> list[str]:
    cells = [c.strip() for c in line.split(separator)]
    return [c[1:-1].strip() if len(c) > 1 and c[0] == c[-1] == '"' else c for c in cells]


def _looks_like_header(cells: list[str]) -> bool:
    if sex_from_text(cells[1]) is not None:
        return False
    name = _key(cells[0])
    if any(word in name for word in _HEADER_WORDS):
        return True
    return bool(cells[5]) and re.fullmatch(r"[\d.,%\s]+", cells[5]) is None


class ParticipantsPasteForm(forms.Form):
    """Rows copied from a spreadsheet: every row is checked before anything is saved."""

    text = forms.CharField(
        label=_("Rows from a spreadsheet"),
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "class": "paste"}),
        help_text=_(
            "One participant per row, columns separated by tabs (as copied from a "
            "spreadsheet) or semicolons: full name; sex; profession; institution; email; "
            "pre-test score; post-test score. A header row is skipped."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows: list[PastedParticipant] = []
        self.row_errors: list[RowError] = []

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        self.rows, self.row_errors = self._parse(text)
        if self.row_errors:
            raise ValidationError(
                _("Nothing was saved. Correct the rows listed below and paste them again.")
            )
        if not self.rows:
            raise ValidationError(_("No participant found in what was pasted."))
        if len(self.rows) > PASTE_MAX_ROWS:
            raise ValidationError(_("Paste at most %(n)s rows at a time.") % {"n": PASTE_MAX_ROWS})
        return text

    def _parse(self, text: str) -> tuple[list[PastedParticipant], list[RowError]]:
        separator = "\t" if "\t" in text else ";"
        lookup = _Lookup()
        rows: list[PastedParticipant] = []
        errors: list[RowError] = []
        seen: dict[tuple[str, ...], int] = {}
        first = True
        for number, line in enumerate(text.splitlines(), start=1):
            cells = _cells(line, separator)
            if not any(cells):
                continue
            if first:
                first = False
                padded = (cells + [""] * len(PASTE_COLUMNS))[: len(PASTE_COLUMNS)]
                if _looks_like_header(padded):
                    continue
            row, row_errors = self._parse_row(number, cells, lookup, seen)
            errors.extend(row_errors)
            if row is not None:
                rows.append(row)
        return rows, errors

    def _parse_row(
        self,
        number: int,
        cells: list[str],
        lookup: _Lookup,
        seen: dict[tuple[str, ...], int],
    ) -> tuple[PastedParticipant | None, list[RowError]]:
        """One row checked column by column; ``seen`` remembers the people of earlier rows."""
        labels = dict(PASTE_COLUMNS)
        errors: list[RowError] = []

        def problem(column: str, value: str, message: Any) -> None:
            errors.append(RowError(number, str(labels[column]), value, str(message)))

        extra = [c for c in cells[len(PASTE_COLUMNS) :] if c]
        if extra:
            errors.append(
                RowError(
                    number,
                    "—",
                    " | ".join(extra),
                    str(
                        _("More than %(n)s columns: check the column order.")
                        % {"n": len(PASTE_COLUMNS)}
                    ),
                )
            )
        cells = (cells + [""] * len(PASTE_COLUMNS))[: len(PASTE_COLUMNS)]
        name, sex_text, group_text, inst_text, email, pre_text, post_text = cells
        name = " ".join(name.split())
        if not name:
            problem("full_name", name, _("The full name is missing."))
        elif len(name) > 200:
            problem("full_name", name, _("At most 200 characters."))
        sex = sex_from_text(sex_text)
        if sex is None:
            problem("sex", sex_text, _("Write F or M (Ж or М, жена or маж, femër or mashkull)."))
        group = self._one(lookup.groups, group_text)
        if group_text and group is None:
            known = sorted({str(g) for found in lookup.groups.values() for g in found})
            problem(
                "profession",
                group_text,
                _("No profession has this name. Known: %(names)s.") % {"names": ", ".join(known)},
            )
        institution = self._one(lookup.institutions, inst_text)
        if inst_text and institution is None:
            if len(lookup.institutions.get(_key(inst_text), ())) > 1:
                problem("institution", inst_text, _("More than one institution has this name."))
            else:
                problem("institution", inst_text, _("No institution has this name."))
        if email:
            try:
                validate_email(email)
            except ValidationError:
                problem("email", email, _("Not a valid email address."))
        scores: list[Decimal | None] = []
        for column, value in (("pre_score", pre_text), ("post_score", post_text)):
            try:
                scores.append(_score(value))
            except ValidationError as exc:
                problem(column, value, exc.messages[0])
                scores.append(None)
        if errors or sex is None:
            return None, errors
        # The same person twice in one paste, by the rules the register finds people by.
        keys: list[tuple[str, ...]] = []
        if email:
            keys.append(("email", email.casefold()))
        if institution is not None or not email:
            keys.append(("name", _key(name), str(institution.pk if institution else "")))
        for key in keys:
            if key in seen:
                column, value = ("email", email) if key[0] == "email" else ("full_name", name)
                problem(column, value, _("The same person as row %(row)s.") % {"row": seen[key]})
                return None, errors
        for key in keys:
            seen[key] = number
        return (
            PastedParticipant(
                row=number,
                full_name=name,
                sex=sex,
                professional_group=group,
                institution=institution,
                email=email,
                pre_score=scores[0],
                post_score=scores[1],
            ),
            errors,
        )

    @staticmethod
    def _one(names: dict[str, set[Any]], text: str) -> Any:
        found = names.get(_key(text), set()) if text.strip() else set()
        return next(iter(found)) if len(found) == 1 else None


# --- scores of everyone at once -----------------------------------------------------------


class AttendanceScoreForm(forms.ModelForm):
    """One row of the scores page: scores, completion and consent given at this training."""

    pre_score = _score_field(_("Pre-test score"))
    post_score = _score_field(_("Post-test score"))

    class Meta:
        model = Attendance
        fields = ["pre_score", "post_score", "completed", "consent", "consent_date"]
        widgets = {"consent_date": _DATE}


AttendanceFormSet: type[BaseModelFormSet[Attendance, AttendanceScoreForm]] = modelformset_factory(
    Attendance, form=AttendanceScoreForm, extra=0, edit_only=True
)
