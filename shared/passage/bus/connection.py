"""kombu connections configured the same way for both transports."""
from __future__ import annotations

import socket
import time
from typing import Any

from kombu import Connection
from kombu.transport import mongodb
from pymongo.errors import CollectionInvalid


class _MongoChannel(mongodb.Channel):
    """kombu's MongoDB channel, safe when several processes connect to a fresh database at once.

    Each new connection creates the capped ``messages.broadcast`` collection after checking it
    is missing; two processes starting together race there and the loser's ``CollectionInvalid``
    would stop its worker. The collection existing is all that matters.
    """

    def _create_broadcast(self, database) -> None:
        try:
            super()._create_broadcast(database)
        except CollectionInvalid:
            pass


class _MongoTransport(mongodb.Transport):
    """kombu's MongoDB transport, polling less often while its queues stay empty.

    kombu polls every ``polling_interval`` (0.1 s) forever: ten queries a second per consumer
    with nothing to do. Here each empty poll doubles the wait, up to ``idle_polling_interval``
    (5 s); a delivered message brings it back to ``polling_interval``. The trade-off: the first
    message after a quiet spell waits up to ``idle_polling_interval``; a busy queue is polled as before.
    """

    Channel = _MongoChannel

    def __init__(self, client: Any, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self.idle_polling_interval = float(client.transport_options.get("idle_polling_interval", 5.0))
        self._wait = self.polling_interval or 0.1
        self._next_poll = 0.0

    def drain_events(self, connection: Any, timeout: float | None = None) -> None:
        ends = None if timeout is None else time.monotonic() + timeout
        while True:
            pause = self._next_poll - time.monotonic()
            if pause > 0:
                if ends is not None and time.monotonic() + pause >= ends:
                    time.sleep(max(0.0, ends - time.monotonic()))
                    raise socket.timeout()
                time.sleep(pause)
            try:
                self.cycle.get(self._deliver, timeout=timeout)
            except mongodb.Empty:
                self._next_poll = time.monotonic() + self._wait
                self._wait = min(self._wait * 2, self.idle_polling_interval)
                continue
            self._wait, self._next_poll = self.polling_interval or 0.1, 0.0
            return


def is_mongo_transport(url: str) -> bool:
    return url.startswith("mongodb://") or url.startswith("mongodb+srv://")


def broker_connection(url: str) -> Connection:
    """A kombu Connection: publisher confirms on AMQP, a short polling interval on MongoDB (longer when idle).

    Without confirms kombu can silently lose the first publish after a reconnect; with them a
    publish either is acknowledged by the broker or raises, and the caller keeps the event.
    """
    if is_mongo_transport(url):
        options = {"polling_interval": 0.1, "idle_polling_interval": 5.0, "ttl": False}
        return Connection(url, transport=_MongoTransport, transport_options=options, connect_timeout=5, heartbeat=0)
    return Connection(url, transport_options={"confirm_publish": True}, connect_timeout=5, heartbeat=0)
