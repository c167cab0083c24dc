"""Exchanges, queues and bindings of Passage, declared by every process that touches the bus.

The routes mirror DESIGN §4: one durable topic exchange per source, one durable queue per
consuming service and purpose, plus a dead-letter queue each. Both the relay and the consumers
declare the whole set, so an event published before its consumer ever started is kept.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points

from amqp.exceptions import PreconditionFailed
from kombu import Exchange, Queue, binding
from kombu.transport import pyamqp

# A message the broker has handed out this many times without an ack (a consumer that crashes
# on it every time) is dead-lettered by RabbitMQ itself; the consumer's own retry limit is lower.
DELIVERY_LIMIT = 20

#: The entry-point group under which each service declares its queues: a name (the service) and
#: a ``module:attribute`` naming a mapping ``queue -> routing keys`` (``<type>.v<version>``).
ROUTES_GROUP = "passage.routes"


@functools.cache
def routes() -> dict[str, tuple[str, ...]]:
    """Every installed service's queues and their routing keys, read once from the entry points.

    The library imports no service: each declares its routes in its ``pyproject.toml``
    (``[project.entry-points."passage.routes"]``), so the table is read only when first needed,
    never at import. Two services claiming one queue is a packaging error.
    """
    table: dict[str, tuple[str, ...]] = {}
    owners: dict[str, str] = {}
    for point in sorted(entry_points(group=ROUTES_GROUP), key=lambda p: p.name):
        declared: Mapping[str, Iterable[str]] = point.load()
        for queue, keys in declared.items():
            if queue in owners:
                raise ValueError(f"queue {queue} is declared by {owners[queue]} and {point.name}")
            owners[queue] = point.name
            table[queue] = tuple(keys)
    return table


class _Routes(Mapping[str, tuple[str, ...]]):
    """``ROUTES`` as before (queue -> routing keys), assembled lazily by :func:`routes`."""

    def __getitem__(self, queue: str) -> tuple[str, ...]:
        return routes()[queue]

    def __iter__(self) -> Iterator[str]:
        return iter(routes())

    def __len__(self) -> int:
        return len(routes())

    def __repr__(self) -> str:
        return f"ROUTES({routes()!r})"


# queue (without prefix) -> routing keys ``<type>.v<version>`` it receives
ROUTES: Mapping[str, tuple[str, ...]] = _Routes()


class QueueNeedsMigration(RuntimeError):
    """A queue of the topology exists on RabbitMQ with other arguments (e.g. still classic)."""


@dataclass(frozen=True)
class Topology:
    """Names with a prefix, so tests can isolate themselves on a shared broker."""

    prefix: str = ""

    def events_exchange(self, source: str) -> Exchange:
        return Exchange(f"{self.prefix}{source}.events", type="topic", durable=True)

    def dead_letter_exchange(self) -> Exchange:
        return Exchange(f"{self.prefix}passage.dead-letters", type="direct", durable=True)

    def replay_exchange(self) -> Exchange:
        """Replayed messages go back to exactly one queue, not to every subscriber."""
        return Exchange(f"{self.prefix}passage.replay", type="direct", durable=True)

    def queue_name(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def queue(self, name: str) -> Queue:
        """The consumer queue ``name`` with its event and replay bindings."""
        full = self.queue_name(name)
        bindings = [
            _binding(self.events_exchange(key.split(".", 1)[0]), key) for key in ROUTES[name]
        ]
        bindings.append(_binding(self.replay_exchange(), full))
        return PassageQueue(
            full, bindings=bindings, durable=True, queue_arguments=self.quorum_arguments(name)
        )

    def quorum_arguments(self, name: str) -> dict[str, object]:
        """RabbitMQ arguments of consumer queue ``name``: broker dead-letters keep at-least-once."""
        return {
            "x-queue-type": "quorum",
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-exchange": self.dead_letter_exchange().name,
            "x-dead-letter-routing-key": self.queue_name(name),
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        }

    def dead_letter_queue(self, name: str) -> Queue:
        """``<queue>.dlq``: quorum too, without a delivery limit (listing it requeues every
        message)."""
        full = self.queue_name(name)
        return PassageQueue(
            f"{full}.dlq",
            exchange=self.dead_letter_exchange(),
            routing_key=full,
            durable=True,
            queue_arguments={"x-queue-type": "quorum"},
        )

    def all_queues(self, names: Iterable[str] | None = None) -> list[Queue]:
        names = list(ROUTES) if names is None else list(names)
        return [q for n in names for q in (self.queue(n), self.dead_letter_queue(n))]

    def exchanges(self) -> list[Exchange]:
        """Every exchange: one per event source, dead letters, replays."""
        sources = {key.split(".", 1)[0] for keys in ROUTES.values() for key in keys}
        named = sorted(sources | {"detention", "readmission", "voluntary_return"})
        return [
            *(self.events_exchange(source) for source in named),
            self.dead_letter_exchange(),
            self.replay_exchange(),
        ]

    def declare(self, channel, names: Iterable[str] | None = None) -> None:
        """Declare exchanges, queues and bindings (idempotent)."""
        for exchange in self.exchanges():
            exchange(channel).declare()
        for queue in self.all_queues(names):
            try:
                queue(channel).declare()
            except PreconditionFailed as exc:
                raise QueueNeedsMigration(
                    f"queue {queue.name} exists with other arguments (a classic queue?): "
                    "stop the workers and run "
                    "`python -m passage.bus.migrate_queues` (README, Operations)"
                ) from exc

    def remove(self, channel) -> None:
        """Delete every queue and exchange under this prefix: a test's or a benchmark's own bus
        when it is done (RabbitMQ slows, and once hung, under hundreds of leftover quorum
        queues). Never for a prefix that holds events someone still needs."""
        for queue in self.all_queues():
            channel.queue_delete(queue.name)
        for exchange in self.exchanges():
            channel.exchange_delete(exchange.name)


class PassageQueue(Queue):
    """A queue whose RabbitMQ-only arguments are sent to RabbitMQ only.

    kombu's MongoDB transport keeps its plain queues: the quorum arguments are dropped when the
    channel declaring the queue is not an AMQP one.
    """

    def queue_declare(self, nowait: bool = False, passive: bool = False, channel=None):
        channel = channel or self.channel
        if not is_rabbitmq(channel):
            self.queue_arguments = None
        return super().queue_declare(nowait=nowait, passive=passive, channel=channel)


def is_rabbitmq(channel: object) -> bool:
    return isinstance(channel, pyamqp.Channel)


def _binding(exchange: Exchange, routing_key: str) -> binding:
    return binding(exchange, routing_key=routing_key)
