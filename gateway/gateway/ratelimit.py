"""Fixed-window rate limits kept in MongoDB, so the limit holds across gunicorn workers and hosts.

One counter document per (key, window); ``$inc`` with upsert is atomic on the server, and a TTL
index removes counters of past windows (correctness never depends on it: the window is in the id).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from passage.mongo import Index, Mongo

COLLECTION = "rate_limits"
INDEXES = [Index(COLLECTION, [("expires_at", 1)], "rate_limits_expire", expire_after_seconds=0)]


@dataclass(frozen=True)
class Limit:
    """At most ``count`` hits per ``seconds``-long window."""

    count: int
    seconds: int


class RateLimited(Exception):
    """Over the limit; ``retry_after`` seconds until the window ends."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("rate limited")
        self.retry_after = retry_after


class RateLimiter:
    """Counts hits per key and window in the ``rate_limits`` collection."""

    def __init__(self, mongo: Mongo) -> None:
        self.mongo = mongo

    def hit(self, key: str, limit: Limit, now: datetime | None = None) -> None:
        """Count one hit for ``key``; raise :class:`RateLimited` when it is over ``limit``."""
        now = now or datetime.now(timezone.utc)
        window = int(now.timestamp()) // limit.seconds
        ends = datetime.fromtimestamp((window + 1) * limit.seconds, timezone.utc)
        count = self._increment(f"{key}|{limit.seconds}|{window}", ends)
        if count > limit.count:
            raise RateLimited(max(1, math.ceil((ends - now).total_seconds())))

    def _increment(self, doc_id: str, ends: datetime) -> int:
        collection: Any = self.mongo.collection(COLLECTION)
        for _ in range(3):  # two first hits racing on the upsert: the loser retries as an update
            try:
                doc = collection.find_one_and_update(
                    {"_id": doc_id}, {"$inc": {"n": 1}, "$setOnInsert": {"expires_at": ends + timedelta(seconds=60)}},
                    upsert=True, return_document=ReturnDocument.AFTER)
                return int(doc["n"])
            except DuplicateKeyError:
                continue
        return 1
