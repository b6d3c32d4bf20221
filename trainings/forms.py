"""Forms of the trainings pages: a training, its participants and their scores."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import CharField, F, QuerySet, Value
from django.forms import BaseModelFormSet, modelformset_factory
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from core.basemodels import NO_VICTIM_DETAILS
from core.collation import alphabetical
from core.forms import TranslatedModelForm
from core.imports import CellProblem, Column, NameIndex
from core.widgets import (
    QuickCheckboxInput,
    QuickCheckboxSelectMultiple,
    QuickDateInput,
    QuickHiddenInput,
    QuickNumberInput,
    choices_listed,
    quicken_widgets,
)
from programme.models import Outcome
from recommendations.models import Recommendation
from stakeholders.choices import Sex
from stakeholders.models import Institution, ProfessionalGroup
from stakeholders.resources import institution_index
from trainings import selectors
from trainings.choices import RATING_MAX, RATING_MIN, SCORE_MAX, SCORE_MIN
from trainings.matching import (
    KEEP,
    UPDATE,
    AttendanceRow,
    ConflictChoice,
    ConflictsFound,
    PlannedRow,
    RowsRefused,
)
from trainings.models import Attendance, Evaluation, Participant, Topic, Training
from trainings.names import name_key
from trainings.resources import AttendanceResource, group_index, sex_from_text

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_SCORE_RANGE = _("Scores are between 0 and 100.")
_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


# What an institution's label in a picker prints (``Institution.__str__``).
_INSTITUTION_LABEL = ("pk", "name", "short_name")

# The training's relations the form ticks records of.
_PICKED = ("partners", "topics", "target_groups", "recommendations", "outcomes")


def _picked(training: Training) -> dict[str, list[int]]:
    """The keys of the records each of ``_PICKED`` holds for a saved training, in one query
    (a ``UNION ALL`` of their link tables) instead of one per relation."""
    relations = {relation.name: relation for relation in Training._meta.many_to_many}
    parts = []
    for name in _PICKED:
        relation = relations[name]
        links = relation.remote_field.through._default_manager  # type: ignore[union-attr]
        parts.append(
            links.filter(**{relation.m2m_field_name(): training.pk})
            .annotate(relation=Value(name, output_field=CharField()))
            .values_list("relation", F(relation.m2m_reverse_field_name()))
            .order_by()
        )
    picked: dict[str, list[int]] = {name: [] for name in _PICKED}
    for name, pk in parts[0].union(*parts[1:], all=True):
        picked[name].append(pk)
    return picked


def _score_field(
    label: StrOrPromise, widget: type[forms.NumberInput] = forms.NumberInput
) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal(SCORE_MIN),
        max_value=Decimal(SCORE_MAX),
        max_digits=5,
        decimal_places=2,
        help_text=_("0 to 100"),
        error_messages={"min_value": _SCORE_RANGE, "max_value": _SCORE_RANGE},
        widget=widget(attrs={"step": "0.01", "min": SCORE_MIN, "max": SCORE_MAX}),
    )


class TrainingForm(TranslatedModelForm):
    """A training's details, its title and methodology in every language. The organiser can
    only be one the user may log trainings for.

    A training with the same organiser, title and start date as another is saved only once
    the person has said it is a separate one (``trainings_like``): a form sent twice, with
    the browser's Back button, say, asks rather than logging the training twice. The
    trainings the answer was given for travel with it, so it holds for those alone.
    """

    seen_at = forms.DateTimeField(widget=forms.HiddenInput)
    similar_seen = forms.CharField(required=False, widget=forms.HiddenInput)
    save_separately = forms.BooleanField(
        label=_("Save it as a separate training"), required=False, widget=forms.HiddenInput
    )

    class Meta:
        model = Training
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
        # The pickers written without a template per option (core.widgets).
        widgets = {
            "partners": QuickCheckboxSelectMultiple,
            "topics": QuickCheckboxSelectMultiple,
            "target_groups": QuickCheckboxSelectMultiple,
            "recommendations": QuickCheckboxSelectMultiple,
            "outcomes": QuickCheckboxSelectMultiple,
            "start_date": _DATE,
            "end_date": _DATE,
            "methodology": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "partners": _("Their members will see the training and their editors may change it."),
            "status": _("A training that was held needs its dates."),
        }

    def __init__(self, *args: Any, organisers: QuerySet[Institution], **kwargs: Any) -> None:
        instance = kwargs.get("instance")
        if instance is not None and instance.pk is not None:
            # ModelForm reads the records of each relation to tick them, a query each: the
            # ticks come from one instead (``_picked``), and ModelForm reads the other fields.
            # Saving goes through the services, never ModelForm's own relations' save.
            self._meta = copy.copy(self._meta)
            self._meta.fields = [name for name in self.Meta.fields if name not in _PICKED]
            kwargs["initial"] = {**_picked(instance), **(kwargs.get("initial") or {})}
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
        # Each picker reads only the columns its labels print (every language of them:
        # modeltranslation adds the others), not every text of every record.
        organiser.queryset = organiser.queryset.only(*_INSTITUTION_LABEL)
        by_name = alphabetical("name")
        self.fields["partners"].queryset = Institution.objects.order_by(by_name).only(  # type: ignore[attr-defined]
            *_INSTITUTION_LABEL
        )
        self.fields["topics"].queryset = Topic.objects.order_by(by_name).only("pk", "name")  # type: ignore[attr-defined]
        self.fields["target_groups"].queryset = ProfessionalGroup.objects.order_by(by_name).only(  # type: ignore[attr-defined]
            "pk", "name"
        )
        self.fields["recommendations"].queryset = Recommendation.objects.order_by("number").only(  # type: ignore[attr-defined]
            "pk", "number", "text"
        )
        self.fields["outcomes"].queryset = Outcome.objects.order_by("code").only(  # type: ignore[attr-defined]
            "pk", "code", "title"
        )
        for name in (
            "organiser",
            "partners",
            "topics",
            "target_groups",
            "recommendations",
            "outcomes",
        ):
            choices_listed(self.fields[name])  # type: ignore[arg-type]
        # Every other widget (the inputs in three languages, the organiser's and the status's
        # drop-downs) written in Python too: through Django's templates they cost more than
        # the rest of the edit page.
        quicken_widgets(self)
        self.similar: list[Training] = []

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        organiser, title = data.get("organiser"), data.get("title")
        if organiser is not None and organiser in data.get("partners", ()):
            # Saved, it would be dropped from the partners: say so rather than store other
            # than what the form showed.
            self.add_error(
                "partners",
                _("%(name)s organises the training, so it is not also a partner: untick it.")
                % {"name": organiser.label},
            )
        if organiser is None or not title or "start_date" not in data:
            return data
        start = data["start_date"]
        saved = self.instance
        if saved.pk is not None and (
            (organiser.pk, start, " ".join(title.split()).casefold())
            == (saved.organiser_id, saved.start_date, " ".join(saved.title.split()).casefold())
        ):
            return data  # nothing that makes it look like another training changed
        similar = selectors.trainings_like(
            organiser=organiser, title=title, start_date=start, exclude_pk=saved.pk
        )
        seen = ",".join(str(training.pk) for training in similar)
        if not similar or (data.get("save_separately") and data.get("similar_seen") == seen):
            return data
        self._ask_if_separate(similar, seen)
        return data

    def _ask_if_separate(self, similar: list[Training], seen: str) -> None:
        self.similar = similar
        # Last, beside the button that saves, with the training it looks like.
        field: forms.BooleanField = self.fields.pop("save_separately")  # type: ignore[assignment]
        self.fields["save_separately"] = field
        field.widget = QuickCheckboxInput()
        field.help_text = similar_question(similar[0])
        # The field's bound copy was made, with the old help text, when the form was cleaned.
        self["save_separately"].help_text = field.help_text
        data = self.data.copy()  # type: ignore[attr-defined]  # a QueryDict: the form is bound
        data["similar_seen"] = seen
        data.pop("save_separately", None)
        self.data = data
        self.add_error(
            None,
            _(
                "Nothing was saved yet: a training like this one is recorded already (see "
                "below). If this is another training, tick the box and save again."
            ),
        )

    def training_fields(self) -> dict[str, Any]:
        """The cleaned values, named as the services take them."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


