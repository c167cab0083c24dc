"""The tamper-evident audit trail: append-only, keyed hash-chained records in the gateway's MongoDB.

Each gateway process (each :class:`AuditTrail`) writes its own chain *segment*, so appends need no
shared head and cost one insert per group of records, however many processes or replicas write.
A record carries ``segment`` (random, per process start), ``seq`` (the document ``_id``: unique
and in time order across all segments, microseconds since the epoch, so no coordination is
needed), ``prev_hash`` (the hash of the previous record of its segment, ``GENESIS`` for the first),
``key_id`` and ``hash`` = HMAC-SHA256, under the key named by ``key_id`` (held in the
environment, never in the database), of the canonical JSON of the record including ``segment``
and ``prev_hash``.
Editing, removing or reordering any record breaks its segment's chain, and so does re-chaining
without the key; signed checkpoints of every segment's head kept outside the database
(:mod:`gateway.admin.audit_checkpoints`) catch the newest records of a segment, or a whole segment,
being cut off. Records written before segments (no ``segment`` field, ``seq`` 1, 2, …) form one
legacy chain, verified as before.
``python -m gateway.admin.audit verify`` names the first bad record. Records hold who, role, action,
the
resource's path template and ids, for reads the filters and the ids returned
(:mod:`gateway.admin.audit_reads`), outcome and correlation id — never bodies or names.
"""

from __future__ import annotations

import json
import secrets
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
from passage.mongo import Index, Mongo, RetiredIndex

