"""The queues voluntary return consumes and the routing keys bound to each (``<type>.v<n>``).

Declared here once, read by ``passage.bus.topology`` through the ``passage.routes`` entry point
(``pyproject.toml``) so every process declares every service's queues, and by ``service.py``,
whose subscriptions must handle exactly these keys. Plain data: importing it does nothing else.
"""

from __future__ import annotations

DETENTION_LOCATION = "voluntary_return.detention_location"
READMISSION_OUTCOMES = "voluntary_return.readmission_outcomes"

ROUTES: dict[str, tuple[str, ...]] = {
    DETENTION_LOCATION: (
        "detention.stay.opened.v1",
        "detention.stay.transferred.v1",
        "detention.stay.closed.v1",
    ),
    READMISSION_OUTCOMES: ("readmission.request.accepted.v1",),
}
