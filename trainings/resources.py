"""Trainings, and the participants and attendance of a training, in spreadsheets.

The attendance import is the one that meets big files (a ministry's whole register), so it
plans with in-memory look-ups and writes in bulk; it follows the register's rules exactly
(``participant_register``): among the people the importing user may see, the same email is
the same person, so is the same name at the same institution; anyone else is registered
anew for the user's institution. Details missing from a record the user's institution
registered are filled in, never overwritten; another institution's record is not changed.
Consent is the training's own: it goes on the attendance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.history import record_bulk
from programme.imports import (
    BooleanWidget,
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
    attname_of,
    bulk_insert,
    key,
)
from programme.models import validate_date_range
from programme.selectors import action_primary
from stakeholders.choices import Sex
from stakeholders.models import Institution, ProfessionalGroup
from stakeholders.resources import institution_index
from stakeholders.selectors import persona_for
from trainings import services
from trainings.choices import SCORE_MAX, SCORE_MIN, TrainingStatus
from trainings.forms import sex_from_text
from trainings.models import Attendance, Participant, Topic, Training
from trainings.permissions import (
    may_change_participant,
    organisers_for,
    registering_institution_id,
    trainings_editable_by,
    trainings_visible_to,
)
from trainings.selectors import participants_for_matching

LANGUAGES = ("en", "mk", "sq")

STATUS_SYNONYMS = {
    TrainingStatus.PLANNED: ["планирана", "планиран", "e planifikuar", "planifikuar"],
    TrainingStatus.HELD: ["одржана", "одржан", "done", "completed", "e mbajtur", "mbajtur"],
    TrainingStatus.CANCELLED: ["откажана", "canceled", "e anuluar", "anuluar"],
}


def group_index() -> NameIndex:
    rows = ProfessionalGroup.objects.values_list("pk", "slug", "name_en", "name_mk", "name_sq")
    return NameIndex(
        ((pk, [slug, *names], next((n for n in names if n), slug)) for pk, slug, *names in rows),
        noun=_("profession"),
    )


def topic_index() -> NameIndex:
    rows = Topic.objects.values_list("pk", "slug", "name_en", "name_mk", "name_sq")
    return NameIndex(
        ((pk, [slug, *names], next((n for n in names if n), slug)) for pk, slug, *names in rows),
        noun=_("topic"),
    )


def _score() -> DecimalWidget:
    return DecimalWidget(minimum=Decimal(SCORE_MIN), maximum=Decimal(SCORE_MAX))


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
            "Planned when empty. A training that was held needs its start date."
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
            .prefetch_related("partners", "topics", "target_groups")
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
        if status == TrainingStatus.HELD and not start:
            raise RowRejected(("start_date", _("A training that was held needs its dates.")))
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


class SexWidget(ChoiceWidget):
    def __init__(self) -> None:
        super().__init__(Sex, parse=sex_from_text)

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str | None:
        from programme.imports import CellProblem

        try:
            return super().clean(value, row, **kwargs)
        except CellProblem:
            raise CellProblem(_("Write F or M (Ж or М, жена or маж, femër or mashkull).")) from None


@dataclass
class _Person:
    """A row's participant: someone registered already, or a record to create."""

    participant: Participant
    is_new: bool
    filled: dict[str, Any]


# The register's columns an attendance import compares and fills.
_REGISTER_FIELDS = {
    "id",
    "full_name",
    "sex",
    "professional_group_id",
    "institution_id",
    "position",
    "email",
    "registered_by_institution_id",
}
# Consent at a training, and what recording it writes besides.
_CONSENT = {"consent", "consent_date"}
_CONSENT_RECORD = ("consent_recorded_by", "consent_recorded_at")


class _Register(dict[int, Participant]):
    """Registered participants by id, each made a record (the other fields deferred, as with
    ``only()``) the first time a row of the file names them."""

    def __init__(self, fields: list[str], rows: dict[int, tuple[Any, ...]]) -> None:
        super().__init__()
        self.fields, self.rows = fields, rows

    def __missing__(self, pk: int) -> Participant:
        person = Participant.from_db(DEFAULT_DB_ALIAS, self.fields, list(self.rows[pk]))
        self[pk] = person
        return person


