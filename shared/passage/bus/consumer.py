"""The one consumer base: idempotent inbox, ack after commit, back-off, dead letters.

For every message: decode and validate (else dead-letter at once), then in one MongoDB
transaction record ``event.id`` in the inbox and apply the handler's effect, then ack. A
redelivered event finds its inbox entry and changes nothing. A subscription whose handlers are
idempotent by themselves (a read model that keeps the newest fact and ignores an older or equal
one) skips the inbox and the transaction: its one conditional write is the effect, and a
redelivery changes nothing anyway — two round trips fewer per event. Infrastructure errors (database
or broker away) back off and retry without limit; a handler error is retried with back-off up
to ``max_attempts`` and then dead-lettered. Nothing is acked after an exception.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kombu import Connection, Message
from kombu.mixins import ConsumerMixin
from pymongo.client_session import ClientSession
from pymongo.errors import ConnectionFailure, DuplicateKeyError

from passage import logs, metrics, tracing
from passage.bus.connection import broker_connection, is_mongo_transport
from passage.bus.embedded import DEFAULT_LEASE_SECONDS
from passage.bus.outbox import after_commit
from passage.bus.publisher import Publisher
from passage.bus.topology import ROUTES, Topology
from passage.events.envelope import Envelope
from passage.events.registry import EventInvalid, validate_event
from passage.mongo import Index, Mongo

log = logging.getLogger(__name__)

Handler = Callable[[Envelope, ClientSession | None], None]
INBOX = "inbox"
INBOX_INDEXES = [
    Index(INBOX, [("processed_at", 1)], name="inbox_ttl", expire_after_seconds=90 * 86400)
]


class _AlreadyProcessed(Exception):
    """The inbox already holds this event for this queue."""


class Unprocessable(Exception):
    """Raised by a handler for an event that can never succeed: dead-letter it at once."""


@dataclass(frozen=True)
class Subscription:
    """The handlers behind one durable queue (``ROUTES`` key), by routing key."""

    queue: str
    handlers: Mapping[str, Handler]
    #: Every handler is idempotent by itself: applied twice (or an older event after a newer one),
    #: it changes nothing the second time. Then no inbox marker and no transaction: the handler
    #: gets no session and its own conditional write is the whole effect.
    idempotent: bool = False

    def __post_init__(self) -> None:
        unknown = set(self.handlers) - set(ROUTES[self.queue])
        missing = set(ROUTES[self.queue]) - set(self.handlers)
        if unknown or missing:
            raise ValueError(
                f"{self.queue}: handlers {sorted(unknown)} not routed, {sorted(missing)} unhandled"
            )


class EventConsumer(ConsumerMixin):
    """Consumes the given subscriptions until ``stop`` is set."""

    def __init__(
        self,
        broker_url: str,
        topology: Topology,
        mongo: Mongo,
        publisher: Publisher,
        subscriptions: list[Subscription],
        *,
        max_attempts: int = 5,
        base_delay: float = 0.2,
        max_delay: float = 5.0,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
    ) -> None:
        self.connection: Connection = broker_connection(broker_url, lease_seconds=lease_seconds)
        self.topology = topology
        self.mongo = mongo
        self.publisher = publisher
        self.subscriptions = {topology.queue_name(s.queue): s for s in subscriptions}
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.prefetch = 1 if is_mongo_transport(broker_url) else 10
        self.processed = 0
        self._stop = threading.Event()

    # kombu ConsumerMixin wiring -------------------------------------------------------------
    def get_consumers(self, Consumer, channel):
        self.topology.declare(channel)
        consumers = []
        for queue_name, subscription in self.subscriptions.items():
            consumer = Consumer(
                queues=[self.topology.queue(subscription.queue)],
                callbacks=[self._callback_for(queue_name)],
                accept=["json"],
                prefetch_count=self.prefetch,
                on_decode_error=self._decode_error_for(queue_name),
            )
            consumers.append(consumer)
        return consumers

    def on_connection_error(self, exc: Exception, interval: float) -> None:
        log.warning(
            "bus unreachable, retrying", extra={"error": type(exc).__name__, "in_seconds": interval}
        )

    def run_until(self, stop: threading.Event) -> None:
        """Run in this thread until ``stop`` is set."""
        watcher = threading.Thread(target=self._watch, args=(stop,), daemon=True)
        watcher.start()
        self.run()

    def _watch(self, stop: threading.Event) -> None:
        stop.wait()
        self.should_stop = True

    # message handling -----------------------------------------------------------------------
    def _callback_for(self, queue_name: str) -> Callable[[Any, Message], None]:
        return lambda body, message: self.handle_message(queue_name, body, message)

    def _decode_error_for(self, queue_name: str) -> Callable[[Message, Exception], None]:
        def on_decode_error(message: Message, exc: Exception) -> None:
            self.dead_letter(queue_name, message, f"undecodable: {type(exc).__name__}", attempts=0)

        return on_decode_error

    def handle_message(self, queue_name: str, body: Any, message: Message) -> None:
        """Validate, apply once, ack; or dead-letter. Never acks after an unhandled failure."""
        try:
            raw = json.loads(body) if isinstance(body, (bytes, str)) else body
            event = validate_event(raw)
            handler = self.subscriptions[queue_name].handlers.get(event.routing_key)
            if handler is None:
                raise EventInvalid(f"no handler for {event.routing_key} on {queue_name}")
        except (EventInvalid, ValueError, KeyError, TypeError) as exc:
            self.dead_letter(queue_name, message, f"invalid: {exc}", attempts=0)
            return
        token = logs.correlation_id.set(event.correlation_id)
        try:
            with tracing.continued(
                f"consume {event.type}",
                event.traceparent,
                {"messaging.destination.name": queue_name},
            ):
                self._apply_with_retry(queue_name, event, handler, message)
        finally:
            logs.correlation_id.reset(token)

    def _apply_with_retry(
        self, queue_name: str, event: Envelope, handler: Handler, message: Message
    ) -> None:
        attempts = outages = 0
        while True:
            try:
                self.apply_once(queue_name, event, handler)
            except Unprocessable as exc:
                self.dead_letter(
                    queue_name, message, f"unprocessable: {exc}", attempts=attempts + 1
                )
                return
            except (ConnectionFailure, OSError) as exc:
                # The database is away: not the message's fault, so no attempt is counted,
                # but the wait still grows so an outage is not hammered.
                outages += 1
                log.warning(
                    "database unreachable while handling event",
                    extra={"event_id": event.id, "error": type(exc).__name__},
                )
            except Exception as exc:  # a handler bug or a transient error: count it
                attempts += 1
                log.warning(
                    "event handler failed",
                    exc_info=True,
                    extra={"event_id": event.id, "type": event.type, "attempt": attempts},
                )
                if attempts >= self.max_attempts:
                    self.dead_letter(
                        queue_name,
                        message,
                        f"failed {attempts} times: {type(exc).__name__}",
                        attempts=attempts,
                    )
                    return
            else:
                # Committed. An ack that fails now (broker connection lost) is not the handler's
                # fault: let it propagate so kombu reconnects; the broker redelivers the message
                # and the inbox absorbs it. Retrying the ack here would spin on a dead channel.
                message.ack()
                self.processed += 1
                metrics.events_consumed.labels(queue_name, event.type).inc()
                log.info(
                    "event handled",
                    extra={"queue": queue_name, "event_id": event.id, "type": event.type},
                )
                return
            if self.should_stop:
                return  # not acked: the broker redelivers it to the next consumer
            time.sleep(min(self.base_delay * 2 ** (attempts + outages), self.max_delay))
            _keep_lease(message)

    def apply_once(self, queue_name: str, event: Envelope, handler: Handler) -> bool:
        """Inbox marker and effect in one transaction; False when already processed.

        No look before: the marker's insert is the check (a redelivery, rare, meets the duplicate
        key and the transaction is dropped), so a first delivery costs no extra query. An idempotent
        subscription's handler runs alone (True: done, whether or not it changed anything).
        """
        try:
            return self._apply(queue_name, event, handler)
        finally:
            after_commit()  # the effect's own events go out now, from this process's relay

    def _apply(self, queue_name: str, event: Envelope, handler: Handler) -> bool:
        if self.subscriptions[queue_name].idempotent:
            handler(event, None)  # a duplicate changes nothing by the handler's own design
            return True
        inbox = self.mongo.collection(INBOX)
        key = f"{queue_name}:{event.id}"

        def work(session: ClientSession) -> bool:
            try:
                inbox.insert_one(
                    {"_id": key, "type": event.type, "processed_at": datetime.now(UTC)},
                    session=session,
                )
            except DuplicateKeyError:
                raise _AlreadyProcessed() from None
            handler(event, session)  # its own DuplicateKeyError is a failure, never "done"
            return True

        try:
            return self.mongo.transaction(work)
        except _AlreadyProcessed:
            return False  # a concurrent consumer applied it first

    def dead_letter(self, queue_name: str, message: Message, reason: str, *, attempts: int) -> None:
        """Park the original bytes in ``<queue>.dlq`` (confirmed), then ack the original."""
        headers = {
            "x-passage-original-queue": queue_name,
            "x-passage-reason": reason[:500],
            "x-passage-attempts": attempts,
            "x-passage-dead-lettered-at": datetime.now(UTC).isoformat(),
        }
        body = message.body if isinstance(message.body, bytes) else str(message.body).encode()
        while True:
            try:
                self.publisher.publish_raw(
                    body,
                    self.topology.dead_letter_exchange(),
                    queue_name,
                    headers=headers,
                    content_type=message.content_type or "application/octet-stream",
                )
                break
            except Exception as exc:  # keep the message until the dead letter is safe
                log.warning("dead-lettering failed, retrying", extra={"error": type(exc).__name__})
                if self.should_stop:
                    return
                time.sleep(1.0)
        log.error(
            "event dead-lettered",
            extra={"queue": queue_name, "reason": reason[:200], "attempts": attempts},
        )
        message.ack()
        routing_key = (message.delivery_info or {}).get("routing_key") or "unknown"
        kind = reason.split(":")[0].split(" ")[0]  # invalid, unprocessable, failed, undecodable
        metrics.events_dead_lettered.labels(queue_name, metrics.event_type(routing_key), kind).inc()


def _keep_lease(message: Message) -> None:
    """On the embedded bus, keep a message that is still being retried invisible to others.

    Best effort: if the database is away the lease may run out and another consumer fetch the
    message too; the inbox then lets only one of them apply it.
    """
    renew = getattr(message.channel, "renew_lease", None)
    if renew is None:
        return
    try:
        renew(message.delivery_tag)
    except Exception as exc:
        log.warning("could not renew a message lease", extra={"error": type(exc).__name__})
