"""Detention's worker process: the outbox relay, timed jobs and (later) event consumers.

    python -m detention.consumer

SIGTERM/SIGINT stop it cleanly. Detention consumes readmission outcomes and voluntary-return
departures from a later issue on: :func:`subscriptions` is where they will be wired.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from pymongo.errors import PyMongoError

from passage.bus.consumer import INBOX_INDEXES, EventConsumer, Subscription
from passage.bus.outbox import OutboxRelay
from passage.config import Settings
from passage.logs import configure_logging
from passage.mongo import Index, Mongo
from passage.worker import Loop, every, run_loops

from detention import bootstrap, handlers, repository
from detention.bootstrap import Deps
from detention.config import SERVICE, load_settings

log = logging.getLogger(__name__)

CAPACITY_REFRESH_SECONDS = 60.0


def subscriptions(deps: Deps) -> list[Subscription]:
    """Events detention consumes. None yet: ``detention.readmission_outcomes`` and
    ``detention.voluntary_return_departures`` (see ``passage.bus.topology.ROUTES``) come with
    the full detention issue, each handler writing with the consumer's session."""
    return []


@dataclass(frozen=True)
class Worker:
    """The worker's parts; tests run :meth:`loops` (or just ``relay``) in a thread."""

    deps: Deps
    relay: OutboxRelay
    consumer: EventConsumer | None = None
    ready: threading.Event = field(default_factory=threading.Event)

    def loops(self) -> dict[str, Loop]:
        loops: dict[str, Loop] = {"outbox_relay": self._relay, "capacity_refresh": self._after_ready(
            every(CAPACITY_REFRESH_SECONDS, self.refresh_capacities))}
        if self.consumer is not None:
            loops["consumer"] = self._after_ready(self.consumer.run_until)
        return loops

    def _relay(self, stop: threading.Event) -> None:
        if ensure_indexes_until_ready(self.deps.mongo, worker_indexes(), stop):
            self.ready.set()
            self.relay.run(stop)

    def _after_ready(self, loop: Loop) -> Loop:
        def wait_then_run(stop: threading.Event) -> None:
            while not stop.is_set() and not self.ready.wait(0.5):
                pass
            if not stop.is_set():
                loop(stop)
        return wait_then_run

    def refresh_capacities(self) -> int:
        return handlers.refresh_capacities(self.deps.repository, self.deps.clock())


def worker_indexes() -> list[Index]:
    return [*repository.indexes(), *INBOX_INDEXES]


def build_worker(settings: Settings, deps: Deps | None = None) -> Worker:
    deps = deps or bootstrap.build(settings)
    relay = OutboxRelay(deps.mongo, deps.publisher, repository.OUTBOX_COLLECTIONS)
    subs = subscriptions(deps)
    consumer = EventConsumer(settings.broker_url, deps.topology, deps.mongo, deps.publisher, subs) if subs else None
    return Worker(deps=deps, relay=relay, consumer=consumer)


def ensure_indexes_until_ready(mongo: Mongo, indexes: list[Index], stop: threading.Event) -> bool:
    """Apply the indexes, waiting for the database as long as it takes; False if stopped first."""
    delay = 0.5
    while not stop.is_set():
        try:
            mongo.ensure_indexes(indexes)
            return True
        except PyMongoError as exc:
            log.warning("database not ready, retrying", extra={"error": type(exc).__name__, "in_seconds": delay})
            stop.wait(delay)
            delay = min(delay * 2, 10.0)
    return False


def main() -> None:
    settings = load_settings()
    configure_logging(f"{SERVICE}-worker", settings.log_level)
    run_loops(build_worker(settings).loops())


if __name__ == "__main__":
    main()
