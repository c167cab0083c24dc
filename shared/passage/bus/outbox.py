"""The outbox: events written inside the changed document, and the relay that publishes them.

A state change and the events it causes go into MongoDB in one atomic write (``outbox`` array
in the aggregate document, flagged by ``outbox_pending``). The relay publishes each envelope
with confirms and only then pulls it, so a crash in between duplicates and never loses; the
consumers' inbox absorbs the duplicate.

The relay does not poll the database ten times a second while nothing happens. It wakes on work:
a change stream on its collections reports every document marked ``outbox_pending`` by any
process (the API included), and an outbox write prepared in its own process
(:func:`outbox_fields`, :func:`with_outbox`) wakes it directly. While the stream is open a pass
looks only in the collections it named (one query per burst of writes, not one per collection
and wake-up), and looks again at once only where a pass found a full batch; every collection is
looked at after ``idle_interval`` (30 s) without news. Without the stream (a server without change
streams, or while it is being reopened) it looks in every collection after each wake-up and again
after each empty pass, waiting twice as long each time, up to ``poll_interval_unwatched`` (2 s);
the stream is reopened with one pass, so nothing written meanwhile waits.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pymongo.errors import PyMongoError

from passage import metrics, tracing
from passage.bus.publisher import Publisher
from passage.events.envelope import Envelope
from passage.mongo import SLOWEST_ASK, Index, Mongo, ask_again_after

log = logging.getLogger(__name__)
_relays_waiting: set[threading.Event] = set()  # one wake-up per relay running in this process
_waiting_lock = threading.Lock()


def announce_work() -> None:
    """Events are being written in this process: wake its relays (they look again until found)."""
    with _waiting_lock:
        for wake in _relays_waiting:
            wake.set()


def outbox_fields(events: Sequence[Envelope]) -> dict[str, Any]:
    """Fields for a new document whose creation causes ``events``."""
    if events:
        announce_work()
    return {"outbox": [_traced(e) for e in events], "outbox_pending": True} if events else {}


def with_outbox(update: Mapping[str, Any], events: Sequence[Envelope]) -> dict[str, Any]:
    """Merge "append these events" into a MongoDB update document."""
    merged = {op: dict(fields) for op, fields in update.items()}
    if events:
        announce_work()
        merged.setdefault("$push", {})["outbox"] = {"$each": [_traced(e) for e in events]}
        merged.setdefault("$set", {})["outbox_pending"] = True
    return merged


def _traced(event: Envelope) -> dict[str, Any]:
    """The envelope as stored, carrying the trace of the work that caused it (if it has none)."""
    stored = event.to_dict()
    if "traceparent" not in stored and (traceparent := tracing.current_traceparent()):
        stored["traceparent"] = traceparent
    return stored


def outbox_indexes(collections: Iterable[str]) -> list[Index]:
    """A partial index per outbox collection, so the relay never scans settled documents."""
    return [
        Index(
            name,
            [("outbox_pending", 1)],
            name="outbox_pending",
            partial={"outbox_pending": {"$exists": True}},
        )
        for name in collections
    ]


class OutboxRelay:
    """Moves pending envelopes from documents to the bus; within a document, in the order
    written."""

    def __init__(
        self,
        mongo: Mongo,
        publisher: Publisher,
        collections: Sequence[str],
        *,
        batch_size: int = 100,
        poll_interval: float = 0.1,
        idle_interval: float = 30.0,
        poll_interval_unwatched: float = 2.0,
    ) -> None:
        self.mongo = mongo
        self.publisher = publisher
        self.collections = list(collections)
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.idle_interval = idle_interval
        self.poll_interval_unwatched = poll_interval_unwatched
        self.watching = threading.Event()  # the change stream is open: long fallback polls suffice
        self._named: set[str] = set()  # collections the change stream reported since the last pass
        self._named_lock = threading.Lock()
        self.resting = (
            threading.Event()
        )  # waiting for work or the next look (for operators and tests)

    def relay_once(self, collections: Iterable[str] | None = None) -> int:
        """Publish what is pending now (in ``collections``, or all); how many envelopes went out."""
        sent = 0
        for name in self.collections if collections is None else collections:
            collection = self.mongo.collection(name)
            pending = list(
                collection.find({"outbox_pending": True}, {"outbox": 1}).limit(self.batch_size)
            )
            # The backlog this pass found (capped at the batch size): no extra count query per poll.
            metrics.outbox_backlog.labels(name).set(len(pending))
            if len(pending) == self.batch_size:
                self._name(name)  # more may be waiting there: look again at once
            for doc in pending:
                sent += self._relay_document(collection, doc)
        return sent

    def _name(self, collection: str) -> None:
        with self._named_lock:
            self._named.add(collection)

    def _take_named(self) -> list[str]:
        with self._named_lock:
            named, self._named = self._named, set()
        return [name for name in self.collections if name in named]

    def _relay_document(self, collection, doc: Mapping[str, Any]) -> int:
        envelopes = doc.get("outbox") or []
        for envelope in envelopes:
            self.publisher.publish_event(envelope)
        ids = [e["id"] for e in envelopes]
        # Usually nothing was pushed meanwhile: the outbox is exactly what went out, settle it in
        # one write.
        exactly = [{"outbox": {"$size": len(ids)}}, *({"outbox.id": i} for i in ids)]
        if collection.update_one(
            {"_id": doc["_id"], "$and": exactly},
            {"$set": {"outbox": []}, "$unset": {"outbox_pending": ""}},
        ).matched_count:
            return len(ids)
        if ids:
            collection.update_one({"_id": doc["_id"]}, {"$pull": {"outbox": {"id": {"$in": ids}}}})
        # Clear the flag only if nothing new was pushed meanwhile (the filter sees the array).
        collection.update_one(
            {"_id": doc["_id"], "outbox": {"$size": 0}}, {"$unset": {"outbox_pending": ""}}
        )
        return len(ids)

    def run(self, stop: threading.Event) -> None:
        """Relay until ``stop`` is set; errors back off and retry, never drop an event."""
        wake = threading.Event()
        with _waiting_lock:
            _relays_waiting.add(wake)
        threading.Thread(
            target=self._watch, args=(stop, wake), name="outbox-watch", daemon=True
        ).start()
        try:
            self._loop(stop, wake)
        finally:
            with _waiting_lock:
                _relays_waiting.discard(wake)

    def _loop(self, stop: threading.Event, wake: threading.Event) -> None:
        delay, woken = self.poll_interval, False
        while not stop.is_set():
            wake.clear()
            try:
                if woken and self.watching.is_set():  # the stream names where to look
                    self.relay_once(self._take_named())
                    delay = self.idle_interval
                elif self.relay_once():
                    delay = self.poll_interval
                    continue
                longest = (
                    self.idle_interval if self.watching.is_set() else self.poll_interval_unwatched
                )
                delay = min(delay * 2, longest)  # quiet: look less often
            except Exception as exc:  # broker or database down: keep the events, back off
                log.warning("outbox relay paused", extra={"error": type(exc).__name__})
                delay = min(max(delay * 2, 0.5), 5.0)
                with self._named_lock:  # the next pass looks everywhere
                    self._named.update(self.collections)
            self.resting.set()
            woken = (woken and self._has_named()) or _woken(stop, wake, delay)
            if woken:
                delay = self.poll_interval
            self.resting.clear()

    def _has_named(self) -> bool:
        with self._named_lock:
            return bool(self._named)

    def _watch(self, stop: threading.Event, wake: threading.Event) -> None:
        """Wake the relay whenever any process marks a document of its collections pending."""
        while not stop.is_set():
            try:
                with self.mongo.db.watch(
                    self._pending_changes(), max_await_time_ms=30_000
                ) as stream:
                    self.collections_seen_closed(wake)
                    pause = SLOWEST_ASK
                    while not stop.is_set():
                        asked = time.monotonic()
                        change = stream.try_next()
                        if change is not None:
                            self._name(str((change.get("ns") or {}).get("coll")))
                            wake.set()
                        pause = ask_again_after(pause, change is not None)
                        if change is None:
                            stop.wait(max(0.0, pause - (time.monotonic() - asked)))
            except PyMongoError as exc:  # no change streams here, or the server went away
                log.info("outbox change stream closed", extra={"error": type(exc).__name__})
            except Exception:  # the client was closed under us (the process is stopping)
                return
            self.watching.clear()
            stop.wait(5.0)

    def collections_seen_closed(self, wake: threading.Event) -> None:
        """The stream just opened: one pass over every collection covers what was written before."""
        with self._named_lock:
            self._named.update(self.collections)
        self.watching.set()
        wake.set()

    def _pending_changes(self) -> list[dict[str, Any]]:
        marked = [
            {"fullDocument.outbox_pending": True},
            {"updateDescription.updatedFields.outbox_pending": True},
        ]
        return [
            {"$match": {"ns.coll": {"$in": self.collections}, "$or": marked}},
            {"$project": {"ns": 1}},
        ]


def _woken(stop: threading.Event, wake: threading.Event, seconds: float) -> bool:
    """Wait up to ``seconds`` (checking ``stop`` twice a second); True when work was announced."""
    deadline = time.monotonic() + seconds
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        if wake.wait(min(left, 0.5)):
            return True
    return False
