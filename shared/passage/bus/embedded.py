"""The embedded bus: kombu's MongoDB transport made at-least-once with leases on messages.

kombu's own channel deletes a message document when a consumer fetches it, so a consumer
killed with SIGKILL before it acknowledges loses that message (RabbitMQ would redeliver it).
Here fetching *leases* the document instead: it stays in ``messages`` with ``leased_until``
set, invisible to other consumers until the lease runs out; the acknowledgement deletes it; a
requeue (or a clean shutdown) lifts the lease at once. A consumer that dies holding a lease
loses nothing: when the lease expires the next fetch delivers the message again, and the
consumer's inbox turns that second delivery into no second effect.

The delivery tag names the document and its delivery number (``<_id>:<n>``), so an ack needs
no state kept in the channel and a stale release (after the lease passed to another consumer)
changes nothing. Lease times come from this process's clock: the embedded bus is for one
machine; several machines share a RabbitMQ broker instead.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from queue import Empty
from typing import Any

import pymongo
from bson import ObjectId
from bson.errors import InvalidId
from kombu.transport import mongodb
from kombu.utils.encoding import bytes_to_str
from kombu.utils.json import loads
from pymongo.errors import CollectionInvalid, PyMongoError

log = logging.getLogger(__name__)

#: How long a fetched message stays invisible to other consumers without an ack. Longer than
#: a handler's worst case (its retries back off to 5 s, and the consumer renews the lease
#: before each retry), short enough that a killed worker's message comes back soon.
DEFAULT_LEASE_SECONDS = 30.0
#: How long a channel routes by the bindings it last read (kombu reads them on every publish).
#: Passage's bindings are declared by every publisher before its first publish and then do not
#: change, so a binding made elsewhere reaches this publisher at most this much later.
ROUTES_FRESH_SECONDS = 10.0


def _lease_of(delivery_tag: Any) -> tuple[ObjectId, int] | None:
    """(document id, delivery number) from a leased delivery tag; None for any other tag."""
    doc_id, _, number = str(delivery_tag).partition(":")
    try:
        return ObjectId(doc_id), int(number)
    except (InvalidId, TypeError, ValueError):
        return None


class LeasedChannel(mongodb.Channel):
    """kombu's MongoDB channel with fetch = lease, ack = delete, requeue = release."""

    lease_seconds = DEFAULT_LEASE_SECONDS
    # kombu's stubs type this as a fixed-length tuple; one more option is still a tuple of names.
    from_transport_options: tuple[str, ...] = (  # type: ignore[assignment]
        *mongodb.Channel.from_transport_options,
        "lease_seconds",
    )

    def _create_broadcast(self, database: Any) -> None:
        # Two processes starting on a fresh database race to create the capped broadcast
        # collection; the loser's CollectionInvalid would stop its worker. Existing is enough.
        try:
            super()._create_broadcast(database)
        except CollectionInvalid:
            pass

    def get_table(self, exchange: str) -> Any:
        """The exchange's bindings, read again from the database after ``ROUTES_FRESH_SECONDS``."""
        routes = self.__dict__.setdefault("_routes_read", {})
        now = time.monotonic()
        cached = routes.get(exchange)
        if cached is not None and cached[0] > now:
            return cached[1]
        table = super().get_table(exchange)
        routes[exchange] = (now + ROUTES_FRESH_SECONDS, table)
        return table

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        super()._queue_bind(exchange, routing_key, pattern, queue)
        self.__dict__.setdefault("_routes_read", {}).clear()  # this channel's own bindings at once

    def _get(self, queue: str, timeout: float | None = None) -> dict[str, Any]:
        if queue in self._fanout_queues:
            return super()._get(queue)
        now = datetime.now(UTC)
        doc = self.messages.find_one_and_update(
            {"queue": queue, "$or": [{"leased_until": None}, {"leased_until": {"$lte": now}}]},
            {
                "$set": {"leased_until": now + timedelta(seconds=float(self.lease_seconds))},
                "$inc": {"deliveries": 1},
            },
            sort=[("priority", pymongo.ASCENDING), ("_id", pymongo.ASCENDING)],
            return_document=pymongo.ReturnDocument.AFTER,
        )
        if doc is None:
            raise Empty()
        payload: dict[str, Any] = loads(bytes_to_str(doc["payload"]))
        payload["properties"]["delivery_tag"] = f"{doc['_id']}:{doc['deliveries']}"
        payload["redelivered"] = doc["deliveries"] > 1
        return payload

    def basic_ack(self, delivery_tag: Any, multiple: bool = False) -> None:
        """Delete the document first: if that fails the ack fails and the lease will expire."""
        lease = _lease_of(delivery_tag)
        if lease is not None:
            self.messages.delete_one({"_id": lease[0]})
        super().basic_ack(delivery_tag, multiple=multiple)

    def basic_reject(self, delivery_tag: Any, requeue: bool = False) -> None:
        lease = _lease_of(delivery_tag)
        if lease is not None and not requeue:
            self.messages.delete_one({"_id": lease[0]})
        super().basic_reject(delivery_tag, requeue=requeue)

    def _restore(self, message: Any) -> None:
        """Requeue or shutdown: lift our lease (a copy would deliver the message twice)."""
        lease = _lease_of(message.delivery_tag)
        if lease is None:
            super()._restore(message)
            return
        try:
            self.messages.update_one(
                {"_id": lease[0], "deliveries": lease[1]}, {"$unset": {"leased_until": ""}}
            )
        except PyMongoError as exc:  # the lease runs out on its own; nothing is lost
            log.warning("could not release a message lease", extra={"error": type(exc).__name__})

    def renew_lease(self, delivery_tag: Any) -> None:
        """Keep a message invisible while its handler is still retrying."""
        lease = _lease_of(delivery_tag)
        if lease is None:
            return
        until = datetime.now(UTC) + timedelta(seconds=float(self.lease_seconds))
        self.messages.update_one(
            {"_id": lease[0], "deliveries": lease[1]}, {"$set": {"leased_until": until}}
        )


class LeasedTransport(mongodb.Transport):
    Channel = LeasedChannel
