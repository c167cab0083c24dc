"""What other services' events do to stays, and the legal-clock alerts the worker sends.

Event handlers run inside the consumer's transaction (``session``): the inbox marker, the stay,
the unit counter, the day's figures and the outbox envelope commit together or not at all. An
event about someone with no open stay here is recorded in ``unmatched_events`` and acknowledged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pymongo.client_session import ClientSession

from detention import clocks
from detention.handlers import Context, RulesFor, _event
from detention.repository import utc_ms
from detention.stay_handlers import _close_update, _closed_event
from detention.stay_store import ENTRY_EXAMINATION, StayStore
from passage.events.envelope import Envelope

log = logging.getLogger(__name__)
Handler = Callable[[Envelope, ClientSession], None]
SCHEDULED = "readmission.transfer.scheduled"


@dataclass(frozen=True)
class _System:
    role: str = "system"
    centres: tuple[str, ...] = ()
    user_id: str = "detention-worker"


def _context(event: Envelope, now: datetime) -> Context:
    return Context(caller=_System(), now=now, correlation_id=event.correlation_id)


def _no_open_stay(store: StayStore, event: Envelope, session: ClientSession, now: datetime) -> None:
    store.record_unmatched(session, event, utc_ms(now))
    log.info("event for no open stay recorded", extra={"event_id": event.id, "type": event.type})


def _source(event: Envelope) -> dict[str, Any]:
    return {"request_id": event.data.get("request_id"), "type": event.type}


def plan_release(store: StayStore, clock: Callable[[], datetime], field: str) -> Handler:
    """Readmission accepted or a transfer scheduled: the planned release date goes on the open stay,
    with the request that set it (so a reversal of that request can take it back)."""

    def handle(event: Envelope, session: ClientSession) -> None:
        stay = store.open_stay_of(session, event.data["person_ref"])
        planned = event.data.get(field)
        if stay is None:
            _no_open_stay(store, event, session, clock())
        elif planned:
            store.plan_release(session, stay["_id"], planned, _source(event))

    return handle


def reverse_deemed_acceptance(store: StayStore, clock: Callable[[], datetime]) -> Handler:
    """A timely reply voided a deemed acceptance: an acceptance sets the planned release from its
    transfer limit (a transfer of that request already scheduled keeps its date); a rejection or a
    request for information takes back the date that request set, and only that one."""

    def handle(event: Envelope, session: ClientSession) -> None:
        stay = store.open_stay_of(session, event.data["person_ref"])
        request_id = event.data["request_id"]
        if stay is None:
            _no_open_stay(store, event, session, clock())
        elif event.data["outcome"] != "accepted":
            store.clear_planned_release(session, stay["_id"], request_id)
        elif event.data.get("transfer_due_on") and not _scheduled_by(stay, request_id):
            store.plan_release(session, stay["_id"], event.data["transfer_due_on"], _source(event))

    return handle


def _scheduled_by(stay: dict[str, Any], request_id: str) -> bool:
    source = stay.get("planned_release_source") or {}
    return source.get("request_id") == request_id and source.get("type") == SCHEDULED


def close_stay(
    store: StayStore, clock: Callable[[], datetime], rules_for: RulesFor, reason: str, field: str
) -> Handler:
    """The person left (readmitted, voluntary return): close the stay, free the place, tell others."""

    def handle(event: Envelope, session: ClientSession) -> None:
        now = clock()
        stay = store.open_stay_of(session, event.data["person_ref"])
        if stay is None:  # closed already, or never held here: nothing to undo, nothing to retry
            store.record_unmatched(session, event, utc_ms(now))
            log.info(
                "event for no open stay recorded", extra={"event_id": event.id, "type": event.type}
            )
            return
        ctx = _context(event, now)
        left_at = utc_ms(max(datetime.fromisoformat(event.data[field]), stay["admitted_at"]))
        rec = {"id": stay["_id"], **{k: stay[k] for k in ("person_ref", "centre_id", "unit_id")}}
        day = clocks.local_day(now, rules_for(now.date()).time_zone).isoformat()
        store.close_in(
            session,
            stay["_id"],
            None,
            _close_update(ctx, reason, left_at, None),
            [_closed_event(ctx, rec, reason, left_at)],
            day,
        )

    return handle


def emit_deadlines(store: StayStore, now: datetime, rules_for: RulesFor) -> int:
    """Send ``detention.stay.deadline_due`` once per stay, clock, due date and threshold, and once per
    stay still without its entry medical examination after the rule table's hours."""
    rules = rules_for(now.date())
    today = clocks.local_day(now, rules.time_zone)
    horizon = today.toordinal() + max(rules.deadline_thresholds_days)
    sent = missing_entry_examinations(store, now, rules)
    for stay in store.stays_due_by(date.fromordinal(horizon).isoformat()):
        for clock_name, due in (
            ("legal_end", stay.get("legal_end")),
            ("review", stay.get("next_review_on")),
        ):
            if due and _alert(store, stay, clock_name, date.fromisoformat(due), today, rules, now):
                sent += 1
    return sent


def _alert(
    store: StayStore,
    stay: dict[str, Any],
    clock_name: str,
    due: date,
    today: date,
    rules: Any,
    now: datetime,
) -> bool:
    prefix = f"{clock_name}:{due.isoformat()}:"
    emitted = frozenset(
        int(k[len(prefix) :]) for k in stay.get("deadlines_emitted", []) if k.startswith(prefix)
    )
    threshold = clocks.threshold_crossed(due, today, rules.deadline_thresholds_days, emitted)
    if threshold is None:
        return False
    keys = [
        f"{prefix}{t}" for t in clocks.thresholds_covered(threshold, rules.deadline_thresholds_days)
    ]
    event = _event(
        Context(caller=_System(), now=now),
        "detention.stay.deadline_due",
        stay["id"],
        {
            "stay_id": stay["id"],
            "person_ref": stay["person_ref"],
            "centre_id": stay["centre_id"],
            "clock": clock_name,
            "due_on": due.isoformat(),
            "threshold_days": threshold,
        },
    )
    return store.mark_deadline(stay["id"], f"{prefix}{threshold}", keys, [event])


def missing_entry_examinations(store: StayStore, now: datetime, rules: Any) -> int:
    """Alert on every stay admitted more than ``entry_examination_alert_hours`` ago without its entry
    examination: clock ``entry_medical``, due the day those hours ran out, once per stay."""
    hours = timedelta(hours=rules.entry_examination_alert_hours)
    sent = 0
    for stay in store.stays_without_entry_examination(now - hours):
        due = clocks.local_day(stay["admitted_at"] + hours, rules.time_zone)
        event = _event(
            Context(caller=_System(), now=now),
            "detention.stay.deadline_due",
            stay["id"],
            {
                "stay_id": stay["id"],
                "person_ref": stay["person_ref"],
                "centre_id": stay["centre_id"],
                "clock": ENTRY_EXAMINATION,
                "due_on": due.isoformat(),
                "threshold_days": 0,
            },
        )
        sent += store.mark_deadline(
            stay["id"],
            ENTRY_EXAMINATION,
            [ENTRY_EXAMINATION],
            [event],
            still={"entry_medical": None},
        )
    return sent
