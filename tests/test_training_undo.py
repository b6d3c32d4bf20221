"""Trainings in the portal: the evaluation, undoing (taking someone off the list, cancelling,
deleting), the question before saving a training that looks like another, and the lists to
choose a training from."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from dashboard.glance import glance_count
from programme.choices import Aggregation, IndicatorKind
from programme.results import framework_figures
from reports.choices import ReportKind
from reports.documents import report_html
from reports.models import Report
from stakeholders.models import Institution, ProfessionalGroup
from tests.factories import (
    ActionFactory,
    AttendanceFactory,
    IndicatorFactory,
    OutcomeFactory,
    ParticipantFactory,
    ReportingPeriodFactory,
    TrainingFactory,
    UserFactory,
)
from trainings.choices import TrainingStatus
from trainings.models import Attendance, Evaluation, Participant, Topic, Training
from trainings.services import training_share

pytestmark = pytest.mark.django_db

MSPDY_HELD = "Recognising and referring child victims of trafficking"  # MSPDY + CoE, 12 people
NEW_TITLE = "Referral of victims: training for social workers in Kumanovo"


def _held() -> Training:
    return Training.objects.get(title_en=MSPDY_HELD)


def _messages(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _new_training(**changes: Any) -> dict[str, Any]:
    data = {
        "title": NEW_TITLE,
        "organiser": Institution.objects.get(code="mspdy").pk,
        "topics": [Topic.objects.get(slug="child-trafficking").pk],
        "target_groups": [ProfessionalGroup.objects.get(slug="social-workers").pk],
        "status": TrainingStatus.PLANNED,
        "start_date": "2025-04-08",
        "end_date": "2025-04-09",
        "venue": "Social work centre",
        "city": "Kumanovo",
    }
    data.update(changes)
    return data


def _ministry(client: Client, demo: dict[str, Any]) -> Client:
    client.force_login(demo["demo-ministry"])
    return client


# --- The evaluation ---------------------------------------------------------------------------


def test_the_organiser_records_the_evaluation_shown_on_the_page_and_in_the_report(
    client: Client, demo: dict[str, Any]
) -> None:
    training = _held()
    _ministry(client, demo)
    url = f"/trainings/{training.pk}/evaluation/"
    assert client.get(url).status_code == 200
    refused = client.post(url, {"respondents": "11", "overall_rating": "7"})
    assert refused.status_code == 200
    assert "overall_rating" in refused.context["form"].errors

    response = client.post(
        url,
        {
            "respondents": "11",
            "overall_rating": "4.5",
            "relevance_rating": "4.25",
            "summary": "Case studies from Kumanovo helped most.",
            "lessons_learned": "Invite prosecutors next time.",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/trainings/{training.pk}/"
    evaluation = Evaluation.objects.get(training=training)
    assert (evaluation.respondents, evaluation.overall_rating) == (11, Decimal("4.50"))
    last = evaluation.history.order_by("-history_date").first()
    assert last.history_user == demo["demo-ministry"]

    page = client.get(f"/trainings/{training.pk}/").content.decode()
    assert "Case studies from Kumanovo helped most." in page
    assert "Invite prosecutors next time." in page
    assert "Edit the evaluation" in page

    report = Report(
        kind=ReportKind.TRAINING,
        language="en",
        training=training,
        requested_by=demo["demo-observer"],
    )
    html = report_html(report=report)
    assert "Case studies from Kumanovo helped most." in html
    assert "Invite prosecutors next time." in html

    # Corrected, not added twice.
    client.post(url, {"respondents": "12", "summary": "Corrected."})
    assert Evaluation.objects.get(training=training).respondents == 12


# --- Taking someone off the list --------------------------------------------------------------


def test_taking_someone_off_the_list_keeps_their_record_and_drops_them_from_the_figures(
    client: Client, demo: dict[str, Any]
) -> None:
    training = _held()
    attendance = training.attendance.select_related("participant").order_by("pk").first()
    assert attendance is not None
    person = attendance.participant
    _ministry(client, demo)
    detail = client.get(f"/trainings/{training.pk}/")
    assert detail.context["record"].summary.participants == 12
    url = f"/trainings/attendance/{attendance.pk}/remove/"
    assert url in detail.content.decode()

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert person.full_name in confirm.content.decode()
    assert "stays in the participant register" in confirm.content.decode()
    assert Attendance.objects.filter(pk=attendance.pk).exists()  # asking changes nothing

    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == f"/trainings/{training.pk}/"
    assert f"{person.full_name} was taken off this training's list." in _messages(response)
    assert not Attendance.objects.filter(pk=attendance.pk).exists()
    assert Participant.objects.filter(pk=person.pk).exists()
    after = client.get(f"/trainings/{training.pk}/")
    assert after.context["record"].summary.participants == 11
    gone = Attendance.history.filter(id=attendance.pk, history_type="-").get()
    assert gone.history_user == demo["demo-ministry"]


# --- Cancelling --------------------------------------------------------------------------------


def test_a_cancelled_training_leaves_the_figures_and_stays_listed_marked_cancelled(
    client: Client,
) -> None:
    action = ActionFactory.create()
    ReportingPeriodFactory.create(
        action=action,
        name="2025 H1",
        start_date=date(2025, 1, 1),
        end_date=date(2025, 6, 30),
        due_date=date(2025, 7, 31),
    )
    IndicatorFactory.create(
        outcome=OutcomeFactory.create(action=action),
        kind=IndicatorKind.COMPUTED,
        calculation="participants_trained",
        aggregation=Aggregation.SUM,
        by_sex=True,
    )
    kept = TrainingFactory.create(action=action, status=TrainingStatus.HELD)
    training = TrainingFactory.create(
        action=action, status=TrainingStatus.HELD, title="Cancelled after all", city="Ohrid"
    )
    AttendanceFactory.create(training=kept, participant=ParticipantFactory.create())
    for _n in range(3):
        AttendanceFactory.create(training=training, participant=ParticipantFactory.create())

    def people_trained() -> Decimal | None:
        [block] = framework_figures(action=action)
        [figures] = block.indicators
        return figures.to_date.total

    assert people_trained() == 4
    assert glance_count(action=action)["action_participants"] == 4

    client.force_login(UserFactory.create(programme_team=True))
    url = f"/trainings/{training.pk}/cancel/"
    assert client.get(url).status_code == 200
    assert people_trained() == 4  # asking changes nothing
    response = client.post(url, {"reason": "The venue flooded."})
    assert response.status_code == 302
    training.refresh_from_db()
    assert training.status == TrainingStatus.CANCELLED
    assert training.cancellation_reason == "The venue flooded."
    assert training.attendance.count() == 3  # the list stays, out of the figures

    assert people_trained() == 1
    assert glance_count(action=action)["action_participants"] == 1
    page = client.get(f"/trainings/{training.pk}/").content.decode()
    assert "This training was cancelled" in page and "The venue flooded." in page
    listed = client.get("/trainings/", {"q": "Cancelled after all"})
    assert [t.pk for t in listed.context["page_obj"]] == [training.pk]
    assert "Cancelled" in listed.content.decode()
    # Once is enough.
    again = client.post(url, {"reason": "Twice"})
    assert "This training is cancelled already." in _messages(again)
    training.refresh_from_db()
    assert training.cancellation_reason == "The venue flooded."


# --- Deleting ----------------------------------------------------------------------------------


def test_a_training_with_people_listed_is_not_deleted(client: Client, demo: dict[str, Any]) -> None:
    training = _held()
    _ministry(client, demo)
    url = f"/trainings/{training.pk}/delete/"
    page = client.get(url).content.decode()
    assert "12 people are listed at this training, so it cannot be deleted" in page
    assert "Delete the training</button>" not in page
    response = client.post(url)
    assert response.status_code == 302
    assert any("Remove them from it first" in m for m in _messages(response))
    assert Training.objects.filter(pk=training.pk).exists()
    assert training.attendance.count() == 12


def test_a_training_logged_by_mistake_is_deleted_after_asking(
    client: Client, demo: dict[str, Any]
) -> None:
    _ministry(client, demo)
    client.post("/trainings/new/", _new_training())
    training = Training.objects.get(title_en=NEW_TITLE)
    url = f"/trainings/{training.pk}/delete/"
    assert "Delete the training</button>" in client.get(url).content.decode()
    assert Training.objects.filter(pk=training.pk).exists()
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == "/trainings/"
    assert not Training.objects.filter(pk=training.pk).exists()
    gone = Training.history.filter(id=training.pk, history_type="-").get()
    assert gone.history_user == demo["demo-ministry"]


# --- The question before saving a training like another ----------------------------------------


def test_sending_the_create_form_again_asks_before_logging_the_training_twice(
    client: Client, demo: dict[str, Any]
) -> None:
    _ministry(client, demo)
    first = client.post("/trainings/new/", _new_training())
    assert first.status_code == 302
    logged = Training.objects.get(title_en=NEW_TITLE)

    # The browser's Back button, and the same form sent again.
    again = client.post("/trainings/new/", _new_training())
    assert again.status_code == 200
    page = again.content.decode()
    assert (
        f'This looks like <a href="/trainings/{logged.pk}/">{NEW_TITLE}</a> of 8 April 2025, '
        "Kumanovo: save anyway?"
    ) in page
    assert "Save it as a separate training" in page
    assert Training.objects.filter(title_en=NEW_TITLE).count() == 1

    # Another case and spacing is the same title.
    shouted = client.post("/trainings/new/", _new_training(title=f"  {NEW_TITLE.upper()} "))
    assert shouted.status_code == 200 and shouted.context["form"].similar == [logged]

    # Ticked, it is saved as a separate training.
    confirmed = _new_training(similar_seen=str(logged.pk), save_separately="on")
    saved = client.post("/trainings/new/", confirmed)
    assert saved.status_code == 302
    assert Training.objects.filter(title_en=NEW_TITLE).count() == 2
    # The confirmed form sent once more asks again: the answer was for the first one alone.
    resent = client.post("/trainings/new/", confirmed)
    assert resent.status_code == 200
    assert Training.objects.filter(title_en=NEW_TITLE).count() == 2


def test_an_edit_that_makes_a_training_look_like_another_asks_too(
    client: Client, demo: dict[str, Any]
) -> None:
    _ministry(client, demo)
    client.post("/trainings/new/", _new_training())
    client.post("/trainings/new/", _new_training(start_date="2025-05-06", end_date="2025-05-07"))
    first, second = Training.objects.filter(title_en=NEW_TITLE).order_by("start_date")

    def edit(**changes: Any) -> Any:
        second.refresh_from_db()
        data = _new_training(seen_at=second.updated_at.isoformat(), end_date="2025-05-07")
        data.update(changes)
        return client.post(f"/trainings/{second.pk}/edit/", data)

    # Saving it unchanged asks nothing.
    assert edit(start_date="2025-05-06").status_code == 302
    asked = edit(start_date="2025-04-08")
    assert asked.status_code == 200
    assert asked.context["form"].similar == [first]
    second.refresh_from_db()
    assert second.start_date == date(2025, 5, 6)
    assert edit(start_date="2025-04-08", similar_seen=str(first.pk), save_separately="on")[
        "Location"
    ] == (f"/trainings/{second.pk}/")
    second.refresh_from_db()
    assert second.start_date == date(2025, 4, 8)


# --- Lists to choose a training from -----------------------------------------------------------


def test_a_training_is_chosen_by_its_title_date_and_place(
    client: Client, demo: dict[str, Any]
) -> None:
    cso_b = Institution.objects.get(code="demo-cso-b")
    training = TrainingFactory.create(
        title="Peer educators",
        organiser=cso_b,
        start_date=date(2026, 4, 2),
        end_date=date(2026, 4, 2),
        city="Kumanovo",
    )
    training_share(training=training)
    assert str(training) == "Peer educators (2 April 2026, Kumanovo)"
    venue_only = TrainingFactory.create(title="Peer educators", city="", venue="Youth centre")
    assert str(venue_only) == "Peer educators (1 April 2025, Youth centre)"
    undated = TrainingFactory.create(title="Undated", start_date=None, end_date=None)
    assert str(undated) == "Undated"
    # The report request's list, and the import's.
    client.force_login(demo["demo-cso-b"])
    report_form = client.get("/reports/new/", {"kind": "training"}).content.decode()
    assert ">Peer educators (2 April 2026, Kumanovo)</option>" in report_form
    import_form = client.get("/imports/new/attendance/").content.decode()
    assert ">Peer educators (2 April 2026, Kumanovo)</option>" in import_form


# --- The observer -------------------------------------------------------------------------------


def test_the_observer_undoes_nothing(client: Client, demo: dict[str, Any]) -> None:
    training = _held()
    attendance = training.attendance.order_by("pk").first()
    assert attendance is not None
    client.force_login(demo["demo-observer"])
    page = client.get(f"/trainings/{training.pk}/").content.decode()
    assert "/remove/" not in page and "/cancel/" not in page and "/evaluation/" not in page
    writes = {
        f"/trainings/{training.pk}/evaluation/": {"respondents": "1", "summary": "Observer"},
        f"/trainings/{training.pk}/cancel/": {"reason": "Observer"},
        f"/trainings/{training.pk}/delete/": {},
        f"/trainings/attendance/{attendance.pk}/remove/": {},
    }
    evaluation = list(Evaluation.objects.filter(training=training).values())
    for url, data in writes.items():
        assert client.get(url).status_code == 403, url
        assert client.post(url, data).status_code == 403, url
    training.refresh_from_db()
    assert training.status == TrainingStatus.HELD
    assert Attendance.objects.filter(pk=attendance.pk).exists()
    assert list(Evaluation.objects.filter(training=training).values()) == evaluation