COLLECTION = "audit"
GENESIS = "0" * 64
INDEXES = [
    # ``seq`` is the ``_id`` (``first_break`` refuses a record where they differ): unique already.
    RetiredIndex(COLLECTION, "audit_seq_unique"),
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
LEGACY = ""  # the segment name of records written before segments existed
Head = tuple[str, int, str]  # (segment, records in it, hash of its newest record)


class AuditUnavailable(Exception):
    """The record could not be appended (the caller must not serve what it could not audit)."""


def canonical(record: Mapping[str, Any]) -> bytes:
    body = {name: record.get(name) for name in FIELDS}
    if record.get("segment") is not None:  # absent from legacy records, whose hashes stay as sealed
        body["segment"] = record["segment"]
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
    """Appends records to this process's segment of the ``audit`` collection, and reads them all.

    Appends are group-committed: the thread that gets the write lock chains every record waiting
    in this process and inserts them in one ordered ``insert_many``; the others find theirs done.
    Each caller returns only once its record is stored. The segment's head lives in memory (no
    read before a write); a ``seq`` another process took in the same microsecond is simply
    skipped, and a write whose outcome is unknown ends the segment (a new one starts), so a
    segment can never fork.
    """

    def __init__(
        self,
        mongo: Mongo,
        keyring: Keyring,
        attempts: int = 20,
        on_written: Callable[[], None] | None = None,
    ) -> None:
        self.mongo, self.keyring, self.attempts = mongo, keyring, attempts
        self.on_written = on_written  # e.g. arm the next checkpoint
        self._pending: list[_Pending] = []
        self._queue_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._heads: dict[str, tuple[int, str]] = {}  # segments written: (records, newest hash)
        self._segment = ""
        self._last_seq = 0
        self._new_segment()

    @property
    def _collection(self) -> Any:
        return self.mongo.collection(COLLECTION)

    def _new_segment(self) -> None:
        self._segment = secrets.token_hex(8)

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
        """Add one record at the end of this process's segment.

        Raises :class:`AuditUnavailable` when it is not stored.
        """
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
            for _ in range(self.attempts):
                docs = self._chain(batch)
                try:
                    self._collection.insert_many(docs, ordered=True)
                    stored = len(docs)
                except BulkWriteError as exc:
                    errors = exc.details.get("writeErrors", [])
                    if any(e.get("code") != 11000 for e in errors):
                        raise AuditUnavailable("write refused") from None
                    stored = exc.details.get("nInserted", 0)
                    self._last_seq = max(self._last_seq, docs[stored]["seq"])  # taken: skip it
                self._stored(batch[:stored], docs[:stored])
                batch = batch[stored:]
                if not batch:
                    return
            raise AuditUnavailable("too much contention")
        except (PyMongoError, AuditUnavailable) as exc:
            self._new_segment()  # the outcome may be unknown: never chain onto a guessed head
            for item in batch:
                item.error = (
                    exc
                    if isinstance(exc, AuditUnavailable)
                    else AuditUnavailable(type(exc).__name__)
                )

    def _stored(self, items: list[_Pending], docs: list[dict[str, Any]]) -> None:
        for item, doc in zip(items, docs, strict=True):
            item.record = {k: v for k, v in doc.items() if k != "_id"}
        if docs:
            count, _ = self._heads.get(self._segment, (0, GENESIS))
            self._heads[self._segment] = (count + len(docs), docs[-1]["hash"])

    def _next_seq(self) -> int:
        """Microseconds since the epoch, above every ``seq`` this process has used or seen taken."""
        self._last_seq = max(self._last_seq + 1, time.time_ns() // 1000)
        return self._last_seq

    def _chain(self, batch: list[_Pending]) -> list[dict[str, Any]]:
        _, prev = self._heads.get(self._segment, (0, GENESIS))
        docs = []
        for item in batch:
            record = {
                **item.entry,
                "seq": self._next_seq(),
                "segment": self._segment,
                "prev_hash": prev,
                "at": timestamp(),
                "key_id": self.keyring.current.key_id,
            }
            record["hash"] = prev = record_hash(record, self.keyring)
            docs.append({"_id": record["seq"], **record})
        return docs

    def heads(self) -> list[Head]:
        """The heads of the segments this process wrote, from memory (checkpoints cost no read)."""
        with self._write_lock:
            return [(segment, count, h) for segment, (count, h) in self._heads.items()]

    def stored_heads(self) -> list[Head]:
        """The heads of every segment as stored in the database (a whole-trail read)."""
        return [
            (segment, len(hashes), hashes[-1])
            for segment, hashes in segments(self.in_order()).items()
        ]

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


def segment_of(record: Mapping[str, Any]) -> str:
    return record.get("segment") or LEGACY


def segments(records: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """``{segment: [hash of its 1st record, 2nd, …]}`` for records in ``seq`` order."""
    found: dict[str, list[str]] = {}
    for record in records:
        found.setdefault(segment_of(record), []).append(record.get("hash", ""))
    return found


def first_break(records: Iterable[Mapping[str, Any]], keyring: Keyring) -> str | None:
    """Why the chain is broken at its first bad record (``seq`` order), or None when it is intact.

    Every segment must start at ``GENESIS`` and link each record to the one before it in that
    segment; legacy records must also be numbered 1, 2, … without a gap.
    """
    prev_of: dict[str, str] = {}
    legacy_seq, last_seq = 1, None
    for record in records:
        seq, segment = record.get("seq"), segment_of(record)
        if record.get("_id", seq) != seq or (last_seq is not None and not _after(seq, last_seq)):
            return f"record {seq} is out of order (its _id or place differs from its seq)"
        if segment == LEGACY:
            if seq != legacy_seq:
                return f"record {legacy_seq} is missing (next record found: {seq})"
            legacy_seq += 1
        if record.get("prev_hash") != prev_of.get(segment, GENESIS):
            return (
                f"record {seq} does not follow the previous record of its segment "
                "(prev_hash differs): removed or reordered"
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
        prev_of[segment], last_seq = record["hash"], seq
    return None


def _after(seq: Any, last: Any) -> bool:
    return isinstance(seq, int) and isinstance(last, int) and seq > last


if __name__ == "__main__":
    from gateway.admin.audit_cli import main

    sys.exit(main())
