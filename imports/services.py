"""The import batches: the services the pages, the admin and the jobs call."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from celery import shared_task
from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.history import acting_as
from core.jobs import job_enqueue, job_enqueue_after_commit, job_run_in_child
from core.signals import rows_changed
from core.spreadsheets import (
    MAX_FILE_BYTES,
    EncodingUncertain,
    FileRejected,
    Sheet,
    format_of,
    neutralise,
    read_sheet,
)
from imports.choices import ImportKind, ImportStatus
from imports.models import ImportBatch, RememberedName
from imports.permissions import may_import_kind
from stakeholders.models import Institution
from stakeholders.selectors import persona_for
from stakeholders.services import institution_create

if TYPE_CHECKING:
    from stakeholders.models import User
    from trainings.models import Training


from core.imports import (
    PREVIEW_ROWS,
    STORED_ERRORS,
    BooleanWidget,
    Changes,
    ChoiceWidget,
    DateWidget,
    Header,
    Plan,
    SpreadsheetResource,
    ValueChoice,
    key,
    resource_class,
)
from core.spreadsheets import write_csv, write_xlsx

logger = logging.getLogger(__name__)


# --- Kinds --------------------------------------------------------------------------------


def import_kinds_for(user: User) -> list[str]:
    """The kinds of record the user may import."""
    return [kind for kind in ImportKind.values if may_import_kind(user, kind)]


# --- Batches: the services the views, the admin and the jobs call -----------------------------


def _stored_name(upload: UploadedFile) -> str:
    name = Path(upload.name or "import").name
    return name[:255] or "import"


@transaction.atomic
def import_batch_create(
    *,
    kind: str,
    upload: UploadedFile,
    by: User,
    training: Training | None = None,
    encoding: str = "",
    source: Institution | None = None,
) -> ImportBatch:
    """Keep an uploaded spreadsheet as a batch and queue the check of it (nothing is written).

    ``source``: the institution the file comes from, whose remembered names are read (see
    ``import_batch_read_names``); by default the training's organiser for attendance, else
    the importer's institution when they belong to one.

    The quick checks (extension, size, content matching the name) refuse a file at once; the
    rest is the job's. The caller has asked the permission gate; the kind's own rule is
    checked again here.
    """
    if kind not in ImportKind.values:
        raise ValidationError(_("There is no such kind of import."))
    if not may_import_kind(by, kind):
        raise PermissionDenied
    if kind == ImportKind.ATTENDANCE and training is None:
        raise ValidationError({"training": _("Choose the training.")})
    if upload.size is not None and upload.size > MAX_FILE_BYTES:
        raise ValidationError(
            _("The file is %(size)s MB; the limit is %(limit)s MB. Split it into smaller files.")
            % {"size": round(upload.size / 1024 / 1024, 1), "limit": MAX_FILE_BYTES // 1024 // 1024}
        )
    data = upload.read(MAX_FILE_BYTES + 1)
    name = _stored_name(upload)
    try:
        format_of(data, name)
    except FileRejected as exc:
        raise ValidationError({"file": exc.message}) from None
    batch = ImportBatch(
        kind=kind,
        training=training if kind == ImportKind.ATTENDANCE else None,
        original_name=name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        language=translation.get_language() or settings.LANGUAGE_CODE,
        encoding=encoding,
        created_by=by,
        source_institution=source or _default_source(by, training),
    )
    batch.file.save(name, ContentFile(data), save=False)
    batch.save()
    _enqueue("check", batch.pk)
    return batch


def _default_source(by: User, training: Training | None) -> Institution | None:
    """Where a file comes from when the importer does not say: the training's organiser, or
    the importer's one institution."""
    if training is not None:
        return training.organiser
    member_of = persona_for(by).member_of
    if len(member_of) == 1:
        return Institution.objects.filter(pk=next(iter(member_of))).first()
    return None


def _enqueue(job: str, batch_id: int) -> None:
    """Queue the batch's job once the request commits; the sweep queues it again if lost."""
    task = import_check if job == "check" else import_apply
    job_enqueue_after_commit(task, batch_id, what=f"import batch {batch_id} ({job})")


