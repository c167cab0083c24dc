"""kombu connections configured the same way for both transports."""
from __future__ import annotations

from kombu import Connection


def is_mongo_transport(url: str) -> bool:
    return url.startswith("mongodb://") or url.startswith("mongodb+srv://")


def broker_connection(url: str) -> Connection:
    """A kombu Connection: publisher confirms on AMQP, a short polling interval on MongoDB.

    Without confirms kombu can silently lose the first publish after a reconnect; with them a
    publish either is acknowledged by the broker or raises, and the caller keeps the event.
    """
    if is_mongo_transport(url):
        options = {"polling_interval": 0.1, "ttl": False}
    else:
        options = {"confirm_publish": True}
    return Connection(url, transport_options=options, connect_timeout=5, heartbeat=0)
