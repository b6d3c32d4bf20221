"""What happens to reported indicator values, told to the apps above that act on it.

The review services send these once the change is saved, inside their transaction; the
notifications app listens (notifications.apps) and tells the people concerned, so that what it
writes commits or rolls back with the change. This app knows nothing of who listens.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent with ``value=`` and ``by=`` after a value was submitted for review.
indicator_value_submitted = Signal()
# Sent with ``value=`` and ``by=`` after a value was returned or approved.
indicator_value_reviewed = Signal()