@transaction.atomic
def import_batch_recheck(*, batch: ImportBatch, by: User, encoding: str) -> ImportBatch:
    """Check a batch again, with the encoding the importer chose for it."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status not in (ImportStatus.INVALID, ImportStatus.CHECKED, ImportStatus.FAILED):
        raise ValidationError(_("This import cannot be checked again now."))
    batch.encoding = encoding
    batch.status = ImportStatus.QUEUED
    batch.language = translation.get_language() or batch.language
    batch.save(update_fields=["encoding", "status", "language", "updated_at"])
    _enqueue("check", batch.pk)
    return batch


MAX_UNKNOWN = 200  # distinct unknown names a batch keeps to be mapped on the check page
NEW_INSTITUTION = "new"  # the choice that creates an institution under the file's name


def _requeue(batch: ImportBatch) -> None:
    batch.status = ImportStatus.QUEUED
    batch.language = translation.get_language() or batch.language
    batch.save()
    _enqueue("check", batch.pk)


@transaction.atomic
def import_batch_read_names(
    *,
    batch: ImportBatch,
    by: User,
    choices: dict[tuple[str, str], str],
    remember: bool,
    kinds: dict[str, str] | None = None,
) -> ImportBatch:
    """Read names the platform does not know as the records the importer chose, for the
    whole file, and check it again.

    ``choices``: (look-up, name as compared) → the chosen record's pk, or ``"new"`` to create
    an institution under the file's name (the programme team's choice, with its kind from
    ``kinds``). An empty choice leaves the name unknown. With ``remember``, the choices are
    kept for the next file from the batch's institution.
    """
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportStatus.INVALID or not batch.unknown_values:
        raise ValidationError(_("This file has no names to choose for now."))
    if not may_import_kind(by, batch.kind):
        raise PermissionDenied
    resource = resource_class(batch.kind)(user=by, training=batch.training)
    with translation.override(batch.language):
        resource.prepare_lookups()
    chosen = {(c["index"], key(c["text"])): c for c in batch.value_choices}
    problems: list[str] = []
    for unknown in batch.unknown_values:
        index, text = str(unknown["index"]), str(unknown["text"])
        answer = choices.get((index, key(text)), "")
        if not answer:
            continue
        if answer == NEW_INSTITUTION and index == "institutions":
            try:
                created = institution_create(
                    name=text, kind=(kinds or {}).get(key(text), ""), language=batch.language, by=by
                )
            except ValidationError as exc:
                problems.append(f"“{text}”: {' '.join(exc.messages)}")
                continue
            except PermissionDenied:
                problems.append(
                    _("“%(name)s”: only the programme team adds institutions.") % {"name": text}
                )
                continue
            pk = created.pk
        elif answer.isdigit() and int(answer) in resource.lookups[index].labels:
            pk = int(answer)
        else:
            problems.append(_("“%(name)s”: choose one of the names offered.") % {"name": text})
            continue
        chosen[(index, key(text))] = {"index": index, "text": text, "pk": pk}
        if remember and batch.source_institution_id:
            RememberedName.objects.update_or_create(
                source_id=batch.source_institution_id,
                index=index,
                text_key=key(text),
                defaults={"text": text, "target_pk": pk, "chosen_by": by},
            )
    if problems:
        raise ValidationError(problems)
    batch.value_choices = list(chosen.values())
    _requeue(batch)
    return batch


@transaction.atomic
def import_batch_read_fractions(*, batch: ImportBatch, by: User) -> ImportBatch:
    """Read every score of a file written as fractions as a percentage (0.45 as 45), as the
    importer said once for the whole file, and check it again."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportStatus.INVALID or not batch.all_scores_fractions:
        raise ValidationError(_("This file's scores are not all fractions."))
    if not may_import_kind(by, batch.kind):
        raise PermissionDenied
    batch.options = {**batch.options, "fractions_are_percentages": True}
    _requeue(batch)
    return batch


def _rows_to_leave_out(batch: ImportBatch, rows: Iterable[int]) -> list[int]:
    """The rows asked for that the preview lists (new or changed ones), in order."""
    listed = {r["row"] for r in batch.preview if r.get("action") in ("new", "update")}
    return sorted(set(rows) & listed)


