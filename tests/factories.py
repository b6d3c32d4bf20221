"""factory_boy factories: one per model, each making a valid record with as little as it needs.

Translated fields are given in English (``title=...`` fills ``title_en``), the fallback language.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, Permission
from factory.django import DjangoModelFactory

from core.models import OutboxEmail
from imports.choices import ImportKind
from imports.models import ImportBatch
from notifications.choices import Frequency, NotificationKind
from notifications.models import Notification, NotificationPreference
from programme.choices import ActionPointStatus, InterventionKind
from programme.models import (
    Action,
    ActionPoint,
    ActionPointGroupObjectPermission,
    Decision,
    Indicator,
    IndicatorValue,
    Intervention,
    Meeting,
    MeetingAttendance,
    Outcome,
    Output,
    Programme,
    ReportingPeriod,
)
from recommendations.choices import ImplementationStatus, InstrumentKind, UpdateState
from recommendations.models import (
    Assignment,
    Evidence,
    Instrument,
    ProgressUpdate,
    ProgressUpdateGroupObjectPermission,
    Recommendation,
    RecommendationGroupObjectPermission,
    RecommendationSet,
    Theme,
    UpdateComment,
    UpdateTransition,
)
from reports.choices import ReportKind
from reports.models import Report
from research.choices import LanguageVersion, StudyStatus
from research.models import Study, StudyStatusChange, StudyVersion
from stakeholders.choices import AccountEventKind, InstitutionKind, MembershipRole, Sex
from stakeholders.models import (
    AccountEvent,
    ContactPerson,
    Institution,
    Membership,
    ProfessionalGroup,
    User,
)
from stakeholders.roles import programme_team_add
from trainings.choices import TrainingStatus
from trainings.models import (
    Attendance,
    Evaluation,
    Participant,
    Topic,
    Training,
    TrainingGroupObjectPermission,
)

# --- stakeholders ----------------------------------------------------------------------------


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True  # the hook below saves what it changes itself

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = "Ana"
    last_name = factory.Sequence(lambda n: f"Petrovska {n}")
    password = factory.django.Password("a-long-test-password")

    @factory.post_generation
    def programme_team(obj: User, create: bool, extracted: bool, **kwargs: object) -> None:
        """``programme_team=True`` gives the account the programme team's role."""
        if create and extracted:
            programme_team_add(user=obj)


class InstitutionFactory(DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"Institution {n}")
    kind = InstitutionKind.MINISTRY
    country = "North Macedonia"


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    institution = factory.SubFactory(InstitutionFactory)
    role = MembershipRole.EDITOR


class ContactPersonFactory(DjangoModelFactory):
    class Meta:
        model = ContactPerson

    institution = factory.SubFactory(InstitutionFactory)
    full_name = factory.Sequence(lambda n: f"Contact Person {n}")
    email = factory.Sequence(lambda n: f"contact{n}@example.org")


class ProfessionalGroupFactory(DjangoModelFactory):
    class Meta:
        model = ProfessionalGroup

    name = factory.Sequence(lambda n: f"Profession {n}")
    slug = factory.Sequence(lambda n: f"profession-{n}")


# --- programme -------------------------------------------------------------------------------


class ProgrammeFactory(DjangoModelFactory):
    class Meta:
        model = Programme

    name = factory.Sequence(lambda n: f"Programme {n}")


class ActionFactory(DjangoModelFactory):
    class Meta:
        model = Action

    programme = factory.SubFactory(ProgrammeFactory)
    title = factory.Sequence(lambda n: f"Action {n}")
    country = "North Macedonia"


class ReportingPeriodFactory(DjangoModelFactory):
    class Meta:
        model = ReportingPeriod

    action = factory.SubFactory(ActionFactory)
    name = factory.Sequence(lambda n: f"Period {n}")
    start_date = date(2025, 1, 1)
    end_date = date(2025, 6, 30)
    due_date = date(2025, 7, 31)


class OutcomeFactory(DjangoModelFactory):
    class Meta:
        model = Outcome

    action = factory.SubFactory(ActionFactory)
    code = factory.Sequence(lambda n: f"O{n}")
    title = factory.Sequence(lambda n: f"Outcome {n}")


class OutputFactory(DjangoModelFactory):
    class Meta:
        model = Output

    outcome = factory.SubFactory(OutcomeFactory)
    code = factory.Sequence(lambda n: f"O.{n}")
    title = factory.Sequence(lambda n: f"Output {n}")


class IndicatorFactory(DjangoModelFactory):
    class Meta:
        model = Indicator

    outcome = factory.SubFactory(OutcomeFactory)
    code = factory.Sequence(lambda n: f"I{n}")
    title = factory.Sequence(lambda n: f"Indicator {n}")
    unit = "persons"
    baseline = Decimal(0)


class IndicatorValueFactory(DjangoModelFactory):
    class Meta:
        model = IndicatorValue

    indicator = factory.SubFactory(IndicatorFactory)
    period = factory.SubFactory(
        ReportingPeriodFactory, action=factory.SelfAttribute("..indicator.outcome.action")
    )
    target = Decimal(100)
    actual = Decimal(40)


