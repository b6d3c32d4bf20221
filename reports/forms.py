from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from programme.models import Meeting, ReportingPeriod
from programme.permissions import meetings_visible_to
from recommendations.models import Recommendation
from reports.choices import ReportCopy, ReportKind
from reports.permissions import may_request_draft
from stakeholders.models import User
from trainings.models import Training
from trainings.permissions import trainings_visible_to


class PeriodChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: ReportingPeriod) -> str:
        start = date_format(obj.start_date, "SHORT_DATE_FORMAT")
        end = date_format(obj.end_date, "SHORT_DATE_FORMAT")
        return f"{obj.name} ({start} – {end})"


class RecommendationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Recommendation) -> str:
        return str(obj)


class MeetingChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Meeting) -> str:
        return str(obj)


# Which field names the subject of each kind of report.
SUBJECT_FIELD = {
    ReportKind.COMMITTEE: "period",
    ReportKind.RECOMMENDATION: "recommendation",
    ReportKind.TRAINING: "training",
    ReportKind.MEETING: "meeting",
}


class ReportRequestForm(forms.Form):
    """Ask for one kind of report: its subject, its language, and whether it is for archiving."""

    period = PeriodChoice(
        label=_("Reporting period"), queryset=ReportingPeriod.objects.order_by("-start_date")
    )
    recommendation = RecommendationChoice(
        label=_("Recommendation"),
        queryset=Recommendation.objects.order_by("number"),
        required=False,
        empty_label=_("All the recommendations"),
    )
    training: forms.ModelChoiceField[Training] = forms.ModelChoiceField(
        label=_("Training"), queryset=Training.objects.none()
    )
    meeting = MeetingChoice(label=_("Meeting"), queryset=Meeting.objects.none())
    language = forms.ChoiceField(
        label=_("Language of the report"), choices=settings.LANGUAGES, widget=forms.RadioSelect
    )
    pdfa = forms.BooleanField(
        label=_("Archival PDF/A"),
        required=False,
        help_text=_(
            "A PDF/A-2a file (tagged, as every report is), for the archive. "
            "Leave it unticked for everyday use."
        ),
    )

    copy = forms.ChoiceField(
        label=_("Copy"),
        choices=ReportCopy.choices,
        initial=ReportCopy.FINAL,
        widget=forms.RadioSelect,
        required=False,  # not said: the final copy
    )

    def __init__(self, *args: Any, kind: str, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind != ReportKind.COMMITTEE or not may_request_draft(user):
            del self.fields["copy"]  # the final copy: the only one there is for them
        subject = SUBJECT_FIELD[ReportKind(kind)]
        for name in SUBJECT_FIELD.values():
            if name != subject:
                del self.fields[name]
        if subject == "training":
            self.fields["training"].queryset = trainings_visible_to(user).order_by(  # type: ignore[attr-defined]
                "-start_date", "title"
            )
        elif subject == "meeting":
            self.fields["meeting"].queryset = meetings_visible_to(user).order_by("-number")  # type: ignore[attr-defined]

    def is_draft(self) -> bool:
        """Whether the programme team asked for the committee report's draft copy."""
        return self.cleaned_data.get("copy") == ReportCopy.DRAFT

    def subject(self) -> dict[str, Any]:
        """The subject as the service takes it: period=…, recommendation=…, and so on."""
        name = SUBJECT_FIELD[ReportKind(self.kind)]
        return {name: self.cleaned_data.get(name)}
