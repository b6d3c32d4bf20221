"""Pages of the trainings: the list, a training, logging its participants, scores and
evaluation, and undoing: taking someone off the list, cancelling or deleting a training."""

from __future__ import annotations

import copy
from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from core.links import url_for_each
from core.portal import AuthenticatedRequest, paginate, query_without_page
from programme.selectors import action_primary
from trainings import permissions, selectors, services
from trainings.filters import TrainingFilter
from trainings.forms import (
    PASTE_COLUMNS,
    AttendanceFormSet,
    EvaluationForm,
    ParticipantForm,
    ParticipantsPasteForm,
    TrainingCancelForm,
    TrainingForm,
)
from trainings.matching import ConflictsFound, RowsRefused
from trainings.models import Attendance, Evaluation, Training


def _add_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """A service's error on the field it names, or above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
@require_safe
def training_list(request: AuthenticatedRequest) -> HttpResponse:
    filterset = TrainingFilter(
        request.GET or None, queryset=permissions.trainings_visible_to(request.user)
    )
    page_obj = paginate(request, selectors.trainings_listed(queryset=filterset.qs))
    shown = [training.pk for training in page_obj]
    editable = set(
        permissions.trainings_editable_by(request.user)
        .filter(pk__in=shown)
        .values_list("pk", flat=True)
    )
    return render(
        request,
        "trainings/training_list.html",
        {
            "filter": filterset,
            "page_obj": page_obj,
            "filter_query": query_without_page(request),
            "editable": editable,
            "can_create": permissions.can_create_training(request.user),
        },
    )


@login_required
@require_safe
def training_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    # Found among the trainings the user may see and read whole in one go, rather than found
    # through ``permissions.training_for_view`` and then read again (the same rule).
    try:
        record = selectors.training_record_among(
            queryset=permissions.trainings_visible_to(request.user), pk=pk
        )
    except Training.DoesNotExist:
        raise Http404 from None
    can_edit = permissions.may_change_training(request.user, record.training)
    return render(
        request,
        "trainings/training_detail.html",
        {
            "record": record,
            "rows": _attendance_rows(record.attendance, can_edit=can_edit),
            "can_edit": can_edit,
        },
    )


def _attendance_rows(attendance: list[Attendance], *, can_edit: bool) -> list[dict[str, Any]]:
    """The attendance table's cells, worked out once here: the template then reads plain
    values instead of following each row's relations (the page's largest cost)."""
    remove_url = url_for_each("trainings:attendance_remove")
    rows = []
    for a in attendance:
        p = a.participant
        group = p.professional_group
        rows.append(
            {
                "full_name": p.full_name,
                "named": can_edit or a.names_participant,
                "completed": a.completed,
                "sex": p.get_sex_display(),
                "profession": (group.name if group is not None else "") or "—",
                "institution": p.institution.label if p.institution is not None else "—",
                "email": p.email or "—",
                "pre_score": a.pre_score,
                "post_score": a.post_score,
                "change": a.score_change,
                "remove_url": remove_url(a.pk) if can_edit else "",
            }
        )
    return rows


@login_required
def training_create(request: AuthenticatedRequest) -> HttpResponse:
    if not permissions.can_create_training(request.user):
        raise PermissionDenied
    organisers = permissions.organisers_for(request.user)
    form = TrainingForm(request.POST or None, organisers=organisers, instance=Training())
    if request.method == "POST" and form.is_valid():
        action = action_primary()
        if action is None:
            form.add_error(None, _("No action is recorded yet: the programme team adds it first."))
        else:
            try:
                training = form.edit_save(
                    partial(
                        services.training_create,
                        by=request.user,
                        action=action,
                        **form.training_fields(),
                    ),
                    by=request.user,
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Training logged. Now add its participants."))
                return redirect("trainings:detail", pk=training.pk)
    return render(request, "trainings/training_form.html", {"form": form, "creating": True})


@login_required
def training_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    training = permissions.training_for_change(request.user, pk)
    organisers = permissions.organisers_for(request.user)
    # The form works on its own copy, so the page keeps showing what is saved.
    form = TrainingForm(request.POST or None, organisers=organisers, instance=copy.copy(training))
    stale = False
    if request.method == "POST" and form.is_valid():
        try:
            form.edit_save(
                partial(
                    services.training_update,
                    training=training,
                    by=request.user,
                    seen_at=form.cleaned_data["seen_at"],
                    **form.training_fields(),
                ),
                by=request.user,
            )
        except ValidationError as exc:
            if getattr(exc, "code", None) == "stale":
                # Keep what the person typed; saving it again is then a deliberate choice.
                stale = True
                training.refresh_from_db()
                data = request.POST.copy()
                data["seen_at"] = training.updated_at.isoformat()
                form = TrainingForm(data, organisers=organisers, instance=copy.copy(training))
                form.is_valid()
            _add_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("trainings:detail", pk=training.pk)
    return render(
        request,
        "trainings/training_form.html",
        {"form": form, "training": training, "stale": stale},
    )


@login_required
def participant_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    training = permissions.training_for_change(request.user, pk)
    form = ParticipantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            attendance, created = services.training_participant_add(
                training=training,
                by=request.user,
                on_conflict=form.conflict_choice(),
                **form.participant_fields(),
            )
        except ConflictsFound as exc:
            form.show_conflicts(exc)
        except RowsRefused as exc:
            for problem in exc.problems:
                field = problem.field if problem.field in form.fields else None
                form.add_error(field, problem.message)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            name = attendance.participant.full_name
            if created:
                messages.success(request, _("%(name)s added.") % {"name": name})
            else:
                messages.success(
                    request,
                    _("%(name)s was already in the participant register and is now listed here.")
                    % {"name": name},
                )
            if "another" in request.POST:
                return redirect("trainings:participant_add", pk=training.pk)
            return redirect("trainings:detail", pk=training.pk)
    return render(request, "trainings/participant_form.html", {"form": form, "training": training})


@login_required
def participants_paste(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    training = permissions.training_for_change(request.user, pk)
    form = ParticipantsPasteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.attendances_record(
                training=training,
                by=request.user,
                rows=form.rows,
                listed=services.LISTED_SKIP,
                on_conflict=form.conflict_choice(),
            )
        except ConflictsFound as exc:
            form.show_conflicts(exc)
        except RowsRefused as exc:
            form.refuse(exc)
        except ValidationError as exc:
            form.add_error("text", exc)
        else:
            added = ngettext(
                "%(n)s participant added", "%(n)s participants added", result.added
            ) % {"n": result.added}
            already = ngettext(
                "%(n)s was already registered for this training and left as it was.",
                "%(n)s were already registered for this training and left as they were.",
                result.already_listed,
            ) % {"n": result.already_listed}
            messages.success(request, f"{added}; {already}")
            return redirect("trainings:detail", pk=training.pk)
    return render(
        request,
        "trainings/participants_paste.html",
        {"form": form, "training": training, "columns": [label for _n, label in PASTE_COLUMNS]},
    )


@login_required
def attendance_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    training = permissions.training_for_change(request.user, pk)
    formset = AttendanceFormSet(
        request.POST or None, queryset=selectors.training_attendance(training=training)
    )
    if request.method == "POST" and formset.is_valid():
        changes = [
            services.ScoreChange(
                attendance_id=form.instance.pk,
                pre_score=form.cleaned_data["pre_score"],
                post_score=form.cleaned_data["post_score"],
                completed=form.cleaned_data["completed"],
                consent=form.cleaned_data["consent"],
                consent_date=form.cleaned_data["consent_date"],
            )
            for form in formset.forms
        ]
        try:
            services.attendance_scores_update(training=training, by=request.user, changes=changes)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Scores saved."))
            return redirect("trainings:detail", pk=training.pk)
    return render(
        request, "trainings/attendance_form.html", {"formset": formset, "training": training}
    )


@login_required
def evaluation_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Record the training's evaluation, or correct it."""
    training = permissions.training_for_change(request.user, pk)
    evaluation = selectors.evaluation_of(training) or Evaluation(training=training)
    form = EvaluationForm(request.POST or None, instance=evaluation)
    if request.method == "POST" and form.is_valid():
        try:
            services.evaluation_save(training=training, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Evaluation saved."))
            return redirect("trainings:detail", pk=training.pk)
    return render(
        request,
        "trainings/evaluation_form.html",
        {"form": form, "training": training, "creating": evaluation.pk is None},
    )


@login_required
def attendance_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Asks first; the person leaves the training's list and stays in the register."""
    attendance = permissions.attendance_for_change(request.user, pk)
    training = attendance.training
    if request.method == "POST":
        services.attendance_remove(attendance=attendance, by=request.user)
        messages.success(
            request,
            _("%(name)s was taken off this training's list.")
            % {"name": attendance.participant.full_name},
        )
        return redirect("trainings:detail", pk=training.pk)
    return render(
        request,
        "trainings/attendance_remove_confirm.html",
        {"attendance": attendance, "training": training},
    )


@login_required
def training_cancel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Asks first, with room for the reason; the training stays listed, out of the figures."""
    training = permissions.training_for_change(request.user, pk)
    if training.is_cancelled:
        messages.error(request, _("This training is cancelled already."))
        return redirect("trainings:detail", pk=training.pk)
    form = TrainingCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.training_cancel(
                training=training, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Cancelled: the training no longer counts in the figures."))
        return redirect("trainings:detail", pk=training.pk)
    return render(
        request, "trainings/training_cancel_confirm.html", {"form": form, "training": training}
    )


@login_required
def training_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Asks first; refused while people are listed at the training."""
    training = permissions.training_for_change(request.user, pk)
    attended = training.attendance.count()
    if request.method == "POST":
        try:
            services.training_delete(training=training, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("trainings:detail", pk=training.pk)
        messages.success(
            request, _("The training %(title)s was deleted.") % {"title": training.title}
        )
        return redirect("trainings:list")
    return render(
        request,
        "trainings/training_delete_confirm.html",
        {"training": training, "attended": attended},
    )
