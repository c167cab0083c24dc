"""The outbox: events written inside the changed document, and the relays that publish them.

A state change and the events it causes go into MongoDB in one atomic write (``outbox`` array
in the aggregate document, flagged by ``outbox_pending``). A relay publishes each envelope
with confirms and only then pulls it, so a crash in between duplicates and never loses; the
consumers' inbox (or an idempotent handler) absorbs the duplicate.

Relays wake on work, not on a clock:

- **After commit, in the process that wrote.** :func:`outbox_fields` and :func:`with_outbox`
  note which collection got events; whoever ends the unit of work — the web layer after each
  response, the consumer base after each event, the worker after each clock round — calls
  :func:`after_commit`, which hands those collections to this process's relays at once. An API
  process runs a :class:`PromptRelay` for this: an admission's event is on the bus milliseconds
  after its ``201``, and the relay reads only committed documents, so nothing rolled back is ever
  published.
- **Change stream, in the worker, as the safety net.** The worker's :class:`OutboxRelay` watches
  its collections for documents marked ``outbox_pending`` by any process, and looks
  ``stream_grace`` seconds later (the writer's prompt relay has usually settled them by then, so
  the look finds nothing and the two do not publish the same envelope twice). It asks the stream
  at most twice per grace period, so a busy database is not asked once per write. Every collection
  is looked at after ``idle_interval`` (30 s) without news; without a stream (a server without
  change streams, or while it is being reopened) it looks everywhere after each wake-up and after
  each empty pass, waiting twice as long each time up to ``poll_interval_unwatched`` (2 s).

A process that dies between its commit and its prompt relay's publish loses nothing: the worker's
stream (or its next idle look) finds the document still pending.

A writer that holds the documents it committed may hand them over (:func:`committed`, only once
its transaction has returned): the relay then publishes their envelopes as written instead of
reading the documents back, one database read less per write. Anything not handed over is read.
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from pymongo.collection import Collection
from pymongo.errors import OperationFailure, PyMongoError

from passage import metrics, tracing
from passage.bus.publisher import Publisher
from passage.events.envelope import Envelope
from passage.mongo import QUICKEST_ASK, SLOWEST_ASK, Index, Mongo, ask_again_after

log = logging.getLogger(__name__)
PENDING_INDEX = "outbox_pending"
ALL = "*"  # announced without naming the collection: relays look in all of theirs

#: Where a unit of work wrote events: collection (or ``ALL``) → the documents' ids (None: any).
#: An envelope's ``subject`` is the id of the document that carries it (a stay's events in the
#: stay, a unit's in the unit): a relay told the ids reads those documents and no others, so two
#: API processes' relays do not both publish each other's events.
Announced = Mapping[str, frozenset[str] | None]
_announced: contextvars.ContextVar[Announced | None] = contextvars.ContextVar(
    "outbox_announced", default=None
)
_relays: set[_Relay] = set()  # the relays running in this process, told after each commit
_relays_lock = threading.Lock()
#: Documents this unit of work committed with events, as written: collection → ``_id`` → document.
Committed = Mapping[str, Mapping[Any, Mapping[str, Any]]]
_committed: contextvars.ContextVar[dict[str, dict[Any, Mapping[str, Any]]] | None] = (
    contextvars.ContextVar("outbox_committed", default=None)
)
REMEMBERED_MOST = 10_000  # committed documents a relay keeps unpublished before it reads instead


class _Relay(Protocol):
    def notify(self, announced: Announced, committed: Committed | None = None) -> None: ...


def announce_work(collection: str | None = None, ids: Iterable[str] | None = None) -> None:
    """Events are being written (into ``collection``, in the documents ``ids``) in this unit of
    work: once it has committed, :func:`after_commit` tells this process's relays where to look."""
    _announced.set(merge_announced(_announced.get() or {}, {collection or ALL: _ids(ids)}))


def merge_announced(first: Announced, second: Announced) -> dict[str, frozenset[str] | None]:
    """Both announcements in one (any document of a collection absorbs named ones)."""
    merged = dict(first)
    for collection, ids in second.items():
        if collection not in merged:
            merged[collection] = ids
        else:
            known = merged[collection]
            merged[collection] = None if known is None or ids is None else known | ids
    return merged


def _ids(ids: Iterable[str] | None) -> frozenset[str] | None:
    return None if ids is None else frozenset(ids)


def committed(collection: str, docs: Iterable[Mapping[str, Any]]) -> None:
    """These documents of ``collection`` are committed, outbox and all (call it only after their
    transaction returned): the relays told after this unit of work publish from them rather than
    read them back."""
    with_events = {doc["_id"]: doc for doc in docs if doc.get("outbox")}
    if with_events:
        known = _committed.get() or {}
        _committed.set({**known, collection: {**known.get(collection, {}), **with_events}})


def take_committed() -> Committed:
    """The documents this unit of work handed over, forgotten here."""
    return _take(_committed)


def take_announced() -> Announced:
    """What this unit of work announced, forgotten here."""
    return _take(_announced)


def _take(var: contextvars.ContextVar[Any]) -> Any:
    value = var.get()
    if value:
        var.set(None)
    return value or {}


