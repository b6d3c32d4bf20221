"""Recommendations with the institutions that act on them, and progress updates, in
spreadsheets. Updates go through the same services as the portal's form: an institution
reports only on a recommendation it is assigned to, and only drafts and returned updates
change."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.basemodels import NO_VICTIM_DETAILS
from core.collation import alphabetical
from core.imports import (
    BooleanWidget,
    Changes,
    ChoiceWidget,
    Column,
    Header,
    IntegerWidget,
    NameIndex,
    RefWidget,
    RowPlan,
    RowRejected,
    SpreadsheetResource,
    TextWidget,
)
from programme.models import ReportingPeriod
from programme.resources import period_index
from recommendations import services
from recommendations.choices import AssignmentKind, ImplementationStatus, UpdateState
from recommendations.models import (
    Assignment,
    ProgressUpdate,
    Recommendation,
    RecommendationSet,
    Theme,
)
from recommendations.permissions import updates_visible_to
from stakeholders.models import Institution
from stakeholders.resources import institution_index
from stakeholders.selectors import persona_for

LANGUAGES = ("en", "mk", "sq")

STATUS_SYNONYMS = {
    ImplementationStatus.NOT_STARTED: ["не е започната", "не започната", "nuk ka filluar"],
    ImplementationStatus.PLANNED: ["планирана", "e planifikuar", "planifikuar"],
    ImplementationStatus.IN_PROGRESS: ["во тек", "në vazhdim", "ongoing"],
    ImplementationStatus.ADVANCED: [
        "advanced",
        "во голема мера спроведена",
        "kryesisht e zbatuar",
    ],
    ImplementationStatus.IMPLEMENTED: [
        "implemented",
        "спроведена",
        "целосно спроведена",
        "e zbatuar plotësisht",
        "zbatuar",
    ],
}


def set_index() -> NameIndex:
    entries = []
    for s in RecommendationSet.objects.all():
        names = [
            getattr(s, f"{f}_{lang}") or "" for f in ("title", "session") for lang in LANGUAGES
        ]
        names += [f"{s.working_group}, {s.session}", str(s)]
        entries.append((s.pk, names, str(s)))
    return NameIndex(entries, noun=_("recommendation set"))


def theme_index() -> NameIndex:
    rows = Theme.objects.values_list("pk", "slug", "name_en", "name_mk", "name_sq")
    return NameIndex(
        ((pk, [slug, *names], next((n for n in names if n), slug)) for pk, slug, *names in rows),
        noun=_("theme"),
    )


class _RecommendationFinder:
    """A recommendation by its number, within the set named (needed when numbers repeat)."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[int, int], Recommendation] = {}
        self.by_number: dict[int, list[Recommendation]] = {}
        for r in Recommendation.objects.select_related("recommendation_set"):
            self.by_key[(r.recommendation_set_id, r.number)] = r
            self.by_number.setdefault(r.number, []).append(r)

    def sets(self) -> list[int]:
        return sorted({set_id for set_id, _n in self.by_key})


def _only_set(sets: NameIndex, values: dict[str, Any]) -> int:
    """The set the row names, or the only one there is."""
    if values.get("recommendation_set"):
        return int(values["recommendation_set"])
    if len(sets.labels) == 1:
        return next(iter(sets.labels))
    raise RowRejected(("recommendation_set", _("Name the recommendation set.")))


