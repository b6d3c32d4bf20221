"""Pages of the steering committee: its meetings and the action points they raised.

Everyone signed in reads them; the programme team records a meeting (its facts, attendance,
decisions and action points) and prepares the next one; an action point's owner reports
progress on it. Each view passes the gate in ``programme.permissions``, calls a service and
redirects.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import TypedDict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.defaultfilters import truncatewords
from django.utils import dateformat, timezone
from django.utils.formats import get_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from core.forms import texts_initial, translated_edit_save
from core.links import url_for_each
from core.portal import AuthenticatedRequest, file_download, paginate, query_without_page
from programme import permissions, selectors, services
from programme.choices import ActionPointStatus, MeetingStatus
from programme.filters import MeetingFilter
from programme.forms import (
    ActionPointForm,
    ActionPointRaiseForm,
    AttendanceFormSet,
    DecisionForm,
    MeetingForm,
)
from programme.models import Action, ActionPoint, Decision, Meeting, MeetingAttendance

# --- The rows of the meeting pages' lists ------------------------------------------------------
#
# A meeting page lists up to a hundred action points carried in from earlier meetings, and its
# time went into the template, row by row: reversing each link, translating each phrase,
# formatting each date. The rows are built here instead, each link reversed once for the whole
# list, so that the template only prints them.


@dataclass(frozen=True)
class AttendanceRow:
    """An attending institution with the link to its page."""

    attendance: MeetingAttendance
    institution_url: str


@dataclass(frozen=True)
class RecommendationLink:
    """A recommendation a decision names, with the link to its page."""

    recommendation: object
    url: str


@dataclass(frozen=True)
class DecisionRow:
    """A decision with its links; the edit links only for the programme team."""

    decision: Decision
    recommendations: list[RecommendationLink]
    outcome_codes: str
    edit_url: str
    remove_url: str


class PointRow(TypedDict):
    """An action point as a table of a meeting page prints it (a dict: the template finds a
    key at its first try, where an attribute costs it a failed key lookup first)."""

    point: ActionPoint
    description: str
    short: str  # the hidden end of its links' names
    decision_label: str
    progress_note: str
    update_url: str  # empty where the reader may not report progress on it
    revise_url: str  # empty unless the reader corrects it here
    remove_url: str
    meeting_url: str
    meeting_label: str
    owner_url: str
    owner_label: str
    due_iso: str  # empty without a due date
    due_shown: str
    overdue: bool
    status: str
    status_label: str
    closed_label: str


def _attendance_rows(attendance: Iterable[MeetingAttendance]) -> list[AttendanceRow]:
    institution_url = url_for_each("stakeholders:institution_detail")
    return [AttendanceRow(a, institution_url(a.institution_id)) for a in attendance]


def _decision_rows(decisions: Iterable[Decision], *, can_change: bool) -> list[DecisionRow]:
    recommendation_url = url_for_each("recommendations:detail")
    edit_url = url_for_each("programme:meeting_decision_edit")
    remove_url = url_for_each("programme:meeting_decision_remove")
    return [
        DecisionRow(
            decision=d,
            recommendations=[
                RecommendationLink(r, recommendation_url(r.pk)) for r in d.recommendations.all()
            ],
            outcome_codes=", ".join(o.code for o in d.outcomes.all()),
            edit_url=edit_url(d.pk) if can_change else "",
            remove_url=remove_url(d.pk) if can_change else "",
        )
        for d in decisions
    ]


def _point_rows(
    points: Sequence[ActionPoint],
    *,
    editable: Collection[int] = (),
    revisable: bool = False,
    back_to: int | None = None,
) -> list[PointRow]:
    """The rows of an action point table: ``editable`` those whose progress the reader
    reports (coming back to meeting ``back_to``), ``revisable`` when the reader corrects and
    removes the meeting's own points."""
    today = timezone.localdate()
    update_url = url_for_each("programme:action_point_edit")
    revise_url = url_for_each("programme:action_point_revise")
    remove_url = url_for_each("programme:action_point_remove")
    meeting_url = url_for_each("programme:meeting_detail")
    owner_url = url_for_each("stakeholders:institution_detail")
    came_from = f"?from={back_to}" if back_to is not None else ""
    # Each owner, meeting, date and status is shown alike on every row that has it: worked
    # out once per list (a status's label alone cost more than the rest of its row).
    status_labels = {value: str(label) for value, label in ActionPointStatus.choices}
    owners: dict[int, tuple[str, str]] = {}
    meetings: dict[int, tuple[str, str]] = {}
    dates: dict[date, str] = {}
    date_shape = get_format("SHORT_DATE_FORMAT")  # what ``date_format`` looks up each time

    def shown(day: date) -> str:
        if day not in dates:
            dates[day] = dateformat.format(day, date_shape)
        return dates[day]

    rows = []
    for point in points:
        if point.owner_id not in owners:
            owners[point.owner_id] = (owner_url(point.owner_id), point.owner.label)
        if point.meeting_id not in meetings:
            meetings[point.meeting_id] = (
                meeting_url(point.meeting_id),
                _("Meeting %(n)s") % {"n": point.meeting.number},
            )
        description = point.description
        update = update_url(point.pk) + came_from if point.pk in editable else ""
        rows.append(
            PointRow(
                point=point,
                description=description,
                short=truncatewords(description, 8) if update or revisable else "",
                decision_label=(
                    _("decision %(n)s") % {"n": point.decision.number} if point.decision else ""
                ),
                progress_note=point.progress_note,
                update_url=update,
                revise_url=revise_url(point.pk) if revisable else "",
                remove_url=remove_url(point.pk) if revisable else "",
                meeting_url=meetings[point.meeting_id][0],
                meeting_label=meetings[point.meeting_id][1],
                owner_url=owners[point.owner_id][0],
                owner_label=owners[point.owner_id][1],
                due_iso=point.due_date.isoformat() if point.due_date else "",
                due_shown=shown(point.due_date) if point.due_date else "",
                overdue=point.is_overdue(today),
                status=point.status,
                status_label=status_labels.get(point.status, point.status),
                closed_label=(
                    _("closed %(d)s") % {"d": shown(point.closed_on)} if point.closed_on else ""
                ),
            )
        )
    return rows


