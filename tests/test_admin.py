"""The Django admin: every model reachable, invalid input refused with a message, locks kept."""

from __future__ import annotations

from typing import Any

import factory
import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Model
from django.forms import MultiWidget
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programme.models import ActionPoint, Indicator, Meeting, Outcome
from recommendations.choices import UpdateState
from recommendations.models import Evidence, ProgressUpdate
from research.choices import StudyStatus
from research.models import Study, StudyStatusChange
from stakeholders.models import Institution, Membership, User
from tests import factories
from trainings.models import Attendance, Participant, Training

pytestmark = pytest.mark.django_db

OUR_APPS = {"stakeholders", "programme", "trainings", "research", "recommendations"}
REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)
OURS = [model for model in REGISTERED if model._meta.app_label in OUR_APPS]
DEMO_MARKED = [m for m in OURS if "is_demo" in {f.name for f in m._meta.get_fields()}]
DEMO_NOTICE = "This database contains demo records; they are marked ‘demo’."


def _label(model: type[Model]) -> str:
    return model._meta.label


def _url(model: Any, view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _factory_for(model: type[Model]) -> Any:
    for candidate in vars(factories).values():
        if (
            isinstance(candidate, type)
            and issubclass(candidate, factory.django.DjangoModelFactory)
            and candidate._meta.model is model
        ):
            return candidate
    pytest.fail(f"tests/factories.py has no factory for {model._meta.label}")


def _form_data(response: Any) -> dict[str, Any]:
    """What the browser would post back from an admin form page, unchanged.

    Reads the main form and every inline formset (with its management form) from the page's
    context, so a test only states the fields it changes.
    """
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.append(inline.formset.management_form)
        forms.extend(inline.formset.forms)
    data: dict[str, Any] = {}
    for form in forms:
        for bound in form:
            value = bound.value()
            if value is None or value is False:
                continue
            widget = bound.field.widget
            if isinstance(widget, MultiWidget):  # a date and a time, posted as name_0, name_1
                for i, part in enumerate(widget.decompress(value) or []):
                    data[f"{bound.html_name}_{i}"] = str(part)
                continue
            if value is True:
                value = "on"
            elif isinstance(value, (list, tuple)):
                value = [str(v) for v in value]
            else:
                value = str(value)
            data[bound.html_name] = value
    return data


def _prefix(response: Any, model: type[Model]) -> str:
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model is model:
            return str(inline.formset.prefix)
    raise AssertionError(f"no inline for {model._meta.label}")


def _errors(response: Any) -> str:
    """Every error message on an admin form page, form and inlines together."""
    messages = [str(e) for e in response.context["adminform"].form.errors.values()]
    for inline in response.context["inline_admin_formsets"]:
        messages += [str(e) for e in inline.formset.non_form_errors()]
        for form_errors in inline.formset.errors:
            messages += [str(e) for e in form_errors.values()]
    return " ".join(messages)


# --- Every registered model ------------------------------------------------------------------


@pytest.mark.parametrize("model", REGISTERED, ids=_label)
def test_changelist_and_add_page_answer_for_a_superuser(admin_client, admin_user, model) -> None:
    assert admin_client.get(_url(model, "changelist")).status_code == 200
    request = RequestFactory().get("/")
    request.user = admin_user
    may_add = admin.site._registry[model].has_add_permission(request)
    # History and granted permissions are only read in the admin: no add page.
    assert admin_client.get(_url(model, "add")).status_code == (200 if may_add else 403)


@pytest.mark.parametrize("model", OURS, ids=_label)
def test_changelist_with_rows_runs_the_same_queries_for_more_rows(admin_client, model) -> None:
    make = _factory_for(model)
    url = _url(model, "changelist")
    before = model._default_manager.count()  # the superuser is a user too
    make.create_batch(2)
    admin_client.get(url)  # warm up: content types, session
    with CaptureQueriesContext(connection) as two:
        response = admin_client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count == before + 2
    make.create_batch(3)
    with CaptureQueriesContext(connection) as five:
        response = admin_client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count == before + 5
    assert len(five) == len(two), "\n".join(q["sql"] for q in five.captured_queries)
    assert len(five) <= 20, "\n".join(q["sql"] for q in five.captured_queries)


@pytest.mark.parametrize("model", OURS, ids=_label)
def test_change_page_answers_for_a_superuser(admin_client, model) -> None:
    obj = _factory_for(model)()
    assert admin_client.get(_url(model, "change", obj.pk)).status_code == 200


def test_site_header_names_the_action(admin_client) -> None:
    response = admin_client.get(reverse("admin:index"))
    assert "Anti-trafficking action – administration" in response.content.decode()


# --- Invalid input gets a message ------------------------------------------------------------


def test_training_ending_before_it_starts_is_refused(admin_client) -> None:
    url = _url(Training, "add")
    data = _form_data(admin_client.get(url))
    data.update(
        action=factories.ActionFactory().pk,
        title_en="Identifying victims of labour exploitation",
        organiser=factories.InstitutionFactory().pk,
        topics=[factories.TopicFactory().pk],
        start_date="2025-05-10",
        end_date="2025-05-01",
        status="planned",
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "The end date cannot be before the start date." in _errors(response)
    assert "The end date cannot be before the start date." in response.content.decode()
    assert not Training.objects.exists()


def test_training_added_in_the_admin_is_saved_and_shared(admin_client) -> None:
    url = _url(Training, "add")
    organiser = factories.InstitutionFactory()
    data = _form_data(admin_client.get(url))
    data.update(
        action=factories.ActionFactory().pk,
        title_en="Identifying victims",
        organiser=organiser.pk,
        topics=[factories.TopicFactory().pk],
        start_date="2025-05-01",
        end_date="2025-05-02",
        status="planned",
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, _errors(response)
    training = Training.objects.get()
    assert training.title_en == "Identifying victims"
    # The organiser's members see it, as when it is logged on the platform.
    assert training.traininggroupobjectpermission_set.filter(
        group__name=f"institution-{organiser.pk}-members"
    ).exists()


def test_attendance_score_above_100_is_refused_in_the_training_form(admin_client) -> None:
    training = factories.TrainingFactory()
    participant = factories.ParticipantFactory()
    url = _url(Training, "change", training.pk)
    page = admin_client.get(url)
    data = _form_data(page)
    prefix = _prefix(page, Attendance)
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-0-participant": str(participant.pk),
            f"{prefix}-0-pre_score": "150",
            f"{prefix}-0-post_score": "80",
            f"{prefix}-0-completed": "on",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "between 0 and 100" in _errors(response)
    assert not Attendance.objects.exists()


def test_participant_listed_twice_at_a_training_is_refused(admin_client) -> None:
    training = factories.TrainingFactory()
    participant = factories.ParticipantFactory()
    url = _url(Training, "change", training.pk)
    page = admin_client.get(url)
    data = _form_data(page)
    prefix = _prefix(page, Attendance)
    data[f"{prefix}-TOTAL_FORMS"] = "2"
    for i in range(2):
        data[f"{prefix}-{i}-participant"] = str(participant.pk)
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Please correct the duplicate data for participant" in _errors(response)
    assert not Attendance.objects.exists()


def test_duplicate_participant_is_refused_whatever_the_case(admin_client) -> None:
    institution = factories.InstitutionFactory()
    factories.ParticipantFactory(full_name="Ana Petrovska", institution=institution)
    url = _url(Participant, "add")
    data = _form_data(admin_client.get(url))
    data.update(full_name="ana  PETROVSKA", sex="female", institution=institution.pk)
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "This participant is already registered for this institution." in _errors(response)
    assert "This participant is already registered for this institution." in (
        response.content.decode()
    )
    assert Participant.objects.count() == 1


def test_duplicate_institution_name_is_refused_whatever_the_case(admin_client) -> None:
    factories.InstitutionFactory(name="Ministry of Interior")
    url = _url(Institution, "add")
    data = _form_data(admin_client.get(url))
    data.update(name_en="ministry of interior", kind="ministry")
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "An institution with this name already exists." in _errors(response)
    assert Institution.objects.count() == 1


def test_evidence_needs_a_file_or_a_link(admin_client) -> None:
    update = factories.ProgressUpdateFactory()
    url = _url(ProgressUpdate, "change", update.pk)
    page = admin_client.get(url)
    data = _form_data(page)
    prefix = _prefix(page, Evidence)
    data.update({f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-0-title": "Agenda"})
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Attach a file or give a link." in _errors(response)
    assert not Evidence.objects.exists()


def test_evidence_file_of_a_refused_type_gets_a_message(admin_client) -> None:
    update = factories.ProgressUpdateFactory()
    url = _url(Evidence, "add")
    data = _form_data(admin_client.get(url))
    data.update(
        update=update.pk,
        title="Photos",
        file=SimpleUploadedFile("photos.exe", b"MZ\x90\x00", "application/octet-stream"),
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "are not accepted" in _errors(response)
    assert not Evidence.objects.exists()


def test_progress_update_for_an_unassigned_institution_is_refused(admin_client) -> None:
    url = _url(ProgressUpdate, "add")
    data = _form_data(admin_client.get(url))
    recommendation = factories.RecommendationFactory(number=7)
    institution = factories.InstitutionFactory(name="Red Cross", short_name="RC")
    data.update(
        recommendation=recommendation.pk,
        institution=institution.pk,
        period=factories.ReportingPeriodFactory().pk,
        status="planned",
        narrative="Outreach planned.",
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "RC is not assigned to recommendation 7." in _errors(response)
    assert not ProgressUpdate.objects.exists()


def test_action_point_closed_without_a_date_is_refused_in_the_meeting_form(admin_client) -> None:
    meeting = factories.MeetingFactory()
    url = _url(Meeting, "change", meeting.pk)
    page = admin_client.get(url)
    data = _form_data(page)
    prefix = _prefix(page, ActionPoint)
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-0-description": "Share the referral guidelines",
            f"{prefix}-0-owner": str(factories.InstitutionFactory().pk),
            f"{prefix}-0-status": "done",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Give the date the action point was closed." in _errors(response)
    assert not ActionPoint.objects.exists()


def test_action_point_added_at_a_meeting_is_shared_with_its_owner(admin_client) -> None:
    meeting = factories.MeetingFactory()
    owner = factories.InstitutionFactory()
    url = _url(Meeting, "change", meeting.pk)
    page = admin_client.get(url)
    data = _form_data(page)
    prefix = _prefix(page, ActionPoint)
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-0-description": "Share the referral guidelines",
            f"{prefix}-0-owner": str(owner.pk),
            f"{prefix}-0-status": "open",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, _errors(response)
    point = ActionPoint.objects.get()
    # The owner's editors may report progress on it, as when the platform records it.
    assert point.actionpointgroupobjectpermission_set.filter(
        group__name=f"institution-{owner.pk}-editors", permission__codename="change_actionpoint"
    ).exists()


def test_indicator_cannot_measure_an_output_of_another_outcome(admin_client) -> None:
    outcome = factories.OutcomeFactory()
    foreign_output = factories.OutputFactory()
    url = _url(Outcome, "change", outcome.pk)
    page = admin_client.get(url)
    data = _form_data(page)
    prefix = _prefix(page, Indicator)
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-0-code": "1.1",
            f"{prefix}-0-title_en": "Inspectors trained",
            f"{prefix}-0-unit_en": "persons",
            f"{prefix}-0-baseline": "0",
            f"{prefix}-0-output": str(foreign_output.pk),
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Select a valid choice" in _errors(response)
    assert not Indicator.objects.exists()


# --- Locks and history -----------------------------------------------------------------------


def test_approved_progress_update_is_read_only_and_cannot_be_deleted(admin_client) -> None:
    update = factories.ProgressUpdateFactory(
        state=UpdateState.APPROVED, narrative="Forty inspectors trained."
    )
    factories.EvidenceFactory(update=update)
    stamp = update.updated_at
    url = _url(ProgressUpdate, "change", update.pk)

    response = admin_client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Forty inspectors trained." in page
    assert 'name="narrative"' not in page
    assert 'name="_save"' not in page
    assert not response.context["adminform"].form.fields  # every field shown read-only

    response = admin_client.post(
        url,
        {
            "recommendation": update.recommendation_id,
            "institution": update.institution_id,
            "period": update.period_id,
            "status": "implemented",
            "narrative": "Rewritten after approval.",
        },
    )
    assert response.status_code == 403
    update.refresh_from_db()
    assert update.narrative == "Forty inspectors trained."
    assert update.updated_at == stamp

    assert admin_client.get(_url(ProgressUpdate, "delete", update.pk)).status_code == 403
    assert (
        admin_client.post(_url(ProgressUpdate, "delete", update.pk), {"post": "yes"}).status_code
        == 403
    )
    admin_client.post(
        _url(ProgressUpdate, "changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [update.pk], "post": "yes"},
    )
    assert ProgressUpdate.objects.filter(pk=update.pk).exists()

    # Its evidence is locked with it.
    evidence = update.evidence.get()
    assert admin_client.get(_url(Evidence, "delete", evidence.pk)).status_code == 403


def test_draft_progress_update_can_still_be_edited(admin_client) -> None:
    assignment = factories.AssignmentFactory()
    update = factories.ProgressUpdateFactory(
        recommendation=assignment.recommendation, institution=assignment.institution
    )
    url = _url(ProgressUpdate, "change", update.pk)
    page = admin_client.get(url)
    assert 'name="narrative"' in page.content.decode()
    data = _form_data(page)
    data["narrative"] = "Curriculum adopted."
    response = admin_client.post(url, data)
    assert response.status_code == 302, _errors(response)
    update.refresh_from_db()
    assert update.narrative == "Curriculum adopted."
    assert update.state == UpdateState.DRAFT


def test_history_cannot_be_changed_or_deleted(admin_client) -> None:
    transition = factories.UpdateTransitionFactory()
    change = factories.StudyStatusChangeFactory()
    for obj in (transition, change):
        model = type(obj)
        page = admin_client.get(_url(model, "change", obj.pk))
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()
        assert admin_client.post(_url(model, "change", obj.pk), {}).status_code == 403
        assert admin_client.get(_url(model, "delete", obj.pk)).status_code == 403
        assert admin_client.get(_url(model, "add")).status_code == 403


def test_study_deleted_in_the_admin_takes_its_history_with_it(admin_client) -> None:
    change = factories.StudyStatusChangeFactory()
    response = admin_client.post(_url(Study, "delete", change.study_id), {"post": "yes"})
    assert response.status_code == 302
    assert not Study.objects.exists()
    assert not StudyStatusChange.objects.exists()


def test_study_stage_moves_through_the_pipeline_and_is_recorded(admin_client) -> None:
    study = factories.StudyFactory(status=StudyStatus.DRAFT)
    url = _url(Study, "change", study.pk)
    data = _form_data(admin_client.get(url))
    data["status"] = StudyStatus.UNDER_REVIEW
    response = admin_client.post(url, data)
    assert response.status_code == 302, _errors(response)
    study.refresh_from_db()
    assert study.status == StudyStatus.UNDER_REVIEW
    step = StudyStatusChange.objects.get(study_id=study.pk)
    assert (step.from_status, step.to_status) == (StudyStatus.DRAFT, StudyStatus.UNDER_REVIEW)

    data = _form_data(admin_client.get(url))
    data["status"] = StudyStatus.PLANNED
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "it only moves forward" in _errors(response)
    study.refresh_from_db()
    assert study.status == StudyStatus.UNDER_REVIEW


# --- Memberships keep object permissions in step ---------------------------------------------


def test_member_added_on_the_institution_page_joins_its_groups(admin_client) -> None:
    institution = factories.InstitutionFactory()
    user = factories.UserFactory()
    url = _url(Institution, "change", institution.pk)
    page = admin_client.get(url)
    data = _form_data(page)
    prefix = _prefix(page, Membership)
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-0-user": str(user.pk),
            f"{prefix}-0-role": "editor",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, _errors(response)
    assert set(user.groups.values_list("name", flat=True)) == {
        f"institution-{institution.pk}-members",
        f"institution-{institution.pk}-editors",
    }

    data = _form_data(admin_client.get(url))
    data[f"{prefix}-0-DELETE"] = "on"
    response = admin_client.post(url, data)
    assert response.status_code == 302, _errors(response)
    assert not user.groups.filter(name__startswith="institution-").exists()
    assert Group.objects.filter(name=f"institution-{institution.pk}-members").exists()


def test_user_added_in_the_admin_gets_a_membership(admin_client) -> None:
    institution = factories.InstitutionFactory()
    url = _url(User, "add")
    page = admin_client.get(url)
    data = _form_data(page)
    prefix = _prefix(page, Membership)
    data.update(
        {
            "username": "elena",
            "usable_password": "true",
            "password1": "a-long-test-password-42",
            "password2": "a-long-test-password-42",
            "email": "elena@example.org",
            "preferred_language": "sq",
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-0-institution": str(institution.pk),
            f"{prefix}-0-role": "focal_point",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, _errors(response)
    user = User.objects.get(username="elena")
    assert user.preferred_language == "sq"
    assert user.groups.filter(name=f"institution-{institution.pk}-editors").exists()


def test_user_page_offers_memberships_and_language(admin_client) -> None:
    user = factories.UserFactory()
    institution = factories.InstitutionFactory()
    url = _url(User, "change", user.pk)
    page = admin_client.get(url)
    assert 'name="preferred_language"' in page.content.decode()
    data = _form_data(page)
    prefix = _prefix(page, Membership)
    data.update(
        {
            "preferred_language": "mk",
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-0-institution": str(institution.pk),
            f"{prefix}-0-role": "viewer",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, _errors(response)
    user.refresh_from_db()
    assert user.preferred_language == "mk"
    assert user.groups.filter(name=f"institution-{institution.pk}-members").exists()


def test_rights_given_in_the_user_form_are_recorded_with_who_gave_them(
    admin_client, admin_user
) -> None:
    user = factories.UserFactory()
    reviewers = Group.objects.create(name="Reviewers")
    url = _url(User, "change", user.pk)
    data = _form_data(admin_client.get(url))
    data.update({"is_staff": "on", "is_superuser": "on", "groups": [str(reviewers.pk)]})
    response = admin_client.post(url, data)
    assert response.status_code == 302, _errors(response)

    versions = list(User.history.filter(id=user.pk).order_by("history_id"))
    ticked = next(v for v in versions if v.is_staff and v.is_superuser)
    grouped = next(v for v in versions if [r.group for r in v.groups.all()] == [reviewers])
    assert (ticked.history_user, grouped.history_user) == (admin_user, admin_user)
    history = admin_client.get(_url(User, "history", user.pk)).content.decode().lower()
    assert "staff status" in history and "superuser status" in history


def test_unticking_active_in_the_user_form_deactivates_through_the_service(
    admin_client, admin_user
) -> None:
    from stakeholders.choices import AccountEventKind

    user = factories.UserFactory()
    url = _url(User, "change", user.pk)
    data = _form_data(admin_client.get(url))
    del data["is_active"]
    assert admin_client.post(url, data).status_code == 302
    user.refresh_from_db()
    assert not user.is_active
    assert [(e.kind, e.by) for e in user.account_events.all()] == [
        (AccountEventKind.DEACTIVATED, admin_user)
    ]

    # Nobody deactivates themselves, here either.
    own = _url(User, "change", admin_user.pk)
    data = _form_data(admin_client.get(own))
    del data["is_active"]
    response = admin_client.post(own, data, follow=True)
    assert "You cannot deactivate your own account." in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active


# --- Demo records ----------------------------------------------------------------------------


def test_demo_banner_shows_only_when_demo_records_exist(admin_client) -> None:
    factories.InstitutionFactory(is_demo=False)
    assert DEMO_NOTICE not in admin_client.get(reverse("admin:index")).content.decode()
    factories.InstitutionFactory(is_demo=True)
    assert DEMO_NOTICE in admin_client.get(reverse("admin:index")).content.decode()
    page = admin_client.get(_url(Training, "changelist")).content.decode()
    assert DEMO_NOTICE in page


@pytest.mark.parametrize("model", DEMO_MARKED, ids=_label)
def test_demo_flag_is_a_column_and_a_filter_wherever_a_model_has_it(model) -> None:
    model_admin = admin.site._registry[model]
    assert "is_demo" in model_admin.list_display
    assert "is_demo" in model_admin.list_filter
