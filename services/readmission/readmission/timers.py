"""The deadline clock: timed work that moves requests without a user (deemed acceptance, missed
deadlines, closing take-back windows). The clock is injected, so tests decide what "now" is;
every effect is conditional, so running twice (or on two workers) acts once. Imports no
framework or driver."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from passage.context import Context, system_context
from passage.errors import DomainError
from readmission.domain import events
from readmission.domain import requests as rd
from readmission.handlers.requests import Rules, transition

if TYPE_CHECKING:
    from readmission.adapters.repository import MongoRepository

log = logging.getLogger(__name__)
CLOCK = "deadline-clock"


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
    ctx = system_context(CLOCK, now)
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
        except DomainError:  # answered meanwhile: the next run sees the new state
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
    """The worker's job: one clock round at the injected clock's "now"."""
    return lambda: run_clock(repo, clock(), rules)
