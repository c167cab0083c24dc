"""What voluntary return does when another service speaks (the worker calls these): keep where a
person is held up to date from detention's stay events, and flag "forced route open" on the
person's open cases when readmission accepts a request. Each takes the consumer's
``tx: Transaction`` and passes it on to storage; no driver or framework is imported here."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from passage.events.envelope import Envelope
from passage.locations import Locations
from passage.transaction import Transaction
from voluntary_return.handlers import ms

log = logging.getLogger(__name__)


class ForcedRoutes(Protocol):
    """Where accepted readmission requests are recorded against the person's cases."""

    def flag_forced_route(
        self, route: Mapping[str, Any], event_id: str, now: datetime, tx: Transaction | None
    ) -> int: ...


def record_detention_event(
    locations: Locations, event: Envelope, tx: Transaction | None = None
) -> None:
    """detention.stay.opened|transferred|closed v1: keep where the person is held up to date.

    Idempotent by itself (an older or repeated fact changes nothing), so its subscription runs
    it without the inbox and without a transaction (``tx`` None): one read and one write.
    """
    locations.record(event, session=tx)


def record_readmission_accepted(
    repo: ForcedRoutes, clock: Callable[[], datetime], event: Envelope, tx: Transaction
) -> None:
    """readmission.request.accepted v1: flag "forced route open" on the person's open cases."""
    data = event.data
    route = {
        "request_id": data["request_id"],
        "person_ref": data["person_ref"],
        "member_state": data["member_state"],
        "decided_at": data["decided_at"],
    }
    flagged = repo.flag_forced_route(route, event.id, ms(clock()), tx)
    if not flagged:  # recorded for a case opened later; never a retry
        log.info(
            "readmission acceptance recorded without an open case", extra={"event_id": event.id}
        )
