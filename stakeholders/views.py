"""Pages of the institutions directory and of each institution's members."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.collation import alphabetical
from core.portal import AuthenticatedRequest, paginate, query_without_page
from stakeholders import permissions, selectors, services
from stakeholders.filters import InstitutionFilter
from stakeholders.forms import MemberInviteForm


@login_required
@require_safe
def institution_list(request: AuthenticatedRequest) -> HttpResponse:
    filterset = InstitutionFilter(
        request.GET or None,
        queryset=permissions.institutions_visible_to(request.user).select_related("parent"),
    )
    return render(
        request,
        "stakeholders/institution_list.html",
        {
            "filter": filterset,
            "page_obj": paginate(request, filterset.qs.order_by(alphabetical("name"), "pk")),
            "filter_query": query_without_page(request),
        },
    )


@login_required
@require_safe
def institution_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    institution = permissions.institution_for_view(request.user, pk)
    profile = selectors.institution_profile(
        institution=institution,
        user=request.user,
        with_members=permissions.can_see_members(request.user, institution),
    )
    return render(
        request,
        "stakeholders/institution_detail.html",
        {
            "institution": institution,
            "profile": profile,
            "can_manage": permissions.can_manage_members(request.user, institution),
        },
    )


@login_required
def member_invite(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The answer is the same whatever the address: it never says whether an account uses
    it, whose it is, or what was sent (``services.member_invite``)."""
    institution = permissions.institution_for_members(request.user, pk)
    form = MemberInviteForm(request.POST or None, initial={"language": get_language()})
    if request.method == "POST" and form.is_valid():
        try:
            services.member_invite(
                institution=institution,
                email=form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                role=form.cleaned_data["role"],
                by=request.user,
                language=form.cleaned_data["language"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _(
                    "If %(email)s can be invited to %(institution)s, we have sent an invitation "
                    "or a membership request to that address."
                )
                % {"email": form.cleaned_data["email"], "institution": institution.label},
            )
            return redirect("stakeholders:institution_detail", pk=institution.pk)
    return render(
        request,
        "stakeholders/member_invite.html",
        {"form": form, "institution": institution},
    )


@login_required
@require_POST
def member_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    membership = permissions.membership_for_remove(request.user, pk)
    institution = membership.institution
    try:
        services.membership_remove(membership=membership, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(person)s is no longer a member of %(institution)s.")
            % {"person": membership.user, "institution": institution.label},
        )
    return redirect("stakeholders:institution_detail", pk=institution.pk)


# --- Membership requests: the person asked answers --------------------------------------------


@login_required
@require_safe
def membership_request_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "stakeholders/membership_request_list.html",
        {
            "requests": permissions.membership_requests_for(request.user).select_related(
                "institution", "requested_by"
            )
        },
    )


@login_required
@require_POST
def membership_request_accept(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    membership_request = permissions.membership_request_for_answer(request.user, pk)
    try:
        membership = services.membership_request_accept(request=membership_request, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("stakeholders:membership_request_list")
    messages.success(
        request,
        _("You are now a member of %(institution)s (%(role)s).")
        % {"institution": membership.institution.label, "role": membership.get_role_display()},
    )
    return redirect("stakeholders:institution_detail", pk=membership.institution_id)


@login_required
@require_POST
def membership_request_decline(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    membership_request = permissions.membership_request_for_answer(request.user, pk)
    try:
        services.membership_request_decline(request=membership_request, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("You declined to join %(institution)s.")
            % {"institution": membership_request.institution.label},
        )
    return redirect("stakeholders:membership_request_list")
