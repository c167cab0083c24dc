"""Readmission's worker process: the event consumer and the outbox relay, in one process.

    python -m readmission.consumer

SIGTERM/SIGINT stop it cleanly (unacked work goes back to the broker).
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import partial

from pymongo.errors import PyMongoError

from passage.bus.consumer import EventConsumer, Subscription
from passage.bus.outbox import OutboxRelay
from passage.bus.topology import ROUTES
from passage.config import Settings
from passage.logs import configure_logging
from passage.mongo import Index, Mongo
from passage.worker import Loop, run_loops

from readmission import bootstrap, handlers, repository
from readmission.bootstrap import Deps
from readmission.config import SERVICE, load_settings

log = logging.getLogger(__name__)

DETENTION_LOCATION = "readmission.detention_location"


def subscriptions(deps: Deps) -> list[Subscription]:
    """Which events this service consumes, and the handler for each."""
    on_stay_event = partial(handlers.record_detention_event, deps.locations)
    return [Subscription(DETENTION_LOCATION, {key: on_stay_event for key in ROUTES[DETENTION_LOCATION]})]


@dataclass(frozen=True)
class Worker:
    """The worker's parts; tests run :meth:`loops` in a thread and watch ``consumer.processed``."""

    deps: Deps
    consumer: EventConsumer
    relay: OutboxRelay

    def loops(self) -> dict[str, Loop]:
        return {"consumer": self._consume, "outbox_relay": self.relay.run}

    def _consume(self, stop: threading.Event) -> None:
        if ensure_indexes_until_ready(self.deps.mongo, repository.indexes(), stop):
            self.consumer.run_until(stop)


def build_worker(settings: Settings, deps: Deps | None = None) -> Worker:
    deps = deps or bootstrap.build(settings)
    consumer = EventConsumer(settings.broker_url, deps.topology, deps.mongo, deps.publisher, subscriptions(deps))
    # No outbox collections yet (OUTBOX_COLLECTIONS is empty, so the relay queries nothing); it is
    # wired now so readmission requests (issue 4) only have to name their collection.
    relay = OutboxRelay(deps.mongo, deps.publisher, repository.OUTBOX_COLLECTIONS)
    return Worker(deps=deps, consumer=consumer, relay=relay)


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
