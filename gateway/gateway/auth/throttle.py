"""Sign-in throttling per (account, client address), kept in MongoDB so every gateway worker agrees.

A hard per-account lock lets anyone lock out a centre's staff before a shift by typing five wrong
passwords. Here failures slow down only the client that makes them: after ``free`` failures from
one address for one account, that address waits ``base_seconds``, doubling with each further
failure up to ``max_seconds``. The same account from its usual address is never slowed by an
attack from elsewhere. A success clears the pair's record; records are forgotten ``forget_seconds``
after their last failure (a TTL index cleans up; expiry is also checked in code). Administrators
list and clear throttles (admin API and ``python -m gateway.admin.users throttles``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from passage.mongo import Index, Mongo, safe_value

COLLECTION = "login_throttles"
INDEXES = [
    Index(COLLECTION, [("expires_at", 1)], "login_throttles_expire", expire_after_seconds=0),
    Index(COLLECTION, [("account", 1)], "login_throttles_by_account"),
]


@dataclass(frozen=True)
class Throttle:
    """One (account, client) pair that has failed recently;
    ``wait_until`` is when it may try again."""

    account: str
    client: str
    failures: int
    last_failure: datetime
    wait_until: datetime | None


@dataclass(frozen=True)
class Backoff:
    """The delay rule: free attempts, then ``base_seconds`` doubling to ``max_seconds``."""

    free: int = 3
    base_seconds: int = 2
    max_seconds: int = 15 * 60
    forget_seconds: int = 60 * 60

    def delay(self, failures: int) -> timedelta:
        if failures < self.free:
            return timedelta(0)
        return timedelta(
            seconds=min(self.max_seconds, self.base_seconds * 2 ** min(failures - self.free, 20))
        )


class LoginThrottle(Protocol):
    """The failed-attempt record of each (account, client address)."""

    def wait_until(self, account: str, client: str, now: datetime) -> datetime | None: ...
    def record_failure(self, account: str, client: str, now: datetime) -> None: ...
    def clear(self, account: str, client: str) -> None: ...


class MongoLoginThrottle:
    """``login_throttles`` documents, one per (account, client)."""

    def __init__(self, mongo: Mongo, backoff: Backoff | None = None) -> None:
        self.mongo, self.backoff = mongo, backoff or Backoff()

    @property
    def _collection(self) -> Any:
        return self.mongo.collection(COLLECTION)

    def wait_until(self, account: str, client: str, now: datetime) -> datetime | None:
        """When this client may try this account again, or None when it may now."""
        doc = self._collection.find_one(
            {"_id": _key(account, client)}, {"wait_until": 1, "expires_at": 1}
        )
        until = doc.get("wait_until") if doc and doc["expires_at"] > now else None
        return until if until is not None and until > now else None

    def record_failure(self, account: str, client: str, now: datetime) -> None:
        """Count one failure of this pair and set its next permitted attempt."""
        key = _key(account, client)
        self._collection.delete_one(
            {"_id": key, "expires_at": {"$lte": now}}
        )  # forgotten: count anew
        doc = self._increment(key, account, client, now)
        failures = int(doc["failures"]) if doc else 1
        self._collection.update_one(
            {"_id": key}, {"$set": {"wait_until": now + self.backoff.delay(failures)}}
        )

    def clear(self, account: str, client: str) -> None:
        self._collection.delete_one({"_id": _key(account, client)})

    def list(self, now: datetime, account: str | None = None, limit: int = 200) -> list[Throttle]:
        """The pairs with recent failures (of ``account`` when given), most recent first."""
        query: dict[str, Any] = {"expires_at": {"$gt": now}}
        if account is not None:
            query["account"] = safe_value(account)
        docs = self._collection.find(query).sort("last_failure", -1).limit(limit)
        return [
            Throttle(
                d["account"],
                d["client"],
                int(d["failures"]),
                d["last_failure"],
                d["wait_until"] if d.get("wait_until") and d["wait_until"] > now else None,
            )
            for d in docs
        ]

    def clear_account(self, account: str, client: str | None = None) -> int:
        """Forget the failures of ``account`` (from ``client`` only, when given);
        how many were cleared."""
        query: dict[str, Any] = {"account": safe_value(account)}
        if client is not None:
            query["client"] = safe_value(client)
        return int(self._collection.delete_many(query).deleted_count)

    def _increment(
        self, key: str, account: str, client: str, now: datetime
    ) -> dict[str, Any] | None:
        update = {
            "$inc": {"failures": 1},
            "$set": {
                "account": safe_value(account),
                "client": safe_value(client),
                "last_failure": now,
                "expires_at": now + timedelta(seconds=self.backoff.forget_seconds),
            },
        }
        for _ in range(
            2
        ):  # two first failures racing on the upsert: the loser retries as an update
            try:
                # findAndModify: the count must be this failure's own (see ratelimit._increment)
                return self._collection.find_one_and_update(
                    {"_id": key}, update, upsert=True, return_document=ReturnDocument.AFTER
                )
            except DuplicateKeyError:
                continue
        return None


def _key(account: str, client: str) -> str:
    return f"{safe_value(account)}|{safe_value(client)}"
