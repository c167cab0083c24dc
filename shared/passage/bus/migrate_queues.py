"""Admin command: turn Passage's classic RabbitMQ queues into quorum queues without losing a
message.

    python -m passage.bus.migrate_queues            # migrate every queue that is still classic
    python -m passage.bus.migrate_queues --check    # only say which queues need it (exit 1 if any)

Stop the workers (consumers) first: a queue with a consumer is refused. The APIs' outbox relays
may keep publishing. For each classic queue: a temporary quorum queue ``<name>.migrating`` gets
the same bindings (new events land there too), the classic queue is unbound, its messages are
copied over with publisher confirms and acked one by one, it is deleted and declared again as a
quorum queue, and the temporary queue is drained into it and deleted. A crash at any step leaves
every message in at least one queue; running the command again finishes the job. Messages may
arrive twice: the consumers' inbox absorbs duplicates. The MongoDB transport has nothing to do.
"""

from __future__ import annotations

import argparse
import sys

from amqp.exceptions import NotFound, PreconditionFailed
from kombu import Connection, Producer, Queue

from passage.bus.connection import broker_connection, is_mongo_transport
from passage.bus.topology import Topology
from passage.config import Settings


class MigrationRefused(RuntimeError):
    """The migration cannot run safely now (the message says why)."""


def is_classic(conn: Connection, queue: Queue) -> bool:
    """True when ``queue`` exists but refuses the quorum declaration (a fresh channel each try)."""
    channel = conn.channel()
    try:
        queue(channel).queue_declare(passive=True)
    except NotFound:
        return False
    _close(channel)
    channel = conn.channel()
    try:
        queue(channel).queue_declare()
        return False
    except PreconditionFailed:
        return True
    finally:
        _close(channel)


def needing_migration(conn: Connection, topology: Topology) -> list[Queue]:
    return [q for q in topology.all_queues() if is_classic(conn, q)]


def migrate(conn: Connection, queue: Queue) -> int:
    """Move one classic queue's messages into its quorum replacement; returns how many moved."""
    channel = conn.channel()
    _, messages, consumers = channel.queue_declare(queue.name, passive=True)
    if consumers:
        raise MigrationRefused(f"{queue.name} has {consumers} consumer(s): stop the workers first")
    temporary = Queue(
        f"{queue.name}.migrating",
        durable=True,
        bindings=_bindings(queue),
        queue_arguments={"x-queue-type": "quorum"},
    )
    temporary(channel).declare()
    for b in _bindings(queue):
        channel.queue_unbind(queue.name, b.exchange.name, b.routing_key)
    moved = _move(conn, queue.name, temporary.name)
    channel.queue_delete(queue.name, if_empty=True)
    queue(channel).declare()  # the quorum queue, bound again
    for b in _bindings(queue):
        channel.queue_unbind(temporary.name, b.exchange.name, b.routing_key)
    _move(conn, temporary.name, queue.name)
    if channel.queue_declare(temporary.name, passive=True)[
        1
    ]:  # quorum queues refuse if_empty deletes
        raise MigrationRefused(f"{temporary.name} still holds messages; run the command again")
    channel.queue_delete(temporary.name)
    _close(channel)
    return moved


def _bindings(queue: Queue) -> list:
    if queue.bindings:
        return list(queue.bindings)
    from kombu import binding

    return [binding(queue.exchange, routing_key=queue.routing_key)]


def _move(conn: Connection, source: str, target: str) -> int:
    """Copy each message (confirmed) to ``target`` through the default exchange, then ack it."""
    channel = conn.channel()
    producer = Producer(channel)
    moved = 0
    while (message := channel.basic_get(source, no_ack=False)) is not None:
        props = message.properties
        producer.publish(
            message.body,
            exchange="",
            routing_key=target,
            delivery_mode=2,
            content_type=props.get("content_type"),
            content_encoding=props.get("content_encoding"),
            headers=props.get("application_headers") or {},
            message_id=props.get("message_id"),
        )
        channel.basic_ack(message.delivery_tag)
        moved += 1
    _close(channel)
    return moved


def _close(channel: object) -> None:
    try:
        channel.close()  # type: ignore[attr-defined]
    except Exception:  # a channel the broker closed already (after PRECONDITION_FAILED)
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m passage.bus.migrate_queues", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--check", action="store_true", help="only list the queues still classic; exit 1 if any"
    )
    args = parser.parse_args(argv)
    settings = Settings.from_env("admin")
    if is_mongo_transport(settings.broker_url):
        print("the MongoDB transport has no queue types: nothing to migrate")
        return 0
    topology = Topology(settings.bus_prefix)
    with broker_connection(settings.broker_url) as conn:
        pending = needing_migration(conn, topology)
        for queue in pending:
            print(
                f"{queue.name}: classic"
                if args.check
                else f"{queue.name}: moved {migrate(conn, queue)} message(s)"
            )
    if args.check:
        return 1 if pending else 0
    print("every queue is a quorum queue")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except MigrationRefused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        sys.exit(2)
