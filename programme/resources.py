"""The steering committee's action points and the indicators' values per period, in
spreadsheets."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.history import record_bulk
from core.imports import (
    Changes,
    ChoiceWidget,
    Column,
    DateWidget,
    DecimalWidget,
    Header,
    IntegerWidget,
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
from programme import services
from programme.choices import ActionPointStatus
from programme.models import (
    ActionPoint,
    Decision,
    Indicator,
    IndicatorValue,
    Meeting,
    ReportingPeriod,
)
from programme.permissions import action_points_editable_by, meetings_visible_to
from programme.selectors import action_primary
from stakeholders.resources import institution_index
from stakeholders.selectors import persona_for

STATUS_SYNONYMS = {
    ActionPointStatus.OPEN: ["отворена", "отворено", "e hapur", "hapur"],
    ActionPointStatus.IN_PROGRESS: ["во тек", "në vazhdim", "ongoing"],
    ActionPointStatus.DONE: ["завршена", "завршено", "completed", "e kryer", "kryer", "closed"],
    ActionPointStatus.CANCELLED: ["откажана", "откажано", "canceled", "e anuluar", "anuluar"],
}
# What an institution's editors may report on their own action points; the rest is what the
# committee agreed, changed only by the programme team.
PROGRESS_FIELDS = ("status", "closed_on", "progress_note")


class ActionPointResource(SpreadsheetResource):
    """Action points, one per meeting and description."""

    kind = "action_points"
    written = ("programme.actionpoint",)

    meeting = Column(
        Header("Meeting number", "Број на средба", "Numri i takimit"),
        IntegerWidget(),
        attribute="meeting__number",
        required=True,
    )
    description = Column(
        Header("Action point", "Акциска точка", "Pika e veprimit"),
        TextWidget(max_length=5000, multiline=True),
        attribute="description",
        required=True,
        help_text=gettext_lazy(
            "As the committee agreed it: it is how the action point is found again."
        ),
    )
    owner = Column(
        Header("Owner", "Носител", "Bartësi"),
        RefWidget("institutions"),
        attribute="owner",
        required=True,
        choices=lambda resource: resource.lookups["institutions"].choices(),
    )
    decision = Column(
        Header("Decision number", "Број на одлука", "Numri i vendimit"),
        IntegerWidget(),
        attribute="decision__number",
    )
    due_date = Column(
        Header("Due date", "Рок", "Afati"),
        DateWidget(),
        attribute="due_date",
        help_text=gettext_lazy("dd.mm.yyyy"),
    )
    status = Column(
        Header("Status", "Статус", "Statusi"),
        ChoiceWidget(ActionPointStatus, synonyms=STATUS_SYNONYMS),
        attribute="status",
        help_text=gettext_lazy("Open when empty. Done and cancelled need their closing date."),
        choices=lambda resource: [str(label) for label in ActionPointStatus.labels],
    )
    closed_on = Column(
        Header("Closed on", "Затворена на", "Mbyllur më"),
        DateWidget(),
        attribute="closed_on",
        help_text=gettext_lazy("dd.mm.yyyy"),
    )
    progress_note = Column(
        Header("Progress note", "Белешка за напредокот", "Shënim për progresin"),
        TextWidget(max_length=5000, multiline=True),
        attribute="progress_note",
    )

    class Meta:
        model = ActionPoint
        fields = (
            "meeting",
            "description",
            "owner",
            "decision",
            "due_date",
            "status",
            "closed_on",
            "progress_note",
        )

    @classmethod
    def may_import(cls, user: Any) -> bool:
        return persona_for(user).is_programme_team or action_points_editable_by(user).exists()

    def export_queryset(self) -> QuerySet[ActionPoint]:
        return (
            ActionPoint.objects.filter(meeting__in=meetings_visible_to(self.user))
            .select_related("meeting", "owner", "decision")
            .order_by("meeting__number", "due_date", "pk")
        )

    def prepare(self) -> None:
        self.lookups["institutions"] = institution_index()
        action = action_primary()
        meetings = Meeting.objects.filter(action=action) if action else Meeting.objects.none()
        self.meetings = {m.number: m for m in meetings}
        self.decisions = {(d.meeting_id, d.number): d for d in Decision.objects.all()}
        self.points = {(p.meeting_id, key(p.description)): p for p in ActionPoint.objects.all()}
        self.team = persona_for(self.user).is_programme_team
        self.editable = set(action_points_editable_by(self.user).values_list("pk", flat=True))
        self.today = timezone.localdate()

    def plan_row(self, number: int, values: dict[str, Any]) -> RowPlan:
        meeting = self.meetings.get(values["meeting"])
        if meeting is None:
            raise RowRejected(
                ("meeting", _("There is no meeting %(n)s.") % {"n": values["meeting"]})
            )
        decision = None
        if values.get("decision"):
            decision = self.decisions.get((meeting.pk, values["decision"]))
            if decision is None:
                raise RowRejected(
                    (
                        "decision",
                        _("Meeting %(m)s took no decision %(n)s.")
                        % {"m": meeting.number, "n": values["decision"]},
                    )
                )
        wanted: dict[str, Any] = {"owner": values["owner"]}
        for name in ("due_date", "closed_on", "progress_note"):
            if name in values:
                wanted[name] = values[name] if name != "progress_note" else (values[name] or "")
        if "status" in values:
            wanted["status"] = values["status"] or ActionPointStatus.OPEN
        if "decision" in values:
            wanted["decision"] = decision.pk if decision else None
        if wanted.get("closed_on") and wanted["closed_on"] > self.today:
            raise RowRejected(("closed_on", _("The closing date cannot be in the future.")))
        existing = self.points.get((meeting.pk, key(values["description"])))
        row_key = ("action_point", meeting.pk, key(values["description"]))
        candidate = ActionPoint(
            meeting=meeting, description=values["description"], status=ActionPointStatus.OPEN
        )
        if existing is not None:
            candidate = ActionPoint(
                **{
                    f.attname: getattr(existing, f.attname)
                    for f in ActionPoint._meta.concrete_fields
                }
            )
        for name, value in wanted.items():
            setattr(candidate, attname_of(ActionPoint, name), value)
        candidate.meeting = meeting
        candidate.decision = (
            decision if "decision" in values else (existing.decision if existing else None)
        )
        try:
            candidate.clean()
        except ValidationError as exc:
            problems = [
                (name if name in self.fields else None, " ".join(messages))
                for name, messages in exc.message_dict.items()
            ]
            raise RowRejected(*problems) from None
        label = values["description"][:120]
        if existing is None:
            if not self.team:
                raise RowRejected((None, _("Only the programme team adds action points.")))
            return RowPlan(number, "new", label, key=row_key, data=(None, candidate))
        changed, shown = self.diff(existing, wanted)
        if not self.team:
            if existing.pk not in self.editable:
                raise RowRejected((None, _("You cannot update this action point.")))
            agreed = sorted(set(changed) - set(PROGRESS_FIELDS))
            if agreed:
                headers = ", ".join(str(self.fields[n].header.current()) for n in agreed)
                raise RowRejected(
                    (
                        agreed[0],
                        _(
                            "Only the programme team changes what the committee "
                            "agreed (%(columns)s)."
                        )
                        % {"columns": headers},
                    )
                )
        action = "update" if changed else "unchanged"
        return RowPlan(number, action, label, key=row_key, changes=shown, data=(existing, changed))

    def write(self, rows: list[RowPlan], changes: Changes) -> None:
        for row in rows:
            existing, values = row.data
            if existing is None:
                point: ActionPoint = values
                point.is_demo = bool(getattr(self.user, "is_demo", False))
                point.full_clean()
                point.save()
                services.action_point_share(action_point=point)
                changes.add_created(ActionPoint, [point.pk])
                continue
            changes.add_updated(existing, values)
            if self.team and set(values) - set(PROGRESS_FIELDS):
                for name, value in values.items():
                    setattr(existing, attname_of(ActionPoint, name), value)
                existing.full_clean()
                existing.save()
                services.action_point_share(action_point=existing)
            else:
                services.action_point_update(
                    action_point=existing,
                    by=self.user,
                    status=values.get("status", existing.status),
                    progress_note=values.get("progress_note", existing.progress_note),
                    closed_on=values.get("closed_on", existing.closed_on),
                )

    def after_rollback(self, changes: Changes) -> None:
        ids = [int(pk) for pk in changes.updated.get("programme.actionpoint", {})]
        for point in ActionPoint.objects.filter(pk__in=ids).select_related("owner"):
            services.action_point_share(action_point=point)


def period_index() -> NameIndex:
    return NameIndex(
        ((pk, [name], name) for pk, name in ReportingPeriod.objects.values_list("pk", "name")),
        noun=_("reporting period"),
    )


def indicator_index() -> NameIndex:
    """Indicators by code (when no other outcome uses it), outcome/indicator codes, title."""
    rows = Indicator.objects.select_related("outcome").values_list(
        "pk", "code", "outcome__code", "title_en", "title_mk", "title_sq"
    )
    return NameIndex(
        (
            (
                pk,
                [code, f"{outcome}/{code}", f"{outcome} {code}", *titles],
                f"{code} {titles[0] or ''}",
            )
            for pk, code, outcome, *titles in rows
        ),
        noun=_("indicator"),
    )


def _amount() -> DecimalWidget:
    return DecimalWidget(minimum=Decimal(0), maximum=Decimal("9999999999.99"))


class IndicatorValueResource(SpreadsheetResource):
    """The target and the value reached by each indicator in a reporting period."""

    kind = "indicator_values"
    written = ("programme.indicatorvalue",)

    indicator = Column(
        Header("Indicator", "Индикатор", "Treguesi"),
        RefWidget("indicators"),
        attribute="indicator__code",
        required=True,
        help_text=gettext_lazy(
            "Its code (or outcome code/indicator code when codes repeat), or its title."
        ),
        choices=lambda resource: resource.lookups["indicators"].choices(),
    )
    period = Column(
        Header("Reporting period", "Извештаен период", "Periudha raportuese"),
        RefWidget("periods"),
        attribute="period",
        required=True,
        choices=lambda resource: resource.lookups["periods"].choices(),
    )
    target = Column(Header("Target", "Цел", "Synimi"), _amount(), attribute="target")
    actual = Column(Header("Actual", "Постигнато", "Arritur"), _amount(), attribute="actual")
    actual_women = Column(
        Header("Of which women", "Од кои жени", "Prej tyre gra"),
        _amount(),
        attribute="actual_women",
    )
    actual_men = Column(
        Header("Of which men", "Од кои мажи", "Prej tyre burra"), _amount(), attribute="actual_men"
    )
    note = Column(
        Header("Note", "Забелешка", "Shënim"),
        TextWidget(max_length=5000, multiline=True),
        attribute="note",
    )

    class Meta:
        model = IndicatorValue
        fields = ("indicator", "period", "target", "actual", "actual_women", "actual_men", "note")

    def dehydrate_indicator(self, obj: IndicatorValue) -> str:
        return f"{obj.indicator.outcome.code}/{obj.indicator.code}"

    def export_queryset(self) -> QuerySet[IndicatorValue]:
        if not persona_for(self.user).is_authenticated:
            return IndicatorValue.objects.none()
        return IndicatorValue.objects.select_related("indicator__outcome", "period").order_by(
            "indicator__outcome__code", "indicator__code", "period__start_date"
        )

    def prepare(self) -> None:
        self.lookups["indicators"] = indicator_index()
        self.lookups["periods"] = period_index()
        self.values = {(v.indicator_id, v.period_id): v for v in IndicatorValue.objects.all()}
        self.is_demo = bool(getattr(self.user, "is_demo", False))

    def plan_row(self, number: int, values: dict[str, Any]) -> RowPlan:
        indicator_id, period_id = values["indicator"], values["period"]
        wanted: dict[str, Any] = {
            name: values[name]
            for name in ("target", "actual", "actual_women", "actual_men", "note")
            if name in values
        }
        if "note" in wanted:
            wanted["note"] = wanted["note"] or ""
        existing = self.values.get((indicator_id, period_id))
        candidate = IndicatorValue(indicator_id=indicator_id, period_id=period_id)
        if existing is not None:
            for name in ("target", "actual", "actual_women", "actual_men", "note"):
                setattr(candidate, name, getattr(existing, name))
        for name, value in wanted.items():
            setattr(candidate, name, value)
        try:
            candidate.clean()
        except ValidationError as exc:
            raise RowRejected(*[(n, " ".join(m)) for n, m in exc.message_dict.items()]) from None
        label = (
            f"{self.lookups['indicators'].labels.get(indicator_id, '')} – "
            f"{self.lookups['periods'].labels.get(period_id, '')}"
        )
        row_key = ("indicator_value", indicator_id, period_id)
        if existing is None:
            candidate.is_demo = self.is_demo
            return RowPlan(number, "new", label, key=row_key, data=(None, candidate))
        changed, shown = self.diff(existing, wanted)
        action = "update" if changed else "unchanged"
        return RowPlan(number, action, label, key=row_key, changes=shown, data=(existing, changed))

    def write(self, rows: list[RowPlan], changes: Changes) -> None:
        new = [row.data[1] for row in rows if row.data[0] is None]
        created = bulk_insert(IndicatorValue, new)
        changes.add_created(IndicatorValue, [v.pk for v in created])
        updated = []
        names: set[str] = set()
        now = timezone.now()
        for row in rows:
            existing, values = row.data
            if existing is None:
                continue
            changes.add_updated(existing, values)
            for name, value in values.items():
                setattr(existing, name, value)
                names.add(name)
            existing.updated_at = now
            updated.append(existing)
        if updated:
            IndicatorValue.objects.bulk_update(
                updated, sorted(names | {"updated_at"}), batch_size=1000
            )
            record_bulk(IndicatorValue, updated, created=False)