class AttendanceResource(SpreadsheetResource):
    """A training's attendance list: who came, with their scores and their consent at this
    training; people found among those the user may see by email, or by name and
    institution, and added to the register when new."""

    kind = "attendance"
    written = ("trainings.participant", "trainings.attendance")

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
            "The same email is the same person, whatever the name, among the people you "
            "may already see."
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
        if not trainings_editable_by(self.user).filter(pk=self.training.pk).exists():
            return _("You cannot change the training “%(title)s”.") % {"title": self.training}
        return None

    def export_queryset(self) -> QuerySet[Attendance]:
        if self.training is None:
            return Attendance.objects.none()
        return (
            Attendance.objects.filter(training=self.training)
            .select_related("participant__professional_group", "participant__institution")
            .order_by("participant__full_name", "pk")
        )

    def _sees_everyone(self) -> bool:
        """Whether the reader keeps the list (may change the training), as on its page."""
        if not hasattr(self, "_keeps_list"):
            self._keeps_list = persona_for(self.user).is_programme_team or (
                self.training is not None
                and trainings_editable_by(self.user).filter(pk=self.training.pk).exists()
            )
        return self._keeps_list

    def get_export_fields(self, selected_fields: Any = None) -> list[Any]:
        export_fields = super().get_export_fields(selected_fields)
        # Emails are shown to those who may change the training, as on its page.
        if self._sees_everyone():
            return export_fields
        return [f for f in export_fields if f is not self.fields["email"]]

    # Other readers get a person's name and position only where the page names them.
    def dehydrate_full_name(self, attendance: Attendance) -> str:
        if self._sees_everyone() or attendance.names_participant:
            return attendance.participant.full_name
        return ""

    def dehydrate_position(self, attendance: Attendance) -> str:
        if self._sees_everyone() or attendance.names_participant:
            return attendance.participant.position
        return ""

    def prepare_lookups(self) -> None:
        self.lookups["institutions"] = institution_index()
        self.lookups["groups"] = group_index()

    def prepare(self) -> None:
        self.prepare_lookups()
        # The register the user may see is compared, as plain rows: a record is made only for
        # the people the file names (a register of 50,000 costs a fraction of building them
        # all). Records the user may fill in come first, so they are the ones found.
        fields = [
            f.attname for f in Participant._meta.concrete_fields if f.attname in _REGISTER_FIELDS
        ]
        rows = participants_for_matching(by=self.user).values_list(*fields)
        at = {name: i for i, name in enumerate(fields)}
        register: dict[int, tuple[Any, ...]] = {}
        self.by_email: dict[str, int] = {}
        self.by_name_institution: dict[tuple[str, int], int] = {}
        self.by_name_alone: dict[str, int] = {}
        for row in rows.iterator(chunk_size=5000):
            pk, email, institution_id = row[at["id"]], row[at["email"]], row[at["institution_id"]]
            register[pk] = row
            name = key(row[at["full_name"]])
            if email:
                self.by_email.setdefault(email.casefold(), pk)
            if institution_id is not None:
                self.by_name_institution.setdefault((name, institution_id), pk)
            elif not email:
                self.by_name_alone.setdefault(name, pk)
        self.people = _Register(fields, register)
        self.attendance: dict[int, Attendance] = {
            a.participant_id: a for a in Attendance.objects.filter(training=self.training)
        }
        self.claimed_emails: dict[str, tuple[Any, ...]] = {}
        self.claimed_names: dict[tuple[str, int], tuple[Any, ...]] = {}
        self.registers_for = (
            registering_institution_id(self.user, self.training)
            if self.training is not None
            else None
        )

    def match(self, *, full_name: str, institution_id: int | None, email: str) -> int | None:
        """The participant these details describe, among those the user may see:
        ``participant_matching``'s rule, answered from memory."""
        if email and (pk := self.by_email.get(email.casefold())) is not None:
            return pk
        name = key(full_name)
        if institution_id is not None:
            return self.by_name_institution.get((name, institution_id))
        return self.by_name_alone.get(name)

    def plan_row(self, number: int, values: dict[str, Any]) -> RowPlan:
        name = " ".join(values["full_name"].split())
        email = values.get("email", "")
        group_id = values.get("profession")
        institution_id = values.get("institution")
        # An empty consent cell leaves the attendance's consent as it is; yes or no sets it.
        consent = values.get("consent")
        consent_date = values.get("consent_date")
        if consent and not consent_date:
            raise RowRejected(("consent_date", _("Give the date consent was given.")))
        if consent_date and consent_date > timezone.localdate():
            raise RowRejected(("consent_date", _("The date cannot be in the future.")))
        pk = self.match(full_name=name, institution_id=institution_id, email=email)
        shown: list[tuple[str, str, str]] = []
        if pk is None:
            person = _Person(
                Participant(
                    full_name=name,
                    sex=values["sex"],
                    professional_group_id=group_id,
                    institution_id=institution_id,
                    position=values.get("position", ""),
                    email=email,
                    registered_by_institution_id=self.registers_for,
                    is_demo=self.training.is_demo,  # type: ignore[union-attr]
                ),
                is_new=True,
                filled={},
            )
            row_key: tuple[Any, ...] = (
                ("email", email.casefold()) if email else ("name", key(name), institution_id)
            )
        else:
            existing = self.people[pk]
            filled: dict[str, Any] = {}
            # Another institution's record is listed as it is: its details are not changed.
            for field_name, value in (
                ("professional_group", group_id),
                ("institution", institution_id),
                ("position", values.get("position", "")),
                ("email", email),
            ):
                attname = attname_of(Participant, field_name)
                if value and not getattr(existing, attname) and self.may_fill(existing):
                    filled[field_name] = value
            if "institution" in filled:
                other = self.by_name_institution.get(
                    (key(existing.full_name), filled["institution"])
                )
                if other is not None and other != pk:
                    raise RowRejected(
                        (
                            "institution",
                            _(
                                "%(name)s is registered at this institution already, as "
                                "another participant."
                            )
                            % {"name": existing.full_name},
                        )
                    )
            person = _Person(existing, is_new=False, filled=filled)
            _changed, shown = self.diff(existing, filled)
            row_key = ("participant", pk)
        self._claim(person, who=row_key)
        attendance = self.attendance.get(pk) if pk is not None else None
        scores: dict[str, Any] = {
            name_: values[name_] for name_ in ("pre_score", "post_score") if name_ in values
        }
        if "completed" in values:
            scores["completed"] = True if values["completed"] is None else values["completed"]
        if consent is not None:
            scores["consent"] = consent
            scores["consent_date"] = consent_date if consent else None
        if attendance is None:
            action = "new"
            changed = scores
        else:
            changed, more = self.diff(attendance, scores)
            shown += more
            action = "update" if changed or person.filled else "unchanged"
        return RowPlan(
            number, action, name, key=row_key, changes=shown, data=(person, attendance, changed)
        )

    def may_fill(self, participant: Participant) -> bool:
        return may_change_participant(self.user, participant)

    def _claim(self, person: _Person, *, who: tuple[Any, ...]) -> None:
        """Refuse an email, or a name at an institution, that two rows give to two people:
        the register holds one person per email and per name at an institution."""
        name = key(person.participant.full_name)
        email = (person.filled.get("email") or person.participant.email or "").casefold()
        institution = person.filled.get("institution") or person.participant.institution_id
        if email:
            holder = self.claimed_emails.setdefault(email, who)
            if holder != who:
                raise RowRejected(("email", _("Another row gives this email to someone else.")))
        if institution:
            holder = self.claimed_names.setdefault((name, institution), who)
            if holder != who:
                raise RowRejected(
                    (
                        "full_name",
                        _("Another row gives this name at this institution to someone else."),
                    )
                )

    def write(self, rows: list[RowPlan], changes: Changes) -> None:
        if self.training is None:
            raise ValidationError(_("Choose the training."))
        now = timezone.now()
        new_people = [r.data[0].participant for r in rows if r.data[0].is_new]
        created = bulk_insert(Participant, new_people)
        changes.add_created(Participant, [p.pk for p in created])
        filled = [r.data[0] for r in rows if not r.data[0].is_new and r.data[0].filled]
        names: set[str] = set()
        for person in filled:
            changes.add_updated(person.participant, person.filled)
            for field_name, value in person.filled.items():
                setattr(person.participant, attname_of(Participant, field_name), value)
                names.add(field_name)
            person.participant.updated_at = now
        if filled:
            Participant.objects.bulk_update(
                [p.participant for p in filled], sorted(names | {"updated_at"}), batch_size=2000
            )
            record_bulk(Participant, [p.participant for p in filled], created=False)
        new_rows: list[Attendance] = []
        updated: list[Attendance] = []
        update_fields: set[str] = set()
        for row in rows:
            person, attendance, changed = row.data
            if changed.get("consent") if attendance is None else changed.keys() & _CONSENT:
                # Who recorded the consent, and when, as the forms record it.
                by = getattr(self.user, "pk", None)
                changed = {**changed, _CONSENT_RECORD[0]: by, _CONSENT_RECORD[1]: now}
            if attendance is None:
                new_rows.append(
                    Attendance(
                        training=self.training,
                        participant=person.participant,
                        pre_score=changed.get("pre_score"),
                        post_score=changed.get("post_score"),
                        completed=changed.get("completed", True),
                        consent=bool(changed.get("consent")),
                        consent_date=changed.get("consent_date"),
                        consent_recorded_by_id=changed.get(_CONSENT_RECORD[0]),
                        consent_recorded_at=changed.get(_CONSENT_RECORD[1]),
                    )
                )
            elif changed:
                changes.add_updated(attendance, changed)
                for field_name, value in changed.items():
                    setattr(attendance, attname_of(Attendance, field_name), value)
                    update_fields.add(field_name)
                attendance.updated_at = now
                updated.append(attendance)
        created_rows = bulk_insert(Attendance, new_rows)
        changes.add_created(Attendance, [a.pk for a in created_rows])
        if updated:
            Attendance.objects.bulk_update(
                updated, sorted(update_fields | {"updated_at"}), batch_size=2000
            )
            record_bulk(Attendance, updated, created=False)