def _to_meeting(meeting_id: int) -> HttpResponse:
    return redirect("programme:meeting_detail", pk=meeting_id)


def _action() -> Action:
    action = selectors.action_primary()
    if action is None:
        raise Http404
    return action


@login_required
@require_safe
def meeting_list(request: AuthenticatedRequest) -> HttpResponse:
    meetings = permissions.meetings_visible_to(request.user)
    filterset = MeetingFilter(request.GET or None, queryset=meetings)
    rows = selectors.meetings_with_counts(queryset=filterset.qs)
    return render(
        request,
        "programme/meeting_list.html",
        {
            "filter": filterset,
            "page_obj": paginate(request, rows),
            "filter_query": query_without_page(request),
            "can_change": permissions.may_change_meetings(request.user),
        },
    )


@login_required
@require_safe
def meeting_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    meeting = permissions.meeting_for_view(request.user, pk)
    record = selectors.meeting_record(meeting=meeting)
    shown = [p.pk for p in record.action_points] + [p.pk for p in record.carried_in]
    editable = set(
        permissions.action_points_editable_by(request.user)
        .filter(pk__in=shown)
        .values_list("pk", flat=True)
    )
    can_change = permissions.may_change_meetings(request.user)
    return render(
        request,
        "programme/meeting_detail.html",
        {
            "meeting": meeting,
            "record": record,
            "attendance_rows": _attendance_rows(record.attendance),
            "decision_rows": _decision_rows(record.decisions, can_change=can_change),
            "point_rows": _point_rows(
                record.action_points, editable=editable, revisable=can_change, back_to=meeting.pk
            ),
            "carried_rows": _point_rows(record.carried_in, editable=editable, back_to=meeting.pk),
            "editable": editable,
            "can_change": can_change,
            "can_prepare": can_change
            and not meeting.action.meetings.filter(status=MeetingStatus.PLANNED).exists(),
            "today": timezone.localdate(),
        },
    )


def _meeting_form_page(
    request: AuthenticatedRequest, form: MeetingForm, meeting: Meeting | None
) -> HttpResponse:
    return render(request, "programme/meeting_form.html", {"form": form, "meeting": meeting})


