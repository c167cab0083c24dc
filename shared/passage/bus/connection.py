"""kombu connections configured the same way for both transports."""

from __future__ import annotations

import threading
import time
from typing import Any

from kombu import Connection
from kombu.transport import mongodb

from passage.bus.embedded import DEFAULT_LEASE_SECONDS, LeasedTransport
from passage.mongo import HEARTBEAT_MS, SLOWEST_ASK, ask_again_after


class _MongoTransport(LeasedTransport):
    """The leased MongoDB transport, woken by new messages instead of polling ten times a second.

    kombu polls every ``polling_interval`` (0.1 s) forever, every queue of the consumer each time:
    ten queries a second per queue with nothing to do. Here a change stream on the messages
    collection says which queue each new message went to, and only a queue this process consumes
    and that has messages announced is asked (one ``findAndModify`` per message); every queue is
    still asked every ``watched_polling_interval`` (30 s), which also finds messages whose lease
    ran out (a killed consumer's). On a server without change streams each empty poll of all
    queues doubles the wait, up to ``idle_polling_interval`` (5 s), and a delivery brings it back
    to ``polling_interval``. Leases (at-least-once delivery) come from ``LeasedTransport``'s
    channel.
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
        self._announced: dict[str, int] = {}  # queue → messages the change stream reported
        self._announced_lock = threading.Lock()

    def drain_events(self, connection: Any, timeout: float | None = None) -> None:
        self._start_watching()
        ends = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._watching.is_set() and self._deliver_announced():
                return
            pause = self._next_poll - time.monotonic()
            if pause > 0 and not self._arrived.is_set():
                if ends is not None and time.monotonic() + pause >= ends:
                    self._arrived.wait(max(0.0, ends - time.monotonic()))
                    if not self._arrived.is_set():
                        raise TimeoutError()
                else:
                    self._arrived.wait(pause)
            self._arrived.clear()
            if self._watching.is_set() and time.monotonic() < self._next_poll:
                continue  # woken for announced messages: no need to ask every queue
            try:
                self.cycle.get(self._deliver, timeout=timeout)
            except mongodb.Empty:
                self._after_empty_poll()
                continue
            self._wait, self._next_poll = self.polling_interval or 0.1, 0.0
            return

    def _after_empty_poll(self) -> None:
        if self._watching.is_set():
            self._wait = self.watched_polling_interval
        else:
            self._wait = min(self._wait * 2, self.idle_polling_interval)
        self._next_poll = time.monotonic() + self._wait

    def _deliver_announced(self) -> bool:
        """Deliver one message from a queue the change stream announced; False when none is left."""
        while True:
            with self._announced_lock:
                queue = next((q for q, n in self._announced.items() if n > 0), None)
            if queue is None:
                return False
            channel = self._consuming_channel(queue)
            if channel is None:  # another process's queue, or prefetch is full: leave it
                with self._announced_lock:
                    self._announced.pop(queue, None)
                continue
            try:
                message = channel._get(queue)
            except mongodb.Empty:  # taken by another consumer of the queue
                with self._announced_lock:
                    self._announced.pop(queue, None)
                continue
            with self._announced_lock:
                self._announced[queue] = self._announced.get(queue, 1) - 1
            self._deliver(message, queue)
            return True

    def _consuming_channel(self, queue: str) -> Any:
        for channel in self.channels:
            consuming = queue in getattr(channel, "_active_queues", ())
            if consuming and queue not in channel._fanout_queues and channel.qos.can_consume():
                return channel
        return None

    def _start_watching(self) -> None:
        if self._watcher is None and self.channels:
            database = self.channels[0].client
            self._watcher = threading.Thread(
                target=self._watch, args=(database,), name="bus-watch", daemon=True
            )
            self._watcher.start()

    def _watch(self, database: Any) -> None:
        """Note each new message's queue and wake the consumer when it consumes that queue."""
        pipeline = [
            {"$match": {"operationType": "insert", "ns.coll": mongodb.Channel.messages_collection}},
            {"$project": {"fullDocument.queue": 1}},
        ]
        try:
            with database.watch(pipeline, max_await_time_ms=30_000) as stream:
                self._watching.set()
                self._arrived.set()  # one poll of every queue covers what came before the stream
                pause = SLOWEST_ASK
                while True:
                    asked = time.monotonic()
                    change = stream.try_next()
                    if change is not None:
                        self._announce(change)
                    pause = ask_again_after(pause, change is not None)
                    if change is None:
                        time.sleep(max(0.0, pause - (time.monotonic() - asked)))
        except Exception:  # no change streams, or the connection closed: polling carries on alone
            self._watching.clear()
            self._arrived.set()

    def _announce(self, change: Any) -> None:
        queue = (change.get("fullDocument") or {}).get("queue")
        if not isinstance(queue, str) or queue not in self._callbacks:
            return  # another process's queue
        with self._announced_lock:
            self._announced[queue] = self._announced.get(queue, 0) + 1
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
