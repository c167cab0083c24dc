"""kombu connections configured the same way for both transports."""
from __future__ import annotations

from kombu import Connection

from passage.bus.embedded import DEFAULT_LEASE_SECONDS, LeasedTransport


def is_mongo_transport(url: str) -> bool:
    return url.startswith("mongodb://") or url.startswith("mongodb+srv://")


def broker_connection(url: str, *, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> Connection:
    """A kombu Connection: publisher confirms on AMQP; leased messages on MongoDB.

    On MongoDB a fetched message stays leased for ``lease_seconds`` until it is acked (see
    ``passage.bus.embedded``), so both transports redeliver what a killed consumer held.

    Without confirms kombu can silently lose the first publish after a reconnect; with them a
    publish either is acknowledged by the broker or raises, and the caller keeps the event.
    """
    if is_mongo_transport(url):
        options = {"polling_interval": 0.1, "ttl": False, "lease_seconds": lease_seconds}
        return Connection(url, transport=LeasedTransport, transport_options=options, connect_timeout=5, heartbeat=0)
    return Connection(url, transport_options={"confirm_publish": True}, connect_timeout=5, heartbeat=0)
