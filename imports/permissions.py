"""Who may import, export and roll back spreadsheets: the one gate the pages, the admin and the
jobs ask."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from core.imports import resource_class
from imports.choices import ImportKind
from imports.models import ImportBatch
from stakeholders.models import User
from stakeholders.selectors import persona_for

# --- Spreadsheet imports -------------------------------------------------------------------
# Importers see their own batches; the programme team sees every batch and alone rolls one
# back. Which kinds a user may import is each kind's resource's rule (core.imports); what
# the programme team may do with a kind is also bounded by the account's model permissions, so
# a view-only support account imports, exports and rolls back nothing it may not change.


def _holds_model_permissions(user: User, kind: str, actions: tuple[str, ...]) -> bool:
    opts = resource_class(kind)._meta.model._meta
    return user.has_perms([f"{opts.app_label}.{action}_{opts.model_name}" for action in actions])


def may_import_kind(user: User, kind: str) -> bool:
    """Whether the user may import records of this kind: the kind's own rule, and for the
    programme team the permissions to add and change such records."""
    if kind not in ImportKind.values:
        return False
    if persona_for(user).is_programme_team:
        return _holds_model_permissions(user, kind, ("add", "change"))
    return resource_class(kind).may_import(user)


def may_export_kind(user: User, kind: str) -> bool:
    """Everyone exports what they may see; the programme team, who sees everything, needs the
    permission to view such records."""
    if persona_for(user).is_programme_team:
        return _holds_model_permissions(user, kind, ("view",))
    return persona_for(user).is_authenticated


def check_export_kind(user: User, kind: str) -> None:
    if kind not in ImportKind.values:
        raise Http404
    if not may_export_kind(user, kind):
        raise PermissionDenied


def may_roll_back(user: User, batch: ImportBatch) -> bool:
    """The programme team rolls back a batch, with the permissions to change and delete the
    records it wrote."""
    return persona_for(user).is_programme_team and _holds_model_permissions(
        user, batch.kind, ("change", "delete")
    )


def import_batches_visible_to(user: User) -> QuerySet[ImportBatch]:
    persona = persona_for(user)
    if not persona.is_authenticated:
        return ImportBatch.objects.none()
    if persona.is_programme_team:
        return ImportBatch.objects.all()
    return ImportBatch.objects.filter(created_by=user)


def check_import_kind(user: User, kind: str) -> None:
    """404 for no such kind of import; 403 for a kind the user may not import."""
    if kind not in ImportKind.values:
        raise Http404
    if not may_import_kind(user, kind):
        raise PermissionDenied


def import_batch_for_view(user: User, pk: int, *, defer: tuple[str, ...] = ()) -> ImportBatch:
    """A batch the user may see (404 otherwise); ``defer``: fields not read yet."""
    return get_object_or_404(
        import_batches_visible_to(user).select_related("created_by", "training").defer(*defer),
        pk=pk,
    )


def import_batch_for_change(user: User, pk: int) -> ImportBatch:
    """A batch the user may confirm, check again or discard: 404 unseen, 403 not allowed."""
    batch = import_batch_for_view(user, pk)
    check_import_kind(user, batch.kind)
    return batch


def import_batch_for_rollback(user: User, pk: int) -> ImportBatch:
    batch = import_batch_for_view(user, pk)
    if not may_roll_back(user, batch):
        raise PermissionDenied
    return batch
