"""Timed work and event reactions that move requests without a user: the deadline clock (deemed
acceptance, missed deadlines) and voluntary-return facts. The clock is injected, so tests decide
what "now" is; every effect is conditional, so running twice (or on two workers) acts once."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.client_session import ClientSession

from passage.events.envelope import Envelope
from passage.identity import Identity
from passage.problems import Problem
from readmission.domain import events
from readmission.domain import requests as rd
from readmission.handlers.requests import Context, Rules, transition
from readmission.adapters.repository import MongoRepository, Stale

log = logging.getLogger(__name__)
CLOCK = Identity(user_id="system:deadline-clock", role="system")
VOLUNTARY_RETURN = Identity(user_id="system:voluntary-return", role="system")


@dataclass
class ClockRun:
    deemed_accepted: int = 0
    missed: int = 0
    expired: int = 0


def run_clock(
    repo: MongoRepository, now: datetime, rules: Rules, batch: int = 200, max_batches: int = 50
) -> ClockRun:
    """Act on every deadline whose last day is over and that was not acted on yet.

    Stops when a batch is short or changed nothing (an entry that cannot be acted on now is
    retried on the next run, never spun on).
    """
    result = ClockRun()
    ctx = Context(caller=CLOCK, now=now)
    for _ in range(max_batches):
        before = (result.deemed_accepted, result.missed, result.expired)
        entries = repo.passed_unnotified(ctx.today, batch)
        for entry in entries:
            _act_on(repo, ctx, entry, rules, result)
        if len(entries) < batch or before == (
            result.deemed_accepted,
            result.missed,
            result.expired,
        ):
            break
    return result


def _act_on(
    repo: MongoRepository, ctx: Context, entry: Mapping[str, Any], rules: Rules, result: ClockRun
) -> None:
    if (
        entry.get("resource") == "transit"
    ):  # no tacit consent to a transit: flagged overdue, once, nothing more
        if repo.mark_missed(entry, ctx.now, []):
            result.missed += 1
            log.warning("transit reply deadline missed", extra={"transit_id": entry["request_id"]})
        return
    doc = repo.get(entry["request_id"])
    reply = rd.open_deadline(doc, "reply") if doc else None
    if (
        entry["kind"] == "reply"
        and reply
        and reply.get("deemed_acceptance")
        and doc["state"] in rd.AWAITING_REPLY
    ):
        try:
            transition(repo, ctx, doc, "deem_accept", {}, rules)
            result.deemed_accepted += 1
            log.info("request deemed accepted", extra={"request_id": doc["_id"]})
            return
        except (Stale, Problem):  # answered meanwhile: the next run sees the new state
            return
    if entry["kind"] == "take_back":  # a window closing is not a missed duty: it just ends
        result.expired += int(repo.mark_missed(entry, ctx.now, [], expire=True))
        return
    missed = events.missed(
        entry["request_id"], entry["member_state"], entry["kind"], entry["due_on"]
    )
    if repo.mark_missed(entry, ctx.now, [missed]):
        result.missed += 1
        log.warning(
            "deadline missed", extra={"request_id": entry["request_id"], "deadline": entry["kind"]}
        )


def clock_job(
    repo: MongoRepository, clock: Callable[[], datetime], rules: Rules
) -> Callable[[], ClockRun]:
    return lambda: run_clock(repo, clock(), rules)


# voluntary return ------------------------------------------------------------------------------
def on_case_opened(
    repo: MongoRepository, clock: Callable[[], datetime], event: Envelope, session: ClientSession
) -> None:
    """Mark "voluntary return in progress" on the person's pending requests."""
    mark = {"in_progress": True, "case_id": event.data["case_id"], "since": event.data["opened_at"]}
    repo.set_voluntary_return(event.data["person_ref"], rd.PENDING, mark, None, session)


def on_case_withdrawn(
    repo: MongoRepository, clock: Callable[[], datetime], event: Envelope, session: ClientSession
) -> None:
    """Clear the mark set by this case (another case's mark stays)."""
    repo.set_voluntary_return(
        event.data["person_ref"], rd.PENDING, None, event.data["case_id"], session
    )


def on_departure_confirmed(
    repo: MongoRepository,
    clock: Callable[[], datetime],
    rules: Rules,
    event: Envelope,
    session: ClientSession,
) -> None:
    """The person left voluntarily: withdraw each pending request once, with the reason."""
    ctx = Context(caller=VOLUNTARY_RETURN, now=clock(), correlation_id=event.correlation_id)
    body = {
        "reason": "voluntary_departure",
        "note": f"voluntary return case {event.data['case_id']}",
    }
    for doc in repo.open_requests_of(event.data["person_ref"], rd.PENDING, session):
        transition(repo, ctx, doc, "withdraw", body, rules, session=session)
        log.info("request withdrawn after voluntary departure", extra={"request_id": doc["_id"]})