@transaction.atomic
def import_batch_leave_out(*, batch: ImportBatch, rows: Iterable[int], by: User) -> ImportBatch:
    """Choose the rows of a checked batch that will not be imported (all others will be)."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportStatus.CHECKED:
        raise ValidationError(_("Only a checked file without problems can be imported."))
    if not may_import_kind(by, batch.kind):
        raise PermissionDenied
    batch.excluded_rows = _rows_to_leave_out(batch, rows)
    batch.save(update_fields=["excluded_rows", "updated_at"])
    return batch


@transaction.atomic
def import_batch_confirm(
    *, batch: ImportBatch, by: User, leave_out: Iterable[int] | None = None
) -> ImportBatch:
    """Import a checked batch: the job writes it all, or nothing; but the rows left out
    (``leave_out``, when given, replaces the rows chosen before)."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportStatus.CHECKED:
        raise ValidationError(_("Only a checked file without problems can be imported."))
    if not may_import_kind(by, batch.kind):
        raise PermissionDenied
    if leave_out is not None:
        batch.excluded_rows = _rows_to_leave_out(batch, leave_out)
    batch.status = ImportStatus.APPLYING
    batch.applied_by = by
    batch.processed_rows = 0
    batch.save(
        update_fields=["status", "applied_by", "processed_rows", "excluded_rows", "updated_at"]
    )
    _enqueue("apply", batch.pk)
    return batch


