"""The queues readmission consumes and the routing keys bound to each (``<type>.v<n>``).

Read by ``passage.bus.topology`` through the ``passage.routes`` entry point (``pyproject.toml``)
so every process declares every service's queues; the worker's subscriptions must handle exactly
these keys. Plain data: importing it does nothing else.
"""

from __future__ import annotations

ROUTES: dict[str, tuple[str, ...]] = {
    "readmission.detention_location": (
        "detention.stay.opened.v1",
        "detention.stay.transferred.v1",
        "detention.stay.closed.v1",
    ),
    "readmission.voluntary_return_cases": (
        "voluntary_return.case.opened.v1",
        "voluntary_return.departure.confirmed.v1",
        "voluntary_return.case.withdrawn.v1",
    ),
}