class MeetingFactory(DjangoModelFactory):
    class Meta:
        model = Meeting

    action = factory.SubFactory(ActionFactory)
    number = factory.Sequence(lambda n: n + 1)
    date = date(2025, 3, 14)
    place = "Skopje"


class MeetingAttendanceFactory(DjangoModelFactory):
    class Meta:
        model = MeetingAttendance

    meeting = factory.SubFactory(MeetingFactory)
    institution = factory.SubFactory(InstitutionFactory)


class DecisionFactory(DjangoModelFactory):
    class Meta:
        model = Decision

    meeting = factory.SubFactory(MeetingFactory)
    number = factory.Sequence(lambda n: n + 1)
    text = factory.Sequence(lambda n: f"The committee agreed point {n}.")


class ActionPointFactory(DjangoModelFactory):
    class Meta:
        model = ActionPoint

    meeting = factory.SubFactory(MeetingFactory)
    description = factory.Sequence(lambda n: f"Circulate draft {n}")
    owner = factory.SubFactory(InstitutionFactory)
    status = ActionPointStatus.OPEN


class InterventionFactory(DjangoModelFactory):
    class Meta:
        model = Intervention

    action = factory.SubFactory(ActionFactory)
    year = 2025
    kind = InterventionKind.CAPACITY_BUILDING
    title = factory.Sequence(lambda n: f"Intervention {n}")


class ReportFactory(DjangoModelFactory):
    """A meeting record asked for and still queued: the simplest report there is."""

    class Meta:
        model = Report

    kind = ReportKind.MEETING
    language = "en"
    meeting = factory.SubFactory(MeetingFactory)
    parameters = factory.LazyAttribute(lambda r: {"subject": str(r.meeting.number)})
    series = factory.LazyAttribute(lambda r: f"meeting:meeting-{r.meeting.pk}:{r.language}")
    requested_by = factory.SubFactory(UserFactory)


class ImportBatchFactory(DjangoModelFactory):
    """A spreadsheet uploaded and waiting for its check: the simplest batch there is."""

    class Meta:
        model = ImportBatch

    kind = ImportKind.INSTITUTIONS
    original_name = "institutions.csv"
    file = factory.django.FileField(filename="institutions.csv", data=b"Name (English)\nX\n")
    sha256 = "0" * 64
    created_by = factory.SubFactory(UserFactory)


# --- recommendations -------------------------------------------------------------------------


class RecommendationSetFactory(DjangoModelFactory):
    class Meta:
        model = RecommendationSet

    title = factory.Sequence(lambda n: f"Recommendations {n}")
    issued_by = "Working group on trafficking"
    working_group = "WG 1"
    session = factory.Sequence(lambda n: f"Session {n}")


class ThemeFactory(DjangoModelFactory):
    class Meta:
        model = Theme

    name = factory.Sequence(lambda n: f"Theme {n}")
    slug = factory.Sequence(lambda n: f"theme-{n}")


class InstrumentFactory(DjangoModelFactory):
    class Meta:
        model = Instrument

    name = factory.Sequence(lambda n: f"Convention {n}")
    slug = factory.Sequence(lambda n: f"convention-{n}")
    kind = InstrumentKind.CONVENTION


class RecommendationFactory(DjangoModelFactory):
    class Meta:
        model = Recommendation

    recommendation_set = factory.SubFactory(RecommendationSetFactory)
    number = factory.Sequence(lambda n: n + 1)
    text = factory.Sequence(lambda n: f"Strengthen the identification of victims ({n}).")


class AssignmentFactory(DjangoModelFactory):
    class Meta:
        model = Assignment

    recommendation = factory.SubFactory(RecommendationFactory)
    institution = factory.SubFactory(InstitutionFactory)


class ProgressUpdateFactory(DjangoModelFactory):
    class Meta:
        model = ProgressUpdate

    recommendation = factory.SubFactory(RecommendationFactory)
    institution = factory.SubFactory(InstitutionFactory)
    period = factory.SubFactory(ReportingPeriodFactory)
    status = ImplementationStatus.IN_PROGRESS
    narrative = factory.Sequence(lambda n: f"Training curriculum drafted ({n}).")
    state = UpdateState.DRAFT


class UpdateTransitionFactory(DjangoModelFactory):
    class Meta:
        model = UpdateTransition

    update = factory.SubFactory(ProgressUpdateFactory, state=UpdateState.SUBMITTED)
    from_state = UpdateState.DRAFT
    to_state = UpdateState.SUBMITTED
    status = ImplementationStatus.IN_PROGRESS


class UpdateCommentFactory(DjangoModelFactory):
    class Meta:
        model = UpdateComment

    update = factory.SubFactory(ProgressUpdateFactory)
    author = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"Please add the training dates ({n}).")


class EvidenceFactory(DjangoModelFactory):
    class Meta:
        model = Evidence

    update = factory.SubFactory(ProgressUpdateFactory)
    title = factory.Sequence(lambda n: f"Agenda {n}")
    url = "https://example.org/agenda.pdf"


# --- trainings -------------------------------------------------------------------------------