@transaction.atomic
def import_batch_discard(*, batch: ImportBatch, by: User) -> ImportBatch:
    """Set aside a batch that will not be imported; its file and findings are kept."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status not in (ImportStatus.CHECKED, ImportStatus.INVALID, ImportStatus.FAILED):
        raise ValidationError(_("Only a batch that was not imported can be discarded."))
    batch.status = ImportStatus.DISCARDED
    batch.save(update_fields=["status", "updated_at"])
    return batch


@transaction.atomic
def import_batch_rollback(*, batch: ImportBatch, by: User) -> ImportBatch:
    """Undo an imported batch: delete what it created and put back what it changed.

    Refused, with nothing changed, when any of those records was changed since or has
    records of its own added since (a participant listed at another training, evidence
    on an update).
    """
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportStatus.APPLIED or batch.applied_at is None:
        raise ValidationError(_("Only an imported batch can be rolled back."))
    resource = _resource_for(batch)
    with acting_as(by):
        resource.rollback(Changes(batch.changes), applied_at=batch.applied_at)
    _rows_changed(resource)
    batch.status = ImportStatus.ROLLED_BACK
    batch.rolled_back_at = timezone.now()
    batch.rolled_back_by = by
    batch.save(update_fields=["status", "rolled_back_at", "rolled_back_by", "updated_at"])
    return batch


ERASED = "[erased]"
# What a batch keeps of its file's text.
_KEPT_TEXTS = ("preview", "errors", "notes", "changes", "unknown_values", "value_choices")


def import_batches_forget(*, texts: list[str]) -> int:
    """Take the given texts (an erased person's name and email) out of what import batches
    kept: the preview, the problems, the notes and the changes. The original file of a batch
    that named them is deleted, since a spreadsheet cannot be edited in place; the batch
    keeps its counts, hash and history. Returns how many batches were changed."""
    needles = [text for text in texts if text]
    if not needles:
        return 0
    wanted = Q()
    for text in needles:
        for name in _KEPT_TEXTS:
            wanted |= Q(**{f"{name}__icontains": json.dumps(text)[1:-1]})
    changed = 0
    for batch in ImportBatch.objects.filter(wanted):
        for name in _KEPT_TEXTS:
            setattr(batch, name, _without(getattr(batch, name), needles))
        if batch.file:
            batch.file.delete(save=False)
            batch.file = ""
        batch.save(update_fields=[*_KEPT_TEXTS, "file", "updated_at"])
        changed += 1
    return changed


def _without(value: Any, needles: list[str]) -> Any:
    if isinstance(value, str):
        for needle in needles:
            value = re.sub(re.escape(needle), ERASED, value, flags=re.IGNORECASE)
        return value
    if isinstance(value, list):
        return [_without(item, needles) for item in value]
    if isinstance(value, dict):
        return {key: _without(item, needles) for key, item in value.items()}
    return value


def _rows_changed(resource: SpreadsheetResource) -> None:
    """Tell whoever keeps figures of these tables (the dashboard) that they were written in bulk."""
    for label in resource.written:
        rows_changed.send(sender=apps.get_model(label))


def _resource_for(batch: ImportBatch) -> SpreadsheetResource:
    """The batch's resource, with what the importer decided for the file: the names read as
    known records (remembered from the institution's earlier files, then this file's own
    choices, which win) and how to read its scores."""
    by = batch.applied_by or batch.created_by
    resource = resource_class(batch.kind)(user=by, training=batch.training)
    source = batch.source_institution
    if source is not None:
        resource.source_label = str(source)
        resource.value_choices = [
            ValueChoice(name.index, name.text, name.target_pk, earlier=True)
            for name in RememberedName.objects.filter(source=source).order_by("pk")
        ]
    resource.value_choices += [
        ValueChoice(str(c["index"]), str(c["text"]), int(c["pk"])) for c in batch.value_choices
    ]
    resource.options = dict(batch.options)
    return resource


def _read_batch(batch: ImportBatch, resource: SpreadsheetResource) -> Sheet:
    with batch.file.open("rb") as stored:
        data = stored.read(MAX_FILE_BYTES + 1)
    sheet = read_sheet(
        data, filename=batch.original_name, encoding=batch.encoding, is_header=resource.recognises
    )
    batch.detected_encoding = sheet.encoding
    return sheet


def _progress_saver(batch: ImportBatch) -> Callable[[int, int], None]:
    def save(done: int, total: int) -> None:
        # Outside any transaction, so the progress page sees it at once.
        ImportBatch.objects.filter(pk=batch.pk).update(
            processed_rows=done, total_rows=total, updated_at=timezone.now()
        )

    return save


def _store_plan(batch: ImportBatch, plan: Plan) -> None:
    batch.total_rows = plan.total
    batch.processed_rows = plan.total
    batch.new_count = plan.count("new")
    batch.updated_count = plan.count("update")
    batch.unchanged_count = plan.count("unchanged")
    batch.error_count = len(plan.errors)
    batch.errors = [e.as_json() for e in plan.errors[:STORED_ERRORS]]
    batch.notes = [note[:500] for note in plan.notes[:STORED_ERRORS]]
    # Rows that change nothing are counted, not listed.
    listed = (r for r in plan.rows if r.action != "unchanged")
    batch.preview = [r.as_json() for r in islice(listed, PREVIEW_ROWS)]
    batch.preview_columns = list(plan.columns)
    batch.unknown_values = [u.as_json() for u in islice(plan.unknown.values(), MAX_UNKNOWN)]
    batch.all_scores_fractions = plan.all_scores_fractions


def _without_left_out(plan: Plan, excluded: list[int]) -> Plan:
    """The plan but the rows the importer chose to leave out."""
    if not excluded:
        return plan
    left_out = set(excluded)
    return replace(plan, rows=[r for r in plan.rows if r.number not in left_out])


def _fingerprint(resource: SpreadsheetResource) -> list[str]:
    """Counts and latest changes of the tables an import writes: whether they moved."""
    found = []
    for label in resource.written:
        model = apps.get_model(label)
        figures = model._default_manager.aggregate(
            n=Count("pk"), last=Max("updated_at"), top=Max("pk")
        )
        found.append(f"{label}:{figures['n']}:{figures['last']}:{figures['top']}")
    return found


def _lock(resource: SpreadsheetResource) -> None:
    """Keep other writers out of the tables while the import writes (PostgreSQL; SQLite has
    one writer at a time anyway), so two imports of one file cannot both add its rows."""
    if connection.vendor != "postgresql" or not resource.written:
        return
    tables = ", ".join(
        connection.ops.quote_name(apps.get_model(label)._meta.db_table)
        for label in resource.written
    )
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")


def import_batch_check(*, batch_id: int) -> None:
    """The check job: read the file, plan every row, keep what was found. Writes nothing.

    Safe to run twice: only a queued batch is checked.
    """
    updated = ImportBatch.objects.filter(pk=batch_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.CHECKING, processed_rows=0, updated_at=timezone.now()
    )
    if not updated:
        return
    batch = ImportBatch.objects.select_related("training", "created_by").get(pk=batch_id)
    with translation.override(batch.language):
        resource = _resource_for(batch)
        batch.file_error = ""
        batch.encoding_samples = {}
        batch.notes = []
        batch.excluded_rows = []  # a file checked again is chosen from again
        try:
            sheet = _read_batch(batch, resource)
            # The check stores counts, problems and a preview: it keeps no more rows than
            # that, and lets each of the file's rows go once planned.
            plan = resource.plan(
                sheet, progress=_progress_saver(batch), keep_rows=PREVIEW_ROWS, release=True
            )
            # The resource's look-ups and the people it planned (the larger part) are done
            # with: freed before the batch's preview is written, which needs as much again.
            del sheet, resource
        except EncodingUncertain as exc:
            batch.status = ImportStatus.INVALID
            batch.file_error = exc.message
            batch.encoding_samples = exc.samples
        except FileRejected as exc:
            batch.status = ImportStatus.INVALID
            batch.file_error = exc.message
        except Exception:
            logger.exception("Import batch %s: checking failed", batch_id)
            batch.status = ImportStatus.FAILED
            batch.failure_reason = _(
                "The file could not be checked because of an error on our side. It was kept; "
                "the administrators can look into it."
            )
        else:
            _store_plan(batch, plan)
            batch.status = ImportStatus.INVALID if plan.errors else ImportStatus.CHECKED
        batch.checked_at = timezone.now()
        batch.save()


class _ChangedMeanwhile(Exception):
    def __init__(self, plan: Plan) -> None:
        super().__init__("changed")
        self.plan = plan


def import_batch_apply(*, batch_id: int) -> None:
    """The import job: plan the rows again (the data may have moved since the check), then
    write them all in one transaction, or nothing.

    Safe to run twice: only a batch waiting to be imported is imported.
    """
    batch = ImportBatch.objects.select_related("training", "created_by", "applied_by").get(
        pk=batch_id
    )
    if batch.status != ImportStatus.APPLYING or batch.applied_at is not None:
        return
    # The history of each record it writes names who confirmed the import.
    with translation.override(batch.language), acting_as(batch.applied_by or batch.created_by):
        resource = _resource_for(batch)
        try:
            sheet = _read_batch(batch, resource)
            # Taken before planning: whatever is written while the plan is made shows as a
            # change below, and the rows are planned again under the lock.
            seen = _fingerprint(resource)
            plan = resource.plan(sheet, progress=_progress_saver(batch))
            if plan.errors:
                raise _ChangedMeanwhile(plan)
            with transaction.atomic():
                locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
                if locked.status != ImportStatus.APPLYING or locked.applied_at is not None:
                    return
                _lock(resource)
                if _fingerprint(resource) != seen:
                    resource = _resource_for(batch)
                    plan = resource.plan(sheet)
                    if plan.errors:
                        raise _ChangedMeanwhile(plan)
                changes = resource.apply(_without_left_out(plan, batch.excluded_rows))
                _rows_changed(resource)
                _store_plan(batch, plan)
                batch.changes = changes.as_json()
                batch.status = ImportStatus.APPLIED
                batch.applied_at = timezone.now()
                batch.save()
        except _ChangedMeanwhile as exc:
            _store_plan(batch, exc.plan)
            batch.status = ImportStatus.INVALID
            batch.save()
        except FileRejected as exc:
            batch.status = ImportStatus.INVALID
            batch.file_error = exc.message
            batch.save()
        except (ValidationError, IntegrityError, DatabaseError) as exc:
            logger.warning("Import batch %s: nothing was written: %s", batch_id, exc)
            batch.refresh_from_db(fields=["processed_rows", "total_rows"])
            batch.status = ImportStatus.FAILED
            batch.failure_reason = _(
                "Nothing was imported: the records changed while the file was being "
                "imported (%(reason)s). Check the file again."
            ) % {"reason": "; ".join(getattr(exc, "messages", [])) or type(exc).__name__}
            batch.save()
        except Exception:
            logger.exception("Import batch %s: importing failed", batch_id)
            batch.status = ImportStatus.FAILED
            batch.failure_reason = _(
                "Nothing was imported because of an error on our side. The file was kept; "
                "the administrators can look into it."
            )
            batch.save()


# --- Templates and exports -------------------------------------------------------------------

TEMPLATE_ROWS = 1_000  # rows the template's drop-down lists and date formats cover
SHEET_NAMES = {
    "data": Header("Data", "Податоци", "Të dhënat"),
    "instructions": Header("Instructions", "Упатство", "Udhëzime"),
    "lists": Header("Lists", "Листи", "Listat"),
}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


def import_template(*, kind: str, language: str, user: User | None) -> bytes:
    """The kind's xlsx template in a language: the data sheet with its headers (required
    ones marked *), drop-down lists where values are fixed, and an instructions sheet."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    resource = resource_class(kind)(user=user)
    with translation.override(language):
        resource.prepare_lookups()
        book = Workbook()
        data = book.worksheets[0]
        data.title = SHEET_NAMES["data"].in_language(language)
        instructions = book.create_sheet(SHEET_NAMES["instructions"].in_language(language))
        lists = book.create_sheet(SHEET_NAMES["lists"].in_language(language))
        lists.sheet_state = "hidden"
        bold = Font(bold=True)
        columns = resource.template_columns()
        for position, (_name, column) in enumerate(columns, start=1):
            letter = get_column_letter(position)
            header = column.header.in_language(language) + (" *" if column.required else "")
            cell = data.cell(row=1, column=position, value=header)
            cell.font = bold
            data.column_dimensions[letter].width = max(14, min(40, len(header) + 4))
            if isinstance(column.widget, DateWidget):
                for row in range(2, TEMPLATE_ROWS + 2):
                    data.cell(row=row, column=position).number_format = "DD.MM.YYYY"
            values = column.choices(resource) if column.choices else []
            if values:
                list_letter = get_column_letter(position)
                lists.cell(row=1, column=position, value=f"list: {header}")
                for row, value in enumerate(values, start=2):
                    lists.cell(row=row, column=position, value=neutralise(str(value)))
                fixed = isinstance(column.widget, (ChoiceWidget, BooleanWidget))
                validation = DataValidation(
                    type="list",
                    formula1=f"'{lists.title}'!${list_letter}$2:${list_letter}${len(values) + 1}",
                    allow_blank=True,
                    showErrorMessage=fixed,
                    errorStyle="stop" if fixed else "information",
                )
                validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
                data.add_data_validation(validation)
        data.freeze_panes = "A2"
        title = instructions.cell(row=1, column=1, value=str(ImportKind(kind).label))
        title.font = Font(bold=True, size=14)
        lines = [
            _(
                "Fill in one row per record on the sheet “%(sheet)s”, under the headers. Keep the "
                "headers as they are; they may also be in English, Macedonian or Albanian."
            )
            % {"sheet": data.title},
            _("Columns marked * must be filled in. Columns you do not need can be removed."),
            _("Dates: dd.mm.yyyy (31.03.2025) or dates the spreadsheet knows as dates."),
            _(
                "Records already in the platform are found by their names, never by numbers of the "
                "database: importing a file twice adds nothing the second time."
            ),
            _(
                "The file is checked first and nothing is saved until you confirm; a file with any "
                "problem saves nothing."
            ),
        ]
        for row, line in enumerate(lines, start=3):
            instructions.cell(row=row, column=1, value=str(line)).alignment = Alignment(
                wrap_text=True
            )
        start = len(lines) + 4
        for position, header in enumerate((_("Column"), _("Required"), _("What to write")), 1):
            instructions.cell(row=start, column=position, value=str(header)).font = bold
        for row, (_name, column) in enumerate(columns, start=start + 1):
            accepted = str(column.help_text or "")
            values = column.choices(resource) if column.choices else []
            if values and isinstance(column.widget, (ChoiceWidget, BooleanWidget)):
                accepted = (
                    accepted
                    + " "
                    + _("One of: %(values)s.") % {"values": ", ".join(str(v) for v in values)}
                ).strip()
            elif values:
                accepted = (accepted + " " + _("See the drop-down list.")).strip()
            instructions.cell(row=row, column=1, value=column.header.in_language(language))
            instructions.cell(
                row=row, column=2, value=str(_("yes") if column.required else _("no"))
            )
            instructions.cell(row=row, column=3, value=neutralise(accepted)).alignment = Alignment(
                wrap_text=True
            )
        instructions.column_dimensions["A"].width = 34
        instructions.column_dimensions["B"].width = 12
        instructions.column_dimensions["C"].width = 90
        out = io.BytesIO()
        book.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    content_type: str
    filename: str


