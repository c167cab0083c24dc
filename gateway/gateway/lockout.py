"""Failed sign-in counting per username, kept in MongoDB so every gateway worker sees the same lock.

After ``threshold`` failures, each within ``lock_seconds`` of the one before, the username is
locked for ``lock_seconds``; a successful sign-in clears the count. Unknown usernames are
counted too, so a lock says nothing about whether an account exists. A TTL index removes
stale records; correctness never depends on it (expiry is checked in code).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from passage.mongo import Index, Mongo, safe_value

COLLECTION = "login_attempts"
INDEXES = [Index(COLLECTION, [("expires_at", 1)], "stale_attempts_expire", expire_after_seconds=0)]


class LoginAttempts(Protocol):
    """The failed-attempt record of each username."""

    def locked_until(self, username: str, now: datetime) -> datetime | None: ...
    def record_failure(self, username: str, now: datetime) -> None: ...
    def clear(self, username: str) -> None: ...


class MongoLoginAttempts:
    """``login_attempts`` documents: ``{_id: username, failures, expires_at, locked_until?}``."""

    def __init__(self, mongo: Mongo, *, threshold: int = 5, lock_seconds: int = 15 * 60) -> None:
        self.mongo = mongo
        self.threshold = threshold
        self.window = timedelta(seconds=lock_seconds)

    @property
    def _collection(self) -> Any:
        return self.mongo.collection(COLLECTION)

    def locked_until(self, username: str, now: datetime) -> datetime | None:
        """When the lock on ``username`` ends, or None when it may try to sign in."""
        doc = self._collection.find_one({"_id": safe_value(username)}, {"locked_until": 1})
        until = doc.get("locked_until") if doc else None
        return until if until is not None and until > now else None

    def record_failure(self, username: str, now: datetime) -> None:
        """Count one failure; the one that reaches the threshold starts the lock."""
        username = safe_value(username)
        # A record whose last failure (or lock) is older than the window starts again from zero.
        self._collection.delete_one({"_id": username, "expires_at": {"$lte": now}})
        doc = self._increment(username, now)
        if doc is not None and doc.get("failures", 0) >= self.threshold:
            until = now + self.window
            self._collection.update_one({"_id": username}, {"$set": {"locked_until": until, "expires_at": until}})

    def clear(self, username: str) -> None:
        self._collection.delete_one({"_id": safe_value(username)})

    def _increment(self, username: str, now: datetime) -> dict[str, Any] | None:
        update = {"$inc": {"failures": 1}, "$set": {"expires_at": now + self.window}}
        for _ in range(2):  # two first failures racing on the upsert: the loser retries as an update
            try:
                return self._collection.find_one_and_update(
                    {"_id": username}, update, upsert=True, return_document=ReturnDocument.AFTER)
            except DuplicateKeyError:
                continue
        return None
