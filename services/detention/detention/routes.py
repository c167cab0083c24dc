"""The queues detention consumes and the routing keys bound to each (``<type>.v<n>``).

Read by ``passage.bus.topology`` through the ``passage.routes`` entry point (``pyproject.toml``)
so every process declares every service's queues; the worker's subscriptions must handle exactly
these keys. Plain data: importing it does nothing else.
"""

from __future__ import annotations

ROUTES: dict[str, tuple[str, ...]] = {
    "detention.readmission_outcomes": (
        "readmission.request.accepted.v1",
        "readmission.request.deemed_accepted.v1",
        "readmission.transfer.scheduled.v1",
        "readmission.transfer.completed.v1",
        "readmission.request.deemed_acceptance_reversed.v1",
    ),
    "detention.voluntary_return_departures": ("voluntary_return.departure.confirmed.v1",),
}