class RecommendationResource(SpreadsheetResource):
    """Recommendations word for word, by set and number, with the institutions assigned.

    Institutions listed are assigned (or their kind changed); institutions not listed stay
    assigned: withdrawing one is done in the administration, where its updates are seen.
    """

    kind = "recommendations"
    written = ("recommendations.recommendation", "recommendations.assignment")

    recommendation_set = Column(
        Header("Recommendation set", "Сет на препораки", "Grupi i rekomandimeve"),
        RefWidget("sets"),
        attribute="recommendation_set",
        help_text=gettext_lazy("Its title or session; may be left empty while there is one set."),
        choices=lambda resource: resource.lookups["sets"].choices(),
    )
    number = Column(
        Header("Number", "Број", "Numri"), IntegerWidget(), attribute="number", required=True
    )
    text_en = Column(
        Header("Text (English)", "Текст (англиски)", "Teksti (anglisht)"),
        TextWidget(max_length=10000, multiline=True),
        attribute="text_en",
        help_text=gettext_lazy(
            "Word for word. At least one of the three texts for a new recommendation."
        ),
    )
    text_mk = Column(
        Header("Text (Macedonian)", "Текст (македонски)", "Teksti (maqedonisht)"),
        TextWidget(max_length=10000, multiline=True),
        attribute="text_mk",
    )
    text_sq = Column(
        Header("Text (Albanian)", "Текст (албански)", "Teksti (shqip)"),
        TextWidget(max_length=10000, multiline=True),
        attribute="text_sq",
    )
    text_mk_official = Column(
        Header(
            "Macedonian text is official",
            "Македонскиот текст е официјален",
            "Teksti maqedonisht është zyrtar",
        ),
        BooleanWidget(),
        attribute="text_mk_official",
        choices=lambda resource: [_("yes"), _("no")],
    )
    text_sq_official = Column(
        Header(
            "Albanian text is official",
            "Албанскиот текст е официјален",
            "Teksti shqip është zyrtar",
        ),
        BooleanWidget(),
        attribute="text_sq_official",
        choices=lambda resource: [_("yes"), _("no")],
    )
    themes = Column(
        Header("Themes", "Теми", "Temat"),
        RefWidget("themes", many=True),
        attribute="themes",
        help_text=gettext_lazy("Separated by semicolons."),
    )
    responsible = Column(
        Header("Responsible institutions", "Одговорни институции", "Institucionet përgjegjëse"),
        RefWidget("institutions", many=True),
        help_text=gettext_lazy("Separated by semicolons."),
    )
    invited = Column(
        Header(
            "Institutions invited to report",
            "Институции поканети да известуваат",
            "Institucionet e ftuara të raportojnë",
        ),
        RefWidget("institutions", many=True),
        help_text=gettext_lazy("Separated by semicolons."),
    )

    class Meta:
        model = Recommendation
        fields = (
            "recommendation_set",
            "number",
            "text_en",
            "text_mk",
            "text_sq",
            "text_mk_official",
            "text_sq_official",
            "themes",
            "responsible",
            "invited",
        )

    def export_queryset(self) -> QuerySet[Recommendation]:
        if not persona_for(self.user).is_authenticated:
            return Recommendation.objects.none()
        return (
            Recommendation.objects.select_related("recommendation_set")
            .prefetch_related(  # each list in the reader's alphabet, as the columns write it
                Prefetch("themes", Theme.objects.order_by(alphabetical("name"), "pk")),
                Prefetch(
                    "assignments",
                    Assignment.objects.select_related("institution").order_by(
                        alphabetical("institution__name"), "pk"
                    ),
                ),
            )
            .order_by("recommendation_set", "number")
        )

    def _assigned(self, obj: Recommendation, kind: str) -> str:
        # In the reader's alphabet: export_queryset prefetches the assignments in that order.
        return "; ".join(a.institution.name for a in obj.assignments.all() if a.kind == kind)

    def dehydrate_responsible(self, obj: Recommendation) -> str:
        return self._assigned(obj, AssignmentKind.RESPONSIBLE)

    def dehydrate_invited(self, obj: Recommendation) -> str:
        return self._assigned(obj, AssignmentKind.INVITED)

    def prepare(self) -> None:
        self.lookups["sets"] = set_index()
        self.lookups["themes"] = theme_index()
        self.lookups["institutions"] = institution_index()
        self.finder = _RecommendationFinder()
        self.assignments: dict[int, dict[int, Assignment]] = {}
        for a in Assignment.objects.all():
            self.assignments.setdefault(a.recommendation_id, {})[a.institution_id] = a
        self.is_demo = bool(getattr(self.user, "is_demo", False))

    def plan_row(self, number: int, values: dict[str, Any]) -> RowPlan:
        set_id = _only_set(self.lookups["sets"], values)
        existing = self.finder.by_key.get((set_id, values["number"]))
        wanted: dict[int, str] = {}
        kinds: tuple[tuple[str, str], ...] = (
            ("responsible", AssignmentKind.RESPONSIBLE),
            ("invited", AssignmentKind.INVITED),
        )
        for column, kind in kinds:
            for pk in values.get(column, []):
                if wanted.get(pk, kind) != kind:
                    raise RowRejected(
                        (column, _("An institution is either responsible or invited, not both."))
                    )
                wanted[pk] = kind
        scalar: dict[str, Any] = {
            name: values[name]
            for name in ("text_en", "text_mk", "text_sq", "text_mk_official", "text_sq_official")
            if name in values
            and values[name] is not None
            and not (
                name.startswith("text_") and not name.endswith("official") and not values[name]
            )
        }
        label = _("Recommendation %(number)s") % {"number": values["number"]}
        row_key = ("recommendation", set_id, values["number"])
        if existing is None:
            if not any(values.get(f"text_{lang}") for lang in LANGUAGES):
                raise RowRejected(("text_en", _("Give the recommendation's text.")))
            return RowPlan(
                number,
                "new",
                label,
                key=row_key,
                data=(
                    None,
                    {**scalar, "recommendation_set_id": set_id, "number": values["number"]},
                    values.get("themes"),
                    wanted,
                ),
            )
        changed, shown = self.diff(existing, scalar)
        themes = None
        if "themes" in values:
            current = sorted(t.pk for t in existing.themes.all())
            if sorted(values["themes"]) != current:
                themes = sorted(values["themes"])
                shown.append(
                    (
                        self.fields["themes"].header.current(),
                        self.show("themes", current),
                        self.show("themes", themes),
                    )
                )
        have = self.assignments.get(existing.pk, {})
        assign = {
            pk: kind for pk, kind in wanted.items() if pk not in have or have[pk].kind != kind
        }
        for pk, kind in assign.items():
            column = "responsible" if kind == AssignmentKind.RESPONSIBLE else "invited"
            before = have[pk].get_kind_display() if pk in have else "—"
            shown.append((self.fields[column].header.current(), before, self.show(column, [pk])))
        action = "update" if changed or themes is not None or assign else "unchanged"
        return RowPlan(
            number,
            action,
            str(existing),
            key=row_key,
            changes=shown,
            data=(existing, changed, themes, assign),
        )

    def write(self, rows: list[RowPlan], changes: Changes) -> None:
        institutions = Institution.objects.in_bulk()
        for row in rows:
            existing, fields_, themes, assign = row.data
            if existing is None:
                recommendation = Recommendation(**fields_)
                if not fields_.get("text_en"):
                    recommendation.text_en = fields_.get("text_mk") or fields_.get("text_sq")  # type: ignore[attr-defined]
                recommendation.full_clean()
                recommendation.save()
                changes.add_created(Recommendation, [recommendation.pk])
                if themes:
                    recommendation.themes.set(themes)
            else:
                recommendation = existing
                changes.add_updated(recommendation, fields_)
                if themes is not None:
                    changes.add_m2m(
                        recommendation, "themes", [t.pk for t in recommendation.themes.all()]
                    )
                    recommendation.themes.set(themes)
                if fields_:
                    for name, value in fields_.items():
                        setattr(recommendation, name, value)
                    recommendation.full_clean()
                    recommendation.save()
            have = self.assignments.get(recommendation.pk, {})
            for pk, kind in assign.items():
                if pk in have:
                    changes.add_updated(have[pk], ["kind"])
                assignment = services.assignment_set(
                    recommendation=recommendation,
                    institution=institutions[pk],
                    kind=kind,
                    is_demo=self.is_demo,
                )
                if pk not in have:
                    changes.add_created(Assignment, [assignment.pk])

    def after_rollback(self, changes: Changes) -> None:
        # Assignments came and went: who may report follows them again (a handful of records).
        for recommendation in Recommendation.objects.all():
            services.recommendation_share(recommendation=recommendation)


