"""What happens to progress updates, told to the apps above that act on it.

The review services send these once the change is saved, inside their transaction; the
notifications app listens (notifications.apps) and tells the people concerned, so that what it
writes commits or rolls back with the change. This app knows nothing of who listens.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent with ``update=`` and ``by=`` after an update was submitted for review.
update_submitted = Signal()
# Sent with ``update=`` and ``by=`` after an update was returned or approved.
update_reviewed = Signal()
