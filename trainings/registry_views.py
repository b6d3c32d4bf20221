"""Pages of the participant register: finding people, a person's trainings, correcting,
merging and erasing a record. Who sees whom is ``permissions.participants_in_register_for``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from core.portal import AuthenticatedRequest, paginate, query_without_page, search_text
from trainings import permissions, registry_selectors, services
from trainings.registry_forms import MergeChoicesForm, PeopleSearchForm, PersonForm


def _add_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """A service's error on the field it names, or above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
@require_safe
def people(request: AuthenticatedRequest) -> HttpResponse:
    if not permissions.may_use_register(request.user):
        raise PermissionDenied
    form = PeopleSearchForm(request.GET, user=request.user)
    found = registry_selectors.people_search(by=request.user, **form.filters())
    return render(
        request,
        "trainings/registry/people.html",
        {
            "form": form,
            "page_obj": paginate(request, found),
            "filter_query": query_without_page(request),
        },
    )


@login_required
@require_safe
def person(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    participant = permissions.person_for_view(request.user, pk)
    return render(
        request,
        "trainings/registry/person.html",
        {
            "record": registry_selectors.person_record(participant=participant, by=request.user),
            "can_change": permissions.may_change_participant(request.user, participant),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def person_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    participant = permissions.person_for_change(request.user, pk)
    form = PersonForm(request.POST or None, participant=participant)
    if request.method == "POST" and form.is_valid():
        try:
            services.participant_update(
                participant=participant, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("trainings:person", pk=participant.pk)
    return render(
        request, "trainings/registry/person_form.html", {"form": form, "participant": participant}
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def person_merge(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Choose the other record (a search by name), then confirm what merging does."""
    participant = permissions.person_for_change(request.user, pk)
    other_pk = request.POST.get("other") or request.GET.get("other")
    if not other_pk:
        if request.method == "POST":
            return redirect("trainings:person_merge", pk=participant.pk)
        q = search_text(request.GET.get("q", participant.full_name))
        candidates = registry_selectors.merge_candidates(
            participant=participant, by=request.user, q=q
        )
        return render(
            request,
            "trainings/registry/merge_choose.html",
            {
                "participant": participant,
                "q": q,
                "page_obj": paginate(request, candidates),
                "filter_query": query_without_page(request),
            },
        )
    if not other_pk.isdigit():
        raise Http404
    other = permissions.person_for_change(request.user, int(other_pk))
    plan = registry_selectors.merge_plan(keep=participant, merge=other, by=request.user)
    form = MergeChoicesForm(request.POST or None, plan=plan)
    if request.method == "POST" and form.is_valid():
        try:
            services.participant_merge(
                keep=participant, merge=other, by=request.user, choices=form.choices()
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(name)s (#%(id)s) was merged into this record.")
                % {"name": other.full_name, "id": other.pk},
            )
            return redirect("trainings:person", pk=participant.pk)
    return render(
        request,
        "trainings/registry/merge_confirm.html",
        {"plan": plan, "form": form, "participant": participant, "other": other},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def person_erase(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    participant = permissions.person_for_change(request.user, pk)
    if request.method == "POST":
        services.participant_erase(participant=participant)
        messages.success(request, _("The person's details were erased."))
        return redirect("trainings:person", pk=participant.pk)
    return render(request, "trainings/registry/person_erase.html", {"participant": participant})
