"""The trainings pages made cheaper show what they showed: the inputs written
without a template, the pickers read in one plain query, the attendance figures worked out
from the list the page holds; and their queries stay the same however many people came."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django import forms
from django.db import connection
from django.forms.models import ModelChoiceIterator
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.widgets import (
    ListedChoiceIterator,
    QuickCheckboxInput,
    QuickCheckboxSelectMultiple,
    QuickDateInput,
    QuickHiddenInput,
    QuickNumberInput,
)
from stakeholders.choices import Sex
from stakeholders.models import Institution, ProfessionalGroup
from trainings.forms import AttendanceFormSet, TrainingForm
from trainings.models import Attendance, Participant, Training
from trainings.registry_forms import PeopleSearchForm
from trainings.selectors import attendance_summary, training_attendance

pytestmark = pytest.mark.django_db

MSPDY_HELD = "Recognising and referring child victims of trafficking"  # MSPDY + CoE, 12 people

VALUES: list[Any] = [None, "", 0, "0", Decimal("12.50"), "a <b> & \"c\" 'd'", True, False]
ATTRS: list[dict[str, Any]] = [
    {},
    {"id": "id_x", "step": "0.01", "min": 0, "max": 100},
    {"required": True, "disabled": False, "aria-describedby": 'a"b', "data-x": None},
]


@pytest.mark.parametrize(
    ("quick", "django_widget"),
    [
        (QuickNumberInput, forms.NumberInput),
        (QuickCheckboxInput, forms.CheckboxInput),
        (QuickHiddenInput, forms.HiddenInput),
    ],
)
def test_a_quick_input_writes_what_django_s_template_writes(
    quick: type[forms.Widget], django_widget: type[forms.Widget]
) -> None:
    for value in VALUES:
        for attrs in ATTRS:
            for own in ({}, {"class": "x", "placeholder": "<y>"}):
                expected = django_widget(attrs=own).render("name", value, attrs)
                assert quick(attrs=own).render("name", value, attrs) == expected


def test_quick_checkboxes_write_what_django_s_templates_write() -> None:
    grouped: list[Any] = [("Group <1>", [(1, "x"), (2, "y & z")]), (3, "w")]
    for choices in ([(1, "a <b>"), (2, "c & d")], grouped, []):
        for value in ([], [1], ["2", 3], None):
            for attrs in ({}, {"id": "id_p"}, {"id": "id_p", "class": 'c"'}, {"required": True}):
                expected = forms.CheckboxSelectMultiple(choices=choices).render("p", value, attrs)
                quick = QuickCheckboxSelectMultiple(choices=choices)
                assert quick.render("p", value, attrs) == expected


def test_a_quick_date_input_writes_what_django_s_template_writes() -> None:
    for value in [None, "", date(2026, 3, 9), "2026-03-09", "not a date"]:
        for attrs in ATTRS:
            expected = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d").render(
                "when", value, attrs
            )
            quick = QuickDateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            assert quick.render("when", value, attrs) == expected


def test_listed_choices_are_django_s_choices_read_in_one_plain_query(demo: Any) -> None:
    field: forms.ModelChoiceField[Institution] = forms.ModelChoiceField(
        queryset=Institution.objects.order_by("pk"), empty_label="Any"
    )
    expected = [(str(value), label) for value, label in ModelChoiceIterator(field)]
    with CaptureQueriesContext(connection) as queries:
        listed = [(str(value), label) for value, label in ListedChoiceIterator(field)]
    assert listed == expected
    assert len(queries) == 1
    assert "CURSOR" not in queries[0]["sql"].upper()


def test_the_forms_pickers_read_no_server_side_cursor(demo: Any) -> None:
    training = Training.objects.get(title_en=MSPDY_HELD)
    people = PeopleSearchForm({}, user=demo["demo-admin"])
    form = TrainingForm(instance=training, organisers=Institution.objects.all())
    with CaptureQueriesContext(connection) as queries:
        str(people["institution"]), str(people["profession"])
        for name in ("organiser", "partners", "topics", "target_groups", "recommendations"):
            str(form[name])
    assert not [q for q in queries if "CURSOR" in q["sql"].upper()]
    # One a picker; the register's institutions are named when its form is made (kept under
    # the digest of their names: trainings.registry_selectors), so its picker reads none.
    assert len(queries) == 6


def test_the_attendance_figures_are_those_of_the_list(demo: Any) -> None:
    training = Training.objects.get(title_en=MSPDY_HELD)
    rows = list(training.attendance.select_related("participant"))
    Attendance.objects.filter(pk=rows[0].pk).update(pre_score=None, completed=False)
    Attendance.objects.filter(pk=rows[1].pk).update(post_score=Decimal("33.33"))
    rows = list(training.attendance.select_related("participant"))
    given = attendance_summary(
        training=training, attendance=list(training_attendance(training=training))
    )
    assert given == attendance_summary(training=training)
    assert given.participants == len(rows) == 12
    assert given.completed == sum(1 for a in rows if a.completed) == 11
    women = sum(1 for a in rows if a.participant.sex == Sex.FEMALE)
    assert {t.label: t.count for t in given.by_sex}["Female"] == women
    assert sum(t.count for t in given.by_group) == 12
    pre = [a.pre_score for a in rows if a.pre_score is not None]
    assert given.average_pre == (sum(pre, Decimal(0)) / len(pre)).quantize(Decimal("0.1"))
    changes = [change for a in rows if (change := a.score_change) is not None]
    assert len(changes) == 11
    expected = (sum(changes, Decimal(0)) / len(changes)).quantize(Decimal("0.1"))
    assert given.average_change == expected


def test_no_attendance_gives_no_averages(demo: Any) -> None:
    training = Training.objects.get(title_en=MSPDY_HELD)
    training.attendance.all().delete()
    summary = attendance_summary(training=training)
    assert (summary.participants, summary.completed) == (0, 0)
    assert (summary.average_pre, summary.average_post, summary.average_change) == (None,) * 3
    assert summary.by_group == []


def test_the_scores_formset_renders_its_rows_as_before(demo: Any) -> None:
    training = Training.objects.get(title_en=MSPDY_HELD)
    formset = AttendanceFormSet(queryset=training_attendance(training=training))
    form = formset.forms[0]
    html = str(form["pre_score"]) + str(form["completed"]) + str(form["consent_date"])
    assert 'type="number"' in html and 'step="0.01"' in html and 'type="checkbox"' in html
    assert 'type="date"' in html
    assert (
        str(form["id"])
        == f'<input type="hidden" name="form-0-id" value="{form.instance.pk}" id="id_form-0-id">'
    )


# --- Queries however many came ------------------------------------------------------------------


def _attendees(training: Training, n: int) -> None:
    """Grow the training's list to ``n`` people, some of each sex and profession."""
    groups = [*ProfessionalGroup.objects.order_by("pk")[:3], None]
    have = training.attendance.count()
    people = Participant.objects.bulk_create(
        Participant(
            full_name=f"Speed Person {i}",
            sex=Sex.FEMALE if i % 2 else Sex.MALE,
            professional_group=groups[i % len(groups)],
            institution=training.organiser,
            registered_by_institution=training.organiser,
        )
        for i in range(have, n)
    )
    Attendance.objects.bulk_create(
        Attendance(
            training=training,
            participant=p,
            pre_score=Decimal(40 + i % 7),
            post_score=None if i % 5 == 0 else Decimal(70),
            completed=i % 3 != 0,
        )
        for i, p in enumerate(people)
    )


def _queries(client: Client, url: str) -> int:
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("username", ["demo-ministry", "demo-admin"])
def test_the_training_pages_queries_stay_the_same_for_10_and_200_people(
    client: Client, demo: Any, username: str
) -> None:
    """The training's page and its scores page (the ministry edits its own training), and the
    register: the same queries whatever the number of people listed."""
    training = Training.objects.get(title_en=MSPDY_HELD)
    client.force_login(demo[username])
    urls = [
        f"/trainings/{training.pk}/",
        f"/trainings/{training.pk}/attendance/",
        "/trainings/people/",
    ]
    training.attendance.all().delete()
    _attendees(training, 10)
    at_10 = [_queries(client, url) for url in urls]
    _attendees(training, 200)
    assert training.attendance.count() == 200
    at_200 = [_queries(client, url) for url in urls]
    assert at_200 == at_10
