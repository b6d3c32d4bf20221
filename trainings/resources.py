"""Trainings, and the participants and attendance of a training, in spreadsheets.

The attendance import is the one that meets big files (a ministry's whole register), so it
plans with the register read once (``trainings.matching``) and writes in bulk, through the
service the paste and the form use too (``services.attendances_record``): among the people
the importing user may see, the same person is the same name with the same email, or at the
same institution when no email tells; anyone else is registered anew for the user's
institution. Details missing from a record the user's institution registered are filled in,
never overwritten; another institution's record is not changed; a row giving a found person
another name or sex is reported, not imported. Consent is the training's own: it goes on
the attendance.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.collation import alphabetical
from core.history import record_bulk
from core.imports import (
    BooleanWidget,
    CellProblem,
    Changes,
    ChoiceWidget,
    Column,
    DateWidget,
    DecimalWidget,
    EmailWidget,
    Header,
    NameIndex,
    RefWidget,
    RowPlan,
    RowRejected,
    SpreadsheetResource,
    TextWidget,
    in_reader_language,
    key,
)
from programme.models import validate_date_range
from programme.selectors import action_primary
from stakeholders.choices import Sex
from stakeholders.models import Institution, ProfessionalGroup
from stakeholders.resources import institution_index
from trainings import services
from trainings.choices import SCORE_MAX, SCORE_MIN, TrainingStatus
from trainings.matching import AttendancePlanner, AttendanceRow, Register
from trainings.models import Attendance, Topic, Training, validate_held
from trainings.names import person_name
from trainings.permissions import (
    may_change_training,
    organisers_for,
    trainings_editable_by,
    trainings_visible_to,
)

LANGUAGES = ("en", "mk", "sq")

STATUS_SYNONYMS = {
    TrainingStatus.PLANNED: ["планирана", "планиран", "e planifikuar", "planifikuar"],
    TrainingStatus.HELD: ["одржана", "одржан", "done", "completed", "e mbajtur", "mbajtur"],
    TrainingStatus.CANCELLED: ["откажана", "canceled", "e anuluar", "anuluar"],
}


def group_index() -> NameIndex:
    rows = ProfessionalGroup.objects.values_list("pk", "slug", "name_en", "name_mk", "name_sq")
    return NameIndex(
        (
            (pk, [slug, *names], in_reader_language(names, LANGUAGES) or slug)
            for pk, slug, *names in rows
        ),
        noun=_("profession"),
    )


def topic_index() -> NameIndex:
    rows = Topic.objects.values_list("pk", "slug", "name_en", "name_mk", "name_sq")
    return NameIndex(
        (
            (pk, [slug, *names], in_reader_language(names, LANGUAGES) or slug)
            for pk, slug, *names in rows
        ),
        noun=_("topic"),
    )


def _score() -> DecimalWidget:
    return DecimalWidget(minimum=Decimal(SCORE_MIN), maximum=Decimal(SCORE_MAX), percentage=True)


# --- Trainings ---------------------------------------------------------------------------------


class TrainingResource(SpreadsheetResource):
    """Trainings, found again by organiser, start date and title (in any language)."""

    kind = "trainings"
    written = ("trainings.training",)

    title_en = Column(
        Header("Title (English)", "Наслов (англиски)", "Titulli (anglisht)"),
        TextWidget(max_length=255),
        attribute="title_en",
        help_text=gettext_lazy("At least one of the three titles."),
    )
    title_mk = Column(
        Header("Title (Macedonian)", "Наслов (македонски)", "Titulli (maqedonisht)"),
        TextWidget(max_length=255),
        attribute="title_mk",
    )
    title_sq = Column(
        Header("Title (Albanian)", "Наслов (албански)", "Titulli (shqip)"),
        TextWidget(max_length=255),
        attribute="title_sq",
    )
    organiser = Column(
        Header("Organiser", "Организатор", "Organizatori"),
        RefWidget("institutions"),
        attribute="organiser",
        required=True,
        help_text=gettext_lazy("An institution you log trainings for, by any of its names."),
        choices=lambda resource: resource.lookups["institutions"].choices(),
    )
    partners = Column(
        Header("Partner institutions", "Партнерски институции", "Institucionet partnere"),
        RefWidget("institutions", many=True),
        attribute="partners",
        help_text=gettext_lazy("Separated by semicolons."),
    )
    topics = Column(
        Header("Topics", "Теми", "Temat"),
        RefWidget("topics", many=True),
        attribute="topics",
        required=True,
        help_text=gettext_lazy("At least one; separated by semicolons."),
        choices=lambda resource: resource.lookups["topics"].choices(),
    )
    target_groups = Column(
        Header("Target groups", "Целни групи", "Grupet e synuara"),
        RefWidget("groups", many=True),
        attribute="target_groups",
        help_text=gettext_lazy("Professions, separated by semicolons."),
        choices=lambda resource: resource.lookups["groups"].choices(),
    )
    status = Column(
        Header("Status", "Статус", "Statusi"),
        ChoiceWidget(TrainingStatus, synonyms=STATUS_SYNONYMS),
        attribute="status",
        help_text=gettext_lazy(
            "Planned when empty. A training that was held needs its start date, and is held "
            "only once it has ended."
        ),
        choices=lambda resource: [str(label) for label in TrainingStatus.labels],
    )
    start_date = Column(
        Header("Start date", "Датум на почеток", "Data e fillimit"),
        DateWidget(),
        attribute="start_date",
        help_text=gettext_lazy("dd.mm.yyyy"),
    )
    end_date = Column(
        Header("End date", "Датум на завршување", "Data e përfundimit"),
        DateWidget(),
        attribute="end_date",
        help_text=gettext_lazy("dd.mm.yyyy"),
    )
    venue = Column(
        Header("Venue", "Место на одржување", "Vendi i mbajtjes"),
        TextWidget(max_length=255),
        attribute="venue",
    )
    city = Column(Header("City", "Град", "Qyteti"), TextWidget(max_length=80), attribute="city")
    methodology = Column(
        Header("Methodology", "Методологија", "Metodologjia"),
        TextWidget(max_length=5000, multiline=True),
        attribute="methodology",
    )

    class Meta:
        model = Training
        fields = (
            "title_en",
            "title_mk",
            "title_sq",
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
        )

    @classmethod
    def may_import(cls, user: Any) -> bool:
        return organisers_for(user).exists()

    def export_queryset(self) -> QuerySet[Training]:
        return (
            trainings_visible_to(self.user)
            .select_related("organiser")
            .prefetch_related(  # each list in the reader's alphabet, as RefWidget writes it
                Prefetch("partners", Institution.objects.order_by(alphabetical("name"), "pk")),
                Prefetch("topics", Topic.objects.order_by(alphabetical("name"), "pk")),
                Prefetch(
                    "target_groups", ProfessionalGroup.objects.order_by(alphabetical("name"), "pk")
                ),
            )
            .order_by("start_date", "pk")
        )

    def prepare(self) -> None:
        self.lookups["institutions"] = institution_index()
        self.lookups["topics"] = topic_index()
        self.lookups["groups"] = group_index()
        self.action = action_primary()
        self.organisers = set(organisers_for(self.user).values_list("pk", flat=True))
        self.editable = set(trainings_editable_by(self.user).values_list("pk", flat=True))
        self.known: dict[tuple[int, date | None], list[Training]] = {}
        trainings = Training.objects.prefetch_related("partners", "topics", "target_groups")
        for training in trainings:
            self.known.setdefault((training.organiser_id, training.start_date), []).append(training)

    def plan_row(self, number: int, values: dict[str, Any]) -> RowPlan:
        titles = [values.get(f"title_{lang}", "") for lang in LANGUAGES]
        if not any(titles):
            raise RowRejected(
                ("title_en", _("Give the training's title in at least one language."))
            )
        if self.action is None:
            raise RowRejected((None, _("The platform has no action to log trainings for yet.")))
        organiser = values["organiser"]
        status = values.get("status") or TrainingStatus.PLANNED
        start, end = values.get("start_date"), values.get("end_date")
        try:
            validate_date_range(start, end)
        except ValidationError:
            raise RowRejected(
                ("end_date", _("The end date cannot be before the start date."))
            ) from None
        try:
            validate_held(status, start, end)
        except ValidationError as error:
            field, messages = next(iter(error.message_dict.items()))
            raise RowRejected((field, messages[0])) from None
        wanted = {key(t) for t in titles if t}
        existing = next(
            (
                t
                for t in self.known.get((organiser, start), [])
                if wanted & {key(getattr(t, f"title_{lang}") or "") for lang in LANGUAGES} - {""}
            ),
            None,
        )
        label = next(t for t in titles if t)
        row_key = ("training", organiser, start, min(wanted))
        if existing is None:
            if organiser not in self.organisers:
                raise RowRejected(
                    (
                        "organiser",
                        _("You cannot log trainings for %(institution)s.")
                        % {"institution": self.lookups["institutions"].labels.get(organiser, "")},
                    )
                )
            return RowPlan(number, "new", label, key=row_key, data=values)
        if existing.pk not in self.editable:
            raise RowRejected(
                (None, _("You cannot change the training “%(title)s”.") % {"title": existing})
            )
        scalar = {
            name: values[name]
            for name in (
                *[f"title_{lang}" for lang in LANGUAGES],
                "status",
                "end_date",
                "venue",
                "city",
                "methodology",
            )
            if name in values and not (name.startswith("title_") and not values[name])
        }
        if "status" in scalar and not scalar["status"]:
            scalar["status"] = TrainingStatus.PLANNED
        changed, shown = self.diff(existing, scalar)
        relations: dict[str, list[int]] = {}
        for name in ("partners", "topics", "target_groups"):
            if name not in values:
                continue
            ids = sorted(values[name])
            if name == "partners":
                ids = sorted(pk for pk in ids if pk != existing.organiser_id)
            current = sorted(o.pk for o in getattr(existing, name).all())
            if ids != current:
                relations[name] = ids
                header = dict(self.columns())[name].header.current()
                shown.append((header, self.show(name, current), self.show(name, ids)))
        action = "update" if changed or relations else "unchanged"
        return RowPlan(
            number,
            action,
            str(existing),
            key=row_key,
            changes=shown,
            data=(existing, changed, relations),
        )

    def write(self, rows: list[RowPlan], changes: Changes) -> None:
        by, action = self.user, self.action
        if by is None or action is None:
            raise ValidationError(_("The platform has no action to log trainings for yet."))
        topics = Topic.objects.in_bulk()
        groups = ProfessionalGroup.objects.in_bulk()
        institutions = Institution.objects.in_bulk()
        for row in rows:
            if row.action == "new":
                values = row.data
                titles = {lang: values.get(f"title_{lang}", "") for lang in LANGUAGES}
                training = services.training_create(
                    by=by,
                    action=action,
                    title=titles["en"] or titles["mk"] or titles["sq"],
                    organiser=institutions[values["organiser"]],
                    topics=[topics[pk] for pk in values["topics"]],
                    target_groups=[groups[pk] for pk in values.get("target_groups", [])],
                    partners=[institutions[pk] for pk in values.get("partners", [])],
                    methodology=values.get("methodology", ""),
                    venue=values.get("venue", ""),
                    city=values.get("city", ""),
                    start_date=values.get("start_date"),
                    end_date=values.get("end_date"),
                    status=values.get("status") or TrainingStatus.PLANNED,
                )
                _set_titles(training, titles)
                changes.add_created(Training, [training.pk])
                continue
            existing, changed, relations = row.data
            changes.add_updated(existing, changed)
            for name in relations:
                changes.add_m2m(existing, name, [o.pk for o in getattr(existing, name).all()])
            merged = {
                "partners": [o.pk for o in existing.partners.all()],
                "topics": [o.pk for o in existing.topics.all()],
                "target_groups": [o.pk for o in existing.target_groups.all()],
                **relations,
            }
            training = services.training_update(
                training=existing,
                by=by,
                seen_at=None,
                title=existing.title,
                organiser=existing.organiser,
                topics=[topics[pk] for pk in merged["topics"]],
                target_groups=[groups[pk] for pk in merged["target_groups"]],
                partners=[institutions[pk] for pk in merged["partners"]],
                recommendations=list(existing.recommendations.all()),
                outcomes=list(existing.outcomes.all()),
                methodology=changed.get("methodology", existing.methodology),
                venue=changed.get("venue", existing.venue),
                city=changed.get("city", existing.city),
                start_date=existing.start_date,
                end_date=changed.get("end_date", existing.end_date),
                status=changed.get("status", existing.status),
            )
            _set_titles(training, {lang: changed.get(f"title_{lang}", "") for lang in LANGUAGES})

    def after_rollback(self, changes: Changes) -> None:
        ids = [int(pk) for pk in changes.updated.get("trainings.training", {})]
        ids += [int(pk) for d in changes.m2m.get("trainings.training", {}).values() for pk in d]
        for training in Training.objects.filter(pk__in=ids).select_related("organiser"):
            services.training_share(training=training)


def _set_titles(training: Training, titles: dict[str, str]) -> None:
    """Each language's title as the file gives it; the service filled the English fallback."""
    changed = [f"title_{lang}" for lang, title in titles.items() if title]
    for lang, title in titles.items():
        if title:
            setattr(training, f"title_{lang}", title)
    if changed:
        Training.objects.filter(pk=training.pk).update(
            **{name: getattr(training, name) for name in changed}
        )
        record_bulk(Training, [training], created=False)


