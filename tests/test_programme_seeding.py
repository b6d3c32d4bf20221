from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import translation

from loaders.seeding import seed_load
from programme.models import Action, Intervention, Meeting
from recommendations.models import Recommendation
from research.models import Study
from stakeholders.models import Institution, ProfessionalGroup
from trainings.models import Topic, Training

SOURCES = Path(__file__).resolve().parent.parent / "docs" / "sources"
SHARED_SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"
PROJECT_APPS = ("stakeholders", "programme", "trainings", "research", "recommendations")

pytestmark = pytest.mark.django_db


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for app in PROJECT_APPS
        for model in apps.get_app_config(app).get_models()
    }


def _seed_document_recommendations() -> dict[int, str]:
    text = (SOURCES / "wg4-recommendations.txt").read_text(encoding="utf-8")
    return {int(n): body.strip() for n, body in re.findall(r"^(\d+)\.\s+(.+)$", text, re.M)}


def test_source_documents_are_the_seed_documents() -> None:
    """docs/sources holds the documents the platform was designed from, unchanged."""
    seeds = sorted(SHARED_SEEDS.glob("*.txt")) if SHARED_SEEDS.is_dir() else []
    if not seeds:
        pytest.skip("the shared seed folder is not beside this checkout")
    ours = {p.read_text(encoding="utf-8") for p in SOURCES.glob("*.txt")}
    assert {p.read_text(encoding="utf-8") for p in seeds} == ours


def test_fifteen_recommendations_are_stored_word_for_word() -> None:
    seed_load()
    expected = _seed_document_recommendations()
    assert sorted(expected) == list(range(1, 16))
    stored = {r.number: r.text_en for r in Recommendation.objects.all()}
    assert stored == expected


def test_recommendation_set_is_the_fourth_session_of_working_group_4() -> None:
    seed_load()
    rec_set = Recommendation.objects.select_related("recommendation_set").first().recommendation_set
    assert (
        rec_set.issued_by
        == "National Convention on the European Union in the Republic of Macedonia"
    )
    assert (rec_set.working_group, rec_set.session) == ("Working group 4", "Fourth session")
    assert rec_set.title.upper() == "NEW FORMS OF PREVENTION AND FIGHT AGAINST HUMAN TRAFFICKING"


def test_recommendations_cite_their_instruments() -> None:
    seed_load()
    third = Recommendation.objects.get(number=3)
    assert {i.slug for i in third.instruments.all()} == {
        "untoc",
        "coe-anti-trafficking-convention",
        "palermo-protocol",
        "istanbul-convention",
    }
    assert [i.short_name for i in Recommendation.objects.get(number=4).instruments.all()] == [
        "Istanbul Convention"
    ]
    twelfth = Recommendation.objects.get(number=12)
    assert {i.code for i in twelfth.institutions.all()} == {
        "financial-police",
        "customs",
        "moi",
        "prosecution",
    }


def test_seed_holds_what_the_steering_committee_document_names() -> None:
    seed_load()
    action = Action.objects.get()
    assert action.title == "Strengthening anti-trafficking action in North Macedonia"
    assert action.programme.name == "Horizontal Facility for the Western Balkans and Türkiye"
    assert {p.code for p in action.programme.partners.all()} == {"eu", "coe"}

    meeting = Meeting.objects.get(number=3)
    assert meeting.place == "Skopje"
    attending = {a.institution.name for a in meeting.attendance.select_related("institution")}
    assert {
        "Delegation of the European Union to North Macedonia",
        "Ministry of Social Protection, Demography and Youth",
        "Ministry of Interior",
        "Ministry of Foreign Affairs",
    } <= attending
    assert "multi-agency Steering Committee" in meeting.minutes

    assert set(Study.objects.values_list("title_en", flat=True)) == {
        "ICT and human trafficking",
        "Preventing child trafficking for the purpose of begging, labour exploitation "
        "and forced marriage",
        "Care for child trafficking victims by foster families",
        "Legislative assessment of access to free legal aid for trafficking victims",
    }
    assert Intervention.objects.filter(year=2024, agreed_at=meeting).count() == 4
    assert set(Topic.objects.values_list("name_en", flat=True)) >= {
        "Information technologies and human trafficking",
        "Access to free legal aid and compensation for trafficking victims",
        "Capacity building for foster homes for child trafficking victims",
    }
    assert Training.objects.filter(intervention__year=2024).count() == 3
    assert set(ProfessionalGroup.objects.values_list("name_en", flat=True)) >= {
        "Labour inspectors",
        "Police officers",
        "Social workers",
        "Journalists",
        "Child protection specialists",
        "Lawyers",
    }


def test_institution_names_exist_in_three_languages() -> None:
    seed_load()
    moi = Institution.objects.get(code="moi")
    with translation.override("mk"):
        assert moi.name == "Министерство за внатрешни работи"
    with translation.override("sq"):
        assert moi.name == "Ministria e Punëve të Brendshme"
    assert Institution.objects.get(code="labour-inspectorate").parent.code == "mspdy"


def test_seed_command_twice_changes_nothing() -> None:
    call_command("seed_programme", stdout=io.StringIO())
    counts = _row_counts()
    stamps = {
        label: sorted(m._default_manager.values_list("updated_at", flat=True))
        for label, m in ((m._meta.label, m) for m in apps.get_models())
        if m._meta.app_label in PROJECT_APPS and any(f.name == "updated_at" for f in m._meta.fields)
    }
    assert counts["recommendations.Recommendation"] == 15
    call_command("seed_programme", stdout=io.StringIO())
    assert _row_counts() == counts
    for label, values in stamps.items():
        model = apps.get_model(label)
        assert sorted(model._default_manager.values_list("updated_at", flat=True)) == values, label


def test_seed_keeps_admin_edits_unless_told_to_overwrite() -> None:
    seed_load()
    rec = Recommendation.objects.get(number=5)
    rec.text_en = "Edited by mistake"
    rec.save()
    seed_load()
    rec.refresh_from_db()
    assert rec.text_en == "Edited by mistake"
    result = seed_load(overwrite=True)
    rec.refresh_from_db()
    assert rec.text_en == _seed_document_recommendations()[5]
    assert result["updated"]["recommendations"] == 1