class TopicFactory(DjangoModelFactory):
    class Meta:
        model = Topic

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class TrainingFactory(DjangoModelFactory):
    class Meta:
        model = Training
        skip_postgeneration_save = True

    action = factory.SubFactory(ActionFactory)
    title = factory.Sequence(lambda n: f"Training {n}")
    organiser = factory.SubFactory(InstitutionFactory)
    start_date = date(2025, 4, 1)
    end_date = date(2025, 4, 2)
    status = TrainingStatus.PLANNED

    @factory.post_generation
    def topics(self, create: bool, extracted: list[Topic] | None, **kwargs: object) -> None:
        if create:
            self.topics.set(extracted if extracted is not None else [TopicFactory()])


class ParticipantFactory(DjangoModelFactory):
    class Meta:
        model = Participant

    full_name = factory.Sequence(lambda n: f"Participant {n}")
    sex = Sex.FEMALE
    institution = factory.SubFactory(InstitutionFactory)


class AttendanceFactory(DjangoModelFactory):
    class Meta:
        model = Attendance

    training = factory.SubFactory(TrainingFactory)
    participant = factory.SubFactory(ParticipantFactory)
    pre_score = Decimal(40)
    post_score = Decimal(75)


class EvaluationFactory(DjangoModelFactory):
    class Meta:
        model = Evaluation

    training = factory.SubFactory(TrainingFactory)
    respondents = 12
    overall_rating = Decimal("4.5")


# --- research --------------------------------------------------------------------------------


class StudyFactory(DjangoModelFactory):
    class Meta:
        model = Study

    action = factory.SubFactory(ActionFactory)
    title = factory.Sequence(lambda n: f"Study {n}")
    slug = factory.Sequence(lambda n: f"study-{n}")
    status = StudyStatus.PLANNED


class StudyStatusChangeFactory(DjangoModelFactory):
    class Meta:
        model = StudyStatusChange

    study = factory.SubFactory(StudyFactory, status=StudyStatus.TERMS_OF_REFERENCE)
    from_status = StudyStatus.PLANNED
    to_status = StudyStatus.TERMS_OF_REFERENCE


class StudyVersionFactory(DjangoModelFactory):
    class Meta:
        model = StudyVersion

    study = factory.SubFactory(StudyFactory)
    language = LanguageVersion.ENGLISH
    url = "https://example.org/study.pdf"


# --- object permissions (django-guardian, direct foreign keys) -------------------------------


class GroupFactory(DjangoModelFactory):
    class Meta:
        model = Group
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"institution-{n}-members")


def _permission(codename: str) -> factory.LazyFunction:
    return factory.LazyFunction(lambda: Permission.objects.get(codename=codename))


class ActionPointGroupObjectPermissionFactory(DjangoModelFactory):
    class Meta:
        model = ActionPointGroupObjectPermission

    group = factory.SubFactory(GroupFactory)
    permission = _permission("change_actionpoint")
    content_object = factory.SubFactory(ActionPointFactory)


class TrainingGroupObjectPermissionFactory(DjangoModelFactory):
    class Meta:
        model = TrainingGroupObjectPermission

    group = factory.SubFactory(GroupFactory)
    permission = _permission("view_training")
    content_object = factory.SubFactory(TrainingFactory)


class RecommendationGroupObjectPermissionFactory(DjangoModelFactory):
    class Meta:
        model = RecommendationGroupObjectPermission

    group = factory.SubFactory(GroupFactory)
    permission = _permission("report_on_recommendation")
    content_object = factory.SubFactory(RecommendationFactory)


class ProgressUpdateGroupObjectPermissionFactory(DjangoModelFactory):
    class Meta:
        model = ProgressUpdateGroupObjectPermission

    group = factory.SubFactory(GroupFactory)
    permission = _permission("view_progressupdate")
    content_object = factory.SubFactory(ProgressUpdateFactory)


# --- notifications ---------------------------------------------------------------------------


class NotificationPreferenceFactory(DjangoModelFactory):
    class Meta:
        model = NotificationPreference

    user = factory.SubFactory(UserFactory)
    frequency = Frequency.IMMEDIATELY


class OutboxEmailFactory(DjangoModelFactory):
    class Meta:
        model = OutboxEmail

    recipient = factory.SubFactory(UserFactory)
    to = factory.LazyAttribute(lambda e: e.recipient.email or "someone@example.org")
    key = factory.Sequence(lambda n: f"test:{n}")
    language = "en"
    subject = "A reminder"
    body_text = "Progress updates are due."
    body_html = "<p>Progress updates are due.</p>"


class NotificationFactory(DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = NotificationKind.TRAINING_RECORD
    key = factory.Sequence(lambda n: f"test:{n}")
    params = factory.LazyFunction(lambda: {"title": "Referral of victims"})
    url = "/trainings/"


class AccountEventFactory(DjangoModelFactory):
    class Meta:
        model = AccountEvent

    user = factory.SubFactory(UserFactory)
    username = factory.LazyAttribute(lambda event: event.user.username)
    kind = AccountEventKind.DEVICE_ADDED
    by = factory.SelfAttribute("user")
