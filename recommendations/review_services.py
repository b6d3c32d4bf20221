"""Writes of the review queue: approving several updates and values at once.

Each item goes through its own service (``progress_update_approve``,
``indicator_value_approve``), so the rules of one approval hold for every item of many.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from programme.services import indicator_value_approve
from recommendations.selectors import ReviewItem
from recommendations.services import progress_update_approve
from stakeholders.models import User


@dataclass(frozen=True)
class NotApproved:
    """A chosen item that was not approved, and why."""

    item: ReviewItem
    reason: str


@dataclass
class BulkApproval:
    """What approving several items at once did."""

    approved: list[ReviewItem] = field(default_factory=list)
    not_approved: list[NotApproved] = field(default_factory=list)


@transaction.atomic
def review_items_approve(*, items: Sequence[ReviewItem], by: User | None) -> BulkApproval:
    """Approve the chosen updates and values together, in one transaction.

    An item that no longer waits for review (approved, returned or withdrawn since it was
    chosen, or gone) is not approved and is reported with the reason; the others are.
    """
    result = BulkApproval()
    for item in items:
        try:
            if item.update is not None:
                progress_update_approve(update=item.update, by=by)
            elif item.value is not None:
                indicator_value_approve(value=item.value, by=by)
            else:
                raise ValidationError(_("It no longer exists."))
        except ValidationError as exc:
            # The item's own service rolled back to its savepoint; the others stand.
            result.not_approved.append(NotApproved(item=item, reason=" ".join(exc.messages)))
        else:
            result.approved.append(item)
    return result
