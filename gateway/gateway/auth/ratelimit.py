"""Fixed-window rate limits kept in MongoDB, so the limit holds across gunicorn workers and hosts.

One counter document per (key, window); ``$inc`` with upsert is atomic on the server, and a TTL
index removes counters of past windows (correctness never depends on it: the window is in the id).

Writing the counter on every request made each API call cost a database write, so each process
counts hits locally and adds them to the shared counter every ``batch`` hits of a key (``batch``
= 1 % of the limit, at most :data:`MAX_BATCH`; limits under 200 — the sign-in ones — are synced on
every hit and stay exact). The bounded inaccuracy: each of P processes may hold up to
``batch - 1`` hits not yet added, so at most P·(batch − 1) calls beyond the limit pass in a window
(with the default 6,000 calls a minute, batch 50, and 4 gateway processes: at most 196, about 3 %).
The other way, a batch's last hit is judged by the total once it is added, which may include
batches other processes added meanwhile: at most P·batch calls fewer than the limit may pass.
Once a process has seen the window's counter over the limit it refuses locally without writing.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError, OperationFailure

from passage.mongo import Index, Mongo

COLLECTION = "rate_limits"
INDEXES = [Index(COLLECTION, [("expires_at", 1)], "rate_limits_expire", expire_after_seconds=0)]
MAX_BATCH = 50
MAX_KEYS = 10_000  # local tallies kept before past windows are forgotten


@dataclass(frozen=True)
class Limit:
    """At most ``count`` hits per ``seconds``-long window."""

    count: int
    seconds: int

    @property
    def batch(self) -> int:
        """Hits a process counts locally before adding them to the shared counter."""
        return max(1, min(self.count // 100, MAX_BATCH))


class RateLimited(Exception):
    """Over the limit; ``retry_after`` seconds until the window ends."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("rate limited")
        self.retry_after = retry_after


@dataclass
class _Tally:
    """This process's view of one (key, window) counter."""

    ends: float  # when the window ends (epoch seconds)
    known: int = 0  # the shared counter as last read
    pending: int = 0  # hits counted here and not yet added to it
    flushing: bool = False  # a thread is adding a batch to it now


class RateLimiter:
    """Counts hits per key and window in the ``rate_limits`` collection, in batches per process."""

    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo
        self._tallies: dict[str, _Tally] = {}
        self._changed = threading.Condition()

    def hit(self, key: str, limit: Limit, now: datetime | None = None) -> None:
        """Count one hit for ``key``; raise :class:`RateLimited` when it is over ``limit``."""
        now = now or datetime.now(UTC)
        window = int(now.timestamp()) // limit.seconds
        ends = datetime.fromtimestamp((window + 1) * limit.seconds, UTC)
        doc_id = f"{key}|{limit.seconds}|{window}"
        over, to_add = self._count_locally(doc_id, ends.timestamp(), now.timestamp(), limit)
        if to_add:
            over = self._flush(doc_id, ends, to_add) > limit.count
        if over:
            raise RateLimited(max(1, math.ceil((ends - now).total_seconds())))

    def _count_locally(
        self, doc_id: str, ends: float, now: float, limit: Limit
    ) -> tuple[bool, int]:
        """(over the limit already, hits to add to the shared counter now).

        While one thread adds a batch, the process's other hits of that key wait for the new total,
        so no process ever runs more than ``batch - 1`` hits ahead of what it last read.
        """
        with self._changed:
            tally = self._tallies.get(doc_id)
            while tally is not None and tally.flushing:
                self._changed.wait()
            if tally is None:
                if len(self._tallies) >= MAX_KEYS:
                    self._forget_ended(now)
                tally = self._tallies[doc_id] = _Tally(ends)
            if tally.known > limit.count:
                return True, 0
            tally.pending += 1
            if tally.pending >= limit.batch:
                to_add, tally.pending, tally.flushing = tally.pending, 0, True
                return False, to_add
            return tally.known + tally.pending > limit.count, 0

    def _flush(self, doc_id: str, ends: datetime, to_add: int) -> int:
        """Add ``to_add`` hits to the shared counter;
        the new total is this hit's place in the window."""
        total = None
        try:
            total = self._increment(doc_id, ends, to_add)
            return total
        finally:
            with self._changed:
                tally = self._tallies.get(doc_id)
                if tally is not None:
                    tally.flushing = False
                    if total is None:  # not added: keep them counted here
                        tally.pending += to_add
                    else:
                        tally.known = max(tally.known, total)
                self._changed.notify_all()

    def _forget_ended(self, now: float) -> None:
        """Drop the tallies of windows that have ended (all of them if none has:
        memory stays bounded)."""
        for doc_id in [d for d, t in self._tallies.items() if t.ends <= now] or list(self._tallies):
            del self._tallies[doc_id]

    def _increment(self, doc_id: str, ends: datetime, count: int) -> int:
        """Add ``count`` to the counter; the total after. The counter is created first, apart,
        because an upsert racing another one is answered inconsistently by some servers
        (SecantusDB)."""
        collection: Any = self.mongo.collection(COLLECTION)
        for _ in range(3):
            # findAndModify, though SecantusDB scans the (small, expiring) collection for it: the
            # total must be this increment's own, which an update and a later read cannot promise.
            doc = collection.find_one_and_update(
                {"_id": doc_id}, {"$inc": {"n": count}}, return_document=ReturnDocument.AFTER
            )
            if doc is not None:
                return int(doc["n"])
            try:  # the window's first batch: create its counter, then add
                collection.insert_one(
                    {"_id": doc_id, "n": 0, "expires_at": ends + timedelta(seconds=60)}
                )
            except DuplicateKeyError:
                pass
        raise OperationFailure(f"rate-limit counter {doc_id!r} could not be counted")
