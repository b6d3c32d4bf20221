"""Forms of the review queue: its filters, and the items chosen to approve at once."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.collation import alphabetical
from core.widgets import ListedChoiceIterator, QuickSelect
from programme.models import Indicator, ReportingPeriod
from recommendations.models import Assignment, Recommendation
from recommendations.selectors import REVIEW_KINDS, REVIEW_UPDATE, REVIEW_VALUE
from stakeholders.models import Institution

# The choices of "waiting for": more than this many days.
WAITING_DAYS = (7, 14, 30)
# Approving at once stays a list a person can check on one page.
MAX_CHOSEN = 100


class _ModelChoice(forms.ModelChoiceField):
    """A filter's drop-down of records, read at once and written without templates."""

    iterator = ListedChoiceIterator
    widget = QuickSelect


class _RecommendationChoice(_ModelChoice):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.number}. {Truncator(obj.text).chars(60)}"


class ReviewQueueFilterForm(forms.Form):
    """What the queue shows: one kind, one institution, recommendation or period, or what
    has waited longer than some days."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        widget=QuickSelect,
        choices=[
            ("", _("Any")),
            (REVIEW_UPDATE, _("Progress updates")),
            (REVIEW_VALUE, _("Indicator values")),
        ],
    )
    institution: forms.ModelChoiceField[Institution] = _ModelChoice(
        label=_("Institution"),
        required=False,
        empty_label=_("Any"),
        # Those that report: assigned to a recommendation or responsible for an indicator.
        # Exists, not a join made distinct: the join sorted every assignment's whole row.
        queryset=Institution.objects.filter(
            Exists(Assignment.objects.filter(institution_id=OuterRef("pk")))
            | Exists(Indicator.objects.filter(responsible_id=OuterRef("pk")))
        ).order_by(alphabetical("name"), "pk"),
    )
    recommendation = _RecommendationChoice(
        label=_("Recommendation"),
        required=False,
        empty_label=_("Any"),
        queryset=Recommendation.objects.order_by("recommendation_set", "number"),
    )
    period: forms.ModelChoiceField[ReportingPeriod] = _ModelChoice(
        label=_("Reporting period"),
        required=False,
        empty_label=_("Any"),
        queryset=ReportingPeriod.objects.order_by("-start_date"),
    )
    waiting = forms.TypedChoiceField(
        label=_("Waiting"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=QuickSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Made per form, so that each reader gets the choices in their language.
        self.fields["waiting"].choices = [  # type: ignore[attr-defined]
            ("", gettext("Any time")),
            *(
                (str(days), gettext("More than %(days)d days") % {"days": days})
                for days in WAITING_DAYS
            ),
        ]

    def filters(self) -> dict[str, Any]:
        """The keyword arguments of ``selectors.review_queue``; none for a form with errors."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "kind": data.get("kind") or "",
            "institution_id": data["institution"].pk if data.get("institution") else None,
            "recommendation_id": data["recommendation"].pk if data.get("recommendation") else None,
            "period_id": data["period"].pk if data.get("period") else None,
            "waiting_more_than": data.get("waiting"),
        }


class ReviewItemsField(forms.Field):
    """Items of the queue named as "update:12" or "value:5", given one per checkbox."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": _("Choose at least one item to approve."),
        "invalid": _("The list of chosen items is not valid. Choose them again in the queue."),
        "too_many": _("Choose at most %(max)d items at a time."),
    }

    def to_python(self, value: Any) -> list[tuple[str, int]]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        items: list[tuple[str, int]] = []
        for raw in value:
            kind, _sep, pk = str(raw).partition(":")
            if kind not in REVIEW_KINDS or not pk.isdigit() or not 0 < int(pk) < 2**31:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            items.append((kind, int(pk)))
        items = list(dict.fromkeys(items))
        if len(items) > MAX_CHOSEN:
            raise ValidationError(
                self.error_messages["too_many"], code="too_many", params={"max": MAX_CHOSEN}
            )
        return items


class ReviewApproveForm(forms.Form):
    """The items a reviewer chose in the queue to approve together."""

    item = ReviewItemsField(label=_("Chosen items"))
