"""What readmission does when another service speaks: where a detained person is held (detention
events) and voluntary-return facts (a case opened or withdrawn marks pending requests; a
confirmed departure withdraws them). Each handler writes in the consumer's transaction ``tx``,
so the inbox record and the effect commit together. Imports no framework or driver."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from passage.context import system_context
from passage.events.envelope import Envelope
from passage.transaction import Transaction
from readmission.domain import requests as rd
from readmission.handlers.requests import Rules, transition

if TYPE_CHECKING:
    from readmission.adapters.repository import MongoRepository

log = logging.getLogger(__name__)
VOLUNTARY_RETURN = "voluntary-return"


class LocationRecords(Protocol):
    """The location read model as an event handler sees it (an adapter holding ``tx``'s session)."""

    def record(self, event: Envelope, session: Any = None) -> bool: ...


def record_detention_event(
    locations: LocationRecords, event: Envelope, tx: Transaction | None = None
) -> None:
    """detention.stay.opened|transferred|closed v1: keep where the person is held up to date.

    Idempotent by itself (an older or repeated fact changes nothing), so its subscription runs
    it without the inbox and without a transaction (``tx`` None): one read and one write.
    """
    locations.record(event, session=tx)


def on_case_opened(
    repo: MongoRepository, clock: Callable[[], datetime], event: Envelope, tx: Transaction
) -> None:
    """Mark "voluntary return in progress" on the person's pending requests."""
    mark = {"in_progress": True, "case_id": event.data["case_id"], "since": event.data["opened_at"]}
    repo.set_voluntary_return(event.data["person_ref"], rd.PENDING, mark, None, tx)


def on_case_withdrawn(
    repo: MongoRepository, clock: Callable[[], datetime], event: Envelope, tx: Transaction
) -> None:
    """Clear the mark set by this case (another case's mark stays)."""
    repo.set_voluntary_return(event.data["person_ref"], rd.PENDING, None, event.data["case_id"], tx)


def on_departure_confirmed(
    repo: MongoRepository,
    clock: Callable[[], datetime],
    rules: Rules,
    event: Envelope,
    tx: Transaction,
) -> None:
    """The person left voluntarily: withdraw each pending request once, with the reason."""
    ctx = system_context(VOLUNTARY_RETURN, clock(), event.correlation_id)
    body = {
        "reason": "voluntary_departure",
        "note": f"voluntary return case {event.data['case_id']}",
    }
    for doc in repo.open_requests_of(event.data["person_ref"], rd.PENDING, tx):
        transition(repo, ctx, doc, "withdraw", body, rules, tx=tx)
        log.info("request withdrawn after voluntary departure", extra={"request_id": doc["_id"]})