@login_required
def meeting_create(request: AuthenticatedRequest) -> HttpResponse:
    permissions.check_change_meetings(request.user)
    action = _action()
    number = selectors.meeting_number_next(action=action)
    form = MeetingForm(
        request.POST or None,
        request.FILES or None,
        action=action,
        instance=Meeting(action=action),
        initial={"number": number, "status": MeetingStatus.PLANNED},
    )
    if request.method == "POST" and form.is_valid():
        try:
            meeting = form.edit_save(
                partial(
                    services.meeting_create,
                    action=action,
                    by=request.user,
                    **form.service_arguments(),
                ),
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Meeting recorded."))
            return _to_meeting(meeting.pk)
    return _meeting_form_page(request, form, None)


@login_required
def meeting_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    meeting = permissions.meeting_for_change(request.user, pk)
    # The form works on its own copy, so the page keeps showing what is saved.
    form = MeetingForm(
        request.POST or None,
        request.FILES or None,
        action=meeting.action,
        instance=copy.copy(meeting),
    )
    if request.method == "POST" and form.is_valid():
        try:
            form.edit_save(
                partial(
                    services.meeting_update,
                    meeting=meeting,
                    by=request.user,
                    minutes_file_clear=form.minutes_file_cleared,
                    **form.service_arguments(),
                ),
                by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Meeting saved."))
            return _to_meeting(meeting.pk)
    return _meeting_form_page(request, form, meeting)


def minutes_download_name(meeting: Meeting) -> str:
    """A safe file name: "minutes-meeting-4.pdf"."""
    stem = slugify(_("minutes meeting %(number)s") % {"number": meeting.number}, allow_unicode=True)
    return f"{stem or 'minutes'}{Path(meeting.minutes_file.name or '').suffix.lower()}"


@login_required
@require_safe
def meeting_minutes_download(request: AuthenticatedRequest, pk: int) -> HttpResponseBase:
    meeting = permissions.meeting_for_view(request.user, pk)
    return file_download(request, meeting.minutes_file, filename=minutes_download_name(meeting))


@login_required
def meeting_attendance(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Who attended: every institution with its representatives, on one form."""
    meeting = permissions.meeting_for_change(request.user, pk)
    initial = [
        {"institution": a.institution_id, **texts_initial(a, "representatives")}
        for a in meeting.attendance.all()
    ]
    formset = AttendanceFormSet(request.POST or None, initial=initial, prefix="attendance")
    if request.method == "POST" and formset.is_valid():
        try:
            translated_edit_save(
                edited=formset.kept_forms(),
                model=MeetingAttendance,
                service=partial(
                    services.meeting_attendance_set,
                    meeting=meeting,
                    by=request.user,
                    rows=formset.rows(),
                ),
                by=request.user,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Attendance saved."))
            return _to_meeting(meeting.pk)
    return render(
        request,
        "programme/meeting_attendance_form.html",
        {"formset": formset, "meeting": meeting},
    )


@login_required
def meeting_decision_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    meeting = permissions.meeting_for_change(request.user, pk)
    return _decision_form(request, meeting, decision=None)


@login_required
def meeting_decision_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    decision = permissions.decision_for_change(request.user, pk)
    return _decision_form(request, decision.meeting, decision=decision)


def _decision_form(
    request: AuthenticatedRequest, meeting: Meeting, *, decision: Decision | None
) -> HttpResponse:
    """One form records a decision or corrects it; the services keep the history."""
    if decision is None:
        form = DecisionForm(
            request.POST or None,
            meeting=meeting,
            initial={"number": selectors.decision_number_next(meeting=meeting)},
        )
    else:
        form = DecisionForm(request.POST or None, meeting=meeting, instance=copy.copy(decision))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {
            "number": data["number"],
            "text": data["text"],
            "outcomes": list(data["outcomes"]),
            "recommendations": list(data["recommendations"]),
            "is_public": data["is_public"],
        }
        try:
            if decision is None:
                service = partial(services.decision_add, meeting=meeting, **fields)
            else:
                service = partial(services.decision_update, decision=decision, **fields)
            form.edit_save(partial(service, by=request.user), by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            if decision is None:
                messages.success(request, _("Decision recorded."))
            else:
                messages.success(request, _("Decision saved."))
            return _to_meeting(meeting.pk)
    return render(
        request,
        "programme/meeting_decision_form.html",
        {"form": form, "meeting": meeting, "decision": decision},
    )


@login_required
def meeting_decision_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Asks first; the history keeps the decision."""
    decision = permissions.decision_for_change(request.user, pk)
    if request.method == "POST":
        services.decision_remove(decision=decision, by=request.user)
        messages.success(request, _("Decision removed."))
        return _to_meeting(decision.meeting_id)
    return render(
        request,
        "programme/meeting_decision_remove_confirm.html",
        {
            "decision": decision,
            "meeting": decision.meeting,
            "points": list(decision.action_points.select_related("owner")),
        },
    )


@login_required
def action_point_add(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    meeting = permissions.meeting_for_change(request.user, pk)
    return _action_point_form(request, meeting, action_point=None)


@login_required
def action_point_revise(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The programme team corrects what was asked, of whom and by when."""
    action_point = permissions.action_point_for_revision(request.user, pk)
    return _action_point_form(request, action_point.meeting, action_point=action_point)


def _action_point_form(
    request: AuthenticatedRequest, meeting: Meeting, *, action_point: ActionPoint | None
) -> HttpResponse:
    """One form raises an action point or corrects it; the services keep the history."""
    form = ActionPointRaiseForm(
        request.POST or None,
        meeting=meeting,
        instance=copy.copy(action_point) if action_point else None,
    )
    form.instance.meeting = meeting
    if request.method == "POST" and form.is_valid():
        fields = {
            name: form.cleaned_data[name]
            for name in ("description", "owner", "due_date", "decision")
        }
        try:
            if action_point is None:
                services.action_point_raise(meeting=meeting, by=request.user, **fields)
            else:
                services.action_point_revise(action_point=action_point, by=request.user, **fields)
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            if action_point is None:
                messages.success(request, _("Action point added."))
            else:
                messages.success(request, _("Action point saved."))
            return _to_meeting(meeting.pk)
    return render(
        request,
        "programme/action_point_raise_form.html",
        {"form": form, "meeting": meeting, "action_point": action_point},
    )


@login_required
def action_point_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Asks first; the history keeps the action point."""
    action_point = permissions.action_point_for_revision(request.user, pk)
    if request.method == "POST":
        services.action_point_remove(action_point=action_point, by=request.user)
        messages.success(request, _("Action point removed."))
        return _to_meeting(action_point.meeting_id)
    return render(
        request,
        "programme/action_point_remove_confirm.html",
        {"action_point": action_point, "meeting": action_point.meeting},
    )


@login_required
def meeting_prepare(request: AuthenticatedRequest) -> HttpResponse:
    """Shows what the next meeting will carry and its draft agenda, then creates it."""
    permissions.check_change_meetings(request.user)
    action = _action()
    today = timezone.localdate()
    planned = (
        action.meetings.filter(status=MeetingStatus.PLANNED)
        .only("number")  # the page links to it by number
        .order_by("number")
        .first()
    )
    if request.method == "POST" and planned is None:
        try:
            meeting = services.meeting_prepare_next(action=action, by=request.user, today=today)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("programme:meeting_list")
        messages.success(
            request,
            _("Meeting %(number)s is prepared. Check its agenda and add its date and place.")
            % {"number": meeting.number},
        )
        return _to_meeting(meeting.pk)
    if planned is not None:
        # The page only points to the planned meeting: nothing of the next one is shown.
        return render(request, "programme/meeting_prepare_confirm.html", {"planned": planned})
    next_meeting = selectors.meeting_next(action=action, today=today)
    return render(
        request,
        "programme/meeting_prepare_confirm.html",
        {
            "next": next_meeting,
            "carried_rows": _point_rows(next_meeting.carried),
            "planned": planned,
            "today": today,
        },
    )


@login_required
def action_point_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    action_point = permissions.action_point_for_change(request.user, pk)
    # Back to the meeting whose page the update started from: the one that raised the point,
    # or a later one it was carried into.
    came_from = request.GET.get("from", "")
    back_to = int(came_from) if came_from.isdigit() else action_point.meeting_id
    # The form works on its own copy, so the page keeps showing what is saved.
    form = ActionPointForm(request.POST or None, instance=copy.copy(action_point))
    if request.method == "POST" and form.is_valid():
        try:
            services.action_point_update(
                action_point=action_point,
                by=request.user,
                status=form.cleaned_data["status"],
                progress_note=form.cleaned_data["progress_note"],
                closed_on=form.cleaned_data["closed_on"],
                seen_at=form.cleaned_data["seen_at"],
            )
        except ValidationError as exc:
            if getattr(exc, "code", None) == "stale":
                # Show what is saved now; saving again is then a deliberate choice.
                action_point.refresh_from_db()
                data = request.POST.copy()
                data["seen_at"] = action_point.updated_at.isoformat()
                form = ActionPointForm(data, instance=copy.copy(action_point))
                form.is_valid()
            form.add_error(None, exc)
        else:
            messages.success(request, _("Action point updated."))
            return redirect("programme:meeting_detail", pk=back_to)
    return render(
        request,
        "programme/action_point_form.html",
        {"form": form, "action_point": action_point, "back_to": back_to},
    )
