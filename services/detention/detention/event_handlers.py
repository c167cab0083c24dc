"""What other services' events do to stays: a planned release date, its reversal, a closed stay.

Event handlers run inside the consumer's transaction (``tx``): the inbox marker, the stay,
the unit counter, the day's figures and the outbox envelope commit together or not at all. An
event about someone with no open stay here is recorded in ``unmatched_events`` and acknowledged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from detention.domain import clocks
from detention.domain.clocks import utc_ms
from detention.domain.moves import StayChange
from detention.handlers.common import WORKER, RulesFor
from detention.handlers.stays import close_change, closed_event
from passage.context import Context
from passage.events.envelope import Envelope
from passage.transaction import Transaction

log = logging.getLogger(__name__)
Handler = Callable[[Envelope, Transaction], None]
SCHEDULED = "readmission.transfer.scheduled"


class StayRecords(Protocol):
    """What event handlers change on stays, inside the consumer's transaction
    (``adapters.stay_store.StayStore`` or a fake)."""

    def open_stay_of(self, tx: Transaction, person_ref: str) -> dict[str, Any] | None: ...
    def plan_release(
        self, tx: Transaction, stay_id: str, on: str, source: dict[str, Any] | None = None
    ) -> None: ...
    def clear_planned_release(self, tx: Transaction, stay_id: str, request_id: str) -> bool: ...
    def record_unmatched(self, tx: Transaction, event: Envelope, at: Any) -> None: ...
    def close_in(
        self,
        tx: Transaction,
        stay_id: str,
        version: int | None,
        change: StayChange,
        events: Sequence[Envelope],
        day: str,
    ) -> dict[str, Any]: ...


def _context(event: Envelope, now: datetime) -> Context:
    return Context(caller=WORKER, now=now, correlation_id=event.correlation_id)


def _no_open_stay(store: StayRecords, event: Envelope, tx: Transaction, now: datetime) -> None:
    store.record_unmatched(tx, event, utc_ms(now))
    log.info("event for no open stay recorded", extra={"event_id": event.id, "type": event.type})


def _source(event: Envelope) -> dict[str, Any]:
    return {"request_id": event.data.get("request_id"), "type": event.type}


def plan_release(store: StayRecords, clock: Callable[[], datetime], field: str) -> Handler:
    """Readmission accepted or a transfer scheduled: the planned release date goes on the open stay,
    with the request that set it (so a reversal of that request can take it back)."""

    def handle(event: Envelope, tx: Transaction) -> None:
        stay = store.open_stay_of(tx, event.data["person_ref"])
        planned = event.data.get(field)
        if stay is None:
            _no_open_stay(store, event, tx, clock())
        elif planned:
            store.plan_release(tx, stay["_id"], planned, _source(event))

    return handle


def reverse_deemed_acceptance(store: StayRecords, clock: Callable[[], datetime]) -> Handler:
    """A timely reply voided a deemed acceptance: an acceptance sets the planned release from its
    transfer limit (a transfer of that request already scheduled keeps its date); a rejection or a
    request for information takes back the date that request set, and only that one."""

    def handle(event: Envelope, tx: Transaction) -> None:
        stay = store.open_stay_of(tx, event.data["person_ref"])
        request_id = event.data["request_id"]
        if stay is None:
            _no_open_stay(store, event, tx, clock())
        elif event.data["outcome"] != "accepted":
            store.clear_planned_release(tx, stay["_id"], request_id)
        elif event.data.get("transfer_due_on") and not _scheduled_by(stay, request_id):
            store.plan_release(tx, stay["_id"], event.data["transfer_due_on"], _source(event))

    return handle


def _scheduled_by(stay: dict[str, Any], request_id: str) -> bool:
    source = stay.get("planned_release_source") or {}
    return source.get("request_id") == request_id and source.get("type") == SCHEDULED


def close_stay(
    store: StayRecords, clock: Callable[[], datetime], rules_for: RulesFor, reason: str, field: str
) -> Handler:
    """The person left (readmitted, voluntary return): close the stay, free the place, tell
    others."""

    def handle(event: Envelope, tx: Transaction) -> None:
        now = clock()
        stay = store.open_stay_of(tx, event.data["person_ref"])
        if stay is None:  # closed already, or never held here: nothing to undo, nothing to retry
            store.record_unmatched(tx, event, utc_ms(now))
            log.info(
                "event for no open stay recorded", extra={"event_id": event.id, "type": event.type}
            )
            return
        ctx = _context(event, now)
        left_at = utc_ms(max(datetime.fromisoformat(event.data[field]), stay["admitted_at"]))
        rec = {"id": stay["_id"], **{k: stay[k] for k in ("person_ref", "centre_id", "unit_id")}}
        day = clocks.local_day(now, rules_for(now.date()).time_zone).isoformat()
        store.close_in(
            tx,
            stay["_id"],
            None,
            close_change(ctx, reason, left_at, None),
            [closed_event(ctx, rec, reason, left_at)],
            day,
        )

    return handle
