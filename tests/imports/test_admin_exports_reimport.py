"""What the admin exports imports again as it is: every row found, nothing new, nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.admin.sites import site
from django.db.models import Count, Model
from django.test import RequestFactory
from django.utils import translation

from core.spreadsheets import SafeCSV, SafeXLSX
from programme.models import ActionPoint, IndicatorValue
from recommendations.models import ProgressUpdate, Recommendation
from stakeholders.models import Institution
from trainings.models import Attendance, Training

pytestmark = pytest.mark.django_db

KINDS: list[tuple[str, type[Model]]] = [
    ("institutions", Institution),
    ("trainings", Training),
    ("recommendations", Recommendation),
    ("progress_updates", ProgressUpdate),
    ("action_points", ActionPoint),
    ("indicator_values", IndicatorValue),
]


def _admin_export(model: type[Model], user: Any, queryset: Any, fmt: Any = None) -> bytes:
    request = RequestFactory().get(f"/admin/{model._meta.app_label}/export/")
    request.user = user
    data = site._registry[model].get_export_data(fmt or SafeXLSX(), request, queryset)
    return data if isinstance(data, bytes) else data.encode("utf-8")


def _busiest_training() -> Training:
    training = (
        Training.objects.annotate(n=Count("attendance"))
        .filter(n__gt=0)
        .order_by("-n", "pk")
        .first()
    )
    assert training is not None
    return Training.objects.get(pk=training.pk)


@pytest.mark.parametrize(("kind", "model"), KINDS)
@pytest.mark.parametrize("language", ["en", "mk"])
def test_an_admin_export_imports_again_unchanged(run_import, demo, kind, model, language) -> None:
    admin_user = demo["demo-admin"]
    queryset = model._default_manager.all()
    with translation.override(language):
        data = _admin_export(model, admin_user, queryset)
    assert queryset.exists()
    batch = run_import(
        kind, data, f"{kind}.xlsx", user=admin_user, confirm=False, language=language
    )
    assert batch.status == "checked", (batch.file_error, batch.errors[:5])
    assert (batch.new_count, batch.updated_count, batch.error_count) == (0, 0, 0), [
        r for r in batch.preview if r["action"] != "unchanged"
    ][:5]
    assert batch.unchanged_count == batch.total_rows > 0


@pytest.mark.parametrize("fmt", [SafeXLSX, SafeCSV])
def test_the_admins_attendance_export_names_the_training_and_imports_again(
    run_import, demo, fmt
) -> None:
    admin_user = demo["demo-admin"]
    training = _busiest_training()
    queryset = Attendance.objects.filter(training=training)
    data = _admin_export(Attendance, admin_user, queryset, fmt())
    text = data.decode("utf-8-sig") if fmt is SafeCSV else ""
    if text:
        assert text.splitlines()[0].startswith("Training,Full name,")
        assert training.title in text
    batch = run_import(
        "attendance",
        data,
        "attendance." + ("csv" if fmt is SafeCSV else "xlsx"),
        user=admin_user,
        training=training,
        confirm=False,
    )
    assert batch.status == "checked", (batch.file_error, batch.errors[:5])
    assert (batch.new_count, batch.updated_count, batch.error_count) == (0, 0, 0)
    assert batch.unchanged_count == batch.total_rows == queryset.count()
    name = site._registry[Attendance].get_export_filename(
        RequestFactory().get("/"), queryset, fmt()
    )
    assert name.startswith(f"attendance-training-{training.pk}-")


def test_an_attendance_export_of_other_trainings_is_not_imported_into_this_one(
    run_import, demo
) -> None:
    admin_user = demo["demo-admin"]
    training = _busiest_training()
    others = Attendance.objects.exclude(training=training)
    assert others.exists()
    data = _admin_export(Attendance, admin_user, Attendance.objects.all())
    batch = run_import(
        "attendance", data, "all.xlsx", user=admin_user, training=training, confirm=False
    )
    assert batch.status == "invalid"
    refused = [e for e in batch.errors if e["column"] == "Training"]
    assert len(refused) == others.count()
    assert refused[0]["letter"] == "A"
    assert refused[0]["message"].startswith("This row is of another training;")
    assert str(training) in refused[0]["message"]
    assert batch.unchanged_count == Attendance.objects.filter(training=training).count()
    name = site._registry[Attendance].get_export_filename(
        RequestFactory().get("/"), Attendance.objects.all(), SafeXLSX()
    )
    assert name.startswith("Attendance-") and name.endswith(".xlsx")
