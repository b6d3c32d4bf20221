"""The portal's pages about the API: a person's tokens, and the API's description."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from api import permissions, selectors, services
from api.endpoints import ENDPOINTS
from api.forms import ApiTokenForm
from core.portal import AuthenticatedRequest
from stakeholders.roles import session_verified


@login_required
def tokens(request: AuthenticatedRequest) -> HttpResponse:
    """The user's tokens; a new one is shown in clear on the answer to the form, once."""
    form = ApiTokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.api_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                second_factor=session_verified(request.user),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            form = ApiTokenForm()
    response = render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "created": created[0] if created else None,
            "clear": created[1] if created else "",
            "tokens": selectors.api_tokens_listed(tokens=permissions.api_tokens_of(request.user)),
        },
    )
    # The page with a token in clear is never kept by a browser or a proxy.
    response["Cache-Control"] = "no-store"
    return response


@login_required
def token_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Asks first; a revoked token answers 401 from the next request on."""
    token = permissions.api_token_for_revoke(request.user, pk)
    if request.method == "POST":
        services.api_token_revoke(token=token)
        messages.success(request, _("Token revoked."))
        return redirect("api:tokens")
    return render(request, "api/token_revoke_confirm.html", {"token": token})


@login_required
@require_safe
def docs(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "api/docs.html", {"endpoints": ENDPOINTS})
