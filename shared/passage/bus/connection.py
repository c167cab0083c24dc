"""kombu connections configured the same way for both transports."""
from __future__ import annotations

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
    Channel = _MongoChannel


def is_mongo_transport(url: str) -> bool:
    return url.startswith("mongodb://") or url.startswith("mongodb+srv://")


def broker_connection(url: str) -> Connection:
    """A kombu Connection: publisher confirms on AMQP, a short polling interval on MongoDB.

    Without confirms kombu can silently lose the first publish after a reconnect; with them a
    publish either is acknowledged by the broker or raises, and the caller keeps the event.
    """
    if is_mongo_transport(url):
        options = {"polling_interval": 0.1, "ttl": False}
        return Connection(url, transport=_MongoTransport, transport_options=options, connect_timeout=5, heartbeat=0)
    return Connection(url, transport_options={"confirm_publish": True}, connect_timeout=5, heartbeat=0)
