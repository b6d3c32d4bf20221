"""A meeting's attendance form runs the same queries however many institutions attended:
the institutions of every row's picker are read and labelled once for the whole
formset, and the pickers are written without a template per option, to the same markup as
Django's own drop-down."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django import forms
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.forms import texts_initial
from programme.forms import AttendanceFormSet, AttendanceRowForm
from programme.models import Meeting, MeetingAttendance
from stakeholders.models import Institution
from tests.factories import InstitutionFactory

pytestmark = pytest.mark.django_db


def _grow(meeting: Meeting, n: int) -> None:
    """Bring the meeting to ``n`` attending institutions, each with its representatives."""
    while meeting.attendance.count() < n:
        institution: Any = InstitutionFactory(short_name="Inst")
        MeetingAttendance.objects.create(
            meeting=meeting,
            institution=institution,
            representatives_en="A director\nAn adviser",
            representatives_mk="Директор\nСоветник",
        )


def _page(client: Client, url: str) -> tuple[int, str]:
    """The page's queries and HTML; the request before it leaves what a session's first
    request writes once out of the count."""
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
def test_attendance_form_runs_the_same_queries_for_5_and_40_institutions(
    demo: dict[str, Any], language: str
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(demo["demo-admin"])
    meeting = Meeting.objects.get(number=4)
    url = reverse("programme:meeting_attendance", args=[meeting.pk])
    _grow(meeting, 5)
    small, _content = _page(client, url)
    _grow(meeting, 40)
    large, content = _page(client, url)
    assert large == small
    institutions = Institution.objects.count()
    rows = meeting.attendance.count()
    # A picker for every attending institution and the three empty rows, each listing every
    # institution and the empty choice, with the row's own institution chosen.
    pickers = re.findall(r'<select name="attendance-.*?</select>', content, re.DOTALL)
    assert len(pickers) == rows + 3
    assert {picker.count("<option ") for picker in pickers} == {institutions + 1}
    for index, row in enumerate(meeting.attendance.order_by("pk")):
        assert f'<option value="{row.institution_id}" selected>' in content
        assert f'id="id_attendance-{index}-institution"' in content
    # One choice in each picker: the row's institution, or the empty one on a new row.
    assert [picker.count(" selected>") for picker in pickers] == [1] * (rows + 3)
    assert [picker.count('<option value="" selected>') for picker in pickers[rows:]] == [1] * 3


def _django_select(form: forms.Form) -> str:
    """The row's picker as Django's own ``Select`` writes it, from the field's own choices
    (read in a query of its own)."""
    field = form.fields["institution"]
    assert isinstance(field, forms.ModelChoiceField)
    choices: Any = field.choices  # the field's ModelChoiceIterator
    field.widget = forms.Select(choices=choices)
    return str(form["institution"])


@pytest.mark.parametrize("language", ["en", "mk", "sq"])
def test_the_pickers_are_written_as_djangos_select_writes_them(
    demo: dict[str, Any], language: str, settings: Any
) -> None:
    from django.utils import translation

    meeting = Meeting.objects.get(number=4)
    _grow(meeting, 5)
    initial = [
        {"institution": a.institution_id, **texts_initial(a, "representatives")}
        for a in meeting.attendance.all()
    ]
    with translation.override(language):
        formset = AttendanceFormSet(initial=initial, prefix="attendance")
        for index, form in enumerate(formset.forms):
            ours = str(form["institution"])
            plain = AttendanceRowForm(
                initial=initial[index] if index < len(initial) else None,
                prefix=f"attendance-{index}",
                use_required_attribute=False,
            )
            assert ours == _django_select(plain)
        # The empty form of a new row too.
        assert str(formset.empty_form["institution"]) == _django_select(
            AttendanceRowForm(prefix="attendance-__prefix__", use_required_attribute=False)
        )


def test_every_row_shares_one_list_of_institutions(demo: dict[str, Any]) -> None:
    meeting = Meeting.objects.get(number=4)
    _grow(meeting, 5)
    formset = AttendanceFormSet(
        initial=[{"institution": a.institution_id} for a in meeting.attendance.all()],
        prefix="attendance",
    )
    with CaptureQueriesContext(connection) as ctx:
        pickers = [form.fields["institution"].widget for form in formset.forms]
        for picker in pickers:
            picker.render("institution", None)
    assert len(ctx.captured_queries) == 1
    assert len({id(picker.choices) for picker in pickers}) == 1


def _data(rows: list[tuple[Any, str]]) -> dict[str, str]:
    data = {
        "attendance-TOTAL_FORMS": str(len(rows)),
        "attendance-INITIAL_FORMS": "0",
        "attendance-MIN_NUM_FORMS": "0",
        "attendance-MAX_NUM_FORMS": "1000",
    }
    for index, (institution, representatives) in enumerate(rows):
        data[f"attendance-{index}-institution"] = str(institution)
        data[f"attendance-{index}-representatives_en"] = representatives
    return data


def test_a_posted_institution_is_checked_against_the_institutions_read_once(
    demo: dict[str, Any],
) -> None:
    """Each row's choice is found among the institutions the formset read: one query for
    every row, and an unknown one is refused with Django's own message."""
    first, second = Institution.objects.order_by("pk")[:2]
    rows = [(first.pk, "A director"), (second.pk, "An adviser"), ("", "")]
    formset = AttendanceFormSet(_data(rows), prefix="attendance")
    with CaptureQueriesContext(connection) as ctx:
        assert formset.is_valid(), formset.errors
    assert len(ctx.captured_queries) == 1
    assert formset.rows() == [(first, "A director"), (second, "An adviser")]

    unknown = AttendanceFormSet(_data([(first.pk, ""), (999999, "")]), prefix="attendance")
    assert not unknown.is_valid()
    django_message = forms.ModelChoiceField(queryset=Institution.objects.all()).error_messages[
        "invalid_choice"
    ]
    assert unknown.forms[1].errors["institution"] == [str(django_message)]
    twice = AttendanceFormSet(_data([(first.pk, ""), (first.pk, "")]), prefix="attendance")
    assert not twice.is_valid()
    assert twice.forms[1].errors["institution"] == ["Each institution can be listed once."]


def test_the_attendance_form_saves_the_rows(demo: dict[str, Any]) -> None:
    client = Client()
    client.force_login(demo["demo-admin"])
    meeting = Meeting.objects.get(number=4)
    first, second = Institution.objects.get(code="moi"), Institution.objects.get(code="coe")
    url = reverse("programme:meeting_attendance", args=[meeting.pk])
    response = client.post(url, _data([(first.pk, "A director"), (second.pk, "")]))
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == reverse("programme:meeting_detail", args=[meeting.pk])
    saved = {a.institution_id: a.representatives_en or "" for a in meeting.attendance.all()}
    assert saved == {first.pk: "A director", second.pk: ""}