# --- Participants and attendance of one training -----------------------------------------------


_SEXES = {
    Sex.FEMALE: {"f", "female", "woman", "w", "ж", "жена", "женски", "femër", "femer", "femra"},
    Sex.MALE: {"m", "male", "man", "м", "маж", "машки", "mashkull", "mashkulli"},
    Sex.OTHER: {"other", "x", "друго", "tjetër", "tjeter"},
}
_SEX_WORDS = {word: value for value, words in _SEXES.items() for word in words}


def sex_from_text(text: str) -> str | None:
    """A sex as people write it, in any of the three languages, or None."""
    return _SEX_WORDS.get(key(text).rstrip("."))


class SexWidget(ChoiceWidget):
    def __init__(self) -> None:
        super().__init__(Sex, parse=sex_from_text)

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str | None:

        try:
            return super().clean(value, row, **kwargs)
        except CellProblem:
            raise CellProblem(_("Write F or M (Ж or М, жена or маж, femër or mashkull).")) from None


# The attendance's values a file may give.
_ATTENDANCE_COLUMNS = ("pre_score", "post_score", "completed", "consent", "consent_date")


class AttendanceResource(SpreadsheetResource):
    """A training's attendance list: who came, with their scores and their consent at this
    training; people found among those the user may see by ``trainings.matching``'s rule,
    and added to the register when new."""

    kind = "attendance"
    written = ("trainings.participant", "trainings.attendance")

    training = Column(
        Header("Training", "Обука", "Trajnimi"),
        TextWidget(max_length=400),
        attribute="training",
        help_text=gettext_lazy(
            "Exports name the training of each row; a file imported again must be the chosen "
            "training's."
        ),
        in_template=False,
    )
    full_name = Column(
        Header("Full name", "Име и презиме", "Emri dhe mbiemri"),
        TextWidget(max_length=200),
        attribute="participant__full_name",
        required=True,
    )
    sex = Column(
        Header("Sex", "Пол", "Gjinia"),
        SexWidget(),
        attribute="participant__sex",
        required=True,
        help_text=gettext_lazy("F or M, Ж or М, жена or маж, femër or mashkull."),
        choices=lambda resource: [str(label) for label in Sex.labels],
    )
    profession = Column(
        Header("Profession", "Професија", "Profesioni"),
        RefWidget("groups"),
        attribute="participant__professional_group",
        choices=lambda resource: resource.lookups["groups"].choices(),
    )
    institution = Column(
        Header("Institution", "Институција", "Institucioni"),
        RefWidget("institutions"),
        attribute="participant__institution",
        help_text=gettext_lazy(
            "By its full name, short name or another of its names, in any language."
        ),
        choices=lambda resource: resource.lookups["institutions"].choices(),
    )
    position = Column(
        Header("Position", "Работно место", "Pozita"),
        TextWidget(max_length=200),
        attribute="participant__position",
    )
    email = Column(
        Header("Email", "Е-пошта", "Email"),
        EmailWidget(),
        attribute="participant__email",
        help_text=gettext_lazy(
            "With the same name, the same email is the same person, among the people you may "
            "already see. An email alone never is: shared addresses are common."
        ),
    )
    consent = Column(
        Header("Consent to processing", "Согласност за обработка", "Pëlqimi për përpunim"),
        BooleanWidget(),
        attribute="consent",
        help_text=gettext_lazy(
            "Yes or no: consent given at this training. Its report names only those who said yes."
        ),
        choices=lambda resource: [_("yes"), _("no")],
    )
    consent_date = Column(
        Header("Consent date", "Датум на согласност", "Data e pëlqimit"),
        DateWidget(),
        attribute="consent_date",
        help_text=gettext_lazy("Needed when consent is yes; dd.mm.yyyy."),
    )
    pre_score = Column(
        Header("Pre-test score", "Резултат на предтест", "Rezultati i testit paraprak"),
        _score(),
        attribute="pre_score",
        help_text=gettext_lazy("0 to 100"),
    )
    post_score = Column(
        Header("Post-test score", "Резултат на посттест", "Rezultati i testit përfundimtar"),
        _score(),
        attribute="post_score",
        help_text=gettext_lazy("0 to 100"),
    )
    completed = Column(
        Header("Completed", "Завршил/а", "E përfundoi"),
        BooleanWidget(),
        attribute="completed",
        help_text=gettext_lazy("Yes when empty."),
        choices=lambda resource: [_("yes"), _("no")],
    )

    class Meta:
        model = Attendance
        fields = (
            "training",
            "full_name",
            "sex",
            "profession",
            "institution",
            "position",
            "email",
            "consent",
            "consent_date",
            "pre_score",
            "post_score",
            "completed",
        )

    @classmethod
    def may_import(cls, user: Any) -> bool:
        return trainings_editable_by(user).exists()

    def target_problem(self) -> str | None:
        if self.training is None:
            return _("Choose the training.")
        if not may_change_training(self.user, self.training):
            return _("You cannot change the training “%(title)s”.") % {"title": self.training}
        return None

    def export_queryset(self) -> QuerySet[Attendance]:
        # One training's list; without one (the admin's export), every training's the user
        # may see, each row naming its training.
        if self.training is None:
            attendances = Attendance.objects.filter(training__in=trainings_visible_to(self.user))
        else:
            attendances = Attendance.objects.filter(training=self.training)
        return attendances.select_related(
            "training", "participant__professional_group", "participant__institution"
        ).order_by(
            "training__start_date", "training_id", alphabetical("participant__full_name"), "pk"
        )

    def _sees_everyone(self, training: Training | None = None) -> bool:
        """Whether the reader keeps the list (may change the training), as on its page. An
        export of many trainings' attendance (the admin's) asks for each row's training."""
        training = training or self.training
        if training is None:
            return False
        if not hasattr(self, "_keeps_list"):
            self._keeps_list: dict[int, bool] = {}
        if training.pk not in self._keeps_list:
            self._keeps_list[training.pk] = may_change_training(self.user, training)
        return self._keeps_list[training.pk]

    def get_export_fields(self, selected_fields: Any = None) -> list[Any]:
        export_fields = super().get_export_fields(selected_fields)
        # Emails are shown to those who may change the training, as on its page; an export
        # of many trainings keeps the column and fills it on those rows only.
        if self.training is None or self._sees_everyone():
            return export_fields
        return [f for f in export_fields if f is not self.fields["email"]]

    def dehydrate_training(self, attendance: Attendance) -> str:
        return str(attendance.training)

    # Other readers get a person's name and position only where the page names them.
    def dehydrate_full_name(self, attendance: Attendance) -> str:
        if self._sees_everyone(attendance.training) or attendance.names_participant:
            return attendance.participant.full_name
        return ""

    def dehydrate_position(self, attendance: Attendance) -> str:
        if self._sees_everyone(attendance.training) or attendance.names_participant:
            return attendance.participant.position
        return ""

    def dehydrate_email(self, attendance: Attendance) -> str:
        if self._sees_everyone(attendance.training):
            return attendance.participant.email
        return ""

    def prepare_lookups(self) -> None:
        self.lookups["institutions"] = institution_index()
        self.lookups["groups"] = group_index()

    def prepare(self) -> None:
        self.prepare_lookups()
        if self.training is None:
            raise ValidationError(_("Choose the training."))
        # The register the user may see, read once whatever the size of the file.
        self.planner = AttendancePlanner(
            training=self.training, by=self.user, register=Register.visible_to(self.user)
        )
        # How an export names the training: its title or its label, in any language.
        self.training_names: set[str] = set()
        for language in LANGUAGES:
            with translation.override(language):
                self.training_names |= {key(self.training.title), key(str(self.training))}
        self.training_names |= {key(getattr(self.training, f"title_{lang}")) for lang in LANGUAGES}
        self.training_names.discard("")

    def plan_row(self, number: int, values: dict[str, Any]) -> RowPlan:
        named = values.get("training")
        if named and self.training is not None and key(named) not in self.training_names:
            raise RowRejected(
                (
                    "training",
                    _(
                        "This row is of another training; this file is imported into “%(title)s”. "
                        "Import each training's rows into that training."
                    )
                    % {"title": self.training},
                )
            )
        row = AttendanceRow(
            row=number,
            full_name=values["full_name"],
            sex=values["sex"],
            professional_group_id=values.get("profession"),
            institution_id=values.get("institution"),
            position=values.get("position", ""),
            email=values.get("email", ""),
            attendance={name: values[name] for name in _ATTENDANCE_COLUMNS if name in values},
        )
        planned = self.planner.plan(row)
        if planned.conflicts:
            # An import cannot ask which to keep: the row is left out, and says why.
            name = planned.participant.full_name
            raise RowRejected(*[(c.field, c.message(name=name)) for c in planned.conflicts])
        shown: list[tuple[str, str, str]] = []
        if not planned.is_new:
            shown += self.diff(planned.participant, planned.filled)[1]
        if planned.attendance is not None:
            shown += self.diff(planned.attendance, planned.changed)[1]
        return RowPlan(
            number,
            planned.action,
            person_name(row.full_name),
            key=planned.key,
            changes=shown,
            data=row,
        )

    def write(self, rows: list[RowPlan], changes: Changes) -> None:
        if self.training is None:
            raise ValidationError(_("Choose the training."))
        services.attendances_record(
            training=self.training,
            by=self.user,
            rows=[row.data for row in rows],
            listed=services.LISTED_UPDATE,
            register=self.planner.register,
            changes=changes,
        )