def export_file(*, kind: str, fmt: str, user: User, training: Training | None = None) -> ExportFile:
    """The records of a kind that the user may see, as xlsx or csv, neutralised."""

    resource = resource_class(kind)(user=user, training=training)
    dataset = resource.export()
    stem = kind.replace("_", "-")
    if training is not None:
        stem = f"{stem}-training-{training.pk}"
    stem = f"{stem}-{timezone.localdate():%Y-%m-%d}"
    if fmt == "csv":
        # Excel in Macedonian and Albanian separates columns with semicolons.
        delimiter = "," if (translation.get_language() or "en").startswith("en") else ";"
        content = write_csv(dataset.headers or [], list(dataset), delimiter=delimiter)
        return ExportFile(content, CSV_TYPE, f"{stem}.csv")
    content = write_xlsx(dataset.headers or [], list(dataset), title=str(ImportKind(kind).label))
    return ExportFile(content, XLSX_TYPE, f"{stem}.xlsx")


# --- The jobs, and their sweep --------------------------------------------------------------


@shared_task(name="imports.check", acks_late=True)
def import_check(batch_id: int) -> None:
    """Check an uploaded spreadsheet. Safe to run twice: only a queued batch is checked."""
    if settings.IMPORT_JOBS_IN_CHILD_PROCESS:
        _job_in_child("check", batch_id)
    else:
        import_batch_check(batch_id=batch_id)