def similar_question(training: Training) -> str:
    """Whether to save a training that looks like ``training``, linking to it."""
    link = format_html(
        '<a href="{}">{}</a>', reverse("trainings:detail", args=[training.pk]), training.title
    )
    values = {"training": link}
    if training.start_date is None:
        question = _("This looks like %(training)s, which has no dates either: save anyway?")
    else:
        values["date"] = escape(date_format(training.start_date, "DATE_FORMAT"))
        if training.place:
            values["place"] = escape(training.place)
            question = _("This looks like %(training)s of %(date)s, %(place)s: save anyway?")
        else:
            question = _("This looks like %(training)s of %(date)s: save anyway?")
    return mark_safe(escape(question) % values)  # noqa: S308 - every part escaped above


class EvaluationForm(forms.ModelForm):
    """How participants rated a training, and what its organisers learned."""

    class Meta:
        model = Evaluation
        fields = ["respondents", "overall_rating", "relevance_rating", "summary", "lessons_learned"]
        widgets = {
            "overall_rating": forms.NumberInput(
                attrs={"step": "0.01", "min": RATING_MIN, "max": RATING_MAX}
            ),
            "relevance_rating": forms.NumberInput(
                attrs={"step": "0.01", "min": RATING_MIN, "max": RATING_MAX}
            ),
            "summary": forms.Textarea(attrs={"rows": 4}),
            "lessons_learned": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {"respondents": _("How many participants filled in the evaluation form.")}


class TrainingCancelForm(forms.Form):
    """Why a training was cancelled, if the organiser says."""

    reason = forms.CharField(
        label=_("Why it was cancelled"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=NO_VICTIM_DETAILS,
    )


# --- when rows name someone whose record says otherwise -----------------------------------

_CONFLICT_CHOICES: dict[str, StrOrPromise] = {
    KEEP: _("Keep the register's records as they are, and list the people with them"),
    UPDATE: _("Correct the register's records to what I entered"),
}


class ConflictChoiceForm(forms.Form):
    """A form whose rows may name someone in the register whose record gives another name
    or sex. The service then writes nothing and lists them (``ConflictsFound``); the form
    shows them with a choice, and the conflicts the choice was made for travel with it, so
    it holds for those alone."""

    on_conflict = forms.ChoiceField(
        label=_("What to do with their records"),
        required=False,
        choices=list(_CONFLICT_CHOICES.items()),
        widget=forms.HiddenInput,
    )
    conflicts_seen = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conflicts: list[PlannedRow] = []

    def conflict_choice(self) -> ConflictChoice | None:
        choice = self.cleaned_data.get("on_conflict") or ""
        seen = self.cleaned_data.get("conflicts_seen") or ""
        return ConflictChoice(choice=choice, seen=seen) if choice and seen else None

    def show_conflicts(self, found: ConflictsFound) -> None:
        """Show the conflicts found, and ask which to keep: the records, or what was entered
        (offered only when the user may change every record concerned)."""
        self.conflicts = found.rows
        offered = [KEEP, UPDATE] if found.may_update else [KEEP]
        # Last, beside the button that saves.
        field: forms.ChoiceField = self.fields.pop("on_conflict")  # type: ignore[assignment]
        self.fields["on_conflict"] = field
        field.widget = forms.RadioSelect()
        field.choices = [(value, _CONFLICT_CHOICES[value]) for value in offered]
        data = self.data.copy()  # type: ignore[attr-defined]  # a QueryDict: the form is bound
        if (
            data.get("conflicts_seen") != found.fingerprint
            or data.get("on_conflict") not in offered
        ):
            data["on_conflict"] = ""
        data["conflicts_seen"] = found.fingerprint
        self.data = data
        self.add_error(
            None,
            _(
                "Nothing was saved. Someone you entered is in the register already, and their "
                "record says otherwise (listed above): choose what to do, and save again."
            ),
        )


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


class ParticipantForm(ConflictChoiceForm):
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
            "Someone you may already see is found, not added twice: the same name with the "
            "same email, or at the same institution when no email tells."
        )
        by_name = alphabetical("name")
        person["professional_group"].queryset = ProfessionalGroup.objects.order_by(by_name)
        person["institution"].queryset = Institution.objects.order_by(by_name)
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

_HEADER_WORDS = ("name", "име", "emri", "emër", "emer", "participant", "учесник", "pjesëmarrës")
_SEX_MISSING = _("Write F or M (Ж or М, жена or маж, femër or mashkull).")


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    value: str
    message: str


def _cells(line: str, separator: str) -> list[str]:
    cells = [c.strip() for c in line.split(separator)]
    return [c[1:-1].strip() if len(c) > 1 and c[0] == c[-1] == '"' else c for c in cells]


def _looks_like_header(cells: list[str]) -> bool:
    if sex_from_text(cells[1]) is not None:
        return False
    name = name_key(cells[0])
    if any(word in name for word in _HEADER_WORDS):
        return True
    return bool(cells[5]) and re.fullmatch(r"[\d.,%\s]+", cells[5]) is None


class ParticipantsPasteForm(ConflictChoiceForm):
    """Rows copied from a spreadsheet: every row is checked before anything is saved, its
    values read as the attendance import reads them (its columns, widgets and look-ups)."""

    text = forms.CharField(
        label=_("Rows from a spreadsheet"),
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "class": "paste"}),
        help_text=_(
            "One participant per row, columns separated by tabs (as copied from a "
            "spreadsheet) or semicolons: full name; sex; profession; institution; email; "
            "pre-test score; post-test score. A header row is skipped."
        ),
    )

    field_order = ["text"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows: list[AttendanceRow] = []
        self.row_errors: list[RowError] = []
        self._cells: dict[int, list[str]] = {}

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

    def refuse(self, refused: RowsRefused) -> None:
        """The service's problems with rows, listed with the parsing's, by row and column."""
        columns = [name for name, _label in PASTE_COLUMNS]
        labels = dict(PASTE_COLUMNS)
        for problem in refused.problems:
            cells = self._cells.get(problem.row, [])
            at = columns.index(problem.field) if problem.field in columns else None
            self.row_errors.append(
                RowError(
                    problem.row,
                    str(labels[problem.field]) if problem.field in labels else "—",
                    cells[at] if at is not None and at < len(cells) else "",
                    problem.message,
                )
            )
        self.add_error(
            "text", _("Nothing was saved. Correct the rows listed below and paste them again.")
        )

    def _parse(self, text: str) -> tuple[list[AttendanceRow], list[RowError]]:
        separator = "\t" if "\t" in text else ";"
        columns = dict(AttendanceResource.import_columns())
        lookups = {"institutions": institution_index(), "groups": group_index()}
        rows: list[AttendanceRow] = []
        errors: list[RowError] = []
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
            self._cells[number] = cells
            row, row_errors = self._parse_row(number, cells, columns, lookups)
            errors.extend(row_errors)
            if row is not None:
                rows.append(row)
        return rows, errors

    @staticmethod
    def _parse_row(
        number: int,
        cells: list[str],
        columns: dict[str, Column],
        lookups: dict[str, NameIndex],
    ) -> tuple[AttendanceRow | None, list[RowError]]:
        """One row read column by column, with the import's widgets."""
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
        values: dict[str, Any] = {}
        for (name, _label), cell in zip(PASTE_COLUMNS, cells, strict=True):
            try:
                value = columns[name].widget.clean(cell, row=None, lookups=lookups)
            except CellProblem as exc:
                problem(name, cell, exc)
                continue
            if value not in (None, ""):
                values[name] = value
            elif name == "full_name":
                problem(name, cell, _("The full name is missing."))
            elif name == "sex":
                problem(name, cell, _SEX_MISSING)
        if errors:
            return None, errors
        return (
            AttendanceRow(
                row=number,
                full_name=values["full_name"],
                sex=values["sex"],
                professional_group_id=values.get("profession"),
                institution_id=values.get("institution"),
                email=values.get("email", ""),
                attendance={k: values[k] for k in ("pre_score", "post_score") if k in values},
            ),
            errors,
        )


# --- scores of everyone at once -----------------------------------------------------------


class AttendanceScoreForm(forms.ModelForm):
    """One row of the scores page: scores, completion and consent given at this training.

    Its inputs are written without a template each (``core.widgets.QuickInputMixin``):
    the page has a form for every participant."""

    pre_score = _score_field(_("Pre-test score"), QuickNumberInput)
    post_score = _score_field(_("Post-test score"), QuickNumberInput)

    class Meta:
        model = Attendance
        fields = ["pre_score", "post_score", "completed", "consent", "consent_date"]
        widgets = {
            "id": QuickHiddenInput,
            "completed": QuickCheckboxInput,
            "consent": QuickCheckboxInput,
            "consent_date": QuickDateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }


AttendanceFormSet: type[BaseModelFormSet[Attendance, AttendanceScoreForm]] = modelformset_factory(
    Attendance, form=AttendanceScoreForm, extra=0, edit_only=True
)
