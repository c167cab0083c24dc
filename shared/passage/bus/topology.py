"""Exchanges, queues and bindings of Passage, declared by every process that touches the bus.

The routes mirror DESIGN §4: one durable topic exchange per source, one durable queue per
consuming service and purpose, plus a dead-letter queue each. Both the relay and the consumers
declare the whole set, so an event published before its consumer ever started is kept.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from kombu import Exchange, Queue, binding

# queue (without prefix) -> routing keys ``<type>.v<version>`` it receives
ROUTES: dict[str, tuple[str, ...]] = {
    "readmission.detention_location": (
        "detention.stay.opened.v1", "detention.stay.transferred.v1", "detention.stay.closed.v1",
    ),
    "voluntary_return.detention_location": (
        "detention.stay.opened.v1", "detention.stay.transferred.v1", "detention.stay.closed.v1",
    ),
    "detention.readmission_outcomes": (
        "readmission.request.accepted.v1", "readmission.request.deemed_accepted.v1",
        "readmission.transfer.scheduled.v1", "readmission.transfer.completed.v1",
        "readmission.request.deemed_acceptance_reversed.v1",
    ),
    "detention.voluntary_return_departures": ("voluntary_return.departure.confirmed.v1",),
    "readmission.voluntary_return_cases": (
        "voluntary_return.case.opened.v1", "voluntary_return.departure.confirmed.v1",
        "voluntary_return.case.withdrawn.v1",
    ),
    "voluntary_return.readmission_outcomes": ("readmission.request.accepted.v1",),
}


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
        return Queue(full, bindings=bindings, durable=True)

    def dead_letter_queue(self, name: str) -> Queue:
        full = self.queue_name(name)
        return Queue(f"{full}.dlq", exchange=self.dead_letter_exchange(), routing_key=full, durable=True)

    def all_queues(self, names: Iterable[str] | None = None) -> list[Queue]:
        names = list(ROUTES) if names is None else list(names)
        return [q for n in names for q in (self.queue(n), self.dead_letter_queue(n))]

    def declare(self, channel, names: Iterable[str] | None = None) -> None:
        """Declare exchanges, queues and bindings (idempotent)."""
        sources = {key.split(".", 1)[0] for keys in ROUTES.values() for key in keys}
        for source in sorted(sources | {"detention", "readmission", "voluntary_return"}):
            self.events_exchange(source)(channel).declare()
        self.dead_letter_exchange()(channel).declare()
        self.replay_exchange()(channel).declare()
        for queue in self.all_queues(names):
            queue(channel).declare()


def _binding(exchange: Exchange, routing_key: str) -> binding:
    return binding(exchange, routing_key=routing_key)