@shared_task(name="imports.apply", acks_late=True)
def import_apply(batch_id: int) -> None:
    """Import a confirmed batch. Safe to run twice: an imported batch is left as it is."""
    if settings.IMPORT_JOBS_IN_CHILD_PROCESS:
        _job_in_child("apply", batch_id)
    else:
        import_batch_apply(batch_id=batch_id)


def _job_in_child(job: str, batch_id: int) -> None:
    """Run the check or the import of a batch in a child process (the embedded mode, where
    jobs run inside the web process: its memory is as before once the job is done).

    The service keeps what it found on the batch, as in a worker; a child that died before
    it could (killed for its memory) leaves the batch failed, as an error on our side does.
    """
    service = import_batch_check if job == "check" else import_batch_apply
    run = job_run_in_child(f"{__name__}.{service.__name__}", batch_id=batch_id)
    logger.info(
        "Import batch %s (%s) ran in a child process: exit code %s, %.0f MB above its %.0f MB",
        batch_id,
        job,
        run.exitcode,
        run.peak_mb,
        run.idle_mb,
    )
    if run.ok:
        return
    batch = ImportBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        return
    with translation.override(batch.language):
        if job == "check":
            reason = _(
                "The file could not be checked because of an error on our side. It was kept; "
                "the administrators can look into it."
            )
            left = Q(status=ImportStatus.CHECKING)
        else:
            reason = _(
                "Nothing was imported because of an error on our side. The file was kept; "
                "the administrators can look into it."
            )
            left = Q(status=ImportStatus.APPLYING, applied_at__isnull=True)
        ImportBatch.objects.filter(left, pk=batch_id).update(
            status=ImportStatus.FAILED, failure_reason=str(reason), updated_at=timezone.now()
        )


