"""How each record is written out in JSON. Only what the portal shows its reader: no file's
content, no participant's details beyond what the training's page shows."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from programme.models import (
    Action,
    ActionPoint,
    Decision,
    IndicatorValue,
    Meeting,
    Outcome,
    Output,
    ReportingPeriod,
)
from recommendations.models import Evidence, ProgressUpdate
from research.models import Study
from stakeholders.models import Institution


class InstitutionSerializer(serializers.ModelSerializer[Institution]):
    class Meta:
        model = Institution
        fields = ["id", "code", "name", "short_name", "kind", "parent", "country", "website"]


class ActionSerializer(serializers.ModelSerializer[Action]):
    programme = serializers.CharField(source="programme.name", read_only=True)

    class Meta:
        model = Action
        fields = [
            "id",
            "programme",
            "title",
            "country",
            "summary",
            "implemented_by",
            "start_date",
            "end_date",
            "on_track_percent",
        ]


class ReportingPeriodSerializer(serializers.ModelSerializer[ReportingPeriod]):
    class Meta:
        model = ReportingPeriod
        fields = ["id", "action", "name", "start_date", "end_date", "due_date", "closed_at"]


class OutputSerializer(serializers.ModelSerializer[Output]):
    class Meta:
        model = Output
        fields = ["id", "code", "title"]


class OutcomeSerializer(serializers.ModelSerializer[Outcome]):
    outputs = OutputSerializer(many=True, read_only=True)

    class Meta:
        model = Outcome
        fields = ["id", "action", "code", "title", "description", "outputs"]


# --- The results framework's figures (programme.results) ----------------------------------


class MeasureSerializer(serializers.Serializer[Any]):
    """A value: its total and, for an indicator counted by sex, its parts."""

    total = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    women = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    men = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    other = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)


class PeriodFigureSerializer(serializers.Serializer[Any]):
    period = serializers.IntegerField(source="period.pk")
    period_name = serializers.CharField(source="period.name")
    target = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    value = MeasureSerializer()
    to_date = MeasureSerializer()
    target_to_date = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    frozen = serializers.BooleanField()


class IndicatorFiguresSerializer(serializers.Serializer[Any]):
    """An indicator of the results framework with its figures for every period."""

    id = serializers.IntegerField(source="indicator.pk")
    code = serializers.CharField(source="indicator.code")
    title = serializers.CharField(source="indicator.title")
    unit = serializers.CharField(source="indicator.unit")
    kind = serializers.CharField(source="indicator.kind")
    outcome = serializers.IntegerField(source="indicator.outcome_id")
    output = serializers.IntegerField(source="indicator.output_id", allow_null=True)
    responsible = serializers.IntegerField(source="indicator.responsible_id", allow_null=True)
    baseline = serializers.DecimalField(
        source="indicator.baseline", max_digits=14, decimal_places=2, allow_null=True
    )
    target_end = serializers.DecimalField(
        source="indicator.target_end", max_digits=14, decimal_places=2, allow_null=True
    )
    direction = serializers.CharField(source="indicator.direction")
    aggregation = serializers.CharField(source="indicator.aggregation")
    by_sex = serializers.BooleanField(source="indicator.by_sex")
    status = serializers.CharField()
    periods = PeriodFigureSerializer(many=True)


class IndicatorValueSerializer(serializers.ModelSerializer[IndicatorValue]):
    """A reported indicator's value as its institution entered it, with its review state."""

    class Meta:
        model = IndicatorValue
        fields = [
            "id",
            "indicator",
            "period",
            "target",
            "actual",
            "actual_women",
            "actual_men",
            "actual_other",
            "state",
            "submitted_at",
            "reviewed_at",
        ]


# --- Recommendations ------------------------------------------------------------------------


class AssignmentSerializer(serializers.Serializer[Any]):
    """An institution assigned to the recommendation and what its latest approved update says."""

    institution = serializers.IntegerField(source="institution.pk")
    institution_name = serializers.CharField(source="institution.name")
    kind = serializers.CharField()
    status = serializers.CharField(source="approved.status", allow_null=True, default=None)
    period = serializers.IntegerField(source="approved.period_id", allow_null=True, default=None)


class RecommendationSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="recommendation.pk")
    recommendation_set = serializers.IntegerField(source="recommendation.recommendation_set_id")
    recommendation_set_title = serializers.CharField(
        source="recommendation.recommendation_set.title"
    )
    number = serializers.IntegerField(source="recommendation.number")
    text = serializers.CharField(source="recommendation.text")
    themes = serializers.SerializerMethodField()
    status = serializers.CharField(allow_null=True, help_text="The overall status.")
    assessed_by = serializers.IntegerField(
        help_text="How many assigned institutions have an approved update."
    )
    assignments = AssignmentSerializer(many=True)

    def get_themes(self, row: Any) -> list[str]:
        return [theme.slug for theme in row.recommendation.themes.all()]


class EvidenceSerializer(serializers.ModelSerializer[Evidence]):
    """What is known of an item of evidence; its file is downloaded in the portal."""

    kind = serializers.SerializerMethodField()
    size = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = ["id", "title", "kind", "size", "created_at"]

    def get_kind(self, evidence: Evidence) -> str:
        if evidence.is_redacted:
            return "removed"
        return "file" if evidence.file else "link"

    def get_size(self, evidence: Evidence) -> int | None:
        """The file's size in bytes (none for a link, or a file no longer stored)."""
        if not evidence.file:
            return None
        try:
            return int(evidence.file.size)
        except OSError:
            return None


class ProgressUpdateSerializer(serializers.ModelSerializer[ProgressUpdate]):
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = ProgressUpdate
        fields = [
            "id",
            "recommendation",
            "institution",
            "period",
            "status",
            "state",
            "narrative",
            "submitted_at",
            "reviewed_at",
            "created_at",
            "updated_at",
            "evidence",
        ]


# --- Trainings ------------------------------------------------------------------------------


class GroupCountSerializer(serializers.Serializer[Any]):
    group = serializers.CharField()
    count = serializers.IntegerField()


class TrainingSerializer(serializers.Serializer[Any]):
    """A training with who came, by sex and by profession (counts only)."""

    id = serializers.IntegerField(source="training.pk")
    title = serializers.CharField(source="training.title")
    status = serializers.CharField(source="training.status")
    organiser = serializers.IntegerField(source="training.organiser_id")
    partners = serializers.SerializerMethodField()
    city = serializers.CharField(source="training.city")
    start_date = serializers.DateField(source="training.start_date", allow_null=True)
    end_date = serializers.DateField(source="training.end_date", allow_null=True)
    topics = serializers.SerializerMethodField()
    target_groups = serializers.SerializerMethodField()
    participants = serializers.IntegerField()
    women = serializers.IntegerField()
    men = serializers.IntegerField()
    by_profession = GroupCountSerializer(many=True)

    def get_partners(self, row: Any) -> list[int]:
        return [p.pk for p in row.training.partners.all()]

    def get_topics(self, row: Any) -> list[str]:
        return [t.slug for t in row.training.topics.all()]

    def get_target_groups(self, row: Any) -> list[str]:
        return [g.slug for g in row.training.target_groups.all()]


class ParticipantSerializer(serializers.Serializer[Any]):
    """Someone listed at a training: named only where the training's page names them."""

    name = serializers.CharField(allow_null=True)
    sex = serializers.CharField()
    profession = serializers.CharField(allow_null=True)
    completed = serializers.BooleanField()


class TrainingDetailSerializer(TrainingSerializer):
    attendance = ParticipantSerializer(many=True)


# --- Meetings -------------------------------------------------------------------------------


class MeetingSerializer(serializers.ModelSerializer[Meeting]):
    decision_count = serializers.IntegerField(read_only=True)
    open_action_point_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "action",
            "number",
            "status",
            "date",
            "place",
            "format",
            "purpose",
            "agenda",
            "decision_count",
            "open_action_point_count",
        ]


class DecisionSerializer(serializers.ModelSerializer[Decision]):
    class Meta:
        model = Decision
        fields = ["id", "meeting", "number", "text", "recommendations", "outcomes"]


class ActionPointSerializer(serializers.ModelSerializer[ActionPoint]):
    class Meta:
        model = ActionPoint
        fields = [
            "id",
            "meeting",
            "decision",
            "description",
            "owner",
            "due_date",
            "status",
            "closed_on",
            "progress_note",
        ]


class StudySerializer(serializers.ModelSerializer[Study]):
    class Meta:
        model = Study
        fields = [
            "id",
            "slug",
            "title",
            "status",
            "authors",
            "contractor",
            "commissioned_by",
            "start_date",
            "due_date",
            "published_on",
            "summary",
            "recommendations",
        ]
