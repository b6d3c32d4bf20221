"""The training form writes its widgets without a template and reads the ticks of its pickers
in one query: the same HTML as Django's widgets and ModelForm's own reading, unbound
and sent back with errors, in English, Macedonian and Albanian."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django import forms
from django.db import connection
from django.forms.models import model_to_dict
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from core.widgets import (
    QuickCheckboxInput,
    QuickCheckboxSelectMultiple,
    QuickDateInput,
    QuickHiddenInput,
    QuickSelect,
    QuickTextarea,
    QuickTextInput,
)
from programme.models import Outcome
from recommendations.models import Recommendation
from stakeholders.models import Institution, ProfessionalGroup, User
from trainings import permissions
from trainings.forms import TrainingForm
from trainings.models import Topic, Training

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "mk", "sq"]
PICKED = ("partners", "topics", "target_groups", "recommendations", "outcomes")

# Each quick widget and Django's widget it stands for.
_DJANGO: dict[type[forms.Widget], type[forms.Widget]] = {
    QuickSelect: forms.Select,
    QuickTextInput: forms.TextInput,
    QuickCheckboxInput: forms.CheckboxInput,
    QuickDateInput: forms.DateInput,
    QuickHiddenInput: forms.HiddenInput,
    QuickTextarea: forms.Textarea,
    QuickCheckboxSelectMultiple: forms.CheckboxSelectMultiple,
}


def _as_django(form: TrainingForm) -> TrainingForm:
    """The same form with Django's own widgets back."""
    for field in form.fields.values():
        django = _DJANGO.get(type(field.widget))
        if django is not None:
            field.widget.__class__ = django
    return form


def _html(form: TrainingForm) -> str:
    return render_to_string("includes/form_fields.html", {"form": form})


def _training() -> Training:
    """A training with records in every picker, two partners among them."""
    training = Training.objects.exclude(start_date=None).order_by("pk").first()
    assert training is not None
    others = Institution.objects.exclude(pk=training.organiser_id).order_by("pk")
    training.partners.set(others[:2])
    training.topics.set(Topic.objects.order_by("pk")[:2])
    training.target_groups.set(ProfessionalGroup.objects.order_by("pk")[:1])
    training.recommendations.set(Recommendation.objects.order_by("pk")[:3])
    training.outcomes.set(Outcome.objects.order_by("pk")[:1])
    return training


def _form(training: Training, user: User, data: dict[str, Any] | None) -> TrainingForm:
    organisers = permissions.organisers_for(user)
    return TrainingForm(data, organisers=organisers, instance=copy.copy(training))


def _errors(training: Training) -> dict[str, Any]:
    """The form as shown, sent back with no title, the dates the wrong way round and the
    organiser among the partners."""
    return {
        "title_en": "",
        "organiser": training.organiser_id,
        "partners": [training.organiser_id, *[p.pk for p in training.partners.all()]],
        "topics": [t.pk for t in training.topics.all()],
        "target_groups": [g.pk for g in training.target_groups.all()],
        "status": training.status,
        "start_date": "2024-05-10",
        "end_date": "2024-05-01",
        "venue": "<b>Hall & garden</b>",
        "city": training.city,
        "methodology_mk": "Методологија",
        "recommendations": [r.pk for r in training.recommendations.all()],
        "outcomes": [o.pk for o in training.outcomes.all()],
        "seen_at": training.updated_at.isoformat(),
    }


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("bound", [False, True], ids=["unbound", "errors"])
def test_the_training_form_writes_what_django_s_widgets_write(
    demo: dict[str, User], bound: bool, language: str
) -> None:
    training = _training()
    user = demo["demo-admin"]
    with translation.override(language):
        data = _errors(training) if bound else None
        form = _form(training, user, data)
        slow = [n for n, f in form.fields.items() if type(f.widget) in _DJANGO.values()]
        assert not slow, f"written through Django's templates: {slow}"
        django_form = _as_django(_form(training, user, data))
        if bound:
            assert not form.is_valid()
            assert form.errors == django_form.errors
            assert {"title", "end_date", "partners"} <= set(form.errors)
        ours, django = _html(form), _html(django_form)
    assert ours == django
    assert ours.count('type="checkbox"') > 10
    assert ours.count("checked") >= 9  # every picked record ticked


def test_the_similar_training_question_writes_what_django_writes(demo: dict[str, User]) -> None:
    """The tick that saves a training like another one, added when the form is cleaned."""
    training = _training()
    twin = Training.objects.exclude(pk=training.pk).order_by("pk").first()
    assert twin is not None
    data = _errors(twin)
    data.update(
        title_en=training.title_en,
        organiser=training.organiser_id,
        partners=[],
        start_date=training.start_date.isoformat(),
        end_date="",
        methodology_mk="",
    )
    form = _form(twin, demo["demo-admin"], data)
    assert not form.is_valid()
    assert form.similar == [training]
    field = form.fields["save_separately"]
    assert type(field.widget) is QuickCheckboxInput
    ours = _html(form)
    _as_django(form)
    assert ours == _html(form)
    assert 'name="save_separately"' in ours


@pytest.mark.parametrize("username", ["demo-admin", "demo-ministry"])
def test_the_ticks_are_what_model_forms_read_in_one_query(
    demo: dict[str, User], username: str
) -> None:
    training = _training()
    expected = model_to_dict(training, fields=PICKED)
    with CaptureQueriesContext(connection) as queries:
        form = _form(training, demo[username], None)
    for name in PICKED:
        shown = sorted(int(pk) for pk in form[name].value())
        assert shown == sorted(record.pk for record in expected[name]), name
        assert shown, name
    links = [q for q in queries.captured_queries if "trainings_training_" in q["sql"]]
    assert len(links) == 1, [q["sql"] for q in links]


def test_a_new_training_ticks_nothing_and_reads_no_links(demo: dict[str, User]) -> None:
    with CaptureQueriesContext(connection) as queries:
        form = TrainingForm(
            None, organisers=permissions.organisers_for(demo["demo-admin"]), instance=Training()
        )
    assert all(not form[name].value() for name in PICKED)
    assert not [q for q in queries.captured_queries if "trainings_training_" in q["sql"]]


def test_the_edit_page_reads_a_fixed_number_of_queries(demo: dict[str, User]) -> None:
    """Fewer than the 22 it ran before, however many records the pickers tick."""
    training = _training()
    client = Client()
    client.force_login(demo["demo-admin"])
    url = f"/trainings/{training.pk}/edit/"
    client.get(url)  # the first request fills per-process caches

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = count()
    training.partners.set(Institution.objects.exclude(pk=training.organiser_id))
    training.topics.set(Topic.objects.all())
    training.recommendations.set(Recommendation.objects.all())
    assert count() == few
    assert few <= 18
