"""Admin command: list and replay dead letters.

    python -m passage.bus.deadletters list  QUEUE   [--json]
    python -m passage.bus.deadletters replay QUEUE  [--id EVENT_ID ...]

QUEUE is a consumer queue from the topology (e.g. ``readmission.detention_location``).
Replay sends the original bytes back to that one queue through the replay exchange (with
confirms) and only then removes them from the dead-letter queue.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any

from passage.bus.connection import broker_connection
from passage.bus.publisher import Publisher
from passage.bus.topology import ROUTES, Topology
from passage.config import Settings


@dataclass(frozen=True)
class DeadLetter:
    event_id: str | None
    event_type: str | None
    reason: str
    attempts: int
    dead_lettered_at: str

    @classmethod
    def from_message(cls, message: Any) -> DeadLetter:
        headers = message.headers or {}
        try:
            raw = json.loads(message.body)
            event_id, event_type = raw.get("id"), raw.get("type")
        except (ValueError, AttributeError, TypeError):
            event_id = event_type = None
        return cls(
            event_id,
            event_type,
            str(headers.get("x-passage-reason", "")),
            int(headers.get("x-passage-attempts", 0)),
            str(headers.get("x-passage-dead-lettered-at", "")),
        )


class DeadLetters:
    """Inspect and replay ``<queue>.dlq`` on either transport."""

    def __init__(self, broker_url: str, topology: Topology) -> None:
        self.broker_url = broker_url
        self.topology = topology

    def _fetch_all(self, channel, queue: str) -> list[Any]:
        dlq = self.topology.dead_letter_queue(queue)(channel)
        dlq.declare()
        messages = []
        while (
            message := dlq.get(no_ack=False, accept=["json", "application/octet-stream"])
        ) is not None:
            messages.append(message)
        return messages

    def list(self, queue: str) -> list[DeadLetter]:
        """What is parked, without removing it."""
        with broker_connection(self.broker_url) as conn:
            channel = conn.channel()
            messages = self._fetch_all(channel, queue)
            letters = [DeadLetter.from_message(m) for m in messages]
            for message in messages:
                message.requeue()
            channel.close()
        return letters

    def replay(self, queue: str, event_ids: set[str] | None = None) -> int:
        """Send parked messages (all, or those with the given event ids) back; returns count."""
        publisher = Publisher(self.broker_url, self.topology)
        replayed = 0
        try:
            with broker_connection(self.broker_url) as conn:
                channel = conn.channel()
                for message in self._fetch_all(channel, queue):
                    letter = DeadLetter.from_message(message)
                    if event_ids is not None and letter.event_id not in event_ids:
                        message.requeue()
                        continue
                    publisher.publish_raw(
                        message.body,
                        self.topology.replay_exchange(),
                        self.topology.queue_name(queue),
                        message_id=letter.event_id,
                        content_type=message.content_type or "application/json",
                    )
                    message.ack()
                    replayed += 1
                channel.close()
        finally:
            publisher.close()
        return replayed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m passage.bus.deadletters", description=__doc__.splitlines()[0]
    )
    parser.add_argument("action", choices=["list", "replay", "queues"])
    parser.add_argument("queue", nargs="?", choices=sorted(ROUTES))
    parser.add_argument(
        "--id", action="append", dest="ids", help="replay only this event id (repeatable)"
    )
    args = parser.parse_args(argv)
    settings = Settings.from_env("admin")
    letters = DeadLetters(settings.broker_url, Topology(settings.bus_prefix))
    if args.action == "queues":
        print("\n".join(sorted(ROUTES)))
        return 0
    if not args.queue:
        parser.error("QUEUE is required")
    if args.action == "list":
        for letter in letters.list(args.queue):
            print(json.dumps(letter.__dict__))
        return 0
    count = letters.replay(args.queue, set(args.ids) if args.ids else None)
    print(f"replayed {count} message(s) to {args.queue}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