class ProgressUpdateResource(SpreadsheetResource):
    """Progress updates, one per recommendation, institution and period, as drafts."""

    kind = "progress_updates"
    written = ("recommendations.progressupdate",)

    recommendation_set = Column(
        Header("Recommendation set", "Сет на препораки", "Grupi i rekomandimeve"),
        RefWidget("sets"),
        help_text=gettext_lazy("Needed only when two sets have a recommendation with this number."),
        choices=lambda resource: resource.lookups["sets"].choices(),
    )
    recommendation = Column(
        Header("Recommendation number", "Број на препорака", "Numri i rekomandimit"),
        IntegerWidget(),
        attribute="recommendation__number",
        required=True,
    )
    institution = Column(
        Header("Institution", "Институција", "Institucioni"),
        RefWidget("institutions"),
        attribute="institution",
        required=True,
        help_text=gettext_lazy(
            "An institution assigned to the recommendation, by any of its names."
        ),
        choices=lambda resource: resource.lookups["institutions"].choices(),
    )
    period = Column(
        Header("Reporting period", "Извештаен период", "Periudha raportuese"),
        RefWidget("periods"),
        attribute="period",
        required=True,
        choices=lambda resource: resource.lookups["periods"].choices(),
    )
    status = Column(
        Header("Implementation status", "Статус на спроведување", "Statusi i zbatimit"),
        ChoiceWidget(ImplementationStatus, synonyms=STATUS_SYNONYMS),
        attribute="status",
        required=True,
        choices=lambda resource: [str(label) for label in ImplementationStatus.labels],
    )
    narrative = Column(
        Header("Narrative", "Опис", "Përshkrimi"),
        TextWidget(max_length=20000, multiline=True),
        attribute="narrative",
        required=True,
        help_text=format_lazy(
            "{} {}", gettext_lazy("What was done in the period."), NO_VICTIM_DETAILS
        ),
    )
    state = Column(
        Header("Workflow state", "Фаза", "Faza"),
        ChoiceWidget(UpdateState),
        attribute="state",
        importable=False,
    )

    class Meta:
        model = ProgressUpdate
        fields = (
            "recommendation_set",
            "recommendation",
            "institution",
            "period",
            "status",
            "narrative",
            "state",
        )

    @classmethod
    def may_import(cls, user: Any) -> bool:
        persona = persona_for(user)
        return persona.is_programme_team or bool(persona.edits_for)

    def dehydrate_recommendation_set(self, obj: ProgressUpdate) -> str:
        return str(obj.recommendation.recommendation_set)

    def export_queryset(self) -> QuerySet[ProgressUpdate]:
        return (
            updates_visible_to(self.user)
            .select_related("recommendation__recommendation_set", "institution", "period")
            .order_by(
                "recommendation__number",
                "period__start_date",
                alphabetical("institution__name"),
                "pk",
            )
        )

    def prepare(self) -> None:
        self.lookups["sets"] = set_index()
        self.lookups["institutions"] = institution_index()
        self.lookups["periods"] = period_index()
        self.finder = _RecommendationFinder()
        self.assigned = set(Assignment.objects.values_list("recommendation_id", "institution_id"))
        self.persona = persona_for(self.user)
        self.updates = {
            (u.recommendation_id, u.institution_id, u.period_id): u
            for u in ProgressUpdate.objects.all()
        }
        self.periods = ReportingPeriod.objects.in_bulk()

    def _recommendation(self, values: dict[str, Any]) -> Recommendation:
        number = values["recommendation"]
        if values.get("recommendation_set"):
            found = self.finder.by_key.get((values["recommendation_set"], number))
            if found is None:
                raise RowRejected(
                    ("recommendation", _("The set has no recommendation %(n)s.") % {"n": number})
                )
            return found
        candidates = self.finder.by_number.get(number, [])
        if not candidates:
            raise RowRejected(
                ("recommendation", _("There is no recommendation %(n)s.") % {"n": number})
            )
        if len(candidates) > 1:
            raise RowRejected(
                (
                    "recommendation_set",
                    _("Name the recommendation set: more than one has a recommendation %(n)s.")
                    % {"n": number},
                )
            )
        return candidates[0]

    def plan_row(self, number: int, values: dict[str, Any]) -> RowPlan:
        recommendation = self._recommendation(values)
        institution_id = values["institution"]
        period_id = values["period"]
        names = self.lookups["institutions"].labels
        if (recommendation.pk, institution_id) not in self.assigned:
            raise RowRejected(
                (
                    "institution",
                    _("%(institution)s is not assigned to recommendation %(number)s.")
                    % {"institution": names.get(institution_id), "number": recommendation.number},
                )
            )
        if not self.persona.is_programme_team and institution_id not in self.persona.edits_for:
            raise RowRejected(
                (
                    "institution",
                    _("You cannot report for %(institution)s.")
                    % {"institution": names.get(institution_id)},
                )
            )
        label = f"{recommendation.number} – {names.get(institution_id)} – {self.periods[period_id]}"
        row_key = ("update", recommendation.pk, institution_id, period_id)
        existing = self.updates.get((recommendation.pk, institution_id, period_id))
        wanted = {"status": values["status"], "narrative": values["narrative"]}
        if existing is None:
            return RowPlan(number, "new", label, key=row_key, data=(recommendation, None, wanted))
        changed, shown = self.diff(existing, wanted)
        if changed and not existing.is_editable:
            raise RowRejected(
                (
                    None,
                    _("This update is %(state)s and can no longer be changed.")
                    % {"state": existing.get_state_display().lower()},
                )
            )
        action = "update" if changed else "unchanged"
        return RowPlan(
            number,
            action,
            label,
            key=row_key,
            changes=shown,
            data=(recommendation, existing, changed),
        )

    def write(self, rows: list[RowPlan], changes: Changes) -> None:
        institutions = Institution.objects.in_bulk()
        for row in rows:
            recommendation, existing, values = row.data
            _rec, institution_id, period_id = row.key[1:]
            if existing is None:
                update = services.progress_update_create(
                    recommendation=recommendation,
                    institution=institutions[institution_id],
                    period=self.periods[period_id],
                    status=values["status"],
                    narrative=values["narrative"],
                    by=self.user,
                    is_demo=bool(getattr(self.user, "is_demo", False)),
                )
                changes.add_created(ProgressUpdate, [update.pk])
            else:
                changes.add_updated(existing, values)
                services.progress_update_edit(update=existing, by=self.user, **values)
