"""The layers the apps stand in (docs/architecture.md): declared once in pyproject.toml, where
import-linter checks every import in `make test`, and kept honest here."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path
from typing import Any

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent


def _linter() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def _local_apps() -> set[str]:
    return {
        config.name
        for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == ROOT
    }


def test_every_app_of_the_project_stands_in_one_layer() -> None:
    """A new app left out of the contract would be checked by nothing."""
    linter = _linter()
    [contract] = [c for c in linter["contracts"] if c["type"] == "layers"]
    in_layers = [
        name.strip() for layer in contract["layers"] for name in layer.replace(":", "|").split("|")
    ]
    assert sorted(in_layers) == sorted(set(in_layers)), "an app in two layers"
    assert set(in_layers) == _local_apps() | {"config"}
    assert set(linter["root_packages"]) == set(in_layers)


def test_no_app_imports_another_inside_a_function() -> None:
    """An import put inside a function to dodge a cycle hides an import against the layers
    from a reader (import-linter sees it, a reader does not). Only an AppConfig.ready, which
    runs once the apps are loaded, registers what an app contributes that way."""
    local = _local_apps() | {"config"}
    found = []
    for app in sorted(local):
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                if path.name == "apps.py" and function.name == "ready":
                    continue
                for node in ast.walk(function):
                    if isinstance(node, ast.ImportFrom) and node.module:
                        target = node.module
                    elif isinstance(node, ast.Import):
                        target = node.names[0].name
                    else:
                        continue
                    if target.split(".")[0] in local:
                        relative = path.relative_to(ROOT)
                        found.append(f"{relative}:{node.lineno} in {function.name}()")
    assert found == []


def test_an_existing_database_keeps_its_rows_and_permissions_when_the_models_move(
    db: None, settings: Any, tmp_path: Path
) -> None:
    """The reports, import batches and the outbox moved out of the programme app with their
    tables: run the migrations back to before the move and forward again, and the rows, the
    content types and the permissions granted on them are all still there."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from core.models import OutboxEmail
    from imports.models import ImportBatch
    from reports.models import Report
    from tests import factories

    settings.MEDIA_ROOT = tmp_path
    rows = {
        "reports": (Report, factories.ReportFactory.create().pk),
        "imports": (ImportBatch, factories.ImportBatchFactory.create().pk),
        "core": (OutboxEmail, factories.OutboxEmailFactory.create().pk),
    }
    readers = Group.objects.create(name="Report readers")
    readers.permissions.add(Permission.objects.get(codename="view_report"))
    with connection.cursor() as cursor:
        # The rows above are not committed: their deferred checks must not hold up the DDL.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    before = [("programme", "0011_account_emails"), *((app, None) for app in rows)]
    executor = MigrationExecutor(connection)
    executor.migrate([("notifications", None), *before])
    ContentType.objects.clear_cache()
    old = executor.loader.project_state([("programme", "0011_account_emails")]).apps
    for model, pk in rows.values():
        assert old.get_model("programme", model.__name__).objects.filter(pk=pk).exists()
    assert readers.permissions.get().content_type.app_label == "programme"

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()
    for app, (model, pk) in rows.items():
        assert model.objects.filter(pk=pk).exists()
        assert ContentType.objects.get_for_model(model).app_label == app
    assert readers.permissions.get().content_type.app_label == "reports"
    assert (
        not Permission.objects.filter(codename="view_report")
        .exclude(content_type__app_label="reports")
        .exists()
    )
