from __future__ import annotations

# The persona matrix's world: records only Demo CSO B (and the readers of everything) may see.
from tests.test_persona_matrix import world  # noqa: F401
