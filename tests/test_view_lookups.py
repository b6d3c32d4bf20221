"""No view looks up a permission-scoped record except through its app's gate.

The gates in the apps' permissions modules scope a queryset to what the user may see *before*
the lookup, so another institution's record answers 404. A view that writes
``Training.objects.get(pk=pk)`` or ``get_object_or_404(Evidence, pk=pk)`` skips that, and
the persona matrix notices only if it happens to reach that URL with the right record. This
test reads the source of every views module instead.

- The scoped models are derived from the code: every model a gate function returns (its
  return annotation names it: ``-> QuerySet[Training]``, ``-> Report``), every model whose
  rows are deleted with a scoped record (an evidence file goes with its update), and the
  history of each.
- A views module is any ``views.py``, ``*_views.py`` or module of a ``views`` package in an
  app, and any module of the project that the URL conf routes to (the admin aside: it is the
  programme team's, behind Django's model permissions, tested in test_admin.py).
- Flagged: reaching a manager of a scoped model (``Model.objects…``, ``Model.history…``),
  ``get_object_or_404(Model, …)``, and a class-based view's ``model = Model``. Allowed:
  ``Model.objects.none()``, which finds nothing, and a queryset handed to a gate function
  (``object_permissions.objects_with_perm(user, Training.objects.all(), …)``), which scopes it.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models.manager import BaseManager
from django.urls import URLPattern, URLResolver, get_resolver

ROOT = Path(__file__).resolve().parent.parent
NOT_APPS = {"tests", "config", "docs", "scripts", "static", "templates", "locale", "docker"}

# Gates that do not live in a permissions module, each with the reason.
EXTRA_GATE_MODULES: dict[str, str] = {
    "notifications.selectors": (
        "a user's notifications are their own: notifications_for(user=…) is the notifications' "
        "one rule, and the package has no permissions module"
    ),
}

# Lookups a view may make without the gate: (module, enclosing function or class, model)
# -> why it is safe. Every entry must say why, and must still match a lookup in the code.
ALLOWED: dict[tuple[str, str, str], str] = {}

# Models the gates must keep covering; if the derivation stops finding one, it has broken.
KNOWN_SCOPED = {
    "Training",
    "Participant",
    "Attendance",
    "ProgressUpdate",
    "Evidence",
    "UpdateComment",
    "Recommendation",
    "ActionPoint",
    "ImportBatch",
    "Report",
    "Study",
    "StudyVersion",
    "Membership",
    "Notification",
}

LOOKUP_SHORTCUTS = {"django.shortcuts.get_object_or_404", "django.shortcuts.get_list_or_404"}


# --- Resolving names in a module's source -----------------------------------------------------


@cache
def resolve(dotted: str) -> Any:
    """The object a dotted path names (a module, or an attribute of one), or None."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name, None)
            if obj is None:
                return None
        return obj
    return None


def imported_names(tree: ast.Module, module: str) -> dict[str, str]:
    """Each name the module imports (anywhere in it), mapped to the dotted path it stands for."""
    package = module.rpartition(".")[0]
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                source = ".".join([*base, source] if source else base)
            for alias in node.names:
                names[alias.asname or alias.name] = f"{source}.{alias.name}"
    return names


def dotted_name(node: ast.expr, names: dict[str, str]) -> str | None:
    """``permissions.training_for_view`` → ``trainings.permissions.training_for_view``."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        base = dotted_name(node.value, names)
        return f"{base}.{node.attr}" if base else None
    return None


# --- Which models are scoped, and which modules are gates -------------------------------------


def app_modules(pattern: str) -> Iterator[tuple[str, Path]]:
    """Dotted names and paths of the apps' source files matching a glob pattern."""
    for path in sorted(ROOT.glob(f"*/**/{pattern}")):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in NOT_APPS or relative.parts[0].startswith("."):
            continue
        if "migrations" in relative.parts:
            continue
        yield ".".join(relative.with_suffix("").parts), path


def gate_modules() -> dict[str, Path]:
    gates = dict(app_modules("*permissions.py"))
    for module in EXTRA_GATE_MODULES:
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin, module
        gates[module] = Path(spec.origin)
    return gates


def _takes_the_user(function: ast.FunctionDef) -> bool:
    arguments = function.args
    return "user" in {
        a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
    }


