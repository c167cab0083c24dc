"""The outbox: events written inside the changed document, and the relay that publishes them.

A state change and the events it causes go into MongoDB in one atomic write (``outbox`` array
in the aggregate document, flagged by ``outbox_pending``). The relay publishes each envelope
with confirms and only then pulls it, so a crash in between duplicates and never loses; the
consumers' inbox absorbs the duplicate.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Iterable, Mapping, Sequence


from passage import metrics, tracing
from passage.bus.publisher import Publisher
from passage.events.envelope import Envelope
from passage.mongo import Index, Mongo

log = logging.getLogger(__name__)


def outbox_fields(events: Sequence[Envelope]) -> dict[str, Any]:
    """Fields for a new document whose creation causes ``events``."""
    return {"outbox": [_traced(e) for e in events], "outbox_pending": True} if events else {}


def with_outbox(update: Mapping[str, Any], events: Sequence[Envelope]) -> dict[str, Any]:
    """Merge "append these events" into a MongoDB update document."""
    merged = {op: dict(fields) for op, fields in update.items()}
    if events:
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
        Index(name, [("outbox_pending", 1)], name="outbox_pending",
              partial={"outbox_pending": {"$exists": True}})
        for name in collections
    ]


class OutboxRelay:
    """Moves pending envelopes from documents to the bus; within a document, in the order written."""

    def __init__(self, mongo: Mongo, publisher: Publisher, collections: Sequence[str],
                 *, batch_size: int = 100, poll_interval: float = 0.1) -> None:
        self.mongo = mongo
        self.publisher = publisher
        self.collections = list(collections)
        self.batch_size = batch_size
        self.poll_interval = poll_interval

    def relay_once(self) -> int:
        """Publish what is pending now; returns how many envelopes went out."""
        sent = 0
        for name in self.collections:
            collection = self.mongo.collection(name)
            pending = list(collection.find({"outbox_pending": True}, {"outbox": 1}).limit(self.batch_size))
            # The backlog this pass found (capped at the batch size): no extra count query per poll.
            metrics.outbox_backlog.labels(name).set(len(pending))
            for doc in pending:
                sent += self._relay_document(collection, doc)
        return sent

    def _relay_document(self, collection, doc: Mapping[str, Any]) -> int:
        envelopes = doc.get("outbox") or []
        for envelope in envelopes:
            self.publisher.publish_event(envelope)
        ids = [e["id"] for e in envelopes]
        if ids:
            collection.update_one({"_id": doc["_id"]}, {"$pull": {"outbox": {"id": {"$in": ids}}}})
        # Clear the flag only if nothing new was pushed meanwhile (the filter sees the array).
        collection.update_one({"_id": doc["_id"], "outbox": {"$size": 0}}, {"$unset": {"outbox_pending": ""}})
        return len(ids)

    def run(self, stop: threading.Event) -> None:
        """Relay until ``stop`` is set; errors back off and retry, never drop an event."""
        delay = self.poll_interval
        while not stop.is_set():
            try:
                sent = self.relay_once()
                delay = self.poll_interval
            except Exception as exc:  # broker or database down: keep the events, back off
                log.warning("outbox relay paused", extra={"error": type(exc).__name__})
                sent = 0
                delay = min(max(delay * 2, 0.5), 5.0)
            if not sent:
                stop.wait(delay)
