"""Classic queues left by an earlier version become quorum queues with every message kept."""

from __future__ import annotations

import pytest
from kombu import Exchange, Producer, Queue

from passage.bus.connection import broker_connection
from passage.bus.migrate_queues import MigrationRefused, is_classic, migrate, needing_migration
from passage.bus.topology import QueueNeedsMigration, Topology

QUEUE = "readmission.detention_location"
KEY = "detention.stay.opened.v1"


def _classic_like_before(conn, topology: Topology) -> Queue:
    """The queue as the classic topology declared it (same name and bindings, no arguments)."""
    quorum = topology.queue(QUEUE)
    classic = Queue(quorum.name, bindings=list(quorum.bindings), durable=True)
    classic(conn.channel()).declare()
    return classic


def _publish(conn, topology: Topology, bodies: list[bytes]) -> None:
    producer = Producer(conn.channel())
    for body in bodies:
        producer.publish(
            body,
            exchange=topology.events_exchange("detention"),
            routing_key=KEY,
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=2,
            headers={"x-probe": "kept"},
        )


def test_a_classic_queue_is_refused_clearly_then_migrated_with_its_messages(
    rabbit_url: str, bus_prefix: str
) -> None:
    topology = Topology(bus_prefix)
    with broker_connection(rabbit_url) as conn:
        Exchange(topology.events_exchange("detention").name, type="topic", durable=True)(
            conn.channel()
        ).declare()
        _classic_like_before(conn, topology)
        bodies = [b'{"n": %d}' % i for i in range(5)]
        _publish(conn, topology, bodies)
        with pytest.raises(QueueNeedsMigration, match="migrate_queues"):
            topology.declare(conn.channel())
        pending = needing_migration(conn, topology)
        assert [q.name for q in pending] == [topology.queue_name(QUEUE)]
        assert migrate(conn, pending[0]) == 5
        assert not is_classic(conn, topology.queue(QUEUE))
        topology.declare(conn.channel())  # the whole topology declares now
        channel = conn.channel()
        got = []
        while (message := channel.basic_get(topology.queue_name(QUEUE), no_ack=True)) is not None:
            got.append(
                (_bytes(message.body), message.properties["application_headers"].get("x-probe"))
            )
        assert sorted(got) == sorted((b, "kept") for b in bodies)
        _publish(conn, topology, [b'{"n": "after"}'])  # the quorum queue is bound like the old one
        assert (
            _bytes(channel.basic_get(topology.queue_name(QUEUE), no_ack=True).body)
            == b'{"n": "after"}'
        )


def _bytes(body: bytes | str) -> bytes:
    return body.encode() if isinstance(body, str) else body


def test_a_queue_with_a_running_consumer_is_not_migrated(rabbit_url: str, bus_prefix: str) -> None:
    topology = Topology(bus_prefix)
    with broker_connection(rabbit_url) as conn:
        Exchange(topology.events_exchange("detention").name, type="topic", durable=True)(
            conn.channel()
        ).declare()
        classic = _classic_like_before(conn, topology)
        _publish(conn, topology, [b'{"n": 1}'])
        listening = conn.channel()
        listening.basic_consume(classic.name, callback=lambda message: None)
        with pytest.raises(MigrationRefused, match="stop the workers"):
            migrate(conn, topology.queue(QUEUE))
        assert is_classic(conn, topology.queue(QUEUE))


def test_removing_a_prefix_deletes_its_queues_and_exchanges_and_nothing_else(
    rabbit_url: str, bus_prefix: str
) -> None:
    """What the benchmarks and the tests' cleanup call when their own bus is done."""
    from amqp.exceptions import NotFound

    mine, other = Topology(bus_prefix), Topology(f"{bus_prefix}other.")
    with broker_connection(rabbit_url) as conn:
        mine.declare(conn.channel())
        other.declare(conn.channel())
        try:
            mine.remove(conn.channel())
            for queue in mine.all_queues():
                with pytest.raises(NotFound):
                    conn.channel().queue_declare(queue.name, passive=True)
            for exchange in mine.exchanges():
                with pytest.raises(NotFound):
                    conn.channel().exchange_declare(exchange.name, exchange.type, passive=True)
            for queue in other.all_queues():
                conn.channel().queue_declare(queue.name, passive=True)  # still there
        finally:
            other.remove(conn.channel())