def gated_models(gates: dict[str, Path]) -> set[type[models.Model]]:
    """Every model a gate function (one that takes the user) names in its return annotation."""
    found: set[type[models.Model]] = set()
    for module, path in gates.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        names = imported_names(tree, module)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.returns and _takes_the_user(node):
                for part in ast.walk(node.returns):
                    if isinstance(part, ast.Name | ast.Attribute):
                        dotted = dotted_name(part, names)
                        target = resolve(dotted) if dotted else None
                        if isinstance(target, type) and issubclass(target, models.Model):
                            found.add(target)
    return found


def scoped_models(gated: Iterable[type[models.Model]]) -> set[type[models.Model]]:
    """The gated models, the models whose rows are deleted with theirs, and their history."""
    scoped = set(gated)
    grown = True
    while grown:
        grown = False
        for model in apps.get_models():
            if model in scoped:
                continue
            parts_of = any(
                isinstance(field, models.ForeignKey)  # and so a one-to-one field
                and field.related_model in scoped
                and field.remote_field.on_delete is models.CASCADE
                for field in model._meta.get_fields()
            )
            if parts_of or getattr(model, "instance_type", None) in scoped:
                scoped.add(model)
                grown = True
    return scoped


@cache
def the_scoped_models() -> frozenset[type[models.Model]]:
    return frozenset(scoped_models(gated_models(gate_modules())))


# --- The check ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    module: str
    scope: str  # the enclosing function or class, dotted; "<module>" at the top level
    model: str
    line: int
    code: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.module, self.scope, self.model)

    def __str__(self) -> str:
        return f"{self.module}:{self.line} in {self.scope}: {self.model}: {self.code}"


