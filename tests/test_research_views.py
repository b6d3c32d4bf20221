from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from programme.models import Action
from recommendations.models import Recommendation
from research.choices import LanguageVersion, StudyStatus
from research.models import Study, StudyStatusChange, StudyVersion
from research.services import study_advance
from stakeholders.models import Institution, User

pytestmark = pytest.mark.django_db

PERSONAS = ["demo-admin", "demo-observer", "demo-ministry", "demo-cso-a", "demo-cso-b"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ICT = "ict-and-human-trafficking"


@pytest.fixture
def demo(settings, tmp_path, demo) -> dict[str, User]:
    """The shared seed and demo set, with uploads kept in a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return demo


def _study(slug: str = ICT) -> Study:
    return Study.objects.get(slug=slug)


def _version_with_file(study: Study, name: str = "ICT report.pdf") -> StudyVersion:
    return StudyVersion.objects.create(
        study=study,
        language=LanguageVersion.ENGLISH,
        file=SimpleUploadedFile(name, PDF, content_type="application/pdf"),
        published_on=date(2024, 11, 1),
    )


def _state(study: Study) -> tuple[str, date | None, int]:
    study.refresh_from_db()
    return study.status, study.published_on, study.status_changes.count()


# --- anonymous -------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_and_changes_nothing(client, demo) -> None:
    study = _study()
    version = _version_with_file(study)
    before = _state(study)
    for url in (
        "/research/",
        "/research/?layout=list",
        f"/research/{study.slug}/",
        f"/research/versions/{version.pk}/download/",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    response = client.post(f"/research/{study.slug}/advance/", {"to_status": "published"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert _state(study) == before


# --- pipeline and detail ---------------------------------------------------------------------


@pytest.mark.parametrize("username", PERSONAS)
def test_every_persona_reads_the_pipeline_and_the_studies(client, demo, username) -> None:
    client.force_login(demo[username])
    response = client.get("/research/")
    assert response.status_code == 200
    columns = response.context["columns"]
    assert [c.status for c in columns] == [s.value for s in StudyStatus]
    validated = next(c for c in columns if c.status == StudyStatus.VALIDATED)
    assert {s.slug for s in validated.studies} == set(Study.objects.values_list("slug", flat=True))
    listing = client.get("/research/", {"layout": "list"})
    assert listing.status_code == 200
    assert len(listing.context["page_obj"]) == Study.objects.count()
    for study in Study.objects.all():
        assert client.get(f"/research/{study.slug}/").status_code == 200


def test_cards_show_title_authors_contractor_and_due_date(client, demo) -> None:
    study = _study()
    study.authors = "A. Author and B. Writer"
    study.contractor = Institution.objects.get(code="demo-cso-b")
    study.due_date = date(2026, 5, 31)
    study.status = StudyStatus.DRAFT
    study.save()
    client.force_login(demo["demo-cso-a"])
    response = client.get("/research/")
    draft = next(c for c in response.context["columns"] if c.status == StudyStatus.DRAFT)
    assert [s.slug for s in draft.studies] == [ICT]
    content = response.content.decode()
    assert "A. Author and B. Writer" in content and "Demo CSO B" in content
    assert 'datetime="2026-05-31"' in content


def test_pipeline_filters_by_stage_and_recommendation(client, demo) -> None:
    client.force_login(demo["demo-ministry"])
    Study.objects.filter(slug=ICT).update(status=StudyStatus.PLANNED)
    rec_7 = Recommendation.objects.get(number=7)
    response = client.get("/research/", {"recommendation": rec_7.pk, "layout": "list"})
    assert [s.slug for s in response.context["page_obj"]] == [ICT]
    response = client.get("/research/", {"status": "planned"})
    cards = [s.slug for c in response.context["columns"] for s in c.studies]
    assert cards == [ICT]
    response = client.get("/research/", {"status": "nonsense"})
    assert response.status_code == 200 and response.context["filter"].form.errors


def test_detail_shows_findings_history_versions_and_links(client, demo) -> None:
    study = _study()
    study.summary_en = "What the study looked at."
    study.key_findings_en = "Recruitment moved online."
    study.save()
    study_advance(study=study, to_status=StudyStatus.PUBLISHED, by=demo["demo-admin"], note="Out")
    version = _version_with_file(study)
    StudyVersion.objects.create(
        study=study, language=LanguageVersion.ALBANIAN, url="https://example.org/ict-sq"
    )
    client.force_login(demo["demo-cso-b"])
    content = client.get(f"/research/{study.slug}/").content.decode()
    assert "What the study looked at." in content and "Recruitment moved online." in content
    assert "Validated → Published" in content and "“Out”" in content
    assert f"/research/versions/{version.pk}/download/" in content
    assert version.file.url not in content  # never the media address
    assert "https://example.org/ict-sq" in content
    # The study addresses recommendations 7 and 11 (by number: their keys depend on what ran
    # before in this process).
    for number in (7, 11):
        assert f"/recommendations/{Recommendation.objects.get(number=number).pk}/" in content
    assert "Move along the pipeline" not in content


def test_unknown_study_is_404(client, demo) -> None:
    client.force_login(demo["demo-admin"])
    assert client.get("/research/no-such-study/").status_code == 404


# --- advancing -------------------------------------------------------------------------------


def test_programme_team_advances_a_study_from_the_detail_page(client, demo) -> None:
    study = _study()
    client.force_login(demo["demo-admin"])
    page = client.get(f"/research/{study.slug}/")
    assert "Move along the pipeline" in page.content.decode()
    # Only the allowed moves are offered: forward from validated means published.
    assert [v for v, _l in page.context["advance_form"].fields["to_status"].choices] == [
        "published"
    ]
    response = client.post(
        f"/research/{study.slug}/advance/", {"to_status": "published", "note": "Launched."}
    )
    assert response.status_code == 302 and response["Location"] == f"/research/{study.slug}/"
    study.refresh_from_db()
    assert study.status == StudyStatus.PUBLISHED
    assert study.published_on == timezone.localdate()
    change = study.status_changes.get()
    assert (change.from_status, change.to_status, change.changed_by, change.note) == (
        "validated",
        "published",
        demo["demo-admin"],
        "Launched.",
    )
    follow = client.get(f"/research/{study.slug}/")
    assert "The study is now at the stage “Published”." in follow.content.decode()


@pytest.mark.parametrize("username", ["demo-observer", "demo-ministry", "demo-cso-a"])
def test_others_may_not_advance(client, demo, username) -> None:
    study = _study()
    before = _state(study)
    client.force_login(demo[username])
    response = client.post(f"/research/{study.slug}/advance/", {"to_status": "published"})
    assert response.status_code == 403
    assert _state(study) == before


def test_advance_is_post_only_and_unknown_study_is_404(client, demo) -> None:
    client.force_login(demo["demo-admin"])
    study = _study()
    assert client.get(f"/research/{study.slug}/advance/").status_code == 405
    assert client.post("/research/nope/advance/", {"to_status": "published"}).status_code == 404


@pytest.mark.parametrize(
    ("to_status", "message"),
    [
        ("draft", "cannot go back from “Validated” to “Draft”"),
        ("validated", "already at the stage “Validated”"),
        ("finished", "Select a valid choice"),
        ("", "This field is required"),
    ],
)
def test_refused_moves_are_explained_and_change_nothing(client, demo, to_status, message) -> None:
    study = _study()
    before = _state(study)
    client.force_login(demo["demo-admin"])
    response = client.post(
        f"/research/{study.slug}/advance/", {"to_status": to_status}, follow=True
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert _state(study) == before


def test_a_move_posted_twice_is_refused_the_second_time(client, demo) -> None:
    study = _study()
    Study.objects.filter(pk=study.pk).update(status=StudyStatus.CONTRACTED)
    client.force_login(demo["demo-admin"])
    client.post(f"/research/{study.slug}/advance/", {"to_status": "draft"})
    response = client.post(f"/research/{study.slug}/advance/", {"to_status": "draft"}, follow=True)
    assert "already at the stage “Draft”" in response.content.decode()
    assert study.status_changes.count() == 1


def test_study_advance_rules(demo) -> None:
    admin = demo["demo-admin"]
    study = _study()
    Study.objects.filter(pk=study.pk).update(status=StudyStatus.PLANNED)
    study.refresh_from_db()
    # Forward one step, then several at once.
    study = study_advance(study=study, to_status=StudyStatus.TERMS_OF_REFERENCE, by=admin)
    study = study_advance(study=study, to_status=StudyStatus.UNDER_REVIEW, by=admin)
    # Back from review to draft is the one step back there is.
    study = study_advance(study=study, to_status=StudyStatus.DRAFT, by=admin, note="Redo ch. 2")
    for back in (StudyStatus.CONTRACTED, StudyStatus.PLANNED):
        with pytest.raises(ValidationError, match="cannot go back"):
            study_advance(study=study, to_status=back, by=admin)
    with pytest.raises(ValidationError, match="already at the stage"):
        study_advance(study=study, to_status=StudyStatus.DRAFT, by=admin)
    with pytest.raises(ValidationError, match="not a stage"):
        study_advance(study=study, to_status="archived", by=admin)
    study = study_advance(study=study, to_status=StudyStatus.VALIDATED, by=admin)
    with pytest.raises(ValidationError, match="cannot go back"):
        study_advance(study=study, to_status=StudyStatus.UNDER_REVIEW, by=admin)
    study = study_advance(study=study, to_status=StudyStatus.PUBLISHED, by=None)
    assert study.published_on == timezone.localdate()
    steps = list(
        StudyStatusChange.objects.filter(study=study).values_list("from_status", "to_status")
    )
    assert steps == [
        ("planned", "terms_of_reference"),
        ("terms_of_reference", "under_review"),
        ("under_review", "draft"),
        ("draft", "validated"),
        ("validated", "published"),
    ]
    assert StudyStatusChange.objects.get(to_status="draft").note == "Redo ch. 2"


def test_publishing_keeps_a_recorded_publication_date(demo) -> None:
    study = _study()
    Study.objects.filter(pk=study.pk).update(published_on=date(2025, 2, 1))
    study = study_advance(study=study, to_status=StudyStatus.PUBLISHED, by=None)
    assert study.published_on == date(2025, 2, 1)


# --- downloads -------------------------------------------------------------------------------


@pytest.mark.parametrize("username", PERSONAS)
def test_file_is_downloaded_through_the_view_as_an_attachment(client, demo, username) -> None:
    version = _version_with_file(_study())
    client.force_login(demo[username])
    response = client.get(f"/research/versions/{version.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="ict-and-human-trafficking-en.pdf"'
    )
    assert b"".join(response.streaming_content) == PDF
    response.close()


def test_download_name_is_safe_whatever_the_upload_was_called(client, demo) -> None:
    version = _version_with_file(_study(), name='Извештај "final"; name=x.PDF')
    client.force_login(demo["demo-cso-a"])
    response = client.get(f"/research/versions/{version.pk}/download/")
    response.close()
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="ict-and-human-trafficking-en.pdf"'
    )


def test_version_without_file_or_unknown_version_is_404(client, demo) -> None:
    link_only = StudyVersion.objects.create(
        study=_study(), language=LanguageVersion.MACEDONIAN, url="https://example.org/ict-mk"
    )
    client.force_login(demo["demo-admin"])
    assert client.get(f"/research/versions/{link_only.pk}/download/").status_code == 404
    assert client.get("/research/versions/999999/download/").status_code == 404


def test_file_missing_from_storage_is_404(client, demo) -> None:
    version = _version_with_file(_study())
    version.file.storage.delete(str(version.file.name))
    client.force_login(demo["demo-admin"])
    assert client.get(f"/research/versions/{version.pk}/download/").status_code == 404


# --- query counts ------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _add_studies(n: int) -> None:
    action = Action.objects.get()
    contractor = Institution.objects.get(code="demo-cso-a")
    statuses = [s.value for s in StudyStatus]
    rec = Recommendation.objects.get(number=7)
    start = Study.objects.count()
    for i in range(start, start + n):
        study = Study.objects.create(
            action=action,
            title_en=f"Extra study {i}",
            slug=f"extra-study-{i}",
            status=statuses[i % len(statuses)],
            authors="Someone",
            contractor=contractor,
            due_date=date(2027, 1, 1),
            published_on=date(2026, 1, 1),
        )
        study.recommendations.add(rec)


@pytest.mark.parametrize("username", ["demo-cso-a", "demo-admin"])
def test_pipeline_runs_the_same_queries_for_10_and_200_studies(client, demo, username) -> None:
    client.force_login(demo[username])
    rec = Recommendation.objects.get(number=7)
    urls = [
        "/research/",
        "/research/?layout=list",
        f"/research/?layout=list&page=2&recommendation={rec.pk}",
        "/research/?status=draft",
    ]
    _add_studies(10 - Study.objects.count())
    small = [_queries(client, url) for url in urls]
    _add_studies(190)
    assert Study.objects.count() == 200
    assert [_queries(client, url) for url in urls] == small


def test_detail_runs_the_same_queries_for_10_and_200_history_rows(client, demo) -> None:
    study = _study()
    admin = demo["demo-admin"]
    client.force_login(demo["demo-observer"])

    def add_history(n: int) -> None:
        StudyStatusChange.objects.bulk_create(
            StudyStatusChange(
                study=study, from_status="draft", to_status="under_review", changed_by=admin
            )
            for _ in range(n)
        )
        study.recommendations.add(*Recommendation.objects.all())

    add_history(10)
    small = _queries(client, f"/research/{study.slug}/")
    add_history(190)
    assert _queries(client, f"/research/{study.slug}/") == small
