"""The recommendation page's gate (``recommendation_for_view``, a query written once) answers
as the queryset of its rule would: the same recommendation and set, field for field, for
every persona, and 404 where the queryset finds none (a missing key, a key no column holds,
an anonymous reader)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Model
from django.forms.models import model_to_dict
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from recommendations.models import Recommendation
from recommendations.permissions import recommendation_for_view, recommendations_visible_to

pytestmark = pytest.mark.django_db

PERSONAS = ["demo-admin", "demo-cso-a", "demo-observer"]


def _fields(obj: Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@pytest.mark.parametrize("username", PERSONAS)
def test_the_gate_reads_what_its_queryset_reads(demo: dict[str, Any], username: str) -> None:
    user = demo[username]
    for expected in recommendations_visible_to(user).select_related("recommendation_set"):
        with CaptureQueriesContext(connection) as queries:
            found = recommendation_for_view(user, expected.pk)
            found_set = found.recommendation_set  # read with it: no query of its own
        assert len(queries) == 1
        assert _fields(found) == _fields(expected)
        assert _fields(found_set) == _fields(expected.recommendation_set)
        assert model_to_dict(found) == model_to_dict(expected)
        assert str(found) == str(expected)
    missing = (Recommendation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    for pk in (missing, 0, -1, 2**63, 10**30):
        with pytest.raises(Http404):
            recommendation_for_view(user, pk)


def test_an_anonymous_reader_gets_404(demo: dict[str, Any]) -> None:
    pk = Recommendation.objects.values_list("pk", flat=True).first()
    assert pk is not None
    with pytest.raises(Http404):
        recommendation_for_view(AnonymousUser(), pk)  # type: ignore[arg-type]