class _Checker(ast.NodeVisitor):
    def __init__(
        self,
        source: str,
        module: str,
        scoped: frozenset[type[models.Model]],
        gates: Iterable[str],
    ) -> None:
        self.source = source
        self.module = module
        self.scoped = scoped
        self.gates = set(gates)
        self.tree = ast.parse(source)
        self.names = imported_names(self.tree, module)
        self.parents: dict[ast.AST, ast.AST] = {
            child: parent
            for parent in ast.walk(self.tree)
            for child in ast.iter_child_nodes(parent)
        }
        self.scopes: list[str] = []
        self.found: list[Lookup] = []

    def run(self) -> list[Lookup]:
        self.visit(self.tree)
        return self.found

    def _model(self, node: ast.expr) -> type[models.Model] | None:
        dotted = dotted_name(node, self.names)
        target = resolve(dotted) if dotted else None
        return target if isinstance(target, type) and target in self.scoped else None

    def _flag(self, node: ast.AST, model: type[models.Model]) -> None:
        self.found.append(
            Lookup(
                module=self.module,
                scope=".".join(self.scopes) or "<module>",
                model=model.__name__,
                line=getattr(node, "lineno", 0),
                code=ast.get_source_segment(self.source, node) or "",
            )
        )

    def _scoped_by_a_gate(self, node: ast.AST) -> bool:
        """Whether the node is an argument (at any depth) of a call to a gate function."""
        child, parent = node, self.parents.get(node)
        while parent is not None:
            if isinstance(parent, ast.Call) and child is not parent.func:
                dotted = dotted_name(parent.func, self.names) or ""
                if dotted.rpartition(".")[0] in self.gates:
                    return True
            child, parent = parent, self.parents.get(parent)
        return False

    def _finds_nothing(self, node: ast.Attribute) -> bool:
        """``Model.objects.none()``."""
        parent = self.parents.get(node)
        call = self.parents.get(parent) if parent is not None else None
        return (
            isinstance(parent, ast.Attribute)
            and parent.attr == "none"
            and isinstance(call, ast.Call)
            and call.func is parent
        )

    def _visit_scope(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.scopes.append(node.name)
        self.generic_visit(node)
        self.scopes.pop()

    visit_FunctionDef = _visit_scope
    visit_AsyncFunctionDef = _visit_scope

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        # A generic view's `model = Training` looks records up by pk, unscoped.
        for statement in node.body:
            if isinstance(statement, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "model"
                for target in statement.targets
            ):
                self.scopes.append(node.name)
                model = self._model(statement.value)
                if model is not None:
                    self._flag(statement, model)
                self.scopes.pop()
        self._visit_scope(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        model = self._model(node.value)
        if (
            model is not None
            and isinstance(getattr(model, node.attr, None), BaseManager)
            and not self._finds_nothing(node)
            and not self._scoped_by_a_gate(node)
        ):
            self._flag(node, model)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if dotted_name(node.func, self.names) in LOOKUP_SHORTCUTS and node.args:
            model = self._model(node.args[0])
            if model is not None and not self._scoped_by_a_gate(node):
                self._flag(node, model)
        self.generic_visit(node)


def unscoped_lookups(source: str, module: str) -> list[Lookup]:
    """The lookups of permission-scoped models in a views module that bypass the gates."""
    return _Checker(source, module, the_scoped_models(), gate_modules()).run()


# --- The views modules -------------------------------------------------------------------------


def routed_modules() -> set[str]:
    """The project's modules that the URL conf routes to, the admin aside."""

    def walk(patterns: list[Any]) -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace != "admin":
                    yield from walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                view = getattr(pattern.callback, "view_class", pattern.callback)
                yield view.__module__

    found = set()
    for module in walk(get_resolver().url_patterns):
        spec = importlib.util.find_spec(module)
        origin = Path(spec.origin) if spec and spec.origin else None
        if origin and origin.is_relative_to(ROOT) and not origin.is_relative_to(ROOT / ".venv"):
            found.add(module)
    return found


def views_modules() -> dict[str, Path]:
    found = {
        **dict(app_modules("views.py")),
        **dict(app_modules("*_views.py")),
        **{m: p for m, p in app_modules("*.py") if p.parent.name == "views"},
    }
    for module in routed_modules() - found.keys():
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin, module
        found[module] = Path(spec.origin)
    return found


# --- The tests ---------------------------------------------------------------------------------


def test_no_view_looks_up_a_permission_scoped_model_without_its_gate() -> None:
    lookups = [
        lookup
        for module, path in sorted(views_modules().items())
        for lookup in unscoped_lookups(path.read_text(), module)
    ]
    found = [lookup for lookup in lookups if lookup.key not in ALLOWED]
    assert found == [], (
        "Look these records up through the app's permissions module (a *_for_view or "
        "*_for_change gate), or add an ALLOWED entry saying why the lookup is safe:\n"
        + "\n".join(str(lookup) for lookup in found)
    )
    for key, reason in ALLOWED.items():
        assert len(reason.split()) >= 5, f"{key}: say why this lookup needs no gate"
    stale = ALLOWED.keys() - {lookup.key for lookup in lookups}
    assert stale == set(), "ALLOWED entries for lookups that no longer exist: remove them"


def test_the_scoped_models_are_derived_from_the_gates() -> None:
    names = {model.__name__ for model in the_scoped_models()}
    assert names >= KNOWN_SCOPED, f"no longer found behind a gate: {KNOWN_SCOPED - names}"
    # Shared reference data is not behind a gate; a view may list it.
    assert not names & {"ReportingPeriod", "Theme", "Topic", "Action", "User"}


def test_the_views_modules_include_every_kind_of_views_module() -> None:
    modules = views_modules()
    for expected in (
        "recommendations.views",
        "imports.views",
        "reports.views",
        "notifications.views",
        "stakeholders.account_views",
    ):
        assert expected in modules


UNSCOPED = """
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView
from recommendations.models import Evidence
from trainings import models as training_models
from trainings.models import Training


def training_detail(request, pk):
    return get_object_or_404(Training, pk=pk)


def training_edit(request, pk):
    return training_models.Training.objects.filter(id=pk).first()


def evidence_download(request, pk):
    return Evidence.objects.get(pk=pk)


def history(request, pk):
    return Training.history.filter(id=pk)


class TrainingView(DetailView):
    model = Training
"""

GATED = """
from django.shortcuts import get_object_or_404
from programme.models import ReportingPeriod
from notifications import selectors
from stakeholders import object_permissions
from trainings import permissions
from trainings.models import Training


def training_detail(request, pk):
    training: Training = permissions.training_for_view(request.user, pk)
    return training


def notification_open(request, pk):
    return get_object_or_404(selectors.notifications_for(user=request.user), pk=pk)


def shared(request):
    return object_permissions.objects_with_perm(
        request.user, Training.objects.all(), "trainings.view_training"
    )


def periods(request):
    return ReportingPeriod.objects.order_by("-start_date")


class ImportForm:
    training = Training.objects.none()
"""


def test_the_check_flags_lookups_that_skip_the_gate() -> None:
    found = unscoped_lookups(UNSCOPED, "trainings.views")
    assert [(lookup.scope, lookup.model) for lookup in found] == [
        ("training_detail", "Training"),
        ("training_edit", "Training"),
        ("evidence_download", "Evidence"),
        ("history", "Training"),
        ("TrainingView", "Training"),
    ]


def test_the_check_passes_lookups_through_a_gate() -> None:
    assert unscoped_lookups(GATED, "trainings.views") == []