# A batch still queued this long after it was asked for (or last queued) has most likely lost
# its job, to Redis being down when it was asked for. An import being written saves its
# progress as it goes; one silent for longer than IMPORT_REQUEUE_APPLYING lost its worker.
IMPORT_REQUEUE_AFTER = timedelta(minutes=2)
IMPORT_REQUEUE_APPLYING = timedelta(minutes=15)


def import_sweep(*, now: datetime | None = None) -> int:
    """Queue again the check or the import of every batch whose job was lost; how many.

    Queuing one twice is harmless: each job claims its batch first.
    """
    now = now or timezone.now()
    lost = list(
        ImportBatch.objects.filter(
            Q(status=ImportStatus.QUEUED, updated_at__lte=now - IMPORT_REQUEUE_AFTER)
            | Q(
                status=ImportStatus.APPLYING,
                applied_at__isnull=True,
                updated_at__lte=now - IMPORT_REQUEUE_APPLYING,
            )
        ).values_list("pk", "status")
    )
    # Touched first, so that the next sweep leaves them alone for a while whatever happens.
    ImportBatch.objects.filter(pk__in=[pk for pk, _status in lost]).update(updated_at=now)
    return sum(
        job_enqueue(
            import_check if status == ImportStatus.QUEUED else import_apply,
            pk,
            what=f"import batch {pk}",
        )
        for pk, status in lost
    )
