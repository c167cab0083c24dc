"""The tamper-evident audit trail: append-only, keyed hash-chained records in the gateway's MongoDB.

Each record carries ``seq`` (1, 2, …; the document ``_id``, so two appends can never take the same
place), ``prev_hash`` (the previous record's hash), ``key_id`` and ``hash`` = HMAC-SHA256, under the
key named by ``key_id`` (held in the environment, never in the database), of the canonical JSON of
the record including ``prev_hash``. Editing, removing or reordering any record breaks the chain, and
so does re-chaining without the key; signed checkpoints kept outside the database
(:mod:`gateway.admin.audit_checkpoints`) catch the newest records being cut off.
``python -m gateway.admin.audit verify`` names the first bad record. Records hold who, role, action,
the resource's path template and ids, for reads the filters and the ids returned
(:mod:`gateway.admin.audit_reads`), outcome and correlation id — never bodies or names.
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.errors import BulkWriteError, PyMongoError

from gateway.admin.audit_keys import Keyring
from passage.mongo import Index, Mongo

COLLECTION = "audit"
GENESIS = "0" * 64
INDEXES = [
    Index(COLLECTION, [("seq", 1)], "audit_seq_unique", unique=True),
    Index(COLLECTION, [("user", 1), ("seq", -1)], "audit_by_user"),
    Index(COLLECTION, [("resource", 1), ("seq", -1)], "audit_by_resource"),
    Index(COLLECTION, [("at", 1)], "audit_by_time"),
    Index(COLLECTION, [("returned.person_ref", 1), ("seq", -1)], "audit_by_person_returned"),
]
FIELDS = (
    "seq",
    "at",
    "user",
    "role",
    "action",
    "method",
    "resource",
    "ids",
    "filters",
    "returned",
    "outcome",
    "correlation_id",
    "prev_hash",
    "key_id",
)
RECORD = "record"  # the HMAC purpose of records (checkpoints have their own)


class AuditUnavailable(Exception):
    """The record could not be appended (the caller must not serve what it could not audit)."""


def canonical(record: Mapping[str, Any]) -> bytes:
    body = {name: record.get(name) for name in FIELDS}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(record: Mapping[str, Any], keyring: Keyring) -> str:
    """The record's seal under the current key (the record's ``key_id`` must name that key)."""
    return keyring.current.seal(RECORD, canonical(record))


def timestamp(now: datetime | None = None) -> str:
    """Fixed-width UTC time, so string order is time order (filters compare strings)."""
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class _Pending:
    entry: dict[str, Any]
    record: dict[str, Any] | None = None
    error: Exception | None = None


class AuditTrail:
    """Appends records to, and reads them from, the ``audit`` collection.

    Appends are group-committed: the thread that gets the write lock chains every record waiting
    in this process and inserts them in one ordered ``insert_many``; the others find theirs done.
    Each caller returns only once its record is stored. Another process taking the same ``seq``
    (the unique ``_id``) makes the rest of the batch re-chain on the new end and try again.
    """

    def __init__(
        self,
        mongo: Mongo,
        keyring: Keyring,
        attempts: int = 200,
        on_written: Callable[[], None] | None = None,
    ) -> None:
        self.mongo, self.keyring, self.attempts = mongo, keyring, attempts
        self.on_written = on_written  # e.g. arm the next checkpoint
        self._pending: list[_Pending] = []
        self._queue_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._head: tuple[int, str] | None = None  # last (seq, hash) this process saw; may be stale

    @property
    def _collection(self) -> Any:
        return self.mongo.collection(COLLECTION)

    def append(
        self,
        *,
        user: str | None,
        role: str | None,
        action: str,
        method: str,
        resource: str,
        ids: Mapping[str, str] | None,
        outcome: int,
        correlation_id: str | None,
        filters: Mapping[str, str] | None = None,
        returned: Mapping[str, list[str]] | None = None,
    ) -> dict[str, Any]:
        """Add one record at the end of the chain;
        raise :class:`AuditUnavailable` when it is not stored."""
        item = _Pending(
            {
                "user": user,
                "role": role,
                "action": action,
                "method": method,
                "resource": resource,
                "ids": dict(ids or {}),
                "filters": dict(filters or {}),
                "returned": dict(returned or {}),
                "outcome": outcome,
                "correlation_id": correlation_id,
            }
        )
        with self._queue_lock:
            self._pending.append(item)
        with self._write_lock:
            if item.record is None and item.error is None:
                with self._queue_lock:
                    batch, self._pending = self._pending, []
                self._write(batch)
        if item.record is None:
            raise AuditUnavailable(str(item.error or "not stored"))
        if self.on_written is not None:
            self.on_written()
        return item.record

    def _write(self, batch: list[_Pending]) -> None:
        try:
            for attempt in range(self.attempts):
                head = self._head or self._last()
                docs = self._chain(batch, head)
                try:
                    self._collection.insert_many(docs, ordered=True)
                    stored = len(docs)
                except BulkWriteError as exc:
                    if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
                        raise AuditUnavailable("write refused") from None
                    stored = exc.details.get("nInserted", 0)
                    self._head = None
                    time.sleep(random.uniform(0, 0.002 * min(attempt + 1, 10)))
                for item, doc in zip(batch[:stored], docs, strict=False):
                    item.record = {k: v for k, v in doc.items() if k != "_id"}
                if stored:
                    self._head = (
                        (docs[stored - 1]["seq"], docs[stored - 1]["hash"])
                        if stored == len(docs)
                        else None
                    )
                batch = batch[stored:]
                if not batch:
                    return
            raise AuditUnavailable("too much contention")
        except (PyMongoError, AuditUnavailable) as exc:
            self._head = None
            for item in batch:
                item.error = (
                    exc
                    if isinstance(exc, AuditUnavailable)
                    else AuditUnavailable(type(exc).__name__)
                )

    def head(self) -> tuple[int, str]:
        """``(seq, hash)`` of the newest stored record, read from the database;
        ``(0, GENESIS)`` when empty."""
        return self._last()

    def _last(self) -> tuple[int, str]:
        last = self._collection.find_one({}, {"seq": 1, "hash": 1}, sort=[("_id", DESCENDING)])
        return (last["seq"], last["hash"]) if last else (0, GENESIS)

    def _chain(self, batch: list[_Pending], head: tuple[int, str]) -> list[dict[str, Any]]:
        seq, prev = head
        docs = []
        for item in batch:
            seq += 1
            record = {
                **item.entry,
                "seq": seq,
                "prev_hash": prev,
                "at": timestamp(),
                "key_id": self.keyring.current.key_id,
            }
            record["hash"] = prev = record_hash(record, self.keyring)
            docs.append({"_id": seq, **record})
        return docs

    def search(
        self,
        *,
        user: str | None = None,
        resource: str | None = None,
        outcome: int | None = None,
        start: str | None = None,
        end: str | None = None,
        before_seq: int | None = None,
        person_ref: str | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """Newest first; every filter value is a validated scalar
        (no operator comes from a request)."""
        query: dict[str, Any] = {}
        if person_ref is not None:  # who read or changed this person's records
            query["$or"] = [
                {"returned.person_ref": {"$eq": person_ref}},
                {"ids.person_ref": {"$eq": person_ref}},
            ]
        for name, value in (("user", user), ("resource", resource), ("outcome", outcome)):
            if value is not None:
                query[name] = {"$eq": value}
        if start or end:
            query["at"] = {**({"$gte": start} if start else {}), **({"$lt": end} if end else {})}
        if before_seq is not None:
            query["_id"] = {"$lt": before_seq}
        found = self._collection.find(query, sort=[("_id", DESCENDING)], limit=limit)
        return [{k: v for k, v in doc.items() if k != "_id"} for doc in found]

    def in_order(self) -> Iterator[dict[str, Any]]:
        return iter(self._collection.find({}, sort=[("_id", 1)]))


def first_break(records: Iterable[Mapping[str, Any]], keyring: Keyring) -> str | None:
    """Why the chain is broken at its first bad record, or None when it is intact."""
    expected_seq, prev = 1, GENESIS
    for record in records:
        seq = record.get("seq")
        if seq != expected_seq or record.get("_id", seq) != seq:
            return f"record {expected_seq} is missing (next record found: {seq})"
        if record.get("prev_hash") != prev:
            return (
                f"record {seq} does not follow record {seq - 1} (prev_hash differs): "
                "removed or reordered"
            )
        if keyring.get(record.get("key_id")) is None:
            return (
                f"record {seq} names a key this check does not hold "
                f"(key_id {record.get('key_id')!r}): "
                "written under a retired key not given in AUDIT_CHAIN_PREVIOUS_KEYS, or forged"
            )
        if not keyring.seals_match(
            record.get("key_id"), RECORD, canonical(record), record.get("hash")
        ):
            return (
                f"record {seq} was edited (its keyed hash does not match its content): "
                "edited or re-chained"
            )
        expected_seq, prev = expected_seq + 1, record["hash"]
    return None


if __name__ == "__main__":
    from gateway.admin.audit_cli import main

    sys.exit(main())
