"""The steering committee's action points and the indicators' targets and reported values per
period, in spreadsheets."""

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
from programme.choices import ActionPointStatus, ValueState
from programme.models import (
    ActionPoint,
    Decision,
    Indicator,
    IndicatorValue,
    IndicatorValueTransition,
    Meeting,
    ReportingPeriod,
)
from programme.permissions import (
    action_points_editable_by,
    framework_visible_to,
    indicator_values_visible_to,
    meetings_visible_to,
)
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


# A reported indicator's value: what the import writes only for reported indicators.
VALUE_FIELDS = ("actual", "actual_women", "actual_men", "actual_other")
# The comment on the review step an import records (in the language of whoever imported).
IMPORTED = gettext_lazy("Imported from a spreadsheet by the programme team.")


class IndicatorValueResource(SpreadsheetResource):
    """Each indicator's target for a reporting period, and a reported indicator's value.

    - **Targets** of every indicator, computed or reported: planning figures the programme
      team sets, as it does on the framework's pages.
    - **Values** of reported indicators only. A computed indicator's value comes from the
      records (``programme.results``): its value columns are left empty in an export and a
      file that fills them in is refused for that row. The note is a remark on the row and
      goes with any indicator.
    - Only the programme team imports (the import gate's rule; ``may_import`` lets no one
      else in): the responsible institutions enter their values on the portal, with evidence,
      and the team reviews them. A value the team imports is its own word, so it counts at
      once: it is **approved**, and the step is recorded like a review
      (``IndicatorValueTransition``), whatever state the value was in.
    - A closed period's rows are frozen: nothing in them is added or changed until the
      period is reopened.
    - The export holds every row the reader may see: targets for everyone signed in, a
      reported value (and its workflow state) only where ``indicator_values_visible_to``
      shows it.
    """

    kind = "indicator_values"
    # The review steps it records are written only beside a value's change (their table has
    # no change time for the import's fingerprint).
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
    actual = Column(
        Header("Actual", "Постигнато", "Arritur"),
        _amount(),
        attribute="actual",
        help_text=gettext_lazy(
            "Reported indicators only: a computed indicator's value comes from the records."
        ),
    )
    actual_women = Column(
        Header("Of which women", "Од кои жени", "Prej tyre gra"),
        _amount(),
        attribute="actual_women",
    )
    actual_men = Column(
        Header("Of which men", "Од кои мажи", "Prej tyre burra"), _amount(), attribute="actual_men"
    )
    actual_other = Column(
        Header(
            "Of which other or not stated",
            "Од кои друго или не е наведено",
            "Prej tyre tjetër ose e padeklaruar",
        ),
        _amount(),
        attribute="actual_other",
        help_text=gettext_lazy(
            "Women, men and other or not stated are given together and add up to the actual."
        ),
    )
    note = Column(
        Header("Note", "Забелешка", "Shënim"),
        TextWidget(max_length=5000, multiline=True),
        attribute="note",
    )
    state = Column(
        Header("Workflow state", "Фаза", "Faza"),
        ChoiceWidget(ValueState),
        attribute="state",
        importable=False,
    )

    class Meta:
        model = IndicatorValue
        fields = (
            "indicator",
            "period",
            "target",
            "actual",
            "actual_women",
            "actual_men",
            "actual_other",
            "note",
            "state",
        )

    def dehydrate_indicator(self, obj: IndicatorValue) -> str:
        return f"{obj.indicator.outcome.code}/{obj.indicator.code}"

    def export_field(self, field: Any, instance: Any, **kwargs: Any) -> Any:
        """A value's columns stay empty where the row holds no reported value to show."""
        name = self.get_field_name(field)
        if name in (*VALUE_FIELDS, "state") and instance.pk not in self.shown_values:
            return ""
        return super().export_field(field, instance, **kwargs)

    def export_queryset(self) -> QuerySet[IndicatorValue]:
        if not framework_visible_to(self.user):
            self.shown_values: set[int] = set()
            return IndicatorValue.objects.none()
        self.shown_values = set(indicator_values_visible_to(self.user).values_list("pk", flat=True))
        return IndicatorValue.objects.select_related("indicator__outcome", "period").order_by(
            "indicator__outcome__code", "indicator__code", "period__start_date"
        )

    def prepare(self) -> None:
        self.lookups["indicators"] = indicator_index()
        self.lookups["periods"] = period_index()
        self.indicators = Indicator.objects.in_bulk()
        self.periods = ReportingPeriod.objects.in_bulk()
        self.values = {(v.indicator_id, v.period_id): v for v in IndicatorValue.objects.all()}
        self.is_demo = bool(getattr(self.user, "is_demo", False))

    def plan_row(self, number: int, values: dict[str, Any]) -> RowPlan:
        indicator_id, period_id = values["indicator"], values["period"]
        indicator = self.indicators[indicator_id]
        period = self.periods[period_id]
        given = [name for name in VALUE_FIELDS if name in values]
        if indicator.is_computed and given:
            raise RowRejected(
                (
                    given[0],
                    _(
                        "%(indicator)s is computed from the platform's records: only its target "
                        "and note are imported."
                    )
                    % {"indicator": indicator.code},
                )
            )
        fields = ("target", *VALUE_FIELDS, "note")
        wanted: dict[str, Any] = {name: values[name] for name in fields if name in values}
        if "note" in wanted:
            wanted["note"] = wanted["note"] or ""
        existing = self.values.get((indicator_id, period_id))
        candidate = IndicatorValue(indicator_id=indicator_id, period_id=period_id)
        if existing is not None:
            for name in fields:
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
        shown: list[tuple[str, str, str]] = []
        if existing is None:
            changed = wanted
        else:
            changed, shown = self.diff(existing, wanted)
        if (changed or existing is None) and (
            period.is_closed or (existing is not None and existing.is_frozen)
        ):
            raise RowRejected(
                (
                    "period",
                    _(
                        "%(period)s is closed: its values are frozen. The programme team "
                        "reopens it on the framework page to change them."
                    )
                    % {"period": period.name},
                )
            )
        if existing is None:
            candidate.is_demo = self.is_demo
            return RowPlan(number, "new", label, key=row_key, data=(None, candidate))
        action = "update" if changed else "unchanged"
        return RowPlan(number, action, label, key=row_key, changes=shown, data=(existing, changed))

    def write(self, rows: list[RowPlan], changes: Changes) -> None:
        now = timezone.now()
        user = self.user if getattr(self.user, "pk", None) else None
        new = [row.data[1] for row in rows if row.data[0] is None]
        for value in new:
            value.created_by = user
        steps: list[IndicatorValueTransition] = []
        for value in new:
            if value.actual is not None and not self.indicators[value.indicator_id].is_computed:
                steps.append(self._approve(value, user, now))
        created = bulk_insert(IndicatorValue, new)
        changes.add_created(IndicatorValue, [v.pk for v in created])
        updated = []
        names: set[str] = set()
        for row in rows:
            existing, values = row.data
            if existing is None:
                continue
            before_state = existing.state
            if any(name in values for name in VALUE_FIELDS):
                # Record what the approval changes too, so a rollback puts it back.
                values = {
                    **values,
                    "state": ValueState.APPROVED,
                    "reviewed_at": now,
                    "reviewed_by": user.pk if user else None,
                    "reviewer_comment": "",
                }
                if existing.submitted_at is None:
                    values["submitted_at"] = now
            changes.add_updated(existing, values)
            for name, value in values.items():
                setattr(existing, attname_of(IndicatorValue, name), value)
                names.add(attname_of(IndicatorValue, name))
            if "state" in values:
                steps.append(self._approve(existing, user, now, before=before_state))
            existing.updated_at = now
            updated.append(existing)
        if updated:
            IndicatorValue.objects.bulk_update(
                updated, sorted(names | {"updated_at"}), batch_size=1000
            )
            record_bulk(IndicatorValue, updated, created=False)
        made = IndicatorValueTransition.objects.bulk_create(steps, batch_size=1000)
        changes.add_created(IndicatorValueTransition, [t.pk for t in made])

    @staticmethod
    def _approve(
        value: IndicatorValue, user: Any, now: Any, *, before: str = ValueState.DRAFT
    ) -> IndicatorValueTransition:
        """The value counts as approved: its review fields set, and the step to record."""
        value.state = ValueState.APPROVED
        value.reviewed_at = now
        value.reviewed_by = user
        value.submitted_at = value.submitted_at or now
        return IndicatorValueTransition(
            value=value,
            from_state=before,
            to_state=ValueState.APPROVED,
            actual=value.actual,
            by=user,
            comment=str(IMPORTED),
        )
