"""Every record's object permissions granted afresh from the data, through each app's share
function: after seeding, loading the demo set, or a repair."""

from __future__ import annotations

from django.db import transaction

from programme.models import ActionPoint
from programme.services import action_point_share
from recommendations.models import ProgressUpdate, Recommendation
from recommendations.services import progress_update_share, recommendation_share
from stakeholders import object_permissions
from stakeholders.models import User
from trainings.models import Training
from trainings.services import training_share


@transaction.atomic
def object_permissions_rebuild() -> None:
    """Grant every record's object permissions afresh from the data (after seeding or a repair)."""
    for user in User.objects.filter(memberships__isnull=False).distinct():
        object_permissions.membership_sync(user=user)
    for recommendation in Recommendation.objects.all():
        recommendation_share(recommendation=recommendation)
    for update in ProgressUpdate.objects.select_related("institution"):
        progress_update_share(update=update)
    for training in Training.objects.select_related("organiser").prefetch_related("partners"):
        training_share(training=training)
    for action_point in ActionPoint.objects.select_related("owner"):
        action_point_share(action_point=action_point)
