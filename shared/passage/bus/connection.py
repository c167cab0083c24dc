"""kombu connections configured the same way for both transports."""

from __future__ import annotations

import threading
import time
from typing import Any

from kombu import Connection
from kombu.transport import mongodb

from passage.bus.embedded import DEFAULT_LEASE_SECONDS, LeasedTransport
from passage.mongo import HEARTBEAT_MS


class _MongoTransport(LeasedTransport):
    """The leased MongoDB transport, woken by new messages instead of polling ten times a second.

    kombu polls every ``polling_interval`` (0.1 s) forever: ten queries a second per consumer
    with nothing to do. Here each empty poll doubles the wait, up to ``idle_polling_interval``,
    and a change stream on the messages collection ends the wait as soon as a message is inserted
    (30 s between polls while the stream is open, 5 s on a server without change streams).
    A delivered message brings the wait back to ``polling_interval``. Leases (at-least-once
    delivery) come from ``LeasedTransport``'s channel.
    """

    def __init__(self, client: Any, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        options = client.transport_options
        self.idle_polling_interval = float(options.get("idle_polling_interval", 5.0))
        self.watched_polling_interval = float(options.get("watched_polling_interval", 30.0))
        self._wait = self.polling_interval or 0.1
        self._next_poll = 0.0
        self._arrived = threading.Event()
        self._watching = threading.Event()
        self._watcher: threading.Thread | None = None

    def drain_events(self, connection: Any, timeout: float | None = None) -> None:
        self._start_watching()
        ends = None if timeout is None else time.monotonic() + timeout
        while True:
            pause = self._next_poll - time.monotonic()
            if pause > 0 and not self._arrived.is_set():
                if ends is not None and time.monotonic() + pause >= ends:
                    self._arrived.wait(max(0.0, ends - time.monotonic()))
                    if not self._arrived.is_set():
                        raise TimeoutError()
                else:
                    self._arrived.wait(pause)
            self._arrived.clear()
            try:
                self.cycle.get(self._deliver, timeout=timeout)
            except mongodb.Empty:
                self._next_poll = time.monotonic() + self._wait
                longest = (
                    self.watched_polling_interval
                    if self._watching.is_set()
                    else self.idle_polling_interval
                )
                self._wait = min(self._wait * 2, longest)
                continue
            self._wait, self._next_poll = self.polling_interval or 0.1, 0.0
            return

    def _start_watching(self) -> None:
        if self._watcher is None and self.channels:
            database = self.channels[0].client
            self._watcher = threading.Thread(
                target=self._watch, args=(database,), name="bus-watch", daemon=True
            )
            self._watcher.start()

    def _watch(self, database: Any) -> None:
        """Set ``_arrived`` on every new message; asks at most once a second (a server may answer
        any write)."""
        pipeline = [
            {"$match": {"operationType": "insert", "ns.coll": mongodb.Channel.messages_collection}}
        ]
        try:
            with database.watch(pipeline, max_await_time_ms=30_000) as stream:
                self._watching.set()
                while True:
                    asked = time.monotonic()
                    if stream.try_next() is not None:
                        self._arrived.set()
                    time.sleep(max(0.0, 1.0 - (time.monotonic() - asked)))
        except Exception:  # no change streams, or the connection closed: polling carries on alone
            self._watching.clear()
            self._arrived.set()


def is_mongo_transport(url: str) -> bool:
    return url.startswith(("mongodb://", "mongodb+srv://"))


def broker_connection(url: str, *, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> Connection:
    """A kombu Connection: publisher confirms on AMQP; leased, change-stream-woken messages on
    MongoDB.

    On MongoDB a fetched message stays leased for ``lease_seconds`` until it is acked (see
    ``passage.bus.embedded``), so both transports redeliver what a killed consumer held; idle
    consumers poll less often (see ``_MongoTransport``).

    Without confirms kombu can silently lose the first publish after a reconnect; with them a
    publish either is acknowledged by the broker or raises, and the caller keeps the event.
    """
    if is_mongo_transport(url):
        options = {
            "polling_interval": 0.1,
            "idle_polling_interval": 5.0,
            "ttl": False,
            "lease_seconds": lease_seconds,
        }
        return Connection(
            _with_idle_heartbeat(url),
            transport=_MongoTransport,
            transport_options=options,
            connect_timeout=5,
            heartbeat=0,
        )
    return Connection(
        url, transport_options={"confirm_publish": True}, connect_timeout=5, heartbeat=0
    )


def _with_idle_heartbeat(url: str) -> str:
    """The URL with the stack's idle server check interval, unless it sets its own."""
    if "heartbeatfrequencyms" in url.lower():
        return url
    return f"{url}{'&' if '?' in url else '?'}heartbeatFrequencyMS={HEARTBEAT_MS}"