def after_commit() -> None:
    """The unit of work has ended: relays running in this process look where it wrote events, now.

    Called also after a unit that rolled back (its look finds nothing): cheaper than knowing.
    """
    announced, docs = take_announced(), take_committed()
    if not announced:
        return
    with _relays_lock:
        relays = list(_relays)
    for relay in relays:
        relay.notify(announced, docs)


def outbox_fields(events: Sequence[Envelope], *, into: str | None = None) -> dict[str, Any]:
    """Fields for a new document (of collection ``into``) whose creation causes ``events``."""
    if events:
        announce_work(into, [e.subject for e in events] if into else None)
    return {"outbox": [_traced(e) for e in events], "outbox_pending": True} if events else {}


def with_outbox(
    update: Mapping[str, Any], events: Sequence[Envelope], *, into: str | None = None
) -> dict[str, Any]:
    """Merge "append these events" into a MongoDB update document (of collection ``into``)."""
    merged = {op: dict(fields) for op, fields in update.items()}
    if events:
        announce_work(into, [e.subject for e in events] if into else None)
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
            name=PENDING_INDEX,
            partial={"outbox_pending": {"$exists": True}},
        )
        for name in collections
    ]


def settle(collection: Collection, doc_id: Any, published: Sequence[str]) -> None:
    """Pull the ``published`` envelopes from the document's outbox, and its flag once it is empty.

    One pipeline update, matched by ``_id`` alone: events pushed meanwhile stay, with the flag.
    (SecantusDB plans any filter beyond ``_id`` against every index of the collection, and a
    stay has fifteen; MongoDB takes ``_id`` either way.)
    """
    collection.update_one(
        {"_id": doc_id},
        [
            {
                "$set": {
                    "outbox": {
                        "$filter": {
                            "input": {"$ifNull": ["$outbox", []]},
                            "as": "sent",
                            "cond": {"$not": [{"$in": ["$$sent.id", list(published)]}]},
                        }
                    }
                }
            },
            {
                "$set": {
                    "outbox_pending": {
                        "$cond": [{"$gt": [{"$size": "$outbox"}, 0]}, True, "$$REMOVE"]
                    }
                }
            },
        ],
    )


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
        stream_grace: float = 0.0,
    ) -> None:
        self.mongo = mongo
        self.publisher = publisher
        self.collections = list(collections)
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.idle_interval = idle_interval
        self.poll_interval_unwatched = poll_interval_unwatched
        # Seconds between the stream naming a collection and the look: the writer's own prompt
        # relay usually settles its documents first (0: look at once, when no writer has one).
        self.stream_grace = stream_grace
        self.watching = threading.Event()  # the change stream is open: long fallback polls suffice
        self._named: dict[str, frozenset[str] | None] = {}  # where the next pass looks
        self._due: set[str] = set()  # named by the stream, looked in when the grace is over
        self._named_lock = threading.Lock()
        self._remembered: dict[tuple[str, Any], Mapping[str, Any]] = {}  # handed over, unsent
        self._wake = threading.Event()
        self.resting = threading.Event()  # waiting for work or the next look (operators, tests)

    def relay_once(self, collections: Iterable[str] | None = None) -> int:
        """Publish what is pending now (in ``collections``, or all); how many envelopes went out."""
        names = self.collections if collections is None else collections
        return self._relay(dict.fromkeys(names))

    def _relay(self, where: Announced) -> int:
        sent = 0
        for name, ids in where.items():
            collection = self.mongo.collection(name)
            pending = self._pending(collection, ids)
            if ids is None:  # a look over the whole collection: its backlog (capped), no count
                metrics.outbox_backlog.labels(name).set(len(pending))
                if len(pending) == self.batch_size:
                    self._name(name)  # more may be waiting there: look again at once
            for doc in pending:
                sent += self._relay_document(collection, doc)
        return sent

    def _pending(
        self, collection: Collection, ids: frozenset[str] | None
    ) -> list[Mapping[str, Any]]:
        """Documents with events to publish: the named ones by ``_id``, else through the partial
        index, named as a hint — SecantusDB's planner scans the whole collection for
        ``outbox_pending: true`` otherwise (300 ms at 20k stays against 1.4 ms), and MongoDB's
        picks that index anyway. Without the index (not created yet), the same query unhinted."""
        if ids is not None:
            known = self._recall(collection.name, ids)
            unknown = sorted(ids - known.keys())
            # All of them (what this process's units of work announced), by ``_id`` alone:
            # SecantusDB plans any further condition against every index of the collection.
            named: Iterable[Mapping[str, Any]] = (
                collection.find({"_id": {"$in": unknown}}, {"outbox": 1, "outbox_pending": 1})
                if unknown
                else ()
            )
            return [*known.values(), *(doc for doc in named if doc.get("outbox_pending"))]
        find = collection.find({"outbox_pending": True}, {"outbox": 1}).limit(self.batch_size)
        try:
            return list(find.clone().hint(PENDING_INDEX))
        except OperationFailure:
            return list(find)

    def _name(self, collection: str, ids: frozenset[str] | None = None) -> None:
        with self._named_lock:
            self._named = merge_announced(self._named, {collection: ids})

    def _recall(self, collection: str, ids: frozenset[str]) -> dict[Any, Mapping[str, Any]]:
        """The named documents handed over as committed, forgotten here (they are sent now)."""
        with self._named_lock:
            return {
                doc_id: doc
                for doc_id in ids
                if (doc := self._remembered.pop((collection, doc_id), None)) is not None
            }

    def notify(self, announced: Announced, committed: Committed | None = None) -> None:
        """A unit of work in this process committed events there: look now (publishing the
        ``committed`` documents it handed over as they are, without reading them)."""
        with self._named_lock:
            if len(self._remembered) >= REMEMBERED_MOST:  # never sent (a look failed): read them
                self._remembered.clear()
            for name, docs in (committed or {}).items():
                if name in self.collections:
                    self._remembered.update({(name, doc_id): doc for doc_id, doc in docs.items()})
        where = (
            dict.fromkeys(self.collections)
            if ALL in announced
            else {name: ids for name, ids in announced.items() if name in self.collections}
        )
        with self._named_lock:
            self._named = merge_announced(self._named, where)
        self._wake.set()

    def _named_by_stream(self, collection: str) -> None:
        """The change stream saw ``collection`` marked pending: look after the grace (once for
        every mark meanwhile)."""
        if collection not in self.collections:
            return
        if self.stream_grace <= 0:
            self._name(collection)
            self._wake.set()
            return
        with self._named_lock:
            if collection in self._due:
                return
            self._due.add(collection)
        timer = threading.Timer(self.stream_grace, self._grace_over, args=(collection,))
        timer.daemon = True
        timer.start()

    def _grace_over(self, collection: str) -> None:
        with self._named_lock:
            self._due.discard(collection)
            self._named = merge_announced(self._named, {collection: None})
        self._wake.set()

    def relay_named(self) -> int:
        """Publish what is pending where the last notices and the stream pointed."""
        with self._named_lock:
            named, self._named = self._named, {}
        return self._relay(named)

    def _relay_document(self, collection: Collection, doc: Mapping[str, Any]) -> int:
        envelopes = doc.get("outbox") or []
        for envelope in envelopes:
            self.publisher.publish_event(envelope)
        settle(collection, doc["_id"], [e["id"] for e in envelopes])
        return len(envelopes)

    def run(self, stop: threading.Event) -> None:
        """Relay until ``stop`` is set; errors back off and retry, never drop an event."""
        with _relays_lock:
            _relays.add(self)
        threading.Thread(target=self._watch, args=(stop,), name="outbox-watch", daemon=True).start()
        try:
            self._loop(stop, self._wake)
        finally:
            with _relays_lock:
                _relays.discard(self)

    def _loop(self, stop: threading.Event, wake: threading.Event) -> None:
        delay, woken = self.poll_interval, False
        while not stop.is_set():
            wake.clear()
            try:
                if woken and self.watching.is_set():  # the stream names where to look
                    self.relay_named()
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
                    self._named = dict.fromkeys(self.collections)
            self.resting.set()
            woken = (woken and self._has_named()) or _woken(stop, wake, delay)
            if woken:
                delay = self.poll_interval
            self.resting.clear()

    def _has_named(self) -> bool:
        with self._named_lock:
            return bool(self._named)

    def _watch(self, stop: threading.Event) -> None:
        """Name the collections where any process marks a document pending (see the module)."""
        quickest = max(QUICKEST_ASK, self.stream_grace / 2)
        while not stop.is_set():
            try:
                with self.mongo.db.watch(
                    self._pending_changes(), max_await_time_ms=30_000
                ) as stream:
                    self.collections_seen_closed(self._wake)
                    pause = SLOWEST_ASK
                    while not stop.is_set():
                        asked = time.monotonic()
                        change = stream.try_next()
                        if change is not None:
                            self._named_by_stream(str((change.get("ns") or {}).get("coll")))
                        pause = max(ask_again_after(pause, change is not None), quickest)
                        if change is None or quickest > QUICKEST_ASK:
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
            self._named = dict.fromkeys(self.collections)
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


class PromptRelay:
    """An API process's relay: publishes, right after each commit, what that commit put in the
    outbox — and nothing else (no stream, no polling: the worker's relay is the safety net).

    The web layer notifies it after each response (``passage.service``). Its thread starts with
    the first notice in the process that serves requests, never at import or in gunicorn's master
    (the driver and the broker connection are not fork-safe).
    """

    def __init__(self, relay: OutboxRelay) -> None:
        self.relay = relay
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._pid: int | None = None

    def notify(self, announced: Announced, committed: Committed | None = None) -> None:
        self.relay.notify(announced, committed)  # names them; the thread below looks there
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="outbox-prompt", daemon=True).start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            try:
                self.relay.relay_named()
                if self.relay._has_named():  # a full batch: more is waiting
                    self._wake.set()
            except Exception as exc:  # the worker's relay publishes it later: nothing is lost
                log.warning("prompt relay failed", extra={"error": type(exc).__name__})


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
